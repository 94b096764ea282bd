/* cse.c - common subexpression and redundant load elimination at emission.
 *
 * What it does: an instruction identical (op, size, operands, constant) to
 * an earlier one reuses it: constants, inputs (packet and map loads, the
 * length, context fields), lookups, arithmetic and guards (a repeated guard
 * is dropped).  Assumes: every load the recorder emits reads the state as it
 * arrived (reads of bytes this packet wrote are forwarded from the
 * recorder's shadow memory instead), so two identical loads give the same
 * value anywhere in the trace.  Not merged: effects, helper calls, and
 * lookups in LRU maps (each lookup refreshes the entry's recency).
 */
#include "trace_internal.h"

static bool pure(const struct jn_tbuild *b, const struct jn_tins *in)
{
	switch (jn_tir_kind[in->op]) {
	case JN_TK_E:
		return false;
	default:
		if (in->op == JN_TIR_CALL)
			return false;
		if (in->op == JN_TIR_LOOKUP && b->lru_map[in->k])
			return false;
		return true;
	}
}

static uint32_t hash(const struct jn_tins *in)
{
	uint64_t h = in->op * 0x9e3779b97f4a7c15ULL;

	h ^= (uint64_t)in->sz << 8 ^ (uint64_t)(uint32_t)in->a << 16 ^ (uint64_t)(uint32_t)in->b << 40;
	h = (h ^ (uint64_t)in->k) * 0xbf58476d1ce4e5b9ULL;
	return (uint32_t)(h >> 40) % JN_TCSE_BUCKETS;
}

int jn_tcse_find(struct jn_tbuild *b, const struct jn_tins *in)
{
	if (!pure(b, in))
		return -1;
	for (int32_t r = b->cse_head[hash(in)]; r >= 0; r = b->cse_next[r]) {
		const struct jn_tins *o = &b->t->ir[r];
		if (o->op == in->op && o->sz == in->sz && o->a == in->a && o->b == in->b && o->k == in->k)
			return r;
	}
	return -1;
}

void jn_tcse_add(struct jn_tbuild *b, int32_t ref)
{
	const struct jn_tins *in = &b->t->ir[ref];
	uint32_t h;

	if (!pure(b, in)) {
		b->cse_next[ref] = -1;
		return;
	}
	h = hash(in);
	b->cse_next[ref] = b->cse_head[h];
	b->cse_head[h] = ref;
}
