/* trace.h - JITNIC: trace recording, path conditions, the trace IR and its
 * executor, the trace cache and the NIC/host model (docs/nic.md).
 *
 * A tracer records the path one packet takes through an XDP program as a
 * straight-line trace: the recorder runs the program concretely and
 * symbolically at once, without changing any state (a dry run: the host then
 * runs the interpreter for the real result).  Each branch becomes a guard in
 * the direction taken; the conjunction of the guards, simplified, is the
 * path condition.  A trace runs as a transaction on a packet prepared by
 * jn_xdp_begin: guards read the packet and the maps as they were when the
 * packet arrived, effects (packet writes, map writes, side-effecting helper
 * calls, head/tail moves) are applied only once every guard held.
 *
 * Traces hold pointers into the maps of the jn_xdp they were recorded on and
 * run only on that instance, while their tracer lives (its condition, hash
 * and sizes stay readable after both are gone), one thread at a time (a
 * trace's value array is its scratch).
 */
#ifndef JN_TRACE_H
#define JN_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pkt/pkt.h"
#include "vm/xdp.h"

/* Why a recording was abandoned (the packet is then simply handled by the
 * host).  TREDEF(NAME, "message"), in the manner of LuaJIT's lj_traceerr.h. */
#define JN_TRACE_ERRORS(TREDEF) \
	TREDEF(NONE,       "no error") \
	TREDEF(FAULT,      "the program faults on this path") \
	TREDEF(TOOLONG,    "path longer than the trace limit") \
	TREDEF(NYI_INSN,   "instruction not supported in traces") \
	TREDEF(NYI_HELPER, "helper not supported in traces") \
	TREDEF(NYI_TAIL,   "tail call in a bpf_loop callback") \
	TREDEF(NYI_MAP,    "map type not supported in traces") \
	TREDEF(PTR_ARITH,  "unsupported arithmetic or comparison on a pointer") \
	TREDEF(PTR_STORE,  "pointer stored outside the stack") \
	TREDEF(PEND_MEM,   "memory access relative to data_end") \
	TREDEF(PTR_ARG,    "helper argument points where traces cannot follow") \
	TREDEF(POST_GUARD, "branch on the result of a side effect (update, random)") \
	TREDEF(MAP_RAW,    "map read after a helper updated the same map") \
	TREDEF(META_MOVE,  "adjust_head with metadata in front of the packet") \
	TREDEF(TAIL_GROW,  "load beyond the packet after adjust_tail grew it") \
	TREDEF(STACK,      "stack access the tracer cannot follow") \
	TREDEF(ALIAS,      "two lookups alias in a way traces cannot express") \
	TREDEF(RB_READ,    "read of ring buffer bytes the packet did not write")

enum jn_trace_err {
#define TREDEF(n, m) JN_TRERR_##n,
	JN_TRACE_ERRORS(TREDEF)
#undef TREDEF
	JN_TRERR__COUNT
};
const char *jn_trace_err_name(int e);   /* "NYI_HELPER" */
const char *jn_trace_err_msg(int e);    /* "helper not supported in traces" */
int jn_trace_err_parse(const char *name);  /* the code of "NYI_HELPER", or -1 */

struct jn_trace;   /* one recorded trace (opaque); jn_trace_free */
struct jn_tracer;  /* recorder for one jn_xdp (opaque); jn_tracer_free */

/* A tracer for x (x must outlive it). */
int jn_tracer_new(struct jn_xdp *x, struct jn_tracer **out, char *err, size_t errlen);
void jn_tracer_free(struct jn_tracer *tr);

/* Record the path of one packet (len bytes) through the entry program,
 * changing no state.  Returns 0 with *out (caller frees), a positive
 * JN_TRERR_* abort reason (msg says where: "pc 12: helper 25"), or a
 * negative errno (out of memory, a length XDP never sees). */
int jn_trace_record(struct jn_tracer *tr, const uint8_t *pkt, uint32_t len, uint64_t ts_ns,
		    struct jn_trace **out, char *msg, size_t msglen);
void jn_trace_free(struct jn_trace *t);

/* Run t on the packet jn_xdp_begin prepared in x.  Returns 1 if every guard
 * held: effects were committed and res is the result, exactly as
 * jn_xdp_run would give it.  Returns 0 if a guard failed: nothing changed
 * (apart from the recency of LRU entries a lookup read, as the host's run
 * reads them again in the same order).  Returns 2 if the guard that failed
 * reads map contents through constant keys alone: the trace cannot hold
 * for any packet until the maps change (nothing changed either).  *ops
 * counts the IR instructions
 * executed (may be NULL). */
int jn_trace_exec(const struct jn_trace *t, struct jn_xdp *x, struct jn_xdp_result *res,
		  uint32_t *ops);

/* One packet as the NIC tries traces on it: jn_trace_run lays it out in
 * x's frame (jn_xdp_begin, once: framed) only when a trace needs the frame
 * (helper calls, packet writes, loads its guards do not keep inside the
 * packet); other traces read the packet where it is, and a hit of such a
 * trace leaves res->data pointing at data.  Same returns as jn_trace_exec
 * (and jn_xdp_begin's -EINVAL).  Start each packet with framed false. */
struct jn_trace_pkt {
	const uint8_t *data;
	uint32_t len;
	uint64_t ts_ns;
	bool framed;
};
int jn_trace_run(const struct jn_trace *t, struct jn_xdp *x, struct jn_trace_pkt *p,
		 struct jn_xdp_result *res, uint32_t *ops);

/* The path condition, canonical: two packets that take the same path get the
 * same string ("len >= 34 && pkt[12:2] == 0x0800 && ...", "true" if none).
 * Owned by t. */
const char *jn_trace_cond(const struct jn_trace *t);
uint64_t jn_trace_hash(const struct jn_trace *t);   /* hash of the condition */
struct jn_trace_info {
	uint32_t ops;        /* IR instructions after optimisation */
	uint32_t guards;     /* guard instructions */
	uint32_t body;       /* instructions the effects need (the trace proper) */
	uint32_t effects;    /* effect instructions (incl. the return) */
	uint32_t path_insns; /* eBPF instructions the recorded path executed */
	uint32_t conds;      /* conjuncts of the simplified path condition */
};
void jn_trace_info(const struct jn_trace *t, struct jn_trace_info *info);
/* The IR, one instruction a line ("0007 guard  ne.64 0005 0006"). */
void jn_trace_dump(const struct jn_trace *t, FILE *f);

/* ---- the trace cache and the NIC model ---- */
#define JN_NIC_POLICIES(_) _(LRU, "lru") _(LFU, "lfu") _(FIFO, "fifo") _(RANDOM, "random") \
	_(CLOCK, "clock") _(BELADY, "belady")
enum jn_nic_policy {
#define P_(e, n) JN_POL_##e,
	JN_NIC_POLICIES(P_)
#undef P_
	JN_POL__COUNT
};
const char *jn_nic_policy_name(int p);
int jn_nic_policy_parse(const char *name);   /* -1 if unknown */

struct jn_nic_opts {
	size_t sz;
	uint32_t capacity;       /* traces the NIC holds (0: unlimited) */
	uint32_t cap_ops;        /* total IR instructions the NIC holds (0: unlimited) */
	int policy;              /* enum jn_nic_policy */
	uint64_t seed;           /* random policy */
	uint32_t admit;          /* install a path only when seen this often in the window (0/1: always) */
	uint32_t admit_window;   /* packets (0: 1024) */
	uint32_t thrash_window;  /* sliding window of the thrashing signal, packets (0: 1024; max 2^24) */
	double thrash_level;     /* miss fraction of a window counted as thrashing (0: 0.5) */
	uint32_t install_delay;  /* packets between a miss and its trace being usable on the NIC */
	uint64_t host_cost_ns;   /* modelled host time per miss: the trace reaches the NIC once
				  * packet timestamps have advanced this much (0: at once) */
	bool keep_ir;            /* keep each path's first trace as text (jn_nic_path.ir) */
	/* Belady: the path hash of every packet (jn_nic_future), n_future long */
	const uint64_t *future;
	size_t n_future;
	/* runs a cached trace instead of jn_trace_run, same contract (NULL: the
	 * executor); jitnic nic --engine vliw: jn_nic_vliw_run */
	int (*run)(void *arg, const struct jn_trace *t, struct jn_xdp *x, struct jn_trace_pkt *p,
		   struct jn_xdp_result *res, uint32_t *ops);
	void *run_arg;
};

struct jn_nic_stats {
	uint64_t packets, skipped, hits, misses, cold_misses, capacity_misses, evictions, retraces;
	uint64_t installs, not_admitted, distinct_paths, aborts, abort_by[JN_TRERR__COUNT];
	uint64_t invalidations;  /* traces a map change made invalid: a guard over map contents
				  * alone (and what the trace's equality guards pin) fails */
	uint64_t revalidations;  /* invalid traces a later change made valid again */
	uint64_t state_checks;   /* cached traces re-read after a change to a map they watch */
	uint64_t stale_evictions;   /* evictions that took an invalidated trace */
	uint64_t ops_hit, insns_miss, insns_full_hits;  /* IR ops on hits; interpreter insns on misses; ... of the hit packets' paths */
	uint64_t check_ops;      /* IR ops spent on traces whose guards failed */
	uint64_t guards_sum, body_sum, ops_sum, path_sum;   /* over installed traces */
	uint64_t host_ns;        /* recording + host run, all misses */
	uint64_t thrash_packets, thrash_onsets;   /* packets with the signal on; times it came on */
	double max_window_miss;
};

struct jn_nic;     /* opaque; jn_nic_free */
int jn_nic_new(struct jn_xdp *x, const struct jn_nic_opts *o, struct jn_nic **out, char *err,
	       size_t errlen);
void jn_nic_free(struct jn_nic *n);
/* One packet: a cached trace if one's guards hold, else the host (record,
 * then the interpreter) and maybe an install.  res as jn_xdp_run gives it;
 * *hit tells which way it went.  Returns 0, or -EINVAL for a length XDP
 * never sees (counted as skipped). */
int jn_nic_packet(struct jn_nic *n, const struct jn_pkt *p, struct jn_xdp_result *res, bool *hit);
const struct jn_nic_stats *jn_nic_stats(const struct jn_nic *n);
/* The maps were changed other than by packets through n (jn_map_update on
 * the instance): re-check which cached traces can hold (docs/nic.md). */
void jn_nic_maps_changed(struct jn_nic *n);
/* Median host time per miss (recording + host run) in microseconds, 0 if none. */
double jn_nic_host_median_us(const struct jn_nic *n);
/* Distinct paths seen (recorded at least once), in order of first sighting. */
size_t jn_nic_npaths(const struct jn_nic *n);
struct jn_nic_path {
	const char *cond;        /* owned by the nic */
	const char *ir;          /* the trace's IR listing if opts.keep_ir, else NULL; owned by the nic */
	uint64_t hash, packets, hits, records;
	struct jn_trace_info info;
};
void jn_nic_path(const struct jn_nic *n, size_t i, struct jn_nic_path *out);
/* Statistics as JSON (caller owns). */
struct json_object *jn_nic_stats_json(const struct jn_nic *n);

/* Belady needs the future: the path hash of every packet of set, found by
 * recording each on a fresh instance x (its maps evolve as in the real run).
 * *out is malloc'd, set->n long; 0 for packets no trace covers. */
int jn_nic_future(struct jn_xdp *x, const struct jn_pkt_set *set, uint64_t **out, char *err,
		  size_t errlen);

/* The future as the cache sees it: the path of every packet (0: not
 * cacheable) and when a path's trace becomes invalid or valid again (exact
 * invalidation, inval.c: its guards over the maps cannot hold / can again
 * once that packet's run changed the maps).  Validity under the maps as
 * they are does not depend on which traces are cached, so one recording
 * serves every capacity and policy. */
struct jn_nic_flip {
	uint64_t after;          /* packet index: from the end of its run */
	uint64_t path;           /* path hash */
	bool invalid;
};
struct jn_nic_future {
	uint64_t *paths;         /* n long */
	uint64_t *ts;            /* each packet's timestamp, ns (NULL: jn_nic_simulate refuses
				  * host_cost_ns) */
	size_t n;
	struct jn_nic_flip *flips;   /* nflips, in packet order */
	size_t nflips;
};
/* As jn_nic_future, the timestamps and the flips: every path's trace (the
 * first recording) is kept and re-checked as the NIC checks its cached
 * traces.  out's arrays are malloc'd: jn_nic_future_free. */
int jn_nic_future_record(struct jn_xdp *x, const struct jn_pkt_set *set, struct jn_nic_future *out,
			 char *err, size_t errlen);
void jn_nic_future_free(struct jn_nic_future *f);

/* Hit counts without running anything: the NIC's cache alone over f (the
 * NIC's own replacement, admission and install code on entries without
 * traces), equal to jn_nic_stats().hits of jn_nic_packet over the same
 * packets.  From o: capacity (0: unlimited), policy, seed, admit,
 * admit_window, install_delay, host_cost_ns (needs f->ts); cap_ops needs
 * trace sizes (-EINVAL); future/n_future are f's.  Not modelled: a
 * trace marked stale while tried (a guard over an LRU map's entry under a
 * constant key) -- inval.c does not watch those.
 * jn_nic_simulate: one capacity and policy, hits in *hits; -EINVAL for an
 * unknown policy, -ENOMEM.
 * jn_nic_lru_curve: LRU for every capacity 1..maxcap (o's capacity and
 * policy ignored): hits[c-1] for capacity c; one pass by stack distances
 * when f has no flips and o no admission or delays, else jn_nic_simulate
 * for each capacity. */
int jn_nic_simulate(const struct jn_nic_future *f, const struct jn_nic_opts *o, uint64_t *hits);
int jn_nic_lru_curve(const struct jn_nic_future *f, const struct jn_nic_opts *o, uint32_t maxcap,
		     uint64_t *hits);


/* ---- traces lowered to the VLIW core (to_ebpf.c, nic_vliw.c; docs/hxdp.md) ---- */
/* r0 of the exit a failed guard takes in a lowered trace.  No shipped or
 * libxdp program returns it (XDP actions are 0..4); the lowering adds a
 * guard "return value != code" when the value is computed, and refuses a
 * trace that returns it as a constant, so it means a miss and nothing else.
 * It is below 256 so that the length check folds into a checked load. */
#define JN_TRACE_MISS_CODE 0xee
/* Why a trace was not lowered: TVDEF(NAME, "message"). */
#define JN_TRACE_VLIW_REFUSALS(TVDEF) \
	TVDEF(NONE,       "lowered") \
	TVDEF(OP,         "IR instruction the lowering does not know") \
	TVDEF(PROG,       "tail call by a non-constant index into over 64 prog_array slots") \
	TVDEF(PKT_RANGE,  "packet access outside the length the guards establish") \
	TVDEF(STACK,      "helper reads stack outside the frame or over the lowering's scratch") \
	TVDEF(REGS,       "more live values than registers") \
	TVDEF(RET,        "return value known only after effects, or the miss code") \
	TVDEF(POST_GUARD, "guard after an effect") \
	TVDEF(TOOBIG,     "too long for 16-bit jump offsets") \
	TVDEF(COMPILE,    "the VLIW compiler refused the program") \
	TVDEF(SIM,        "the simulator refused the program") \
	TVDEF(WRONG,      "the core missed where the executor hit: retired to the executor")
enum jn_trace_vliw_refusal {
#define TVDEF(n, m) JN_TVLIW_##n,
	JN_TRACE_VLIW_REFUSALS(TVDEF)
#undef TVDEF
	JN_TVLIW__COUNT
};
const char *jn_trace_vliw_refusal_name(int r);   /* "PKT_RANGE" */
const char *jn_trace_vliw_refusal_msg(int r);

/* One straight-line eBPF program for t (lddw map-index form, helpers by
 * id): the guards first, each failed one exiting with JN_TRACE_MISS_CODE,
 * then the effects in program order, then the return.  Run on the packet
 * and maps t was recorded for, it gives exactly jn_trace_run's result as
 * long as the prog_array slots its tail calls read hold what they held
 * when it was lowered (jn_trace_ebpf_slots: the core cannot read a
 * prog_array, so the guards on a tail call's target are compiled against
 * the slots' contents).  Returns 0 with *out (caller frees) and *n, a
 * positive JN_TVLIW_* code (err says where), or a negative errno. */
struct jn_insn;
int jn_trace_to_ebpf(const struct jn_trace *t, struct jn_insn **out, size_t *n, char *err,
		     size_t errlen);
/* The prog_array slots jn_trace_to_ebpf compiles in for t (none without
 * tail calls): map index, slot and the program a tail call through it
 * runs now (-1: none); a constant index reads its slot, another every slot
 * of the map.  *out malloc'd (caller frees; NULL when *n is 0); 0 or
 * -ENOMEM.  jn_trace_ebpf_slots_hold: every slot still holds that program
 * (else lower t again). */
struct jn_trace_slot { uint32_t map, slot; uint64_t prog; };
int jn_trace_ebpf_slots(const struct jn_trace *t, struct jn_trace_slot **out, size_t *n);
bool jn_trace_ebpf_slots_hold(const struct jn_trace *t, const struct jn_trace_slot *s, size_t n);


/* The NIC's traces on the VLIW core: jn_nic_opts.run = jn_nic_vliw_run,
 * run_arg = the engine.  Each trace is lowered (jn_trace_to_ebpf),
 * compiled (jn_vliw_compile, every pass) and run in the Sephirot simulator
 * inside x; traces it refuses run on the executor (counted by reason). */
struct jn_nic_vliw;   /* owned by the caller (jn_nic_vliw_free); x must outlive it */
struct jn_nic_vliw_opts {
	int lanes;                /* 1..8; 0: 4 */
	double clock_mhz;         /* 0: 156.25 */
	unsigned helper_cycles;   /* 0: the simulator's default */
};
struct jn_nic_vliw_stats {
	uint64_t hits;            /* packets the VLIW core handled */
	uint64_t sim_misses;      /* tries whose guards failed on the core */
	uint64_t fallback_hits;   /* hits of refused traces (the executor ran them) */
	uint64_t mismatches;      /* the core said miss, the executor hit (0 expected; the
				   * trace is retired to the executor: refused_by[WRONG]) */
	uint64_t faults;          /* the core faulted on a try (0 expected) */
	uint64_t traces, refused, refused_by[JN_TVLIW__COUNT];   /* paths lowered / refused */
	uint64_t hit_cycles, hit_rows, hit_insns, check_cycles;  /* sums; check: failed tries */
	uint64_t cyc_min, cyc_median, cyc_max;   /* core cycles per hit */
	uint64_t cost_median;     /* per hit: the core's cycles or the packet's 32-byte arrival
				   * frames, whichever is more (the core overlaps them) */
	uint32_t rows_min, rows_median, rows_max;   /* VLIW rows per lowered trace */
	uint32_t insns_median;    /* eBPF instructions per lowered trace */
	double ipc;               /* instructions per cycle on hits */
	double mpps;              /* clock / cost_median */
	double clock_mhz;
	size_t full_insns, full_rows;   /* the whole entry program compiled (0: refused) */
};
int jn_nic_vliw_new(struct jn_xdp *x, const struct jn_nic_vliw_opts *o, struct jn_nic_vliw **out,
		    char *err, size_t errlen);
void jn_nic_vliw_free(struct jn_nic_vliw *v);
int jn_nic_vliw_run(void *arg, const struct jn_trace *t, struct jn_xdp *x, struct jn_trace_pkt *p,
		    struct jn_xdp_result *res, uint32_t *ops);
int jn_nic_vliw_stats(const struct jn_nic_vliw *v, struct jn_nic_vliw_stats *out);   /* 0 or -ENOMEM */
/* The first refusal or simulator fault message, or NULL (owned by v). */
const char *jn_nic_vliw_note(const struct jn_nic_vliw *v);
struct json_object *jn_nic_vliw_json(const struct jn_nic_vliw *v);   /* caller owns */
/* Table 3 for traces lowered to VLIW (nic_vliw_table.c): for each shipped
 * program standing for one of the paper's (build/progs/<name>.o with
 * progs/<name>.maps.json, from the repo root), over generated traffic:
 * the whole program's instructions and rows against the median trace's,
 * cycles per hit, IPC, Mpps; every packet checked against the interpreter.
 * 0, or negative errno if a program could not be run or a result differed. */
int jn_trace_vliw_table(FILE *out, bool json);
/* For comparison, the whole program (obj; program prog, NULL: the first;
 * maps file maps or NULL) compiled for the core with lanes lanes (0: 4) and
 * run on every packet of set in an instance of its own, each checked
 * against the interpreter: core cycles per packet min / median / max in
 * cyc, packets that differed in *differ.  0, or negative errno (err). */
int jn_trace_vliw_whole(const char *obj, const char *prog, const char *maps,
			const struct jn_pkt_set *set, int lanes, uint64_t cyc[3], uint64_t *differ,
			char *err, size_t errlen);
#endif
