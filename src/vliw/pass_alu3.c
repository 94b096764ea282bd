/* pass_alu3.c - 3-operand ALU: "rD = rS; rD op= K" becomes "rD = rS op K"
 * when the second instruction directly follows the first and no jump lands
 * between them.  64-bit: add, sub, or, and, lsh, rsh, xor; 32-bit (mov32 or
 * mov64 followed by a 32-bit op; the result zero-extends either way): add,
 * and, lsh, rsh, xor, the ones the artifact encodes.
 * Also the zero-extension idiom "[rD = rS;] rD <<= 32; rD >>= 32" becomes
 * "wD = wS" (a 32-bit mov zero-extends): one instruction instead of 2 or 3. */
#include "vliw_internal.h"

static int fused(int op)
{
	switch (op) {
	case JN_OP_ADD64_K: return JN_XOP_ADD3_64;
	case JN_OP_SUB64_K: return JN_XOP_SUB3_64;
	case JN_OP_OR64_K:  return JN_XOP_OR3_64;
	case JN_OP_AND64_K: return JN_XOP_AND3_64;
	case JN_OP_LSH64_K: return JN_XOP_LSH3_64;
	case JN_OP_RSH64_K: return JN_XOP_RSH3_64;
	case JN_OP_XOR64_K: return JN_XOP_XOR3_64;
	case JN_OP_ADD32_K: return JN_XOP_ADD3_32;
	case JN_OP_AND32_K: return JN_XOP_AND3_32;
	case JN_OP_LSH32_K: return JN_XOP_LSH3_32;
	case JN_OP_RSH32_K: return JN_XOP_RSH3_32;
	case JN_OP_XOR32_K: return JN_XOP_XOR3_32;
	default: return -1;
	}
}

static bool zext2(const struct xfn *f, size_t i, uint8_t d)
{
	const struct xin *a = &f->code[i], *b = &f->code[i + 1];

	return a->op == JN_OP_LSH64_K && a->imm == 32 && b->op == JN_OP_RSH64_K && b->imm == 32 &&
	       a->dst == d && b->dst == d && !f->target[i + 1] && !a->del && !b->del;
}

/* [rD = rS;] rD <<= 32; rD >>= 32  ->  wD = wS.  Returns instructions removed. */
static int zext(struct xfn *f, size_t i)
{
	struct xin *m = &f->code[i];
	uint8_t src = m->dst;
	int n = 2;

	if (m->op == JN_OP_MOV64_X && !m->del && i + 2 < f->n && !f->target[i + 1] &&
	    zext2(f, i + 1, m->dst))
		src = m->src, n = 3;
	else if (i + 1 >= f->n || !zext2(f, i, m->dst))
		return 0;
	if (n == 3)
		f->code[i + 2].del = 1;
	f->code[i + 1].del = 1;
	*m = (struct xin){ .op = JN_OP_MOV32_X, .dst = m->dst, .src = src, .pc = m->pc };
	return n - 1;
}

int jn_vliw_pass_alu3(struct xfn *f)
{
	int n = 0;

	for (size_t i = 0; i + 1 < f->n; i++) {
		int z = zext(f, i);
		if (z) {
			n += z;
			i += (size_t)z;
			continue;
		}
		struct xin *m = &f->code[i], *a = &f->code[i + 1];
		int x = fused(a->op);
		bool wide = a->op <= JN_OP_BSWAP64;   /* the 64-bit ALU block of the table */
		if (m->del || a->del || x < 0 || f->target[i + 1] || a->dst != m->dst ||
		    m->src == m->dst)
			continue;
		if (!(m->op == JN_OP_MOV64_X || (m->op == JN_OP_MOV32_X && !wide)))
			continue;
		*m = (struct xin){ .op = (uint16_t)x, .dst = m->dst, .src = m->src, .imm = a->imm,
				   .pc = m->pc };
		a->del = 1;
		n++;
		i++;
	}
	return n;
}
