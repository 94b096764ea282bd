/* pass_copy.c - copy propagation: after "rD = rS" (64-bit mov), the
 * instructions that follow in the same straight stretch read rS instead of
 * rD, as long as neither is written again.  "r6 = r0; if r6 == 0 goto"
 * becomes "r6 = r0; if r0 == 0 goto": the branch no longer waits a row for
 * the copy, and a copy nobody reads any more goes with dead-code removal.
 * Only operands an instruction reads and does not also write are replaced
 * (not the destination of rD += K, not the registers of atomics). */
#include "vliw_internal.h"

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
