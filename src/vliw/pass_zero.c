/* pass_zero.c - Sephirot zeroes the stack for every packet, so a store of
 * zero into stack bytes that are still known to be zero (never written, or
 * only with zeros, on every path from the entry: cfg.c's forward facts)
 * changes nothing and goes.  Stores through r10 or r10-derived pointers
 * whose offset the facts know; constant zero from an immediate or from a
 * register the facts know is zero. */
#include "vliw_internal.h"

enum { ZW = JN_ISA_STACK / 64 };

static bool still_zero(const struct xfn *f, size_t i, int64_t lo, unsigned sz)
{
	const uint64_t *z = &f->zero[i * ZW];

	if (lo < 0 || lo + sz > JN_ISA_STACK)
		return false;
	for (int64_t k = lo; k < lo + (int64_t)sz; k++)
		if (!(z[k / 64] >> (k % 64) & 1))
			return false;
	return true;
}

int jn_vliw_pass_zero(struct xfn *f)
{
	int n = 0;

	for (size_t i = 0; i < f->n; i++) {
		struct xin *s = &f->code[i];
		const struct absval *a = &f->av[i * JN_ISA_NREGS];
		int form = xform(s);
		int64_t base;
		bool zero;

		if (s->del || (form != XF_ST && form != XF_STX && form != XF_ST6 && form != XF_STX6))
			continue;
		if (form == XF_ST || form == XF_ST6)
			zero = s->imm == 0;
		else
			zero = a[s->src].kind == AK_CONST && a[s->src].v == 0;
		if (!zero || !jn_vliw_base_is_stack(f, i, s->dst, &base))
			continue;
		if (still_zero(f, i, JN_ISA_STACK + base + s->off, jn_vliw_msize(s))) {
			s->del = 1;
			n++;
		}
	}
	return n;
}
