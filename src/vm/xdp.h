/* xdp.h - an XDP object instantiated for the interpreter: its maps created,
 * every program loaded, the XDP helpers bound, and packets run through it
 * in a frame laid out as BPF_PROG_TEST_RUN lays it out (docs/xdp-context.md).
 */
#ifndef JN_XDP_H
#define JN_XDP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "maps/maps.h"
#include "obj/obj.h"
#include "vm/vm.h"

struct json_object;
struct jn_xdp;   /* opaque; jn_xdp_open / jn_xdp_close */

enum {
	JN_XDP_HEADROOM = 256,            /* XDP_PACKET_HEADROOM */
	JN_XDP_FRAME_SZ = 4096,           /* one page, as test_run's frame */
	JN_XDP_TAILROOM = 320,            /* SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) */
	JN_XDP_MAX_DATA = JN_XDP_FRAME_SZ - JN_XDP_HEADROOM - JN_XDP_TAILROOM,
	JN_XDP_FRAME_HDR = 40,            /* sizeof(struct xdp_frame): head can't move below */
	JN_XDP_MIN_LEN = 14,              /* ETH_HLEN: shorter packets are refused */
	JN_XDP_SCRATCH_SZ = 65536,        /* bytes of ring buffer reservations per packet */
};

/* Helpers whose results are not repeatable (bits of jn_xdp_result.nondet). */
enum { JN_ND_TIME = 1, JN_ND_RANDOM = 2, JN_ND_CPU = 4 };

enum jn_xdp_redirect_kind { JN_REDIR_NONE, JN_REDIR_IFINDEX, JN_REDIR_DEVMAP, JN_REDIR_CPUMAP,
			    JN_REDIR_XSKMAP };

struct jn_xdp_opts {
	size_t sz;
	uint64_t seed;               /* bpf_get_prandom_u32 */
	FILE *log;                   /* trace_printk lines (NULL: dropped) */
	FILE *events;                /* perf_event_output / ringbuf records (NULL: dropped) */
	uint64_t budget;             /* instructions per packet (0: default) */
	uint32_t ncpus;              /* per-CPU maps (0: this machine's possible CPUs) */
};

struct jn_xdp_result {
	int action;                  /* XDP_ABORTED..XDP_REDIRECT; XDP_ABORTED on a fault */
	uint64_t retval;             /* r0 as the program returned it */
	const uint8_t *data;         /* the packet as left (from data_meta), valid until next run */
	uint32_t len;
	uint32_t meta_len;           /* bytes of metadata in front of the packet */
	enum jn_xdp_redirect_kind redirect_kind;
	uint32_t redirect_target;    /* ifindex, cpu or queue */
	int err;                     /* 0, or negative errno of a fault (run stopped) */
	char errmsg[192];
	uint64_t insns;              /* executed instructions (counted runs) */
	unsigned nondet;             /* JN_ND_* helpers called */
};

/* Instantiate obj: create its maps, load every XDP program (entry is the
 * program to run; NULL: the first).  The obj must outlive the jn_xdp. */
int jn_xdp_open(const struct jn_obj *obj, const char *entry, const struct jn_xdp_opts *opts,
		struct jn_xdp **out, char *err, size_t errlen);
void jn_xdp_close(struct jn_xdp *x);

/* Fill maps, routes, interfaces and ctx fields from a parsed maps file. */
int jn_xdp_apply_init(struct jn_xdp *x, const struct jn_maps_init *init, char *err, size_t errlen);
/* The environment jn_maps_init_load needs to parse a maps file for x's
 * maps (their specs as created: per-CPU maps know their CPU count). */
void jn_xdp_init_env(struct jn_xdp *x, struct jn_maps_init_env *env);

/* Run one packet (len bytes, arriving at ts_ns on the virtual clock). */
int jn_xdp_run(struct jn_xdp *x, const uint8_t *pkt, uint32_t len, uint64_t ts_ns,
	       struct jn_xdp_result *res, bool count);

/* The two halves of jn_xdp_run, for engines that run a packet their own way
 * (the trace executor): _begin lays the packet into the frame and resets the
 * per-packet state (-EINVAL for a length XDP never sees, as jn_xdp_run);
 * _finish fills res from the run state, the fault rc (0: none) and r0. */
int jn_xdp_begin(struct jn_xdp *x, const uint8_t *pkt, uint32_t len, uint64_t ts_ns,
		 struct jn_xdp_result *res);
void jn_xdp_finish(struct jn_xdp *x, int rc, uint64_t r0, struct jn_xdp_result *res);
/* The run state _begin prepared (frame, stack, context); owned by x. */
struct jn_vm_run *jn_xdp_run_state(struct jn_xdp *x);
/* Set the virtual clock as a packet arriving at ts_ns would. */
void jn_xdp_set_clock(struct jn_xdp *x, uint64_t ts_ns);
/* Forget a redirect target set by a helper during this packet. */
void jn_xdp_clear_redirect(struct jn_xdp *x);
/* The helper table (JN_VM_MAX_HELPERS entries, indexed by helper id). */
const struct jn_helper *jn_xdp_helpers(const struct jn_xdp *x);
/* Index of the map whose program-side pointer (lddw map value) is ptr, or -1. */
int jn_xdp_map_index(const struct jn_xdp *x, uint64_t ptr);
/* Stack bytes the function starting at pc uses (zeroed at its entry). */
uint32_t jn_xdp_func_stack(const struct jn_vm *vm, uint32_t pc);

/* The routes the maps file gave (bpf_fib_lookup's table; *n of them, owned
 * by x), and the MTU bpf_fib_lookup and bpf_check_mtu see on ifindex. */
const struct jn_fib_route *jn_xdp_routes(const struct jn_xdp *x, size_t *n);
uint32_t jn_xdp_iface_mtu(const struct jn_xdp *x, uint32_t ifindex);
size_t jn_xdp_nmaps(const struct jn_xdp *x);
struct jn_map *jn_xdp_map(struct jn_xdp *x, size_t i);
/* {"<name>": <jn_map_dump_json>, ...} for every map; caller owns. */
struct json_object *jn_xdp_dump_maps(struct jn_xdp *x);
/* Bitmask of JN_ND_* helpers the entry program (and its tail-call targets) may call. */
unsigned jn_xdp_nondet_helpers(const struct jn_xdp *x);
struct jn_vm *jn_xdp_vm(struct jn_xdp *x);
/* Program i of the object as loaded (tail-call targets), NULL if it did not
 * load or i is out of range; how many programs there are. */
struct jn_vm *jn_xdp_prog_vm(struct jn_xdp *x, size_t i);
size_t jn_xdp_nprogs(const struct jn_xdp *x);
const char *jn_xdp_action_name(int action);

#endif
