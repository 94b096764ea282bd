/* trace_internal.h - the trace IR and the state shared by the recorder, the
 * optimisation passes, the path condition and the executor. */
#ifndef JN_TRACE_INTERNAL_H
#define JN_TRACE_INTERNAL_H

#include <string.h>

#include "isa/isa.h"
#include "trace/trace.h"

enum jn_tir {
#define _(n, kind, text) JN_TIR_##n,
#include "ir_table.h"
#undef _
	JN_TIR__COUNT
};
enum { JN_TK_K, JN_TK_IN, JN_TK_ALU, JN_TK_G, JN_TK_E };
extern const uint8_t jn_tir_kind[JN_TIR__COUNT];
extern const char *const jn_tir_text[JN_TIR__COUNT];

/* Guard conditions; cond ^ 1 is the negation. */
#define JN_TCONDS(_) _(EQ, "==") _(NE, "!=") _(GT, ">") _(LE, "<=") _(GE, ">=") _(LT, "<") \
	_(SGT, "s>") _(SLE, "s<=") _(SGE, "s>=") _(SLT, "s<") _(SET, "&") _(NSET, "!&")
enum jn_tcond {
#define C_(e, t) JN_TC_##e,
	JN_TCONDS(C_)
#undef C_
	JN_TC__COUNT
};
extern const char *const jn_tcond_text[JN_TC__COUNT];

enum { JN_TF_POST = 1,      /* value known only after earlier effects ran */
       JN_TF_LIVE = 2,      /* (dce) */
       JN_TF_STATE = 4 };   /* (state.c) depends on map contents and constants alone */

struct jn_tins {
	uint8_t op;        /* enum jn_tir */
	uint8_t sz;        /* bytes of a load/store; 4 or 8 for a guard */
	uint8_t flags;     /* JN_TF_* */
	uint8_t width;     /* bytes the value may occupy (1..8), for folding masks */
	int32_t a, b;
	int64_t k;
};

/* A memory region a helper reads, rebuilt before the call: stack bytes
 * [off, off+sz) = value ref (little-endian). */
struct jn_tmem { int32_t off; uint8_t sz; int32_t ref; };

enum jn_targ { JN_TA_NONE, JN_TA_VAL, JN_TA_MAP, JN_TA_STACK, JN_TA_PKT, JN_TA_CTX };
struct jn_tcall {
	int32_t helper;
	int32_t depth;      /* call frame depth the helper runs at (stack bounds) */
	uint8_t kind[5];   /* enum jn_targ */
	int64_t val[5];    /* VAL: ref; MAP: index; STACK: offset in run->stack; PKT: offset */
	uint32_t mem0, nmem;   /* regions to rebuild (in mems) */
};

/* The executor's form (lower.c): ops over the trace's value array. */
enum { JN_TX_LEN, JN_TX_PLOAD, JN_TX_PLD1, JN_TX_PLD2, JN_TX_PLD4, JN_TX_PLD8, JN_TX_CTXF,
       JN_TX_ALU, JN_TX_ADD, JN_TX_AND, JN_TX_OR, JN_TX_LSH, JN_TX_RSH, JN_TX_BE16, JN_TX_BE32,
       JN_TX_LOOKUP, JN_TX_MLOAD, JN_TX_MLD1, JN_TX_MLD2, JN_TX_MLD4, JN_TX_MLD8, JN_TX_PROG,
       JN_TX_CALL, JN_TX_GUARD, JN_TX_GUARD_K, JN_TX_GEQ_K, JN_TX_GNE_K, JN_TX_GGT_K, JN_TX_GGE_K,
       JN_TX_GLT_K, JN_TX_GLE_K, JN_TX_PSTORE, JN_TX_MSTORE, JN_TX_ECALL, JN_TX_RET,
       /* resolved at install (lower_fuse.c): a lookup whose key is copied from the
	* packet (k: map; b: the JN_TX_KEYPART ops that follow it, in key order);
	* a key part (a: its offset in the key; b: packet offset, or -1 for the
	* constant k; sz bytes); a read-modify-write (sz bytes at pointer a + k
	* get v[b] added, phase 2) */
       JN_TX_LOOKUP_T, JN_TX_KEYPART, JN_TX_MADD,
       JN_TX_OUT };   /* sz bytes at stack offset k after a guard-phase call (queue peek) */
/* A lookup's cond (JN_TX_LOOKUP, JN_TX_LOOKUP_T): the guard on its value it
 * does itself (fails like that guard; state as the guard's). */
enum { JN_LK_ANY, JN_LK_NULL, JN_LK_NONNULL };
struct jn_txop {
	uint8_t op;        /* JN_TX_* */
	uint8_t sz, cond;  /* as the IR instruction's; cond: a guard's enum jn_tcond, a lookup's JN_LK_* */
	uint8_t state;     /* a guard over map contents alone (JN_TF_STATE) */
	int32_t d, a, b;   /* the instruction's ref; operand refs (unary ALU: b is the zero slot) */
	uint32_t ord;      /* phase 1: IR instructions counted up to and including this one (lower.c) */
	int64_t k;         /* the IR's k; a guard against a constant: the constant */
};
/* sz (1..8) bytes at p as a little-endian value, as the IR's loads read. */
static inline uint64_t jn_tld(const uint8_t *p, unsigned sz)
{
	uint64_t r = 0;

	switch (sz) {
	case 1: return *p;
	case 2: { uint16_t w; memcpy(&w, p, 2); return w; }
	case 4: { uint32_t w; memcpy(&w, p, 4); return w; }
	case 8: memcpy(&r, p, 8); return r;
	default: memcpy(&r, p, sz); return r;
	}
}

struct jn_trace {
	struct jn_tins *ir;
	uint32_t n;
	int32_t *chunks;           /* lookup keys: refs of up to 8 bytes each */
	uint8_t *chunk_sz;
	uint32_t nchunks;
	struct jn_tcall *calls;
	uint32_t ncalls;
	struct jn_tmem *mems;
	uint32_t nmems;
	struct jn_xdp *x;
	struct jn_map **maps;      /* x's maps (borrowed) */
	char *cond;
	uint64_t hash;
	struct jn_trace_info info;
	/* lower.c */
	struct jn_txop *x1, *x2;   /* phase 1, phase 2 */
	uint32_t nx1, nx2, ord1;   /* ord1: instructions phase 1 counts when every guard holds */
	uint64_t *vals;            /* n + 1 values (the last: zero), constants preset; written by
				    * every run (one thread runs a trace at a time) */
	bool direct;               /* phase 1 may read the packet where it is */
	bool frame_fx;             /* needs the XDP frame: packet writes, helper calls */
	struct jn_twatch *watch;   /* inval.c: what its guards read of the maps (NULL until
				    * installed; one allocation, freed with the trace) */
	uint32_t ord2;             /* IR instructions phase 2 counts */
	uint32_t len_ref;          /* the value slot the length is written to before a run (the
				    * LEN instruction's; none: a spare slot, vals has n + 2) */
	bool copy_fx;              /* frame_fx for packet writes alone (no helper call): a copy
				    * of the packet in the frame's buffer will do */
};

/* ---- building (ir.c) ---- */
/* Append an instruction with its concrete value; cval is the array of
 * concrete values parallel to ir (the recorder's).  Folds and CSEs first
 * (fold.c, cse.c).  Returns the ref or negative errno. */
struct jn_tbuild {
	struct jn_trace *t;
	uint64_t *cval;
	uint32_t cap;
	uint32_t nocse_from;       /* CSE never reaches before this ref */
	int32_t *cse_head;         /* hash buckets (JN_TCSE_BUCKETS) */
	int32_t *cse_next;
	bool *lru_map;             /* per map: lookups have effects (no CSE, no DCE) */
};
enum { JN_TCSE_BUCKETS = 1024, JN_TRACE_MAX_IR = 16384 };
int jn_tb_emit(struct jn_tbuild *b, uint8_t op, uint8_t sz, int32_t a, int32_t b2, int64_t k,
	       uint64_t cval);
int jn_tb_const(struct jn_tbuild *b, uint64_t v);
int jn_tb_grow(struct jn_tbuild *b);

/* ALU and condition semantics shared by recorder, folder and executor
 * (identical to the interpreter's). */
uint64_t jn_trace_alu(int op, uint64_t d, uint64_t s);
bool jn_trace_cmp(int cond, int sz, uint64_t a, uint64_t b);
/* jn_trace_cmp inline, for the executor's loop. */
static inline bool jn_tcmp(int cond, int sz, uint64_t a, uint64_t b)
{
	if (sz == 4) {
		a = (uint32_t)a;
		b = (uint32_t)b;
		if (cond >= JN_TC_SGT && cond <= JN_TC_SLT) {
			a = (uint64_t)(int64_t)(int32_t)a;
			b = (uint64_t)(int64_t)(int32_t)b;
		}
	}
	switch (cond) {
	case JN_TC_EQ: return a == b;
	case JN_TC_NE: return a != b;
	case JN_TC_GT: return a > b;
	case JN_TC_LE: return a <= b;
	case JN_TC_GE: return a >= b;
	case JN_TC_LT: return a < b;
	case JN_TC_SGT: return (int64_t)a > (int64_t)b;
	case JN_TC_SLE: return (int64_t)a <= (int64_t)b;
	case JN_TC_SGE: return (int64_t)a >= (int64_t)b;
	case JN_TC_SLT: return (int64_t)a < (int64_t)b;
	case JN_TC_SET: return (a & b) != 0;
	default: return (a & b) == 0;
	}
}
bool jn_trace_alu_unary(int op);
/* jn_trace_alu with the operations packet parsing uses most inline. */
static inline uint64_t jn_talu(int op, uint64_t d, uint64_t s)
{
	switch (op) {
	case JN_OP_AND64_X: return d & s;
	case JN_OP_OR64_X: return d | s;
	case JN_OP_LSH64_X: return d << (s & 63);
	case JN_OP_RSH64_X: return d >> (s & 63);
	case JN_OP_BSWAP16: case JN_OP_BE16: return __builtin_bswap16((uint16_t)d);
	default: return jn_trace_alu(op, d, s);
	}
}

/* ---- passes ---- */
/* fold.c: constant folding and algebraic identities on one instruction
 * about to be emitted.  Returns the ref it folds to, or -1 to emit it. */
int jn_tfold(struct jn_tbuild *b, struct jn_tins *in);
/* cse.c: an identical earlier pure instruction, or -1; jn_tcse_add records one. */
int jn_tcse_find(struct jn_tbuild *b, const struct jn_tins *in);
void jn_tcse_add(struct jn_tbuild *b, int32_t ref);
/* dce.c: drop what neither a guard nor an effect needs; renumber. */
int jn_tdce(struct jn_trace *t, const bool *lru);
/* Renumbering after a pass reorders or drops instructions (dce.c): nw maps
 * old refs to new ones (-1: dropped). */
void jn_tremap_ins(struct jn_tins *in, const int32_t *nw);
void jn_tremap_side(struct jn_trace *t, const int32_t *nw);
/* Keep the instructions whose keep[i] is set, in order; nw (t->n entries)
 * receives the old-to-new map. */
void jn_tcompact(struct jn_trace *t, const uint8_t *keep, int32_t *nw);
/* state.c: mark what depends on map contents and constants alone. */
void jn_tstate(struct jn_trace *t);
/* implied.c: guards implied by an equality guard on the same value. */
int jn_timplied(struct jn_trace *t);
/* lenguard.c: every guard between the length and a constant folded into
 * one interval checked first.  jn_tlen_bound: if g is such a guard, narrow
 * [lo, hi] and return true. */
int jn_tlenguard(struct jn_trace *t);
bool jn_tlen_bound(const struct jn_trace *t, const struct jn_tins *g, int64_t *lo, int64_t *hi);
/* exec.c: jn_trace_run with phase 1 given: x1 is t->x1 without ops whose
 * outcome the caller established (guards that hold, and what only fed
 * them; the kept ops' counts stay as in t->x1). */
int jn_trace_run_x1(const struct jn_trace *t, const struct jn_txop *x1, uint32_t nx1,
		    struct jn_xdp *x, struct jn_trace_pkt *p, struct jn_xdp_result *res, uint32_t *ops);
/* lower.c: the executor's form (x1, x2, vals, direct, frame_fx). */
int jn_tcompile(struct jn_trace *t);
/* cond.c: canonical path condition string and hash; counts conjuncts. */
int jn_tcond_build(struct jn_trace *t);

#endif
