/* pass_copy.c - copy propagation: after "rD = rS" (64-bit mov), the
 * instructions that follow in the same straight stretch read rS instead of
 * rD, as long as neither is written again.  "r6 = r0; if r6 == 0 goto"
 * becomes "r6 = r0; if r0 == 0 goto": the branch no longer waits a row for
 * the copy, and a copy nobody reads any more goes with dead-code removal.
 * Only operands an instruction reads and does not also write are replaced
 * (not the destination of rD += K, not the registers of atomics).
 *
 * Two more rewrites of the same kind, after which dead-code removal takes
 * the instructions nobody reads any more:
 *   - a store of a register known to hold a constant becomes a store of
 *     the immediate ("r9 = 1; *(u32 *)(r10 - 16) = w9" stores 1 directly;
 *     8- and 6-byte stores only when the constant is a sign-extended imm32);
 *   - a read-modify-write of a map value, "rA = *(uN *)(rB + o); rA += K;
 *     *(uN *)(rB + o) = rA" (N = 4 or 8, rA dead after), becomes
 *     "rA = K; lock *(uN *)(rB + o) += rA" (or "+= rC" for rA += rC, and
 *     for "rC += rA; *(uN *)(rB + o) = rC" with rC dead after too): the
 *     same bytes end with the same value, and the access faults where the
 *     load would have.  Atomic add is in the base ISA; "rA = K" can move
 *     up above the NULL check, so the counter costs one row, not three. */
#include "vliw_internal.h"

static int st_op(uint16_t op)
{
	switch (op) {
	case JN_OP_STXB: return JN_OP_STB;
	case JN_OP_STXH: return JN_OP_STH;
	case JN_OP_STXW: return JN_OP_STW;
	case JN_OP_STXDW: return JN_OP_STDW;
	case JN_XOP_STX6: return JN_XOP_ST6;
	default: return -1;
	}
}

static bool const_store(struct xfn *f, size_t i)
{
	struct xin *in = &f->code[i];
	const struct absval *v = &f->av[i * JN_ISA_NREGS + in->src];
	int op = st_op(in->op);

	if (op < 0 || v->kind != AK_CONST)
		return false;
	if (jn_vliw_msize(in) > 4 && v->v != (int64_t)(int32_t)v->v)
		return false;
	in->op = (uint16_t)op;
	in->imm = (int32_t)(uint32_t)(uint64_t)v->v;
	in->src = 0;
	return true;
}

static bool is_add(const struct xin *i, uint8_t r)
{
	return i->dst == r && (i->op == JN_OP_ADD64_K || i->op == JN_OP_ADD32_K ||
			       ((i->op == JN_OP_ADD64_X || i->op == JN_OP_ADD32_X) && i->src != r));
}

static bool rmw(struct xfn *f, size_t i)
{
	struct xin *ld = &f->code[i], *add = &f->code[i + 1], *st = &f->code[i + 2];
	uint8_t a = ld->dst, b = ld->src;
	/* the sum kept in the other register: rA = *(rB + o); rC += rA; *(rB + o) = rC */
	bool swap = (add->op == JN_OP_ADD64_X || add->op == JN_OP_ADD32_X) && add->src == a && add->dst != a;
	uint8_t sum = swap ? add->dst : a;

	if ((ld->op != JN_OP_LDXW && ld->op != JN_OP_LDXDW) || ld->chk || a == b || add->del || st->del ||
	    f->target[i + 1] || f->target[i + 2] || !(swap ? add->dst != b : is_add(add, a)) ||
	    st->op != (ld->op == JN_OP_LDXW ? JN_OP_STXW : JN_OP_STXDW) || st->dst != b ||
	    st->src != sum || st->off != ld->off || (f->live_out[i + 2] & (1u << a | 1u << sum)) ||
	    jn_vliw_region(f, i, b) != RG_MAP || (add->op == JN_OP_ADD32_K && ld->op == JN_OP_LDXDW) ||
	    (add->op == JN_OP_ADD32_X && ld->op == JN_OP_LDXDW))
		return false;
	bool k = add->op == JN_OP_ADD64_K || add->op == JN_OP_ADD32_K;
	st->op = ld->op == JN_OP_LDXW ? JN_OP_AADD32 : JN_OP_AADD64;
	st->src = k ? a : swap ? sum : add->src;
	st->imm = 0;
	if (k) {
		*ld = (struct xin){ .op = JN_OP_MOV64_K, .dst = a, .imm = add->imm, .pc = ld->pc };
	} else {
		ld->del = 1;
	}
	add->del = 1;
	return true;
}

/* Replace the reads of d by s in i (operands it only reads). */
static void replace(struct xin *i, uint8_t d, uint8_t s)
{
	switch (xform(i)) {
	case XF_JCC_K: case XF_ST: case XF_ST6:
		if (i->dst == d)
			i->dst = s;
		break;
	case XF_JCC_X: case XF_STX: case XF_STX6:
		if (i->dst == d)
			i->dst = s;
		if (i->src == d)
			i->src = s;
		break;
	case XF_ALU_X:
		if (i->src == d && i->dst != d)
			i->src = s;
		break;
	case XF_MOV_X: case XF_MOVSX: case XF_LDX: case XF_LDXSX: case XF_LD6: case XF_ALU3:
		if (i->src == d)
			i->src = s;
		break;
	default:
		break;
	}
}

int jn_vliw_pass_copy(struct xfn *f)
{
	int n = 0;

	for (size_t i = 0; i < f->n; i++) {
		if (f->code[i].del)
			continue;
		n += const_store(f, i);
		if (i + 2 < f->n && rmw(f, i)) {
			n++;
			continue;
		}
		const struct xin *c = &f->code[i];
		uint8_t d = c->dst, s = c->src;
		uint16_t both = (uint16_t)(1u << d | 1u << s);
		if (c->del || c->op != JN_OP_MOV64_X || d == s)
			continue;
		for (size_t j = i + 1; j < f->n && !f->target[j]; j++) {
			struct xin *u = &f->code[j];
			if (u->del)
				continue;
			uint16_t before = jn_vliw_uses(u);
			replace(u, d, s);
			n += jn_vliw_uses(u) != before;
			if ((jn_vliw_defs(u) & both) || jn_vliw_is_jump(u) || jn_vliw_is_exit(u))
				break;
		}
	}
	return n;
}
