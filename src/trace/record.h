/* record.h - the recorder's state, shared by record.c (the instruction
 * loop), record_mem.c (shadow memory: forwarding of stores to loads) and
 * record_call.c (helpers). */
#ifndef JN_TRACE_RECORD_H
#define JN_TRACE_RECORD_H

#include "trace_internal.h"
#include "vm/vm.h"

enum { SK_SCALAR, SK_PKT, SK_PEND, SK_STACK, SK_CTX, SK_MAPPTR, SK_MVAL, SK_FUNC };

/* A register: a scalar (ref into the IR; its concrete value is cval[ref])
 * or a pointer: packet (off from data as it arrived), data_end (off from the
 * end as it arrived), stack (off in run->stack), context, map, map value
 * (obj: mval index; also a ring buffer reservation), function (off: its pc
 * in the program running when it was loaded). */
struct sval {
	uint8_t kind;
	int32_t ref;
	int32_t obj;
	int64_t off;
};

/* A shadow byte: what a byte of memory holds, symbolically.  ref -1: as it
 * arrived (packet byte, zero stack byte, map byte); -2: part of a spilled
 * pointer (stack only); else byte idx of the value ref. */
struct sbyte { int32_t ref; uint8_t idx; };
enum { SB_ORIG = -1, SB_SPILL = -2 };

enum { REC_MAX_MVALS = 32, REC_STACK = (JN_VM_MAX_FRAMES + 1) * JN_ISA_STACK,
       REC_MAX_INSNS = 200000 };

/* A map value the path read or wrote: a copy of its bytes as they arrived
 * plus the shadow of this packet's writes. */
struct mval {
	int map;
	int32_t base;          /* ref of the value's address (lookup, or constant for global data) */
	uint32_t size;
	bool global;
	bool rbuf;             /* a ring buffer reservation: base is the reserve call */
	uint8_t *copy;
	struct sbyte *sh;
	uint8_t key[64];
	uint32_t key_size;
};

/* A call frame: where to return, the caller's registers and program; a
 * bpf_loop callback's frame also carries the loop (iteration i of n,
 * callback pc, its context argument). */
struct frame {
	uint32_t ret, fd;
	struct sval R[JN_ISA_NREGS];
	struct jn_vm *vm;
	uint8_t *ops;
	bool loop;
	uint32_t loop_i, loop_n, loop_pc;
	struct sval loop_ctx;
};

struct jn_tracer {
	struct jn_xdp *x;
	struct jn_vm *vm;
	const struct jn_insn *insns;
	uint32_t n;
	uint8_t *ops;              /* enum jn_op per pc (of the program running now) */
	struct jn_vm *entry;       /* the entry program and its decoded ops */
	uint8_t *entry_ops;
	uint8_t **prog_ops;        /* tail-call targets' decoded ops, by program index (lazy) */
	size_t nprogs;
	int tail_calls;
	size_t nmaps;
	struct jn_map **maps;
	bool *lru;
	bool *updated;             /* per map: a helper updated it on this path */
	struct jn_vm_run *run;     /* concrete state of the dry run */
	uint8_t frame[JN_XDP_FRAME_SZ] __attribute__((aligned(64)));
	struct sbyte psh[JN_XDP_FRAME_SZ];
	struct sbyte ssh[REC_STACK];
	size_t psh_lo, psh_hi, ssh_lo, ssh_hi;   /* shadow bytes written since the last reset */
	struct sval spill[REC_STACK / 8];
	struct mval mv[REC_MAX_MVALS];
	int nmv;
	struct sval R[JN_ISA_NREGS];
	struct frame frames[JN_VM_MAX_FRAMES];
	int depth;
	int loops;                 /* bpf_loop callbacks on the frame stack */
	uint32_t rb_used;          /* ring buffer reservation bytes, as the helper counts them */
	int32_t *rb_pos;           /* per ringbuf map: ref of its producer position query, or -1 */
	uint64_t *rb_taken;        /* ... bytes this path's reservations and outputs took */
	uint32_t stack_used;
	int64_t data_off, end_off, meta_off;
	bool grown;                /* adjust_tail grew the packet by a constant */
	bool end_abs;              /* adjust_tail set the end to a constant: end_off is
				    * absolute (from data as it arrived), not from len */
	uint32_t len;
	int32_t len_ref;
	uint32_t pc, steps;
	struct jn_tbuild b;
	uint32_t cap_chunks, cap_calls, cap_mems;
	char *msg;
	size_t msglen;
};

/* Abort with a reason; returns the positive JN_TRERR_* code. */
int jn_rec_abort(struct jn_tracer *tr, int reason, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Value of a register as a scalar ref (aborts for pointers): >= 0, or the
 * negated abort code / errno (< 0). */
static inline uint64_t jn_rec_cval(const struct jn_tracer *tr, int32_t ref) { return tr->b.cval[ref]; }
/* Specialise a scalar on its concrete value: a guard ref == value. */
int jn_rec_spec(struct jn_tracer *tr, int32_t ref, uint64_t *val);
/* A guard "a cond b" (sz 4 or 8) that holds concretely; constant guards vanish. */
int jn_rec_guard(struct jn_tracer *tr, int cond, int sz, int32_t a, int32_t b);
int jn_rec_len_guard(struct jn_tracer *tr, int cond, int64_t k);   /* len cond k */
int jn_rec_effect(struct jn_tracer *tr, uint8_t op, uint8_t sz, int32_t a, int32_t b, int64_t k);
/* Does a record of size bytes fit in ringbuf map on this path (*fits)?
 * Guarded either way (record_helpers.c); 0 or an abort code / -errno. */
int jn_rec_ring_room(struct jn_tracer *tr, int map, uint64_t size, bool *fits);

/* record_mem.c: loads and stores through a pointer register (value in/out). */
int jn_rec_load(struct jn_tracer *tr, const struct sval *p, int64_t off, unsigned sz, struct sval *out);
int jn_rec_store(struct jn_tracer *tr, const struct sval *p, int64_t off, unsigned sz,
		 const struct sval *v);
int jn_rec_atomic(struct jn_tracer *tr, int op, const struct jn_insn *in);
/* Refs of [off, off+size) of a stack or packet pointer in chunks of up to 8
 * bytes (a key): appended to t->chunks.  Returns the first index or < 0. */
int jn_rec_chunks(struct jn_tracer *tr, const struct sval *p, uint32_t size, uint8_t *bytes);
void jn_rec_mem_reset(struct jn_tracer *tr);
/* Note that shadow bytes [i, i+n) of the packet (pkt) or stack were written. */
void jn_rec_dirty(struct jn_tracer *tr, bool pkt, size_t i, size_t n);
void jn_rec_zero_stack(struct jn_tracer *tr, uint32_t off, uint32_t len);
uint8_t *jn_rec_addr(struct jn_tracer *tr, const struct sval *p, int64_t off);
int jn_rec_global(struct jn_tracer *tr, int map, uint32_t off, struct sval *out);

/* record.c: enter a function at pc target (a bpf-to-bpf call, or a
 * bpf_loop callback when loop is set: f's loop fields filled by the
 * caller), returning to ret.  0 or an abort code. */
int jn_rec_enter(struct jn_tracer *tr, uint32_t target, uint32_t ret, const struct frame *loop);
struct sval jn_rec_scalar(int32_t ref);
/* The packet's current length (data_end - data) as a ref, or < 0. */
int jn_rec_cur_len(struct jn_tracer *tr);

/* record_call.c */
int jn_rec_helper(struct jn_tracer *tr, int32_t id);
/* A new call record for helper (its index in t->calls), or -ENOMEM. */
int jn_rec_new_call(struct jn_tracer *tr, int32_t helper);
/* record_helpers.c: helpers with their own recording (0, abort code or
 * -errno); jn_rec_loop_return: a bpf_loop callback returned (frame f
 * popped): the next iteration, or the loop's result. */
int jn_rec_other_helper(struct jn_tracer *tr, int32_t id);
int jn_rec_loop_return(struct jn_tracer *tr, struct frame *f);

#endif
