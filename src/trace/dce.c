/* dce.c - dead code elimination and renumbering after recording.
 *
 * What it does: keeps what a guard or an effect needs, and calls with
 * packet-local side effects (redirect targets, the nondeterminism flags) and
 * lookups in LRU maps; drops the rest (values whose only use was folded
 * away or never came, e.g. loads the program made and ignored), then
 * renumbers refs.  Also measures the trace: guards, effects, and the body
 * (instructions the effects need: what runs after the path condition
 * holds; everything that only fed a guard is not in it).  Constants and the
 * length are operands, not instructions, and are not counted.
 * Assumes: operands precede their users; keys and helper regions refer to
 * instructions through t->chunks, t->calls and t->mems.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "trace_internal.h"

static void mark(struct jn_trace *t, uint8_t *m, int32_t r, uint8_t bit)
{
	if (r >= 0)
		m[r] |= bit;
}

/* Propagate bit from every marked instruction to its operands (backwards). */
static void propagate(struct jn_trace *t, uint8_t *m, uint8_t bit)
{
	for (int32_t i = (int32_t)t->n - 1; i >= 0; i--) {
		const struct jn_tins *in = &t->ir[i];
		if (!(m[i] & bit))
			continue;
		if (in->op == JN_TIR_LOOKUP) {
			for (int32_t c = in->a; c < in->a + in->b; c++)
				mark(t, m, t->chunks[c], bit);
			continue;
		}
		if (in->op == JN_TIR_CALL || in->op == JN_TIR_ECALL) {
			const struct jn_tcall *c = &t->calls[in->k];
			for (int j = 0; j < 5; j++)
				if (c->kind[j] == JN_TA_VAL)
					mark(t, m, (int32_t)c->val[j], bit);
			for (uint32_t j = 0; j < c->nmem; j++)
				mark(t, m, t->mems[c->mem0 + j].ref, bit);
		}
		if (in->op != JN_TIR_KINT)
			mark(t, m, in->a, bit);
		if (in->op != JN_TIR_LOOKUP && in->op != JN_TIR_MLOAD && in->op != JN_TIR_KINT)
			mark(t, m, in->b, bit);
	}
}

static int32_t remap(const int32_t *nw, int32_t r)
{
	return r >= 0 ? nw[r] : r;
}

void jn_tremap_ins(struct jn_tins *in, const int32_t *nw)
{
	if (in->op != JN_TIR_KINT && in->op != JN_TIR_LOOKUP)
		in->a = remap(nw, in->a);
	if (in->op != JN_TIR_LOOKUP && in->op != JN_TIR_MLOAD && in->op != JN_TIR_KINT)
		in->b = remap(nw, in->b);
}

void jn_tremap_side(struct jn_trace *t, const int32_t *nw)
{
	for (uint32_t c = 0; c < t->nchunks; c++)
		t->chunks[c] = remap(nw, t->chunks[c]);
	for (uint32_t c = 0; c < t->ncalls; c++)
		for (int j = 0; j < 5; j++)
			if (t->calls[c].kind[j] == JN_TA_VAL)
				t->calls[c].val[j] = remap(nw, (int32_t)t->calls[c].val[j]);
	for (uint32_t c = 0; c < t->nmems; c++)
		t->mems[c].ref = remap(nw, t->mems[c].ref);
}

void jn_tcompact(struct jn_trace *t, const uint8_t *m, int32_t *nw)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < t->n; i++) {
		struct jn_tins in = t->ir[i];
		if (!m[i]) {
			nw[i] = -1;
			continue;
		}
		jn_tremap_ins(&in, nw);
		nw[i] = (int32_t)n;
		t->ir[n++] = in;
	}
	jn_tremap_side(t, nw);
	t->n = n;
}

static bool keep(const struct jn_trace *t, const struct jn_tins *in, const bool *lru)
{
	if (jn_tir_kind[in->op] == JN_TK_E || jn_tir_kind[in->op] == JN_TK_G)
		return true;
	if (in->op == JN_TIR_CALL)
		return true;
	return in->op == JN_TIR_LOOKUP && lru[in->k];
}

int jn_tdce(struct jn_trace *t, const bool *lru)
{
	uint8_t *m = calloc(t->n ? t->n : 1, 1);
	int32_t *nw = malloc((t->n ? t->n : 1) * sizeof(*nw));

	if (!m || !nw) {
		free(m);
		free(nw);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < t->n; i++)
		if (keep(t, &t->ir[i], lru))
			m[i] |= jn_tir_kind[t->ir[i].op] == JN_TK_G ? 1 : 2;
	propagate(t, m, 1);
	propagate(t, m, 2);
	memset(&t->info, 0, sizeof(t->info));
	for (uint32_t i = 0; i < t->n; i++) {
		bool operand = t->ir[i].op == JN_TIR_KINT || t->ir[i].op == JN_TIR_LEN;
		t->info.guards += t->ir[i].op == JN_TIR_GUARD;
		t->info.effects += jn_tir_kind[t->ir[i].op] == JN_TK_E;
		t->info.body += (m[i] & 2) && !operand;
		t->info.ops += m[i] && !operand;
	}
	jn_tcompact(t, m, nw);
	free(m);
	free(nw);
	return 0;
}
