/* implied.c - guards implied by another guard are dropped.
 *
 * What it does: when a trace has a guard x == c (x any value, c a
 * constant), every other guard comparing the same x with a constant at the
 * same width is decided by c: it held on the recorded packet and holds on
 * every packet with x == c, so it goes (the parser's "not VLAN, not QinQ"
 * before "IPv4": pkt[12:2] != 0x8100 && pkt[12:2] == 0x800 is
 * pkt[12:2] == 0x800).  Of two unsigned bounds of the same x on the same
 * side (x <= c and x <= k with c <= k; x >= c and x >= k with c >= k;
 * "<" and ">" as "<=" and ">=" by one) the looser goes: a ring buffer's
 * "position <= 0xfcf && position <= 0xfe7" is "position <= 0xfcf".  The
 * condition gets shorter and so does the check.
 * Assumes: every guard of a trace is checked before any effect (exec.c), so
 * dropping one whose truth another guard guarantees changes no outcome; a
 * guard only ever protects later effects, never a later load (loads read
 * the frame, the stack or a map value whose pointer has its own guard).
 */
#include <errno.h>
#include <stdlib.h>

#include "trace_internal.h"

/* g compares some x with a constant: x's ref and the constant, or false. */
static bool vs_const(const struct jn_trace *t, const struct jn_tins *g, int32_t *x, uint64_t *k,
		     bool *swapped)
{
	if (t->ir[g->b].op == JN_TIR_KINT && t->ir[g->a].op != JN_TIR_KINT) {
		*x = g->a;
		*k = (uint64_t)t->ir[g->b].k;
		*swapped = false;
		return true;
	}
	if (t->ir[g->a].op == JN_TIR_KINT && t->ir[g->b].op != JN_TIR_KINT) {
		*x = g->b;
		*k = (uint64_t)t->ir[g->a].k;
		*swapped = true;
		return true;
	}
	return false;
}

/* g as an unsigned bound of x: *upper (x <= *c) or not (x >= *c); false
 * when g is no such guard. */
static bool as_bound(const struct jn_trace *t, const struct jn_tins *g, int32_t *x, uint64_t *c,
		     bool *upper)
{
	uint64_t k, max = g->sz == 4 ? UINT32_MAX : UINT64_MAX;
	bool sw;
	int cond;

	if (g->op != JN_TIR_GUARD || !vs_const(t, g, x, &k, &sw))
		return false;
	cond = (int)g->k;
	if (sw)   /* k cond x: the mirrored cond of x against k */
		cond = cond == JN_TC_LE ? JN_TC_GE : cond == JN_TC_LT ? JN_TC_GT :
		       cond == JN_TC_GE ? JN_TC_LE : cond == JN_TC_GT ? JN_TC_LT : -1;
	k &= max;
	switch (cond) {
	case JN_TC_LE: *upper = true; *c = k; return true;
	case JN_TC_LT: *upper = true; *c = k - 1; return k > 0;   /* held: k > 0 */
	case JN_TC_GE: *upper = false; *c = k; return true;
	case JN_TC_GT: *upper = false; *c = k + 1; return k < max;
	default: return false;
	}
}

/* Of two bounds of one x on one side, the looser (the later of equal ones). */
static void drop_looser(const struct jn_trace *t, uint8_t *keep, bool *dropped)
{
	for (uint32_t i = 0; i < t->n; i++) {
		int32_t x, y;
		uint64_t c, k;
		bool up, uq;
		if (!keep[i] || !as_bound(t, &t->ir[i], &x, &c, &up))
			continue;
		for (uint32_t j = 0; j < t->n; j++) {
			if (j == i || !keep[j] || t->ir[j].sz != t->ir[i].sz ||
			    !as_bound(t, &t->ir[j], &y, &k, &uq) || y != x || uq != up)
				continue;
			if (up ? (c < k || (c == k && i < j)) : (c > k || (c == k && i < j))) {
				keep[j] = 0;
				*dropped = true;
			}
		}
	}
}

int jn_timplied(struct jn_trace *t)
{
	uint8_t *keep = malloc(t->n ? t->n : 1);
	int32_t *nw = malloc((t->n ? t->n : 1) * sizeof(*nw));
	bool dropped = false;

	if (!keep || !nw) {
		free(keep);
		free(nw);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < t->n; i++)
		keep[i] = 1;
	for (uint32_t i = 0; i < t->n; i++) {
		const struct jn_tins *g = &t->ir[i];
		int32_t x, y;
		uint64_t c, k;
		bool sw;
		if (g->op != JN_TIR_GUARD || g->k != JN_TC_EQ || !keep[i] || !vs_const(t, g, &x, &c, &sw))
			continue;
		for (uint32_t j = 0; j < t->n; j++) {
			const struct jn_tins *h = &t->ir[j];
			if (j == i || h->op != JN_TIR_GUARD || h->sz != g->sz || !keep[j] ||
			    !vs_const(t, h, &y, &k, &sw) || y != x)
				continue;
			if (jn_trace_cmp((int)h->k, h->sz, sw ? k : c, sw ? c : k)) {
				keep[j] = 0;
				dropped = true;
			}
		}
	}
	drop_looser(t, keep, &dropped);
	if (dropped)
		jn_tcompact(t, keep, nw);
	free(keep);
	free(nw);
	return 0;
}
