/* trace_internal.h - the trace IR and the state shared by the recorder, the
 * optimisation passes, the path condition and the executor. */
#ifndef JN_TRACE_INTERNAL_H
#define JN_TRACE_INTERNAL_H

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
bool jn_trace_alu_unary(int op);

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
/* cond.c: canonical path condition string and hash; counts conjuncts. */
int jn_tcond_build(struct jn_trace *t);

#endif
