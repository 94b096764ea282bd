/* pass_spill.c - spilled loads reloaded from where they came from.
 *
 * When every register is busy clang spills a loaded value to the stack and
 * reloads it later:
 *   L: rY = *(uN *)(rA + o)  ...  S: *(u64 *)(r10 + s) = rY  ...  R: rX = *(u64 *)(r10 + s)
 * R becomes "rX = *(uN *)(rA + o)" (L's own load, without a hardware
 * check: L already passed it) when L, S and R lie in one straight stretch
 * (nothing jumps in between them), S is the last write of those 8 stack
 * bytes before R, nothing between L and R writes rA, calls a helper or
 * stores where L loaded (cfg.c's facts: different memories or disjoint
 * ranges), so the memory still holds the value.  The reload then no longer
 * waits for the spill.
 *
 * Then stack stores nobody can read go: nothing reads their bytes
 * (stack.c: loads, atomics, helper arguments; nothing at all when a stack
 * pointer escapes the facts).  Sephirot's stack is not visible after the packet, so the
 * results are the same.  A load whose only reader was such a store goes
 * too, when it cannot fault (cfg.c's jn_vliw_load_safe).  adjust_tail's
 * MAC copy through six spill slots becomes a plain byte copy, which the
 * ld6 pass then fuses. */
#include <string.h>

#include "vliw_internal.h"

enum { NR = JN_ISA_NREGS, SB = JN_ISA_STACK, WIN = 96 };

static bool is_call(const struct xin *in) { return xform(in) == XF_CALL; }

/* The last instruction before i (within WIN, in the same straight code)
 * that defines reg; -1 if none or a jump target comes first. */
static long last_def(const struct xfn *f, size_t i, uint8_t reg)
{
	for (size_t j = i; j-- > 0 && i - j <= WIN;) {
		if (f->target[j + 1])
			return -1;
		if (!f->code[j].del && (jn_vliw_defs(&f->code[j]) & (1u << reg)))
			return (long)j;
	}
	return -1;
}

/* Does the store at j write stack bytes [lo, hi) (from r10)?  *unknown
 * when it may write the stack somewhere unknown. */
static bool writes_slot(const struct xfn *f, size_t j, int64_t lo, int64_t hi, bool *unknown)
{
	const struct xin *in = &f->code[j];
	int64_t b;

	*unknown = false;
	if (!jn_vliw_is_store(in))
		return false;
	if (jn_vliw_base_is_stack(f, j, in->dst, &b))
		return b + in->off < hi && b + in->off + (int64_t)jn_vliw_msize(in) > lo;
	enum jn_vliw_region r = jn_vliw_region(f, j, in->dst);
	*unknown = r == RG_UNK;
	return false;
}

/* The spill S feeding the reload at r, and the load L before it. */
static bool find_spill(const struct xfn *f, size_t r, size_t *sp, size_t *ld)
{
	const struct xin *R = &f->code[r];
	int64_t b;
	bool unknown;

	if (R->del || R->op != JN_OP_LDXDW || !jn_vliw_base_is_stack(f, r, R->src, &b))
		return false;
	int64_t s = b + R->off;
	for (size_t j = r; j-- > 0 && r - j <= WIN;) {
		const struct xin *in = &f->code[j];
		if (f->target[j + 1])
			return false;
		if (in->del)
			continue;
		if (is_call(in))
			return false;
		if (!writes_slot(f, j, s, s + 8, &unknown)) {
			if (unknown)
				return false;
			continue;
		}
		int64_t sb;
		if (in->op != JN_OP_STXDW || !jn_vliw_base_is_stack(f, j, in->dst, &sb) || sb + in->off != s)
			return false;
		long l = last_def(f, j, in->src);
		if (l < 0)
			return false;
		const struct xin *L = &f->code[l];
		if ((xform(L) != XF_LDX && xform(L) != XF_LDXSX && xform(L) != XF_LD6) || L->src == L->dst)
			return false;
		*sp = j;
		*ld = (size_t)l;
		return true;
	}
	return false;
}

/* Between L and R: rA kept, no call, no store where L loaded. */
static bool still_there(const struct xfn *f, size_t l, size_t r)
{
	const struct xin *L = &f->code[l];

	for (size_t k = l + 1; k < r; k++) {
		const struct xin *in = &f->code[k];
		if (in->del)
			continue;
		if (f->target[k] || is_call(in) || (jn_vliw_defs(in) & (1u << L->src)))
			return false;
		if (jn_vliw_is_store(in) && !jn_vliw_apart(f, k, in->dst, in->off, jn_vliw_msize(in), l, L->src,
							   L->off, jn_vliw_msize(L)))
			return false;
	}
	return !f->target[r];
}

/* Stack bytes something may read (1 per byte); false if unknowable. */
static bool stack_reads(const struct xfn *f, uint8_t rd[SB])
{
	memset(rd, 0, SB);
	if (jn_vliw_stack_escapes(f))
		return false;
	for (size_t k = 0; k < f->n; k++) {
		int64_t lo, hi;
		if (jn_vliw_stack_reads(f, k, &lo, &hi) < 0)
			return false;
		for (int64_t x = lo < -SB ? -SB : lo; x < hi && x < 0; x++)
			rd[SB + x] = 1;
	}
	return true;
}

/* rY of the store at s read by nothing but s from its load l on. */
static bool only_reader(const struct xfn *f, size_t l, size_t s)
{
	uint8_t y = f->code[s].src;

	for (size_t k = l + 1; k < s; k++)
		if (!f->code[k].del && (jn_vliw_uses(&f->code[k]) & (1u << y)))
			return false;
	return !(f->live_out[s] & (1u << y));
}

int jn_vliw_pass_spill(struct xfn *f)
{
	uint8_t rd[SB];
	int n = 0;

	for (size_t r = 0; r < f->n; r++) {
		size_t s, l;
		if (!find_spill(f, r, &s, &l) || !still_there(f, l, r))
			continue;
		struct xin *R = &f->code[r];
		const struct xin *L = &f->code[l];
		*R = (struct xin){ .op = L->op, .dst = R->dst, .src = L->src, .off = L->off, .pc = R->pc };
		n++;
	}
	if (!stack_reads(f, rd))
		return n;
	for (size_t s = 0; s < f->n; s++) {
		struct xin *S = &f->code[s];
		int64_t b;
		int form = xform(S);
		if (S->del || (form != XF_ST && form != XF_STX && form != XF_ST6 && form != XF_STX6) ||
		    !jn_vliw_base_is_stack(f, s, S->dst, &b))
			continue;
		int64_t lo = b + S->off, hi = lo + jn_vliw_msize(S);
		bool read = lo < -SB || hi > 0;
		for (int64_t x = lo; x < hi && !read; x++)
			read = rd[SB + x];
		if (read)
			continue;
		long l = form == XF_STX ? last_def(f, s, S->src) : -1;
		if (l >= 0 && jn_vliw_is_load(&f->code[l]) && jn_vliw_load_safe(f, (size_t)l, f->minlen[l]) &&
		    only_reader(f, (size_t)l, s)) {
			f->code[l].del = 1;
			n++;
		}
		S->del = 1;
		n++;
	}
	return n;
}
