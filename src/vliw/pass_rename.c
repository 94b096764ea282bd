/* pass_rename.c - register renaming within r0-r9, so that a register
 * reused for unrelated values (clang's "r9 = load; store r9; r9 = load;
 * store r9 ...") does not chain the rows through false dependencies.
 *
 * A value is renamed when it is defined by an instruction that does not
 * read its own destination (mov, load, lddw, 3-operand ALU) and lives in
 * one straight stretch: every use follows in order up to where it dies
 * (read-modify-write instructions on it keep it going), nothing jumps into
 * the stretch while it is live, no branch in the stretch goes where it is
 * still live, and no call or exit reads it.  It moves to the register used
 * least recently that is free over the whole stretch: not live anywhere in
 * it and not named by any instruction in it, preferring one that the next
 * few instructions do not name either, and first of all one not live where
 * the branches just before go (its write would have to wait below them).
 * r10 is never touched and no register beyond r9 is ever used. */
#include "vliw_internal.h"

enum { HELD = 8 };   /* instructions looked back for branches */

static bool pure_def(const struct xin *i)
{
	switch (xform(i)) {
	case XF_MOV_K: case XF_MOV_X: case XF_MOVSX: case XF_LDX: case XF_LDXSX: case XF_LD6:
	case XF_LDDW: case XF_ALU3:
		return !(jn_vliw_uses(i) & (1u << i->dst));
	default:
		return false;
	}
}

/* Instructions that read a register without naming it in dst/src. */
static bool implicit_use(const struct xin *i, uint8_t r)
{
	int f = xform(i);
	return (f == XF_CALL && (jn_vliw_uses(i) & (1u << r))) || (f == XF_EXIT && r == 0) ||
	       (f == XF_ACMPXCHG && r == 0);
}

/* The last instruction of the value defined at i, or -1 if it can't be renamed. */
static long live_range(const struct xfn *f, size_t i, uint8_t r)
{
	uint16_t bit = (uint16_t)(1u << r);

	if (!(f->live_out[i] & bit))
		return -1;   /* dead at once: nothing to gain */
	for (size_t j = i + 1; j < f->n; j++) {
		const struct xin *in = &f->code[j];
		if (f->target[j] || implicit_use(in, r))
			return -1;
		if ((xform(in) == XF_AFETCH || xform(in) == XF_AXCHG) && in->src == r)
			return -1;
		if (jn_vliw_is_jump(in) && (f->live_in[in->tgt] & bit))
			return -1;
		if (!(f->live_out[j] & bit) || jn_vliw_is_exit(in) || xform(in) == XF_JA ||
		    xform(in) == XF_JA32)
			return (f->live_out[j] & bit) ? -1 : (long)j;
	}
	return -1;
}

/* Rename, and move the value's liveness from r to "to" (r holds nothing
 * else in the stretch, so it is dead there afterwards). */
static void rename_range(struct xfn *f, size_t i, size_t end, uint8_t r, uint8_t to)
{
	uint16_t rb = (uint16_t)(1u << r), tb = (uint16_t)(1u << to);

	f->code[i].dst = to;
	for (size_t j = i; j <= end; j++) {
		struct xin *in = &f->code[j];
		if (j > i && in->dst == r && (jn_vliw_uses(in) | jn_vliw_defs(in)) & rb)
			in->dst = to;
		if (j > i && in->src == r && (jn_vliw_uses(in) & rb))
			in->src = to;
		if (f->live_out[j] & rb)
			f->live_out[j] = (uint16_t)((f->live_out[j] & ~rb) | tb);
		if (j > i && (f->live_in[j] & rb))
			f->live_in[j] = (uint16_t)((f->live_in[j] & ~rb) | tb);
	}
}

static bool commutative(uint16_t op, bool w32)
{
	switch (op) {
	case JN_OP_ADD64_X: case JN_OP_MUL64_X: case JN_OP_AND64_X: case JN_OP_OR64_X: case JN_OP_XOR64_X:
		return !w32;
	case JN_OP_ADD32_X: case JN_OP_MUL32_X: case JN_OP_AND32_X: case JN_OP_OR32_X: case JN_OP_XOR32_X:
		return true;
	default:
		return false;
	}
}

/* Copy coalescing: `rD = rA; ...; rD op= rB` (op commutative, the first
 * instruction naming rD after the copy; nothing between branches, is
 * jumped to or writes rA or rB) where rB dies at the op becomes `rB op=
 * rA`, and rD's value is read from rB until it dies, when that stretch is
 * renamable (live_range) and names rB nowhere, and neither operand is a
 * pointer the analysis follows.  One instruction and one
 * row of the chain fewer: clang's `r0 = r5; r0 ^= r4` of the flow hash.
 * Returns whether it did. */
static bool coalesce(struct xfn *f, size_t i)
{
	struct xin *c = &f->code[i];
	bool w32 = c->op == JN_OP_MOV32_X;
	uint8_t d = c->dst, a = c->src;
	size_t j = i + 1;

	if ((c->op != JN_OP_MOV64_X && !w32) || c->off || d == a || d >= 10 || a >= 10 || c->del)
		return false;
	for (; j < f->n && !f->target[j]; j++) {
		const struct xin *in = &f->code[j];
		if (in->del)
			continue;
		if ((jn_vliw_uses(in) | jn_vliw_defs(in)) & (1u << d))
			break;
		if (jn_vliw_is_jump(in) || jn_vliw_is_exit(in) || xform(in) == XF_CALL ||
		    (jn_vliw_defs(in) & (1u << a)))
			return false;
	}
	if (j >= f->n || f->target[j])
		return false;
	struct xin *u = &f->code[j];
	uint8_t b = u->src;
	if (!commutative(u->op, w32) || u->dst != d || b == d || b == a || b >= 10 ||
	    (f->live_out[j] & (1u << b)) || jn_vliw_region(f, j, a) != RG_UNK ||
	    jn_vliw_region(f, j, b) != RG_UNK)   /* (pointers: the analysis follows ptr += n only) */
		return false;
	for (size_t k = i + 1; k < j; k++)
		if (jn_vliw_defs(&f->code[k]) & (1u << b))
			return false;
	long end = live_range(f, j, d);
	if (end < 0)
		return false;
	for (size_t k = j + 1; k <= (size_t)end; k++) {
		const struct xin *in = &f->code[k];
		if (((jn_vliw_uses(in) | jn_vliw_defs(in) | f->live_out[k]) & (1u << b)) || in->dst == b ||
		    in->src == b)
			return false;
	}
	rename_range(f, j, (size_t)end, d, b);
	u->src = a;
	for (size_t k = i; k < j; k++) {   /* rD no longer holds the copy; rA lives up to the op */
		f->live_out[k] = (uint16_t)((f->live_out[k] & ~(1u << d)) | (1u << a));
		f->live_in[k + 1] = (uint16_t)((f->live_in[k + 1] & ~(1u << d)) | (1u << a));
	}
	c->del = 1;
	return true;
}

int jn_vliw_pass_rename(struct xfn *f)
{
	long last[JN_ISA_NREGS];
	int n = 0;

	for (int k = 0; k < JN_ISA_NREGS; k++)
		last[k] = -1;
	for (size_t i = 0; i < f->n; i++) {
		struct xin *in = &f->code[i];
		uint8_t r = in->dst;
		long end;

		if (pure_def(in) && r < 10 && (end = live_range(f, i, r)) > 0) {
			uint16_t busy = f->live_in[i];
			for (size_t j = i; j <= (size_t)end; j++)
				busy |= f->live_out[j] | jn_vliw_uses(&f->code[j]) | jn_vliw_defs(&f->code[j]) |
					(uint16_t)(1u << f->code[j].dst) | (uint16_t)(1u << f->code[j].src);
			uint16_t soon = 0;   /* named just after the stretch: a write there would wait */
			for (size_t j = (size_t)end + 1; j < f->n && j <= (size_t)end + 8; j++)
				soon |= jn_vliw_uses(&f->code[j]) | jn_vliw_defs(&f->code[j]);
			uint16_t held = 0;   /* live where a branch just before goes: a write waits for it */
			for (size_t j = i; j-- > 0 && j + HELD >= i;)
				if (jn_vliw_is_cond(&f->code[j]))
					held |= f->live_in[f->code[j].tgt];
			int best = -1;
			for (int k = 0; k < 10; k++) {
				if (busy & (1u << k))
					continue;
				bool hk = held & (1u << k), hb = best >= 0 && (held & (1u << best));
				bool sk = soon & (1u << k), sb = best >= 0 && (soon & (1u << best));
				if (best < 0 || (!hk && hb) || (hk == hb && ((!sk && sb) || (sk == sb && last[k] < last[best]))))
					best = k;
			}
			bool hr = held & (1u << r), hb = best >= 0 && (held & (1u << best));
			if (best >= 0 && best != r && ((hr && !hb) || (hr == hb && (last[best] < last[r] ||
					      (last[best] == last[r] && (soon & (1u << r)) && !(soon & (1u << best))))))) {
				rename_range(f, i, (size_t)end, r, (uint8_t)best);
				n++;
			}
		}
		for (int k = 0; k < JN_ISA_NREGS; k++)
			if ((jn_vliw_uses(in) | jn_vliw_defs(in)) & (1u << k))
				last[k] = (long)i;
	}
	for (size_t i = 0; i < f->n; i++)
		n += coalesce(f, i);
	return n;
}
