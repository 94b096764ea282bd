/* lower.c - lowering a finished trace to the executor's form.
 *
 * What it does: splits the IR into the two phases exec.c runs (phase 1:
 * inputs, arithmetic, guard-phase helper calls and guards; phase 2: effects
 * and whatever depends on them, in program order), drops constants and the
 * length from the op lists (constants are preset in the trace's value
 * array, the length is written to its slot before every run), picks specialised ops
 * (a guard against a constant, the common ALU operations, loads and stores
 * of 1, 2, 4 or 8 bytes), and records what the NIC needs to know without
 * looking at the IR again: whether phase 1 may read the packet where it is
 * (no helper call, every packet load inside the length the guards before it
 * established) and whether the trace needs the XDP frame at all (packet
 * writes, helper calls).
 * What the NIC resolves at install time (lower_fuse.c): lookups in arrays
 * through constant keys (the value pointer is preset, the lookup and the
 * guards on it that hold go), lookups whose key is packet bytes and
 * constants (the key is copied from the packet: the loads and the shifts
 * and ors that built it go unless something else uses them), a guard that
 * tests a lookup against NULL (done by the lookup), and a map value read,
 * added to and written back (one read-modify-write in phase 2).
 * Each op carries its cost in IR instructions (ord: the running count in
 * phase 1; ord2: phase 2's total): 1 for an op, the loads a lookup's key
 * copies from the packet on top of the lookup, 0 for the key's constant
 * parts, a NULL test folded into its lookup counted only if the lookup's
 * value is used otherwise, a packet move one load and one store.
 * Assumes: the trace is final (dce, cond and state have run); operands
 * precede their users; refs of unary ALU operations' b are negative.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "isa/isa.h"
#include "lower_internal.h"

static uint8_t alu_op(int64_t k)
{
	switch (k) {
	case JN_OP_ADD64_X: return JN_TX_ADD;
	case JN_OP_AND64_X: return JN_TX_AND;
	case JN_OP_OR64_X: return JN_TX_OR;
	case JN_OP_LSH64_X: return JN_TX_LSH;
	case JN_OP_RSH64_X: return JN_TX_RSH;
	case JN_OP_BSWAP16: case JN_OP_BE16: return JN_TX_BE16;
	case JN_OP_BSWAP32: case JN_OP_BE32: return JN_TX_BE32;
	default: return JN_TX_ALU;
	}
}

/* A load of 1, 2, 4 or 8 bytes as its own op (one1: the 1-byte op, the
 * others follow it), any other size generic. */
static uint8_t sized(uint8_t generic, uint8_t one1, uint8_t sz)
{
	switch (sz) {
	case 1: return one1;
	case 2: return (uint8_t)(one1 + 1);
	case 4: return (uint8_t)(one1 + 2);
	case 8: return (uint8_t)(one1 + 3);
	default: return generic;
	}
}

/* cond with its operands swapped (a < b is b > a). */
static uint8_t mirror(int64_t cond)
{
	switch (cond) {
	case JN_TC_GT: return JN_TC_LT;
	case JN_TC_LT: return JN_TC_GT;
	case JN_TC_GE: return JN_TC_LE;
	case JN_TC_LE: return JN_TC_GE;
	case JN_TC_SGT: return JN_TC_SLT;
	case JN_TC_SLT: return JN_TC_SGT;
	case JN_TC_SGE: return JN_TC_SLE;
	case JN_TC_SLE: return JN_TC_SGE;
	default: return (uint8_t)cond;   /* ==, !=, &, !& */
	}
}

static uint8_t lower_op(const struct jn_trace *t, const struct jn_tins *in)
{
	switch (in->op) {
	case JN_TIR_LEN: return JN_TX_LEN;
	case JN_TIR_PLOAD: return sized(JN_TX_PLOAD, JN_TX_PLD1, in->sz);
	case JN_TIR_CTXF: return JN_TX_CTXF;
	case JN_TIR_ALU: return alu_op(in->k);
	case JN_TIR_LOOKUP: return JN_TX_LOOKUP;
	case JN_TIR_MLOAD: return sized(JN_TX_MLOAD, JN_TX_MLD1, in->sz);
	case JN_TIR_PROG: return JN_TX_PROG;
	case JN_TIR_CALL: return JN_TX_CALL;
	case JN_TIR_OUT: return JN_TX_OUT;
	case JN_TIR_GUARD:
		if (t->ir[in->b].op != JN_TIR_KINT)
			return JN_TX_GUARD;
		if (in->sz != 8)
			return JN_TX_GUARD_K;
		switch (in->k) {
		case JN_TC_EQ: return JN_TX_GEQ_K;
		case JN_TC_NE: return JN_TX_GNE_K;
		case JN_TC_GT: return JN_TX_GGT_K;
		case JN_TC_GE: return JN_TX_GGE_K;
		case JN_TC_LT: return JN_TX_GLT_K;
		case JN_TC_LE: return JN_TX_GLE_K;
		default: return JN_TX_GUARD_K;
		}
	case JN_TIR_PSTORE: return JN_TX_PSTORE;
	case JN_TIR_MSTORE: return JN_TX_MSTORE;
	case JN_TIR_ECALL: return JN_TX_ECALL;
	default: return JN_TX_RET;
	}
}

static void lower(const struct jn_trace *t, uint32_t i, struct jn_txop *o)
{
	const struct jn_tins *in = &t->ir[i];
	struct jn_tins sw;

	if (in->op == JN_TIR_GUARD && t->ir[in->a].op == JN_TIR_KINT && t->ir[in->b].op != JN_TIR_KINT) {
		sw = *in;   /* "5 <= x" is "x >= 5": a guard against a constant */
		sw.a = in->b;
		sw.b = in->a;
		sw.k = mirror(in->k);
		in = &sw;
	}

	*o = (struct jn_txop){ .op = lower_op(t, in), .sz = in->sz, .d = (int32_t)i, .a = in->a,
			       .b = in->b, .k = in->k };
	o->state = (in->flags & JN_TF_STATE) != 0;
	switch (in->op) {
	case JN_TIR_ALU:
		if (o->b < 0)
			o->b = (int32_t)t->n;   /* the zero slot */
		break;
	case JN_TIR_GUARD:
		o->cond = (uint8_t)in->k;
		if (o->op != JN_TX_GUARD)
			o->k = t->ir[in->b].k;
		break;
	default:
		break;
	}
}

/* Packet bytes [off, off + sz) op o reads in phase 1 (a load, a key
 * part of a lookup from the packet); false if none. */
static bool reads(const struct jn_txop *o, int64_t *off, int64_t *sz)
{
	if ((o->op == JN_TX_KEYPART && o->b >= 0) ||
	    (o->op >= JN_TX_PLOAD && o->op <= JN_TX_PLD8)) {
		*off = o->op == JN_TX_KEYPART ? o->b : o->k;
		*sz = o->sz;
		return true;
	}
	return false;
}

/* Phase 1 reads the packet where it is: no helper call, no context field
 * (the run state has them), and every load lies inside the length the
 * guards before it established. */
static bool direct(const struct jn_trace *t)
{
	int64_t lo = JN_XDP_MIN_LEN, hi = JN_XDP_MAX_DATA, off, sz;

	for (uint32_t i = 0; i < t->nx1; i++) {
		const struct jn_txop *o = &t->x1[i];
		const struct jn_tins *in = &t->ir[o->d];
		if (reads(o, &off, &sz) && (off < 0 || off + sz > lo))
			return false;
		if (o->op == JN_TX_KEYPART)
			continue;
		if (in->op == JN_TIR_CALL || in->op == JN_TIR_CTXF)
			return false;
		if (in->op == JN_TIR_GUARD)
			jn_tlen_bound(t, in, &lo, &hi);
	}
	return true;
}

/* Instruction i as ops at x[*n] (a lookup from the packet: its key parts
 * follow it), with their costs. */
static void emit(struct jn_trace *t, const struct jn_lplan *pl, uint32_t i, struct jn_txop *x,
		 uint32_t *n, uint32_t *ord)
{
	const struct jn_tins *in = &t->ir[i];
	struct jn_txop *o = &x[(*n)++];

	lower(t, i, o);
	*ord += in->op != JN_TIR_LEN;   /* the length is an operand */
	if (in->op == JN_TIR_LOOKUP) {
		*ord += jn_lower_lookup(t, pl, i, o, x + *n);
		*n += (uint32_t)(o->op == JN_TX_LOOKUP_T ? o->b : 0);
	} else if (in->op == JN_TIR_MSTORE && pl->madd[i] >= 0) {
		o->op = JN_TX_MADD;
		o->b = pl->madd[i];
	}
	o->ord = *ord;
}

int jn_tcompile(struct jn_trace *t)
{
	struct jn_lplan pl;
	uint32_t ord = 0, ord2 = 0, cap;
	int rc;

	if ((rc = jn_lower_plan(t, &pl)))
		return rc;
	cap = t->n + pl.nparts + 1;
	t->x1 = calloc(cap, sizeof(*t->x1));
	t->x2 = calloc(cap, sizeof(*t->x2));
	t->vals = calloc(t->n + 2, sizeof(*t->vals));
	t->len_ref = t->n + 1;
	if (!t->x1 || !t->x2 || !t->vals) {
		jn_lower_plan_free(&pl);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < t->n; i++) {
		const struct jn_tins *in = &t->ir[i];
		if (in->op == JN_TIR_KINT || pl.known[i]) {
			t->vals[i] = pl.kval[i];
		} else if (in->op == JN_TIR_LEN && !(in->flags & JN_TF_POST) && t->len_ref == t->n + 1) {
			t->len_ref = i;   /* written before every run, not an op */
		} else if (pl.drop[i]) {
			continue;
		} else if (in->op == JN_TIR_PSTORE && pl.msrc[i] >= 0) {   /* a packet move */
			jn_lower_move(&pl, i, &t->x1[t->nx1++], &t->x2[t->nx2++]);
			t->x1[t->nx1 - 1].ord = ++ord;
			ord2++;
			t->frame_fx = true;
		} else if (in->op == JN_TIR_ECALL || jn_tir_kind[in->op] == JN_TK_E ||
			   (in->flags & JN_TF_POST)) {
			emit(t, &pl, i, t->x2, &t->nx2, &ord2);
			t->frame_fx |= in->op == JN_TIR_PSTORE || in->op == JN_TIR_ECALL ||
				       in->op == JN_TIR_CALL;
		} else {
			emit(t, &pl, i, t->x1, &t->nx1, &ord);
			t->frame_fx |= in->op == JN_TIR_CALL;
		}
	}
	jn_lower_plan_free(&pl);
	t->copy_fx = t->frame_fx && t->ncalls == 0;
	t->ord1 = ord;
	t->ord2 = ord2;
	t->direct = direct(t);
	return 0;
}
