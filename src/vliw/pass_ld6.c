/* pass_ld6.c - 6-byte copies (a MAC address) in one load and one store.
 *
 * The pattern is a run of adjacent load/store pairs, "rT = *(uN *)(rA + a);
 * *(uN *)(rB + b) = rT", as clang emits for a 6-byte memcpy: the pairs'
 * sizes add up to 6 and their offsets tile [a0, a0 + 6) on the load side
 * and the same tiling shifted on the store side (in any order).  It becomes
 *   rT = *(u48 *)(rA + a0); *(u48 *)(rB + b0) = rT
 * when: nothing jumps into the run; the loads are plain (no sign
 * extension; only the first may be a checked load); rA and rB are not
 * temporaries; every temporary is dead after the run; and the copy cannot
 * read what it wrote: same base with disjoint ranges, or bases in
 * different memories (stack, packet, map value, by cfg.c's facts).
 * Bytes, faults and final registers are then exactly the original's. */
#include "vliw_internal.h"

static bool plain_load(const struct xin *i)
{
	return xform(i) == XF_LDX && i->op != JN_OP_LDXDW;
}

/* Try the run starting at i; returns the number of pairs fused (0 if none). */
static int try_run(struct xfn *f, size_t i)
{
	const struct xin *l0 = &f->code[i];
	uint8_t A = l0->src, B;
	int32_t a0 = 0, b0 = 0;
	unsigned covered = 0, bytes = 0;
	uint16_t temps = 0;
	size_t k = i;

	if (!plain_load(l0) || i + 1 >= f->n || xform(&f->code[i + 1]) != XF_STX)
		return 0;
	B = f->code[i + 1].dst;
	for (; bytes < 6 && k + 1 < f->n; k += 2) {
		const struct xin *l = &f->code[k], *s = &f->code[k + 1];
		unsigned sz = jn_vliw_msize(l);
		if (!plain_load(l) || xform(s) != XF_STX || s->src != l->dst || s->op - JN_OP_STXW !=
		    l->op - JN_OP_LDXW || l->src != A || s->dst != B || l->dst == A || l->dst == B ||
		    (k > i && (l->chk || f->target[k])) || f->target[k + 1] || l->del || s->del)
			return 0;
		if (k == i) {
			a0 = l->off;
			b0 = s->off;
		}
		/* offsets relative to the first pair; the 6 bytes start at min */
		if (s->off - b0 != l->off - a0)
			return 0;
		int rel = l->off - a0 + 5;   /* -5..+5 around the first pair, shifted to 0..10 */
		if (rel < 0 || rel + (int)sz > 16)
			return 0;
		unsigned m = ((1u << sz) - 1) << rel;
		if (covered & m)
			return 0;
		covered |= m;
		bytes += sz;
		temps |= (uint16_t)(1u << l->dst);
	}
	if (bytes != 6 || (covered >> __builtin_ctz(covered)) != 0x3f)
		return 0;
	size_t last = k - 1;
	if (f->live_out[last] & temps)
		return 0;
	int lo = __builtin_ctz(covered) - 5;   /* start relative to the first pair */
	enum jn_vliw_region ra = jn_vliw_region(f, i, A), rb = jn_vliw_region(f, i, B);
	int32_t la = a0 + lo, sb = b0 + lo;
	bool disjoint = A == B ? (la + 6 <= sb || sb + 6 <= la)
			       : (ra != rb && ra != RG_UNK && rb != RG_UNK && ra != RG_NONSTACK &&
				  rb != RG_NONSTACK);
	if (!disjoint)
		return 0;
	struct xin *l = &f->code[i], *s = &f->code[i + 1];
	l->op = JN_XOP_LD6;
	l->off = (int16_t)la;
	s->op = JN_XOP_STX6;
	s->off = (int16_t)sb;
	s->src = l->dst;
	for (size_t j = i + 2; j <= last; j++)
		f->code[j].del = 1;
	return (int)(last - i - 1);
}

int jn_vliw_pass_ld6(struct xfn *f)
{
	int n = 0;

	for (size_t i = 0; i < f->n; i++) {
		int r = try_run(f, i);
		n += r;
		if (r)
			i += (size_t)r + 1;
	}
	return n;
}
