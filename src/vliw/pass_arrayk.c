/* pass_arrayk.c - array lookups with a known key: bpf_map_lookup_elem on
 * an array map (BPF_MAP_TYPE_ARRAY, jn_vliw_opts maps) whose key on the
 * stack is known and below max_entries cannot fail and always gives the
 * same element, so the call becomes an lddw of the element's address
 * (src 6, imm the map, imm2 key * value_size: Sephirot's map module
 * resolves it when the program is loaded).  A key is known when its bytes
 * are known zero (cfg.c's facts) or the last store to them on the one way
 * into the call wrote a constant.  An lddw'd map value is never NULL (cfg.c), so
 * the tests of it against 0 that follow are decided here too: "if rX == 0"
 * goes, "if rX != 0" becomes a goto, on a later run of the pass; and
 * "r0 = lddw; rX = r0" becomes "rX = lddw" when r0 dies at the copy. */
#include <linux/bpf.h>

#include "vliw_internal.h"

enum { NR = JN_ISA_NREGS, SB = JN_ISA_STACK, ZW = SB / 64 };

static bool zero_bytes(const struct xfn *f, size_t i, int64_t lo, unsigned n)
{
	const uint64_t *z = &f->zero[i * ZW];

	for (int64_t b = SB + lo; b < SB + lo + (int64_t)n; b++)
		if (b < 0 || b >= SB || !(z[b / 64] >> (b % 64) & 1))
			return false;
	return true;
}

/* The constant the last store before call i put into the 4 key bytes at
 * r10 + lo, looking back along the one way into i (through the fall-through
 * side of branches, up to a jump target, past nothing but lookups among
 * the calls); false when unknown. */
static bool stored_key(const struct xfn *f, size_t i, int64_t lo, uint32_t *key)
{
	if (jn_vliw_stack_escapes(f))
		return false;   /* a store through any pointer may be one into the stack */
	for (size_t j = i; j-- > 0 && !f->target[j + 1];) {
		const struct xin *in = &f->code[j];
		int64_t slo, shi;
		if (in->del)
			continue;
		if (in->op == JN_OP_JA || in->op == JN_OP_GOTOL || jn_vliw_is_exit(in) ||
		    (xform(in) == XF_CALL && (in->anyhelper || in->imm != BPF_FUNC_map_lookup_elem)))
			return false;
		if (jn_vliw_stack_write(f, j, &slo, &shi) && shi > lo && slo < lo + 4) {
			const struct absval *s = &f->av[j * NR + in->src];
			if (slo != lo || shi != lo + 4)
				return false;
			if (xform(in) == XF_ST)
				*key = (uint32_t)in->imm;
			else if (xform(in) == XF_STX && s->kind == AK_CONST)
				*key = (uint32_t)s->v;
			else
				return false;
			return true;
		}
	}
	return false;
}

static bool to_lddw(struct xfn *f, size_t i)
{
	const struct absval *k = &f->av[i * NR + 2];
	const struct xin *in = &f->code[i];
	const struct jn_vliw_map *m;
	uint32_t idx, key;

	if (in->anyhelper || in->imm != BPF_FUNC_map_lookup_elem ||
	    !(m = jn_vliw_call_map(f, i, &idx)) || m->type != BPF_MAP_TYPE_ARRAY || m->key != 4 ||
	    k->kind != AK_STACK || k->v < -SB || k->v > -4)
		return false;
	if (zero_bytes(f, i, k->v, 4))
		key = 0;
	else if (!stored_key(f, i, k->v, &key))
		return false;
	if (key >= m->entries || (uint64_t)key * m->value > INT32_MAX)
		return false;
	f->code[i] = (struct xin){ .op = JN_OP_LDDW_MAP_IDX_VAL, .dst = 0, .src = BPF_PSEUDO_MAP_IDX_VALUE,
				   .imm = (int32_t)idx, .imm2 = (int32_t)(key * m->value), .pc = in->pc };
	return true;
}

/* "if rX == 0" / "if rX != 0" on an lddw'd map value: decided. */
static bool decide(struct xfn *f, size_t i)
{
	struct xin *in = &f->code[i];
	const struct absval *r = &f->av[i * NR + in->dst];

	if ((in->op != JN_OP_JEQ_K && in->op != JN_OP_JNE_K) || in->imm != 0 || r->kind != AK_MAPV ||
	    r->v <= 0)
		return false;
	if (in->op == JN_OP_JEQ_K)
		in->del = 1;
	else
		*in = (struct xin){ .op = JN_OP_JA, .tgt = in->tgt, .pc = in->pc };
	return true;
}

/* "r0 = lddw; rX = r0" with r0 dead after the copy: the lddw writes rX
 * (r0 is the exit value: a late write of it would hold back the exits). */
static bool coalesce(struct xfn *f, size_t i)
{
	struct xin *in = &f->code[i];
	size_t j = i + 1;

	if (in->op != JN_OP_LDDW_MAP_IDX_VAL || in->dst != 0)
		return false;
	while (j < f->n && f->code[j].del)
		j++;
	if (j >= f->n || f->target[j] || f->code[j].op != JN_OP_MOV64_X || f->code[j].src != 0 ||
	    f->code[j].dst == 0 || f->code[j].dst == 10 || (f->live_out[j] & 1u))
		return false;
	in->dst = f->code[j].dst;
	f->code[j].del = 1;
	return true;
}

int jn_vliw_pass_arrayk(struct xfn *f)
{
	int n = 0;

	for (size_t i = 0; i < f->n; i++) {
		if (f->code[i].del)
			continue;
		if (xform(&f->code[i]) == XF_CALL)
			n += to_lddw(f, i);
		else if (xform(&f->code[i]) == XF_LDDW)
			n += coalesce(f, i);
		else if (jn_vliw_is_cond(&f->code[i]))
			n += decide(f, i);
	}
	return n;
}
