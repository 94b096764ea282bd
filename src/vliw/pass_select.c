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
 * removal. */
#include "vliw_internal.h"

int jn_vliw_pass_select(struct xfn *f)
{
	int n = 0;

	for (size_t j = 0; j + 2 < f->n; j++) {
		struct xin *br = &f->code[j], *z = &f->code[j + 1];
		const struct absval *a = &f->av[j * JN_ISA_NREGS];
		int64_t k = br->imm;
		bool ge = br->op == JN_OP_JGE_K || br->op == JN_OP_JGE32_K;

		if (br->del || z->del || (!ge && br->op != JN_OP_JGT_K && br->op != JN_OP_JGT32_K))
			continue;
		if ((size_t)br->tgt != j + 2 || f->npred[j + 2] != 2 || f->target[j + 1])
			continue;
		if ((z->op != JN_OP_MOV64_K && z->op != JN_OP_MOV32_K) || z->imm != 0 || z->dst == br->dst)
			continue;
		if (a[z->dst].kind != AK_CONST || a[z->dst].v != 1)
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
