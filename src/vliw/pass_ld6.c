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
 * Bytes, faults and final registers are then exactly the original's.
 *
 * clang also copies 6 bytes one byte at a time with the loads grouped
 * before the stores ("t0 = u8[A+a+0] .. t5 = u8[A+a+5]; ...; u8[B+b+k] =
 * tk" in any order, other code between).  Those become one 6-byte load at
 * the last byte load and one 6-byte store at the last byte store, when:
 * the twelve are in one straight stretch (no jump, exit, call or jump
 * target), every tk is read only by its store and dead after it, A and B
 * are not written in the stretch, the copy cannot overlap itself (as
 * above, or packet ranges at known offsets that are disjoint), no store
 * lies between the first and the last load (a fault of the wide load then
 * shows nothing the original would not have done) unless no byte load can
 * fault and those stores cannot touch the source, the stores are into the stack or into packet bytes the checks
 * guarantee (they cannot fault), and between the first and the last store
 * no other access touches their memory. */
#include <stdint.h>
#include <string.h>

#include "vliw_internal.h"

enum { WIN = 48 };

/* The store that is the only reader of the byte load at i, or 0. */
static size_t only_store(const struct xfn *f, size_t i, size_t end)
{
	uint8_t t = f->code[i].dst;
	uint16_t bit = (uint16_t)(1u << t);

	for (size_t j = i + 1; j < end; j++) {
		const struct xin *in = &f->code[j];
		if (in->del)
			continue;
		if (jn_vliw_uses(in) & bit) {
			if (in->op != JN_OP_STXB || in->src != t || in->dst == t || (f->live_out[j] & bit))
				return 0;
			return j;
		}
		if (jn_vliw_defs(in) & bit)
			return 0;
	}
	return 0;
}

static bool store_safe(const struct xfn *f, size_t j, int32_t off)
{
	const struct absval *b = &f->av[j * JN_ISA_NREGS + f->code[j].dst];

	if (b->kind == AK_STACK)
		return b->v + off >= -JN_ISA_STACK && b->v + off + 6 <= 0;
	return b->kind == AK_PKT && b->v + off >= 0 && b->v + off + 6 <= f->minlen[j];
}

/* Fuse the scattered byte copy whose loads include the one at i. */
static int try_bytes(struct xfn *f, size_t i)
{
	const struct xin *l0 = &f->code[i];
	size_t end = i + 1, ld[6] = {0}, st[6] = {0};
	uint8_t A = l0->src, B = 0;
	int32_t delta = 0, base = 0;

	if (l0->op != JN_OP_LDXB || l0->chk || l0->del)
		return 0;
	while (end < f->n && end < i + WIN && !f->target[end]) {
		const struct xin *in = &f->code[end];
		if (!in->del && (jn_vliw_is_jump(in) || jn_vliw_is_exit(in) || xform(in) == XF_CALL))
			break;
		end++;
	}
	size_t s0 = only_store(f, i, end);
	if (!s0)
		return 0;
	B = f->code[s0].dst;
	delta = f->code[s0].off - l0->off;
	int found = 0;
	for (base = l0->off - 5; base <= l0->off && found < 6; base++) {
		found = 0;
		for (size_t j = i; j < end && found < 6; j++) {
			const struct xin *in = &f->code[j];
			if (in->del || in->op != JN_OP_LDXB || in->src != A || in->chk || in->off < base ||
			    in->off >= base + 6 || ld[in->off - base] > 0)
				continue;
			size_t k = only_store(f, j, end);
			if (!k || f->code[k].dst != B || f->code[k].off - in->off != delta)
				continue;
			ld[in->off - base] = j;
			st[in->off - base] = k;
			found++;
		}
		if (found < 6)
			memset(ld, 0, sizeof(ld)), memset(st, 0, sizeof(st));
	}
	base--;
	if (found < 6 || ld[l0->off - base] != i)
		return 0;
	size_t lmax = 0, smin = SIZE_MAX, smax = 0;
	uint16_t temps = 0;
	for (int k = 0; k < 6; k++) {
		lmax = ld[k] > lmax ? ld[k] : lmax;
		smin = st[k] < smin ? st[k] : smin;
		smax = st[k] > smax ? st[k] : smax;
		temps |= (uint16_t)(1u << f->code[ld[k]].dst);
	}
	uint16_t early = 0;   /* temporaries of the loads before the last one */
	for (int k = 0; k < 6; k++)
		if (ld[k] != lmax)
			early |= (uint16_t)(1u << f->code[ld[k]].dst);
	if ((temps & (1u << B)) || (early & (1u << A)))
		return 0;   /* (the last load may overwrite its own base) */
	enum jn_vliw_region rb = jn_vliw_region(f, smin, B);
	int32_t la = base, sb = base + delta;
	bool sep = A == B ? (la + 6 <= sb || sb + 6 <= la) : jn_vliw_apart(f, i, A, la, 6, smin, B, sb, 6);
	bool safe = true;   /* no byte load can fault */
	for (int k = 0; k < 6; k++)
		safe &= jn_vliw_load_safe(f, ld[k], f->minlen[ld[k]]);
	if (!sep || !store_safe(f, smin, sb))
		return 0;
	uint8_t t = f->code[lmax].dst;
	for (size_t j = i; j <= smax; j++) {
		const struct xin *in = &f->code[j];
		bool ours = false;
		for (int k = 0; k < 6; k++)
			ours |= ld[k] == j || st[k] == j;
		if (in->del || ours)
			continue;
		if (jn_vliw_defs(in) & (1u << A | 1u << B))
			return 0;
		if (j > i && j < lmax && jn_vliw_is_store(in) &&
		    (!safe || !jn_vliw_apart(f, j, in->dst, in->off, jn_vliw_msize(in), i, A, la, 6)))
			return 0;
		if (j > lmax && j < smax && ((jn_vliw_uses(in) | jn_vliw_defs(in)) & (1u << t)))
			return 0;
		if (j > smin && j < smax && (jn_vliw_is_load(in) || jn_vliw_is_store(in)) &&
		    !jn_vliw_regions_apart(jn_vliw_region(f, j, jn_vliw_is_load(in) ? in->src : in->dst), rb))
			return 0;
	}
	for (int k = 0; k < 6; k++) {
		if (ld[k] != lmax)
			f->code[ld[k]].del = 1;
		if (st[k] != smax)
			f->code[st[k]].del = 1;
	}
	struct xin *l = &f->code[lmax], *s = &f->code[smax];
	*l = (struct xin){ .op = JN_XOP_LD6, .dst = t, .src = A, .off = (int16_t)la, .pc = l->pc };
	*s = (struct xin){ .op = JN_XOP_STX6, .dst = B, .src = t, .off = (int16_t)sb, .pc = s->pc };
	return 10;
}

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
	for (size_t i = 0; i < f->n; i++)
		n += try_bytes(f, i);
	return n;
}
