/* xdp_internal.h - state shared by xdp.c and xdp_helpers.c. */
#ifndef JN_XDP_INTERNAL_H
#define JN_XDP_INTERNAL_H

#include "vm/xdp.h"

enum { JN_XDP_SCRATCH = JN_XDP_SCRATCH_SZ };

struct jn_xdp {
	const struct jn_obj *obj;
	struct jn_map **maps;
	size_t n_maps;
	struct jn_xdp_mapinfo {      /* per map, what every helper call needs */
		uint32_t key_size, value_size;
		bool writable;           /* programs may write its values */
	} *minfo;
	struct jn_vm **vms;          /* per obj program; NULL if it did not load */
	int entry;
	struct jn_xdp_opts opts;
	uint32_t ncpus;
	struct jn_helper helpers[JN_VM_MAX_HELPERS];
	/* configuration from the maps file */
	struct jn_fib_route *routes;
	size_t n_routes;
	struct jn_iface *ifaces;
	size_t n_ifaces;
	uint32_t ingress_ifindex, rx_queue_index;
	/* per-packet state */
	uint64_t now_ns, first_ns;
	uint64_t rng;
	unsigned nondet;
	enum jn_xdp_redirect_kind redir_kind;
	uint32_t redir_target;
	uint8_t *low_water;          /* lowest data_meta/data this packet (headroom to re-zero) */
	size_t scratch_used;         /* ringbuf reservations this packet */
	uint8_t scratch[JN_XDP_SCRATCH] __attribute__((aligned(8)));
	struct jn_vm_run run;
	uint8_t frame[JN_XDP_FRAME_SZ] __attribute__((aligned(64)));
};

/* Helpers that talk to the outside (xdp_helpers_io.c): logs, event
 * outputs, the routing table, MTUs. */
#define JN_XDP_IO_HELPERS(_) _(trace_printk) _(perf_event_output) _(ringbuf_output) \
	_(ringbuf_reserve) _(ringbuf_submit) _(ringbuf_discard) _(ringbuf_query) _(fib_lookup) _(check_mtu)
#define DECL_(name) uint64_t jn_xdp_h_##name(struct jn_vm_run *run, uint64_t a1, uint64_t a2, \
					     uint64_t a3, uint64_t a4, uint64_t a5);
JN_XDP_IO_HELPERS(DECL_)
#undef DECL_

/* Host pointer for a helper's memory argument [p, p+size), or NULL after
 * faulting the run with "pc N: <what>: ... not accessible". */
void *jn_xdp_arg_mem(struct jn_vm_run *run, uint64_t p, uint64_t size, bool write, const char *what);

/* The helper table (xdp_helpers.c). */
void jn_xdp_bind_helpers(struct jn_xdp *x);
/* The map behind a program's map pointer, or NULL (fault raised). */
struct jn_map *jn_xdp_map_arg(struct jn_vm_run *run, uint64_t ptr);

#endif
