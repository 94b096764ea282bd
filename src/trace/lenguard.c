/* lenguard.c - length guards folded into one interval, checked first.
 *
 * What it does: every guard comparing the packet length with a constant
 * (the program's bounds checks against data_end, and the implicit guard of
 * every packet access) narrows one interval [lo, hi]; they are all removed
 * and replaced by at most two guards, len >= lo and len <= hi, placed right
 * after the length itself, before anything else runs.  Bounds XDP already
 * guarantees (14 <= len <= JN_XDP_MAX_DATA) are not checked.
 * Assumes: a trace is checked as a whole before any effect (exec.c), so a
 * guard may move earlier; the recorded packet satisfies every guard, so the
 * interval is not empty.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "trace_internal.h"

/* A guard "len op k" or "k op len": narrows [lo, hi] and returns true. */
bool jn_tlen_bound(const struct jn_trace *t, const struct jn_tins *g, int64_t *lo, int64_t *hi)
{
	const struct jn_tins *a = &t->ir[g->a], *b = &t->ir[g->b];
	static const int mirror[JN_TC__COUNT] = {
		[JN_TC_EQ] = JN_TC_EQ, [JN_TC_NE] = JN_TC_NE, [JN_TC_GT] = JN_TC_LT, [JN_TC_LT] = JN_TC_GT,
		[JN_TC_GE] = JN_TC_LE, [JN_TC_LE] = JN_TC_GE, [JN_TC_SGT] = JN_TC_SLT,
		[JN_TC_SLT] = JN_TC_SGT, [JN_TC_SGE] = JN_TC_SLE, [JN_TC_SLE] = JN_TC_SGE,
	};
	int c = (int)g->k;
	int64_t k;

	if (a->op == JN_TIR_KINT && b->op == JN_TIR_LEN) {
		const struct jn_tins *s = a;
		a = b;
		b = s;
		c = mirror[c];
	}
	if (a->op != JN_TIR_LEN || b->op != JN_TIR_KINT || c == JN_TC_NE || c >= JN_TC_SET)
		return false;
	k = b->k;
	if (g->sz == 4 || ((c == JN_TC_GT || c == JN_TC_GE || c == JN_TC_LT || c == JN_TC_LE) && k < 0))
		return false;   /* unsigned against a negative constant: keep as written */
	switch (c) {
	case JN_TC_EQ: if (k > *lo) *lo = k; if (k < *hi) *hi = k; break;
	case JN_TC_GT: case JN_TC_SGT: if (k + 1 > *lo) *lo = k + 1; break;
	case JN_TC_GE: case JN_TC_SGE: if (k > *lo) *lo = k; break;
	case JN_TC_LT: case JN_TC_SLT: if (k - 1 < *hi) *hi = k - 1; break;
	default: if (k < *hi) *hi = k; break;
	}
	return true;
}


static int add(struct jn_tins *ir, uint32_t *n, uint8_t op, int32_t a, int32_t b, int64_t k)
{
	ir[*n] = (struct jn_tins){ .op = op, .sz = 8, .a = a, .b = b, .k = k, .width = 8 };
	return (int)(*n)++;
}

int jn_tlenguard(struct jn_trace *t)
{
	int64_t lo = JN_XDP_MIN_LEN, hi = JN_XDP_MAX_DATA;
	struct jn_tins *ir;
	int32_t *nw, len = -1;
	uint32_t n = 0;

	for (uint32_t i = 0; i < t->n; i++)
		if (t->ir[i].op == JN_TIR_LEN && len < 0)
			len = (int32_t)i;
	if (len < 0)
		return 0;
	ir = malloc((t->n + 5) * sizeof(*ir));
	nw = malloc(t->n * sizeof(*nw));
	if (!ir || !nw) {
		free(ir);
		free(nw);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < t->n; i++)
		nw[i] = t->ir[i].op == JN_TIR_GUARD && jn_tlen_bound(t, &t->ir[i], &lo, &hi) ? -2 : 0;
	ir[0] = t->ir[len];
	n = 1;
	if (lo > JN_XDP_MIN_LEN)
		add(ir, &n, JN_TIR_GUARD, 0, add(ir, &n, JN_TIR_KINT, -1, -1, lo), JN_TC_GE);
	if (hi < JN_XDP_MAX_DATA)
		add(ir, &n, JN_TIR_GUARD, 0, add(ir, &n, JN_TIR_KINT, -1, -1, hi), JN_TC_LE);
	for (uint32_t i = 0; i < t->n; i++) {
		if (nw[i] == -2 || (int32_t)i == len) {
			nw[i] = nw[i] == -2 ? -1 : 0;
			continue;
		}
		nw[i] = (int32_t)n;
		ir[n] = t->ir[i];
		jn_tremap_ins(&ir[n++], nw);
	}
	jn_tremap_side(t, nw);
	free(t->ir);
	free(nw);
	t->ir = ir;
	t->n = n;
	return 0;
}
