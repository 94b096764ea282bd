/* implied.c - guards implied by an equality guard are dropped.
 *
 * What it does: when a trace has a guard x == c (x any value, c a
 * constant), every other guard comparing the same x with a constant at the
 * same width is decided by c: it held on the recorded packet and holds on
 * every packet with x == c, so it goes (the parser's "not VLAN, not QinQ"
 * before "IPv4": pkt[12:2] != 0x8100 && pkt[12:2] == 0x800 is
 * pkt[12:2] == 0x800).  The condition gets shorter and so does the check.
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
	if (dropped)
		jn_tcompact(t, keep, nw);
	free(keep);
	free(nw);
	return 0;
}
