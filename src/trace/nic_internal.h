/* nic_internal.h - the NIC model's state, shared by nic.c (packets,
 * statistics) and cache.c (the trace cache and its replacement policies). */
#ifndef JN_TRACE_NIC_INTERNAL_H
#define JN_TRACE_NIC_INTERNAL_H

#include "trace_internal.h"

struct npath {
	uint64_t hash;
	char *cond;                /* NULL until recorded (Belady may know a path first) */
	char *ir;                  /* opts.keep_ir: the first trace's listing */
	uint64_t packets, hits, records;
	struct jn_trace_info info;
	bool cached, installed_once, evicted, pending;
	int32_t slot;              /* its entry in the cache while cached, else -1 */
	uint64_t next_use;         /* Belady: next packet index on this path */
	uint32_t admit_count;
	uint64_t admit_since;
};

struct centry {
	struct jn_trace *t;
	size_t path;
	uint64_t last, uses, inserted;
	bool ref;
	bool stale;                /* a guard over map contents alone failed: evicted first */
	bool invalid;              /* (inval.c) cannot hold under the maps as they are: not tried */
	uint64_t writes;           /* (inval.c) maps its effects may write */
	uint64_t tried;            /* 1 + the packet index it last failed on (the walk skips it) */
	uint32_t cons0, ncons;     /* its constraints (dtree.c) */
};

/* The decision tree over the cached traces' guards (dtree.c). */
enum { JN_NIC_EXPR_NODES = 12, JN_NIC_MAX_EXPRS = 64, JN_NIC_MAX_KIDS = 32, JN_NIC_MAX_NODES = 1024,
       JN_NIC_TREE_DELAY = 64 };   /* packets the cache stays unchanged before a rebuild */
struct enode { int64_t k; uint8_t op, sz; int8_t a, b; uint8_t pad[4]; };   /* no implicit padding */
struct nexpr { uint32_t n; struct enode v[JN_NIC_EXPR_NODES]; };   /* post order; the last is E */
struct ncons { uint16_t expr; bool eq; uint64_t c; };   /* E == c (eq) or E != c */
enum { JN_NK_LEAF, JN_NK_LOAD, JN_NK_EXPR };
enum { JN_NIC_NODE_KIDS = 4 };   /* kids a node holds itself */
_Static_assert(JN_NIC_NODE_KIDS == 4, "jn_nic_tree_leaf compares four slots");
struct nnode {
	int32_t expr;              /* E evaluated here; -1: a leaf */
	uint8_t kind;              /* JN_NK_*: how E is evaluated (sz bytes at off, masked; or the
				    * expression) */
	uint8_t sz, nin;           /* a load's size; kids held in kv/kc (0: scan kids[]) */
	uint32_t off, end;         /* a load's offset; E reads below end */
	uint64_t mask;             /* a load's mask (all ones: the load itself) */
	int32_t dflt;              /* child for any other value */
	uint64_t kv[JN_NIC_NODE_KIDS];   /* up to JN_NIC_NODE_KIDS kids: values, children (nin
					  * kids, the first repeated in the other slots) */
	int32_t kc[JN_NIC_NODE_KIDS];
	uint32_t kid0, nkids;      /* kids[kid0 ..): a value and its child */
	uint32_t cand0, ncand;     /* a leaf: cands[cand0 ..), paths, most recently hit first */
};
struct nkid { uint64_t v; int32_t child; };
/* A leaf's candidate: its path and phase 1 without what the way to the
 * leaf established (jn_trace_run_x1). */
struct ncand { int32_t path; uint32_t nx1; struct jn_txop *x1; };

struct jn_nic {
	struct jn_xdp *x;
	struct jn_tracer *tr;
	struct jn_nic_opts o;
	struct centry *ent;
	size_t nent, capent;
	uint64_t ops_cached;
	size_t hand;               /* CLOCK */
	uint64_t rng;
	struct npath *paths;
	size_t npaths, cappaths;
	int64_t *index;            /* open addressing: path index + 1, 0 empty */
	size_t index_cap;
	uint64_t *next;            /* Belady: next[i] = next packet with future[i]'s path */
	uint64_t tick, now_ns;     /* packet index and timestamp now */
	uint8_t *win;              /* the last thrash_window outcomes (1: miss), a ring */
	uint64_t win_pkts, win_miss;
	uint32_t win_slot;         /* win_pkts % thrash_window */
	bool thrashing;
	uint64_t thrash_min;       /* misses in a full window that count as thrashing */
	uint64_t win_max;          /* most misses seen in a full window */
	uint64_t watch_maps;       /* (inval.c) maps some cached trace's guards read (a superset) */
	bool tree_dirty;           /* the cache changed since the tree was built */
	uint64_t changed_at;       /* packet index of the last change */
	struct ncons *cons;
	size_t ncons, capcons;
	struct nnode *nodes;       /* nodes[0] is the root; none: walk the cache */
	size_t nnodes, capnodes;
	struct nkid *kids;
	size_t nkids, capkids;
	struct ncand *cands;
	size_t ncands, capcands;
	struct pending { struct jn_trace *t; size_t path; uint64_t ready, ready_ns; } *pend;
	size_t npend, cappend;
	uint32_t *miss_ns;         /* host time of every miss (for the median) */
	size_t nmiss_ns, capmiss_ns;
	struct jn_nic_stats st;
	/* last: 12 KB the walk reads only at expression nodes (the fields
	 * above, read on every packet, share fewer cache lines) */
	struct nexpr exprs[JN_NIC_MAX_EXPRS];
	uint32_t nexprs;
};

/* dtree.c: (re)build the tree for the cache as it is (on failure there is
 * none); a node's E on a packet (false: it reads past the end); a hit of
 * leaf's candidate i (it moves to the front). */
int jn_nic_tree_build(struct jn_nic *n);
void jn_nic_tree_free(struct jn_nic *n);
bool jn_nic_tree_eval(const struct nexpr *e, const uint8_t *d, uint32_t len, uint64_t *out);
void jn_nic_tree_hit(struct jn_nic *n, const struct nnode *leaf, uint32_t i);
/* The leaf packet data (len bytes) reaches (NULL: no tree): at each node
 * E's value picks a child (an E reading past the end: the default). */
static inline const struct nnode *jn_nic_tree_leaf(const struct jn_nic *n, const uint8_t *d,
						   uint32_t len)
{
	const struct nnode *nd = n->nodes;

	if (!n->nnodes)
		return NULL;
	while (nd->kind != JN_NK_LEAF) {
		uint64_t v;
		int32_t next = nd->dflt;
		if (__builtin_expect(nd->kind == JN_NK_LOAD, 1)) {
			if (nd->end > len)
				goto dflt;
			v = nd->sz == 2 ? jn_tld(d + nd->off, 2) : nd->sz == 1 ? d[nd->off]
			  : jn_tld(d + nd->off, nd->sz);
			v &= nd->mask;
		} else if (!jn_nic_tree_eval(&n->exprs[nd->expr], d, len, &v)) {
			goto dflt;
		}
		if (nd->nin) {   /* all JN_NIC_NODE_KIDS slots hold a kid (dtree.c) */
			next = v == nd->kv[3] ? nd->kc[3] : next;
			next = v == nd->kv[2] ? nd->kc[2] : next;
			next = v == nd->kv[1] ? nd->kc[1] : next;
			next = v == nd->kv[0] ? nd->kc[0] : next;
		} else {
			for (const struct nkid *k = n->kids + nd->kid0, *kend = k + nd->nkids; k < kend; k++)
				if (k->v == v) {
					next = k->child;
					break;
				}
		}
dflt:
		nd = &n->nodes[next];
	}
	return nd;
}

/* Swap cache entries i and j (their paths' slots follow). */
static inline void jn_nic_swap(struct jn_nic *n, size_t i, size_t j)
{
	struct centry tmp = n->ent[i];

	n->ent[i] = n->ent[j];
	n->ent[j] = tmp;
	n->paths[n->ent[i].path].slot = (int32_t)i;
	n->paths[n->ent[j].path].slot = (int32_t)j;
}
/* Path index for hash (created if missing), or -ENOMEM. */
long jn_nic_path_get(struct jn_nic *n, uint64_t hash);
/* Install t (takes ownership; NULL: the simulation's entry without a
 * trace) for path pi, evicting as the policy says; frees t and returns 0
 * if it cannot fit at all. */
int jn_nic_install(struct jn_nic *n, struct jn_trace *t, size_t pi);
/* A missed path pi not in the cache, its trace t (taken; NULL in the
 * simulation): held back by admission, queued by the install delay, or
 * installed.  jn_nic_installs: the queued installs due at n->tick and
 * packet time ts_ns reach the cache.  0 or -ENOMEM. */
int jn_nic_offer(struct jn_nic *n, struct jn_trace *t, size_t pi);
int jn_nic_installs(struct jn_nic *n, uint64_t ts_ns);
void jn_nic_cache_free(struct jn_nic *n);
/* The entry the policy evicts next (nent > 0); evicting entry v. */
size_t jn_nic_victim(struct jn_nic *n);
void jn_nic_evict(struct jn_nic *n, size_t v);

/* inval.c: exact invalidation.  jn_nic_watch: entry i was installed (what
 * its guards read; invalid already?), 0 or -ENOMEM; jn_nic_state_changed:
 * maps (bits as in inval.c; ~0: any) may have changed; jn_nic_after_hit:
 * entry e's effects ran. */
int jn_nic_watch(struct jn_nic *n, size_t i);
void jn_nic_state_changed(struct jn_nic *n, uint64_t maps);
static inline void jn_nic_after_hit(struct jn_nic *n, const struct centry *e)
{
	if (__builtin_expect((e->writes & n->watch_maps) != 0, 0))
		jn_nic_state_changed(n, e->writes);
}

/* Belady: next[] from o.future (nic.c). */
int jn_nic_belady_prepare(struct jn_nic *n, char *err, size_t errlen);

#endif
