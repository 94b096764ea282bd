/* vm.h - the reference eBPF interpreter.
 *
 * A program is validated and pre-decoded once (jn_vm_load) into a compact
 * internal form; each run (jn_vm_exec) executes it on one context.  Every
 * memory access is checked against the region its address falls in: the
 * packet, the stack, the XDP context, plain memory (conformance), or a region
 * the embedder vouches for through opts.check_mem (map values, read-only
 * data).  A bad access, a runaway loop, a bad helper call stops the run with
 * an error naming the pc; the interpreter itself never crashes.
 *
 * Pointers are host addresses, as in the kernel.  Loads from the XDP context
 * (struct xdp_md, 32-bit fields) yield full 64-bit pointers for data,
 * data_end and data_meta, exactly as the kernel's context rewrite does.
 */
#ifndef JN_VM_H
#define JN_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "isa/isa.h"

struct jn_vm;      /* loaded program (opaque); owned by the caller of jn_vm_load */
struct jn_vm_run;

enum {
	JN_VM_MAX_FRAMES = 8,         /* kernel MAX_CALL_FRAMES */
	JN_VM_MAX_STACK = 512,        /* kernel MAX_BPF_STACK, all frames together */
	JN_VM_MAX_TAIL_CALLS = 33,    /* kernel MAX_TAIL_CALL_CNT */
	JN_VM_MAX_HELPERS = 256,
	JN_VM_XDP_HEADROOM = 256,     /* XDP_PACKET_HEADROOM */
	JN_VM_DEFAULT_BUDGET = 10000000,
};

/* Helpers: r0 = fn(run, r1..r5).  A helper that finds a bad argument calls
 * jn_vm_fault() and returns anything; the run then stops with that error. */
typedef uint64_t (*jn_helper_fn)(struct jn_vm_run *run, uint64_t r1, uint64_t r2,
				 uint64_t r3, uint64_t r4, uint64_t r5);
struct jn_helper {
	const char *name;        /* "map_lookup_elem" */
	jn_helper_fn fn;         /* NULL: not supported */
};

enum jn_vm_ctx_kind {
	JN_CTX_MEM,  /* r1 = memory, r2 = its length (conformance contract) */
	JN_CTX_XDP,  /* r1 = struct xdp_md over a packet buffer */
};

struct jn_map;

/* The map behind a pointer a program loads with lddw, for inline lookups
 * (jn_vm_opts.map_at): an array (values set) is indexed in the
 * interpreter, any other map looked up with lookup(map, key, 0). */
struct jn_vm_map {
	uint8_t *const *values;  /* arrays: where the map keeps its values (read at each lookup); else NULL */
	uint32_t max_entries;    /* arrays */
	uint32_t stride;         /* arrays: bytes from one index to the next (all CPUs' values) */
	uint32_t key_size, value_size;
	bool writable;           /* programs may write values: the lookup sets the value range */
	struct jn_map *map;
	void *(*lookup)(struct jn_map *m, const void *key, uint32_t cpu);
};

struct jn_vm_opts {
	size_t sz;                            /* sizeof(struct jn_vm_opts) */
	enum jn_vm_ctx_kind ctx_kind;
	const struct jn_helper *helpers;      /* indexed by helper id */
	size_t n_helpers;
	/* Resolve an lddw pseudo form (src 1, 2, 3, 5, 6) at load time.
	 * NULL means such forms are refused.  pair points at both slots. */
	int (*resolve_lddw)(void *user, const struct jn_insn *pair, uint64_t *val,
			    char *err, size_t errlen);
	/* Slow-path memory check for addresses outside packet, stack, context
	 * and memory: 0 if [addr, addr+size) may be accessed (write: stored to),
	 * negative otherwise. NULL: nothing else is accessible. */
	int (*check_mem)(void *user, uint64_t addr, uint32_t size, bool write);
	void *user;
	uint64_t budget;                      /* instructions per run, 0: default */
	/* Optional: the helper id of map_lookup_elem, and the map behind a
	 * pointer the program loads with lddw (true) or false.  "r1 = map;
	 * call lookup" with the key on the stack then runs without the helper
	 * call, with the helper's exact result. */
	uint32_t lookup_helper;
	bool (*map_at)(void *user, uint64_t map, struct jn_vm_map *out);
};

/* State of one run.  Helpers read and change it (adjust_head moves data). */
struct jn_vm_run {
	struct jn_vm *vm;          /* program running now (changes on tail call) */
	void *user;                /* opts.user of the first program */
	/* memory the program may touch besides stack and the slow path */
	uint8_t *data, *data_end;  /* JN_CTX_MEM: the memory; XDP: the packet */
	uint8_t *data_meta;        /* XDP: metadata start (== data if none) */
	uint8_t *buf, *buf_end;    /* XDP: whole frame incl. head- and tailroom */
	/* A writable region the interpreter checks inline: helpers that hand
	 * the program a map value set it (jn_vm_set_value_range). */
	uint8_t *val_lo, *val_hi;
	uint32_t ingress_ifindex, rx_queue_index, egress_ifindex;
	uint32_t frame_sz;         /* XDP: xdp_buff.frame_sz */
	/* results and errors */
	int err;                   /* 0, or negative errno of the fault */
	uint32_t err_pc;
	char errmsg[192];          /* "pc 7: load of 4 bytes at 0x... outside ..." */
	uint64_t insns;            /* executed instructions (counted runs only) */
	int tail_calls;
	/* private to the interpreter */
	uint64_t ctx_words[4];     /* the xdp_md the program's r1 points to */
	struct jn_vm *pending_tail;
	int64_t budget_left;
	uint32_t cur_pc;
	int depth;
	bool counting;
	uint32_t stack_used;       /* bytes of stack the active frames use (kernel limit 512) */
	uint8_t stack[(JN_VM_MAX_FRAMES + 1) * JN_ISA_STACK] __attribute__((aligned(16)));
};

/* Load: validate, pre-decode, resolve lddw forms.  Returns NULL with a
 * one-line message in err on failure.  insns is copied. */
struct jn_vm *jn_vm_load(const struct jn_insn *insns, size_t n,
			 const struct jn_vm_opts *opts, char *err, size_t errlen);
void jn_vm_free(struct jn_vm *vm);
size_t jn_vm_ninsns(const struct jn_vm *vm);
const struct jn_insn *jn_vm_insns(const struct jn_vm *vm);

/* Prepare a run over plain memory (JN_CTX_MEM): r1 = mem, r2 = len. */
void jn_vm_run_init_mem(struct jn_vm_run *run, struct jn_vm *vm, uint8_t *mem, size_t len);

/* Prepare a run over an XDP frame: buf holds headroom bytes, then the packet
 * of len bytes, then tailroom up to buflen.  frame_sz as xdp_buff.frame_sz. */
void jn_vm_run_init_xdp(struct jn_vm_run *run, struct jn_vm *vm, uint8_t *buf,
			size_t buflen, size_t headroom, size_t len, uint32_t frame_sz);

/* Execute.  Returns 0 and r0 in *ret, or the run's negative error (the
 * message is in run->errmsg).  count: also count executed instructions. */
int jn_vm_exec(struct jn_vm_run *run, uint64_t *ret, bool count);

/* For helpers. */
int jn_vm_fault(struct jn_vm_run *run, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Host pointer for [addr, addr+size) if the program may access it, else NULL. */
void *jn_vm_mem(struct jn_vm_run *run, uint64_t addr, uint64_t size, bool write);
/* Call a bpf-to-bpf function whose address came from lddw src=4 (bpf_loop
 * callbacks), with up to five arguments.  0 and its r0, or negative error. */
int jn_vm_callback(struct jn_vm_run *run, uint64_t fn, const uint64_t args[5], uint64_t *ret);
/* [p, p+size) is writable memory the program is about to use (a map value
 * a lookup returned): check it inline until the next one. */
static inline void jn_vm_set_value_range(struct jn_vm_run *run, void *p, uint32_t size)
{
	if (p) {
		run->val_lo = p;
		run->val_hi = (uint8_t *)p + size;
	}
}
/* Request a tail call to prog (from the tail_call helper). */
void jn_vm_set_tail_call(struct jn_vm_run *run, struct jn_vm *prog);

#endif
