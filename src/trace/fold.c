/* fold.c - constant folding and algebraic simplification, run on every
 * instruction as it is emitted (LuaJIT's FOLD stage, in miniature).
 *
 * What it does: an ALU instruction whose operands are all constants becomes
 * a constant; x+0, x-0, x|0, x^0, x<<0, x>>0, x*1 become x; x & mask
 * becomes x when x's width (bytes it can occupy) fits inside the mask; a
 * 32-bit move or le16/le32/le64 of a value that already fits becomes it;
 * (x << 32) >> 32 becomes x when x fits in 32 bits; adjacent packet loads
 * joined by shift and or (the way clang reads a 16-bit field byte by byte)
 * become one wider load: pkt[o:w] | pkt[o+w:n] << 8w is pkt[o:w+n];
 * (x << s) & m becomes (x & (m >> s)) << s, and a guard y << s == c
 * becomes y == c >> s (the header length guarded as the field).
 * Assumes: operands precede the instruction; widths are conservative (a
 * value of width w is < 2^(8w)).
 */
#include "isa/isa.h"
#include "trace_internal.h"

static bool is_k(const struct jn_trace *t, int32_t r, uint64_t *v)
{
	if (r < 0 || t->ir[r].op != JN_TIR_KINT)
		return false;
	*v = (uint64_t)t->ir[r].k;
	return true;
}

static bool fits(const struct jn_trace *t, int32_t r, unsigned bytes)
{
	return t->ir[r].width <= bytes;
}

static int identity(const struct jn_tbuild *b, const struct jn_tins *in)
{
	const struct jn_trace *t = b->t;
	uint64_t kb;
	bool is32 = in->k >= JN_OP_ADD32_K && in->k <= JN_OP_ARSH32_X;

	if (in->b < 0 || !is_k(t, in->b, &kb))
		return -1;
	if (is32 && !fits(t, in->a, 4))
		return -1;
	switch (in->k) {
	case JN_OP_ADD64_X: case JN_OP_SUB64_X: case JN_OP_OR64_X: case JN_OP_XOR64_X:
	case JN_OP_LSH64_X: case JN_OP_RSH64_X: case JN_OP_ARSH64_X:
	case JN_OP_ADD32_X: case JN_OP_SUB32_X: case JN_OP_OR32_X: case JN_OP_XOR32_X:
	case JN_OP_LSH32_X: case JN_OP_RSH32_X:
		return kb == 0 ? in->a : -1;
	case JN_OP_MUL64_X: case JN_OP_MUL32_X:
		return kb == 1 ? in->a : -1;
	case JN_OP_AND64_X: case JN_OP_AND32_X: {
		unsigned w = t->ir[in->a].width;
		uint64_t m = w >= 8 ? ~0ULL : (1ULL << (8 * w)) - 1;
		return (kb & m) == m ? in->a : -1;
	}
	default:
		return -1;
	}
}

/* r = PLOAD(o+w, n) << 8w, with w given: the load's ref, or -1. */
static int shifted_load(const struct jn_trace *t, int32_t r, int64_t o, unsigned w)
{
	const struct jn_tins *s = &t->ir[r], *l;
	uint64_t k;

	if (s->op != JN_TIR_ALU || s->k != JN_OP_LSH64_X || !is_k(t, s->b, &k) || k != 8 * w)
		return -1;
	l = &t->ir[s->a];
	return l->op == JN_TIR_PLOAD && l->k == o + (int64_t)w && w + l->sz <= 8 ? s->a : -1;
}

static int combine_loads(struct jn_tbuild *b, const struct jn_tins *in)
{
	const struct jn_trace *t = b->t;
	int32_t x = in->a, y = in->b;

	if (in->k != JN_OP_OR64_X)
		return -1;
	for (int pass = 0; pass < 2; pass++) {
		const struct jn_tins *l = &t->ir[x];
		int hi = l->op == JN_TIR_PLOAD ? shifted_load(t, y, l->k, l->sz) : -1;
		if (hi >= 0)
			return jn_tb_emit(b, JN_TIR_PLOAD, (uint8_t)(l->sz + t->ir[hi].sz), -1, -1, l->k,
					  b->cval[x] | b->cval[y]);
		x = in->b;
		y = in->a;
	}
	return -1;
}

static int zext32(const struct jn_tbuild *b, const struct jn_tins *in)
{
	const struct jn_trace *t = b->t;
	const struct jn_tins *s;
	uint64_t k1, k2;

	if (in->k != JN_OP_RSH64_X || !is_k(t, in->b, &k1) || k1 != 32)
		return -1;
	s = &t->ir[in->a];
	if (s->op != JN_TIR_ALU || s->k != JN_OP_LSH64_X || !is_k(t, s->b, &k2) || k2 != 32)
		return -1;
	return fits(t, s->a, 4) ? s->a : -1;
}

/* (x << s) & m with m's low s bits clear is (x & (m >> s)) << s: the mask
 * goes on the field itself ((pkt[14] << 2) & 0x3c, the IPv4 header length
 * in bytes, is (pkt[14] & 0xf) << 2), so that a guard on it (below) and
 * other guards on the field read one value. */
static int mask_first(struct jn_tbuild *b, const struct jn_tins *in)
{
	const struct jn_trace *t = b->t;
	const struct jn_tins *l;
	uint64_t m, s;
	int k, a;

	if (in->k != JN_OP_AND64_X || !is_k(t, in->b, &m))
		return -1;
	l = &t->ir[in->a];
	if (l->op != JN_TIR_ALU || l->k != JN_OP_LSH64_X || !is_k(t, l->b, &s) || s == 0 || s >= 64 ||
	    (m & ((1ULL << s) - 1)))
		return -1;
	if ((k = jn_tb_const(b, m >> s)) < 0 ||
	    (a = jn_tb_emit(b, JN_TIR_ALU, 8, l->a, k, JN_OP_AND64_X, 0)) < 0)
		return -1;
	k = jn_tb_emit(b, JN_TIR_ALU, 8, a, l->b, JN_OP_LSH64_X, 0);
	return k < 0 ? -1 : k;
}

/* A guard "y << s == c" (or !=), y << s inside the compared width and c's
 * low s bits clear, compares y with c >> s: the field itself, which an
 * equality guard then decides for the other guards on it (implied.c). */
static void guard_unshift(struct jn_tbuild *b, struct jn_tins *in)
{
	const struct jn_trace *t = b->t;
	const struct jn_tins *l;
	uint64_t c, s;
	int k;

	if ((in->k != JN_TC_EQ && in->k != JN_TC_NE) || !is_k(t, in->b, &c) || in->a < 0)
		return;
	l = &t->ir[in->a];
	if (l->op != JN_TIR_ALU || l->k != JN_OP_LSH64_X || !is_k(t, l->b, &s) || s == 0 ||
	    8 * (uint64_t)t->ir[l->a].width + s > 8 * (uint64_t)in->sz || (c & ((1ULL << s) - 1)) ||
	    (in->sz == 4 && c >> 32))
		return;
	if ((k = jn_tb_const(b, c >> s)) < 0)
		return;
	in->a = l->a;
	in->b = k;
}

int jn_tfold(struct jn_tbuild *b, struct jn_tins *in)
{
	int r;

	const struct jn_trace *t = b->t;
	uint64_t ka, kb = 0;

	if (in->op == JN_TIR_GUARD) {
		guard_unshift(b, in);
		return -1;
	}
	if (in->op != JN_TIR_ALU)
		return -1;
	if (is_k(t, in->a, &ka) && (in->b < 0 || is_k(t, in->b, &kb)))
		return jn_tb_const(b, jn_trace_alu((int)in->k, ka, kb));
	if ((r = combine_loads(b, in)) != -1 || (r = zext32(b, in)) != -1 || (r = mask_first(b, in)) != -1)
		return r;
	switch (in->k) {
	case JN_OP_MOV32_X: case JN_OP_LE32:
		return fits(t, in->a, 4) ? in->a : -1;
	case JN_OP_LE16:
		return fits(t, in->a, 2) ? in->a : -1;
	case JN_OP_LE64:
		return in->a;
	default:
		return identity(b, in);
	}
}
