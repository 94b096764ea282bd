/* stack.c - which stack bytes instructions may read, and the bytes live
 * (read before they are written again) before each instruction.
 *
 * Reads: loads and atomics through r10 + K (cfg.c's facts), and helper
 * arguments pointing into the stack (from there to the top of the stack,
 * but a map's key and an update's value are their map's sizes when
 * jn_vliw_opts gives them).  Writes: plain stores through r10 + K.
 * All of it holds only while no stack pointer escapes the facts (stored
 * to memory, or turned into a value not known to be r10 + K); then every
 * byte counts as read everywhere. */
#include <stdlib.h>
#include <string.h>

#include "vliw_internal.h"

enum { NR = JN_ISA_NREGS, SB = JN_ISA_STACK, W = SB / 64 };

static bool is_call(const struct xin *in) { return xform(in) == XF_CALL; }

static bool plain_store(const struct xin *in)
{
	int f = xform(in);
	return f == XF_ST || f == XF_STX || f == XF_ST6 || f == XF_STX6;
}

static bool reachable(const struct xfn *f, size_t k) { return f->av[k * NR + 10].kind != AK_TOP; }

/* Does insn k put a stack pointer where the facts lose it? */
static bool escapes(const struct xfn *f, size_t k)
{
	const struct xin *in = &f->code[k];
	const struct absval *a = &f->av[k * NR];
	uint16_t u = jn_vliw_uses(in);

	for (int r = 0; r < NR; r++) {
		if (!(u & (1u << r)) || a[r].kind != AK_STACK)
			continue;
		if (is_call(in) || jn_vliw_is_jump(in) || jn_vliw_is_exit(in))
			continue;
		if (jn_vliw_is_load(in) || (jn_vliw_is_store(in) && in->dst == r &&
					    !(xform(in) != XF_ST && xform(in) != XF_ST6 && in->src == r)))
			continue;   /* the base of an access */
		if (jn_vliw_is_pure(in) && k + 1 < f->n && f->av[(k + 1) * NR + in->dst].kind == AK_STACK)
			continue;   /* another known stack pointer */
		return true;
	}
	return false;
}

bool jn_vliw_stack_escapes(const struct xfn *f)
{
	for (size_t k = 0; k < f->n; k++)
		if (!f->code[k].del && reachable(f, k) && escapes(f, k))
			return true;
	return false;
}

const struct jn_vliw_map *jn_vliw_call_map(const struct xfn *f, size_t k, uint32_t *idx)
{
	const struct absval *m = &f->av[k * NR + 1];

	if (m->kind != AK_NONSTACK || m->v <= 0 || !f->maps || (size_t)m->v > f->n_maps)
		return NULL;
	if (idx)
		*idx = (uint32_t)(m->v - 1);
	return &f->maps[m->v - 1];
}

void jn_vliw_call_stack(const struct xfn *f, size_t k, int64_t *lo, int64_t *hi)
{
	const struct xin *in = &f->code[k];
	const struct absval *a = &f->av[k * NR];
	const struct jn_vliw_map *m = jn_vliw_call_map(f, k, NULL);
	bool mapfn = in->imm == 1 || in->imm == 2 || in->imm == 3;   /* lookup, update, delete */
	uint16_t u = jn_vliw_uses(in);

	*lo = *hi = 0;
	for (int r = 1; r <= 5; r++) {
		if (!(u & (1u << r)) || a[r].kind != AK_STACK || a[r].v >= 0)
			continue;
		int64_t len = -a[r].v;
		if (m && mapfn && r == 2 && m->key > 0 && m->key < len)
			len = m->key;
		else if (m && in->imm == 2 && r == 3 && m->value > 0 && m->value < len)
			len = m->value;
		if (*lo == *hi) {
			*lo = a[r].v;
			*hi = a[r].v + len;
		} else {
			*lo = a[r].v < *lo ? a[r].v : *lo;
			*hi = a[r].v + len > *hi ? a[r].v + len : *hi;
		}
	}
}

int jn_vliw_stack_reads(const struct xfn *f, size_t k, int64_t *lo, int64_t *hi)
{
	const struct xin *in = &f->code[k];
	int64_t b;

	*lo = *hi = 0;
	if (in->del || !reachable(f, k))
		return 0;
	if (is_call(in)) {
		if (in->anyhelper)
			return -1;
		jn_vliw_call_stack(f, k, lo, hi);
		return 0;
	}
	if (!jn_vliw_is_load(in) && !(jn_vliw_is_store(in) && !plain_store(in)))
		return 0;
	if (jn_vliw_base_is_stack(f, k, jn_vliw_is_load(in) ? in->src : in->dst, &b)) {
		*lo = b + in->off;
		*hi = *lo + jn_vliw_msize(in);
	}
	return 0;
}

bool jn_vliw_stack_write(const struct xfn *f, size_t k, int64_t *lo, int64_t *hi)
{
	const struct xin *in = &f->code[k];
	int64_t b;

	if (in->del || !plain_store(in) || !jn_vliw_base_is_stack(f, k, in->dst, &b))
		return false;
	*lo = b + in->off;
	*hi = *lo + jn_vliw_msize(in);
	return *lo >= -SB && *hi <= 0;
}

static void set_range(uint64_t *m, int64_t lo, int64_t hi, bool on)
{
	for (int64_t x = lo < -SB ? -SB : lo; x < hi && x < 0; x++) {
		uint64_t bit = 1ull << ((SB + x) % 64);
		if (on)
			m[(SB + x) / 64] |= bit;
		else
			m[(SB + x) / 64] &= ~bit;
	}
}

uint64_t *jn_vliw_stack_live(const struct xfn *f)
{
	uint64_t *live = calloc(f->n ? f->n * W : 1, sizeof(*live));
	bool all = jn_vliw_stack_escapes(f);

	if (!live || all) {
		if (live)
			memset(live, 0xff, f->n * W * sizeof(*live));
		return live;
	}
	for (bool changed = true; changed;) {
		changed = false;
		for (size_t i = f->n; i-- > 0;) {
			uint64_t m[W] = {0};
			size_t s[2], ns = jn_vliw_succ(f, i, s);
			int64_t lo, hi;
			for (size_t j = 0; j < ns; j++)
				for (int w = 0; w < W; w++)
					m[w] |= live[s[j] * W + w];
			if (jn_vliw_stack_write(f, i, &lo, &hi))
				set_range(m, lo, hi, false);
			if (jn_vliw_stack_reads(f, i, &lo, &hi) < 0)
				memset(m, 0xff, sizeof(m));
			else
				set_range(m, lo, hi, true);
			if (memcmp(m, &live[i * W], sizeof(m))) {
				memcpy(&live[i * W], m, sizeof(m));
				changed = true;
			}
		}
	}
	return live;
}

bool jn_vliw_stack_dead(const uint64_t *live, size_t i, int64_t lo, int64_t hi)
{
	for (int64_t x = lo; x < hi; x++)
		if (x < -SB || x >= 0 || (live[i * W + (SB + x) / 64] >> ((SB + x) % 64) & 1))
			return false;
	return true;
}
