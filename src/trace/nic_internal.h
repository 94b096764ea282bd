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
	bool frameless;            /* runs on the packet where it is (jn_trace_frameless) */
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
	bool thrashing;
	struct pending { struct jn_trace *t; size_t path; uint64_t ready, ready_ns; } *pend;
	size_t npend, cappend;
	uint32_t *miss_ns;         /* host time of every miss (for the median) */
	size_t nmiss_ns, capmiss_ns;
	struct jn_nic_stats st;
};

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
