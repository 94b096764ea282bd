/* pass_ldcomb.c - byte loads put together into one wider load.
 *
 * clang reads unaligned packet fields a byte at a time and puts the value
 * together with a shift and an or.  Sephirot's memory is byte-addressed
 * and takes unaligned loads, so
 *   rL = *(uN *)(rB + o); rH = *(uN *)(rB + o + N); rH <<= 8N; rH |= rL
 * (also with the second load and the shift first) becomes
 *   rH = *(u2N *)(rB + o)
 * when the four are adjacent, nothing jumps between them, rL is dead after
 * them, neither load is sign-extending, only the first may be a checked
 * load, and rB is neither rL nor rH.  Both forms give the little-endian
 * value of the same bytes, zero-extended; a fault happens on the same
 * bytes.  Repeated until nothing changes, so two halves become a word.
 * Shifts by 8 and 16 may be 32-bit (w) operations; by 32 they must be 64-bit. */
#include "vliw_internal.h"

static int load_size(const struct xin *i)
{
	if (xform(i) != XF_LDX || i->op == JN_OP_LDXDW)
		return 0;
	return (int)jn_vliw_msize(i);
}

static bool shl(const struct xin *i, uint8_t r, int sz)
{
	return i->dst == r && i->imm == 8 * sz &&
	       (i->op == JN_OP_LSH64_K || (i->op == JN_OP_LSH32_K && sz < 4));
}

static bool orr(const struct xin *i, uint8_t d, uint8_t s, int sz)
{
	return i->dst == d && i->src == s && (i->op == JN_OP_OR64_X || (i->op == JN_OP_OR32_X && sz < 4));
}

static int wider(int sz)
{
	return sz == 1 ? JN_OP_LDXH : sz == 2 ? JN_OP_LDXW : JN_OP_LDXDW;
}

static bool try_at(struct xfn *f, size_t i)
{
	struct xin *a = &f->code[i], *b = &f->code[i + 1], *c = &f->code[i + 2], *d = &f->code[i + 3];
	const struct xin *lo, *hi;
	int sz;

	if (a->del || b->del || c->del || d->del || f->target[i + 1] || f->target[i + 2] ||
	    f->target[i + 3])
		return false;
	if (load_size(a) && load_size(b)) {          /* lo, hi, shift, or */
		lo = a; hi = b;
		if (!shl(c, hi->dst, load_size(lo)) || !orr(d, hi->dst, lo->dst, load_size(lo)))
			return false;
	} else if (load_size(a) && load_size(c)) {   /* hi, shift, lo, or */
		hi = a; lo = c;
		if (!shl(b, hi->dst, load_size(lo)) || !orr(d, hi->dst, lo->dst, load_size(lo)))
			return false;
	} else {
		return false;
	}
	sz = load_size(lo);
	if (load_size(hi) != sz || hi->src != lo->src || hi->off != lo->off + sz || lo->dst == hi->dst ||
	    lo->src == lo->dst || lo->src == hi->dst || (f->live_out[i + 3] & (1u << lo->dst)))
		return false;
	if ((a == lo ? hi : lo)->chk)
		return false;
	struct xin n = *a;   /* keeps the first one's check */
	n.op = (uint16_t)wider(sz);
	n.dst = hi->dst;
	n.src = lo->src;
	n.off = lo->off;
	n.imm = 0;
	*a = n;
	b->del = c->del = d->del = 1;
	return true;
}

int jn_vliw_pass_ldcomb(struct xfn *f)
{
	int n = 0;

	for (size_t i = 0; i + 3 < f->n; i++)
		if (try_at(f, i)) {
			n += 3;
			i += 3;
		}
	return n;
}
