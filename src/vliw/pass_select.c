/* pass_select.c - if-conversion of a flag set by a comparison:
 *
 *     (rX is 1 here)  if rY > K goto L;  rX = 0;  L:
 *
 * leaves rX = (rY > K).  When rY is a number below 2^B (cfg.c's widths,
 * B <= 31) and K < 2^B - 1 that is the carry out of B bits:
 *
 *     rX = rY + (2^B - 1 - K);  rX >>= B
 *
 * two ALU instructions and no branch, so L joins the straight code before
 * it and nothing waits for the branch (ip_decrease_ttl's checksum carry
 * "check + (check >= 0xffff)").  Also "rY >= K" (as rY > K - 1), and the
 * 32-bit comparisons (rY fits in 32 bits).  rX = 1 is left to dead-code
 * removal.  And a register cleared by a one-bit flag rC dead after it:
 *
 *     if rC == 0 goto L;  rX = 0;  L:   ->   rC += -1;  rX &= rC
 *     if rC != 0 goto L;  rX = 0;  L:   ->   rC = -rC;  rX &= rC
 *
 * (the mask is all ones where rX stays, zero where it is cleared). */
#include "vliw_internal.h"

/* The branch at j over "rX = 0" to j + 2, by a one-bit flag; rewritten. */
static bool mask_clear(struct xfn *f, size_t j)
{
	struct xin *br = &f->code[j], *z = &f->code[j + 1];
	bool eq = br->op == JN_OP_JEQ_K || br->op == JN_OP_JEQ32_K;
	uint8_t c = br->dst, x = z->dst;

	if ((!eq && br->op != JN_OP_JNE_K && br->op != JN_OP_JNE32_K) || br->imm != 0 || x == c ||
	    jn_vliw_bits(f, j, c) < 0 || jn_vliw_bits(f, j, c) > 1 || (f->live_in[j + 2] & (1u << c)))
		return false;
	*br = eq ? (struct xin){ .op = JN_OP_ADD64_K, .dst = c, .imm = -1, .pc = br->pc }
		 : (struct xin){ .op = JN_OP_NEG64, .dst = c, .pc = br->pc };
	*z = (struct xin){ .op = JN_OP_AND64_X, .dst = x, .src = c, .pc = z->pc };
	return true;
}

int jn_vliw_pass_select(struct xfn *f)
{
	int n = 0;

	for (size_t j = 0; j + 2 < f->n; j++) {
		struct xin *br = &f->code[j], *z = &f->code[j + 1];
		const struct absval *a = &f->av[j * JN_ISA_NREGS];
		int64_t k = br->imm;
		bool ge = br->op == JN_OP_JGE_K || br->op == JN_OP_JGE32_K;

		if (br->del || z->del || !jn_vliw_is_cond(br))
			continue;
		if ((size_t)br->tgt != j + 2 || f->npred[j + 2] != 2 || f->target[j + 1])
			continue;
		if ((z->op != JN_OP_MOV64_K && z->op != JN_OP_MOV32_K) || z->imm != 0 || z->dst == br->dst)
			continue;
		if (mask_clear(f, j)) {
			n++;
			continue;
		}
		if (a[z->dst].kind != AK_CONST || a[z->dst].v != 1 ||
		    (!ge && br->op != JN_OP_JGT_K && br->op != JN_OP_JGT32_K))
			continue;
		int b = jn_vliw_bits(f, j, br->dst);
		if (ge)
			k--;
		if (b < 1 || b > 31 || k < 0 || k >= ((int64_t)1 << b) - 1)
			continue;
		uint8_t x = z->dst, y = br->dst;
		*br = (struct xin){ .op = JN_XOP_ADD3_64, .dst = x, .src = y,
				    .imm = (int32_t)(((int64_t)1 << b) - 1 - k), .pc = br->pc };
		*z = (struct xin){ .op = JN_OP_RSH64_K, .dst = x, .imm = b, .pc = z->pc };
		n++;
	}
	return n;
}
