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
	uint64_t tried;            /* 1 + the packet index it was last tried on */
};

/* The NIC predicts a packet's trace from the bytes the cached traces'
 * guards read (through arithmetic alone): a hash of those bytes picks a
 * bucket that remembers the paths last hit by packets with the same hash.
 * A prediction is only the order in which traces are tried: every trace
 * still checks all its guards, and the others are tried after it. */
enum { JN_NIC_HINT_BUCKETS = 1024, JN_NIC_HINT_WAYS = 4, JN_NIC_MAX_KEYS = 32 };
struct nhint {
	uint64_t key;
	uint32_t gen;              /* the key set it was filled under (nic.keygen) */
	int32_t path[JN_NIC_HINT_WAYS];   /* most recent first; -1: none */
};

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
	struct jn_tkey keys[JN_NIC_MAX_KEYS];   /* the bytes hashed for predictions */
	uint32_t nkeys, keygen;
	struct nhint *hint;        /* JN_NIC_HINT_BUCKETS */
	struct pending { struct jn_trace *t; size_t path; uint64_t ready, ready_ns; } *pend;
	size_t npend, cappend;
	uint32_t *miss_ns;         /* host time of every miss (for the median) */
	size_t nmiss_ns, capmiss_ns;
	struct jn_nic_stats st;
};

/* hint.c: the prediction table; the bytes of t joining the key; the
 * bucket of a packet (emptied if it held another key); a hit of path. */
int jn_nic_hint_init(struct jn_nic *n);
void jn_nic_hint_keys(struct jn_nic *n, const struct jn_trace *t);
struct nhint *jn_nic_hint_get(struct jn_nic *n, const uint8_t *data, uint32_t len);
void jn_nic_hint_hit(struct nhint *b, int32_t path);
/* Swap cache entries i and j (their paths' slots follow). */
void jn_nic_swap(struct jn_nic *n, size_t i, size_t j);
/* Path index for hash (created if missing), or -ENOMEM. */
long jn_nic_path_get(struct jn_nic *n, uint64_t hash);
/* Install t (takes ownership) for path pi, evicting as the policy says;
 * frees t and returns 0 if it cannot fit at all. */
int jn_nic_install(struct jn_nic *n, struct jn_trace *t, size_t pi);
void jn_nic_cache_free(struct jn_nic *n);
/* The entry the policy evicts next (nent > 0); evicting entry v. */
size_t jn_nic_victim(struct jn_nic *n);
void jn_nic_evict(struct jn_nic *n, size_t v);

/* Belady: next[] from o.future (nic.c). */
int jn_nic_belady_prepare(struct jn_nic *n, char *err, size_t errlen);

#endif
