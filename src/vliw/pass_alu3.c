/* pass_alu3.c - 3-operand ALU: "rD = rS; rD op= K" becomes "rD = rS op K"
 * when the second instruction directly follows the first and no jump lands
 * between them.  64-bit: add, sub, or, and, lsh, rsh, xor; 32-bit (mov32 or
 * mov64 followed by a 32-bit op; the result zero-extends either way): add,
 * and, lsh, rsh, xor, the ones the artifact encodes.
 * Also the zero-extension idiom "rD <<= 32; rD >>= 32" becomes "wD = wD"
 * (a 32-bit mov zero-extends): one instruction instead of two. */
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

static bool zext(struct xfn *f, size_t i)
{
	struct xin *a = &f->code[i], *b = &f->code[i + 1];

	if (a->op != JN_OP_LSH64_K || a->imm != 32 || b->op != JN_OP_RSH64_K || b->imm != 32 ||
	    b->dst != a->dst || f->target[i + 1] || a->del || b->del)
		return false;
	*a = (struct xin){ .op = JN_OP_MOV32_X, .dst = a->dst, .src = a->dst, .pc = a->pc };
	b->del = 1;
	return true;
}

int jn_vliw_pass_alu3(struct xfn *f)
{
	int n = 0;

	for (size_t i = 0; i + 1 < f->n; i++) {
		if (zext(f, i)) {
			n++;
			i++;
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
