/* pass_alu3.c - 3-operand ALU: "rD = rS; rD op= K" becomes "rD = rS op K"
 * when the second is the next instruction of the same straight code that
 * touches rD and nothing between them writes rS.  64-bit: add, sub, or, and, lsh, rsh, xor; 32-bit (mov32 or
 * mov64 followed by a 32-bit op; the result zero-extends either way): add,
 * and, lsh, rsh, xor, the ones the artifact encodes.
 * Also the zero-extension idiom "[rD = rS;] rD <<= 32; rD >>= 32" becomes
 * "wD = wS" (a 32-bit mov zero-extends): one instruction instead of 2 or 3.
 *
 * Before fusing, register operands known to hold a constant become
 * immediates: "rD op= rS" with rS = C becomes "rD op= C" (add, sub, mul, or,
 * and, xor, shifts; 64-bit ops when C is a sign-extended imm32, shifts when
 * C is below the width, 32-bit ops always), and the checksum fold
 * "rD &= rS (rS = M); rD >>= S" becomes "rD >>= S; rD &= M >> S" when M >> S
 * fits an immediate, so "rD = rX; rD >>= S" then fuses into one instruction
 * and the lddw of M goes with dead-code removal.  "wD = wD" and "rD &= K"
 * go when the value surely fits already (cfg.c's widths of numbers), and
 * "rD >>= S; rD &= 2^(32-S) - 1" (a u32 field of a 64-bit value, jhash's
 * "x >> 13 & 0x7ffff") becomes the 32-bit shift "wD >>= S", and
 * "rD += rX; rD += K" adds the constant first, and clang's u32 modulo
 * "wT = wX; rT /= K; rT *= K; rX -= rT" is "wX %= K" when only the low 32
 * bits of rX are read afterwards. */
#include "vliw_internal.h"

static bool const_src(const struct xfn *f, size_t i, int64_t *c)
{
	const struct absval *v = &f->av[i * JN_ISA_NREGS + f->code[i].src];

	if (v->kind != AK_CONST)
		return false;
	*c = v->v;
	return true;
}

static bool zext2(const struct xfn *f, size_t i, uint8_t d);

/* "wD = wD" and "rD &= K" that change nothing: the value already fits (the
 * mask keeps every bit it can have). */
static bool no_op(struct xfn *f, size_t i)
{
	struct xin *in = &f->code[i];
	int b = jn_vliw_bits(f, i, in->dst);
	bool gone = false;

	if (in->del || b < 0)
		return false;
	if (in->op == JN_OP_MOV32_X && in->src == in->dst)
		gone = b <= 32;
	else if (i + 1 < f->n && zext2(f, i, in->dst) && b <= 32) {
		f->code[i + 1].del = 1;   /* rD <<= 32; rD >>= 32 */
		gone = true;
	}
	else if ((in->op == JN_OP_AND64_K || in->op == JN_OP_AND32_K) && in->imm >= 0 && b < 32)
		gone = ((uint32_t)in->imm & ((1u << b) - 1)) == (1u << b) - 1;
	if (gone)
		in->del = 1;
	return gone;
}

/* rD op= rS with a known rS -> rD op= K.  Returns whether it rewrote. */
static bool to_imm(struct xfn *f, size_t i)
{
	struct xin *in = &f->code[i];
	bool wide = in->op <= JN_OP_BSWAP64;
	int64_t c;

	switch (in->op) {
	case JN_OP_ADD64_X: case JN_OP_SUB64_X: case JN_OP_MUL64_X: case JN_OP_OR64_X:
	case JN_OP_AND64_X: case JN_OP_XOR64_X: case JN_OP_LSH64_X: case JN_OP_RSH64_X:
	case JN_OP_ARSH64_X: case JN_OP_ADD32_X: case JN_OP_SUB32_X: case JN_OP_MUL32_X:
	case JN_OP_OR32_X: case JN_OP_AND32_X: case JN_OP_XOR32_X: case JN_OP_LSH32_X:
	case JN_OP_RSH32_X: case JN_OP_ARSH32_X:
		break;
	default:
		return false;
	}
	if (in->del || !const_src(f, i, &c))
		return false;
	bool shift = in->op == JN_OP_LSH64_X || in->op == JN_OP_RSH64_X || in->op == JN_OP_ARSH64_X ||
		     in->op == JN_OP_LSH32_X || in->op == JN_OP_RSH32_X || in->op == JN_OP_ARSH32_X;
	if (shift && (uint64_t)c >= (wide ? 64u : 32u))
		return false;
	if (wide && c != (int64_t)(int32_t)c)
		return false;
	in->op = (uint16_t)(in->op - 1);   /* the table lists each _K just before its _X */
	in->imm = (int32_t)(uint32_t)(uint64_t)c;
	in->src = 0;
	return true;
}

/* The next instruction after i in the same straight code that reads or
 * writes a register of rw or writes one of wr; -1 if a jump, an exit or a
 * jump target comes first. */
static long next_touch(const struct xfn *f, size_t i, uint16_t rw, uint16_t wr)
{
	for (size_t j = i + 1; j < f->n; j++) {
		const struct xin *in = &f->code[j];
		if (f->target[j] || (!in->del && (jn_vliw_is_jump(in) || jn_vliw_is_exit(in))))
			return -1;
		if (!in->del && (((jn_vliw_uses(in) | jn_vliw_defs(in)) & rw) || (jn_vliw_defs(in) & wr)))
			return (long)j;
	}
	return -1;
}

/* rD &= rS (rS = M); rD >>= S  ->  rD >>= S; rD &= M >> S. */
static bool mask_shift(struct xfn *f, size_t i)
{
	struct xin *a = &f->code[i];
	int64_t m;

	if (a->del || a->op != JN_OP_AND64_X || a->src == a->dst)
		return false;
	long j = next_touch(f, i, (uint16_t)(1u << a->dst), 0);
	if (j < 0)
		return false;
	struct xin *b = &f->code[j];
	if (b->op != JN_OP_RSH64_K || b->dst != a->dst || b->imm < 0 || b->imm > 63 || !const_src(f, i, &m))
		return false;
	uint64_t k = (uint64_t)m >> b->imm;
	if (k > INT32_MAX)
		return false;
	*a = (struct xin){ .op = JN_OP_RSH64_K, .dst = a->dst, .imm = b->imm, .pc = a->pc };
	*b = (struct xin){ .op = JN_OP_AND64_K, .dst = a->dst, .imm = (int32_t)k, .pc = b->pc };
	return true;
}

/* rD >>= S (or rD = rS >> S); rD &= 2^(32-S) - 1  ->  wD >>= S (wD = wS >> S):
 * a 32-bit shift keeps exactly bits S..31. */
static bool shift_mask(struct xfn *f, size_t i)
{
	struct xin *a = &f->code[i];

	if (a->del || (a->op != JN_OP_RSH64_K && a->op != JN_XOP_RSH3_64) || a->imm < 1 || a->imm > 31)
		return false;
	long j = next_touch(f, i, (uint16_t)(1u << a->dst), 0);
	if (j < 0)
		return false;
	struct xin *b = &f->code[j];
	if ((b->op != JN_OP_AND64_K && b->op != JN_OP_AND32_K) || b->dst != a->dst ||
	    (uint32_t)b->imm != (1u << (32 - a->imm)) - 1)
		return false;
	a->op = a->op == JN_OP_RSH64_K ? JN_OP_RSH32_K : JN_XOP_RSH3_32;
	b->del = 1;
	return true;
}

/* rD += rX; rD += K  ->  rD += K; rD += rX: the constant no longer waits
 * for rX (same sum modulo 2^64, or 2^32 for the 32-bit pair). */
static bool const_first(struct xfn *f, size_t i)
{
	struct xin *a = &f->code[i];

	if (a->del || (a->op != JN_OP_ADD64_X && a->op != JN_OP_ADD32_X) || a->src == a->dst)
		return false;
	long j = next_touch(f, i, (uint16_t)(1u << a->dst), (uint16_t)(1u << a->src));
	if (j < 0)
		return false;
	struct xin *b = &f->code[j];
	if (b->del || b->dst != a->dst || b->op != (a->op == JN_OP_ADD64_X ? JN_OP_ADD64_K : JN_OP_ADD32_K))
		return false;
	struct xin t = *a;
	*a = (struct xin){ .op = b->op, .dst = b->dst, .imm = b->imm, .pc = a->pc };
	*b = (struct xin){ .op = t.op, .dst = t.dst, .src = t.src, .pc = b->pc };
	return true;
}

/* Does rX's value after insn s only matter in its low 32 bits?  Its reads
 * up to where it dies, in straight code, are low-bit ops on it (add, sub,
 * mul, and, or, xor, lsh, any 32-bit op) or stores of 4 bytes or fewer. */
static bool low32_only(const struct xfn *f, size_t s, uint8_t x)
{
	uint16_t xb = (uint16_t)(1u << x);

	for (size_t j = s + 1; j < f->n; j++) {
		const struct xin *in = &f->code[j];
		if (!(f->live_in[j] & xb))
			return true;
		if (f->target[j] || jn_vliw_is_jump(in) || jn_vliw_is_exit(in))
			return false;
		if (!(jn_vliw_uses(in) & xb))
			continue;
		bool narrow = in->op <= JN_OP_BSWAP64 ? false : xform(in) == XF_ALU_K || xform(in) == XF_ALU_X;
		switch (in->op) {
		case JN_OP_ADD64_K: case JN_OP_SUB64_K: case JN_OP_MUL64_K: case JN_OP_AND64_K:
		case JN_OP_OR64_K: case JN_OP_XOR64_K: case JN_OP_LSH64_K:
		case JN_OP_ADD64_X: case JN_OP_SUB64_X: case JN_OP_MUL64_X: case JN_OP_AND64_X:
		case JN_OP_OR64_X: case JN_OP_XOR64_X:
			narrow = true;
			break;
		case JN_OP_STXW: case JN_OP_STXH: case JN_OP_STXB:
			narrow = in->src == x && in->dst != x;
			break;
		default:
			break;
		}
		if (!narrow || (xform(in) == XF_ALU_X && in->src == x && in->dst != x))
			return false;   /* (another register made from it would need the same) */
	}
	return false;
}

/* wT = wX; rT /= K; rT *= K; rX -= rT  ->  wX %= K, when only rX's low 32
 * bits matter afterwards (clang's "u32 % K"). */
static bool mod32(struct xfn *f, size_t i)
{
	struct xin *m = &f->code[i];

	if (m->del || m->op != JN_OP_MOV32_X || m->src == m->dst)
		return false;
	uint8_t t = m->dst, x = m->src;
	uint16_t both = (uint16_t)(1u << t | 1u << x);
	long d = next_touch(f, i, both, 0), u = d < 0 ? -1 : next_touch(f, (size_t)d, both, 0);
	long s = u < 0 ? -1 : next_touch(f, (size_t)u, both, 0);
	if (s < 0)
		return false;
	struct xin *dv = &f->code[d], *mu = &f->code[u], *sb = &f->code[s];
	if ((dv->op != JN_OP_DIV64_K && dv->op != JN_OP_DIV32_K) || dv->dst != t || dv->imm <= 0 ||
	    (mu->op != JN_OP_MUL64_K && mu->op != JN_OP_MUL32_K) || mu->dst != t || mu->imm != dv->imm ||
	    sb->op != JN_OP_SUB64_X || sb->dst != x || sb->src != t || (f->live_out[s] & (1u << t)) ||
	    !low32_only(f, (size_t)s, x))
		return false;
	*m = (struct xin){ .op = JN_OP_MOD32_K, .dst = x, .imm = dv->imm, .pc = m->pc };
	dv->del = mu->del = sb->del = 1;
	return true;
}

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

	for (size_t i = 0; i < f->n; i++)
		n += no_op(f, i) || mask_shift(f, i) || shift_mask(f, i) || to_imm(f, i) || const_first(f, i) ||
		     mod32(f, i);
	for (size_t i = 0; i + 1 < f->n; i++) {
		int z = zext(f, i);
		if (z) {
			n += z;
			i += (size_t)z;
			continue;
		}
		struct xin *m = &f->code[i];
		if (m->del || (m->op != JN_OP_MOV64_X && m->op != JN_OP_MOV32_X) || m->src == m->dst)
			continue;
		/* the next use of rD (nothing between reads rD or writes rD, rS) */
		long j = next_touch(f, i, (uint16_t)(1u << m->dst), (uint16_t)(1u << m->src));
		if (j < 0)
			continue;
		struct xin *a = &f->code[j];
		int x = fused(a->op);
		bool wide = a->op <= JN_OP_BSWAP64;   /* the 64-bit ALU block of the table */
		if (a->del || x < 0 || a->dst != m->dst)
			continue;
		if (!(m->op == JN_OP_MOV64_X || (m->op == JN_OP_MOV32_X && !wide)))
			continue;
		*m = (struct xin){ .op = (uint16_t)x, .dst = m->dst, .src = m->src, .imm = a->imm,
				   .pc = m->pc };
		a->del = 1;
		n++;
	}
	return n;
}
