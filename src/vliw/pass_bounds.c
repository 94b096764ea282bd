/* pass_bounds.c - remove the checks against data_end that the verifier
 * demands; Sephirot's access unit checks instead.
 *
 * A check "if rP > rE goto X" (also >=, and the mirrored < and <=) where
 * rP holds data + K and rE data_end (the forward facts of cfg.c say so), X
 * exits with a constant action A (0..255) and nothing else (exit K, or
 * r0 = A; exit, or r0 = rX; exit or exit with rX / r0 known to be A) is
 * deleted, and the
 * instruction it falls into becomes a checked load (xisa_table.h): the
 * access unit compares data + K with data_end before that load and stops
 * the core with action A if the packet is shorter.  The result is exactly
 * the original program's: the check happened at the same point, with the
 * same packet pointers, and the exit path had no other effect.
 *
 * The instruction after the check must be a load that nothing else jumps
 * to.  Checks in a row merge into one when the first one's K covers the
 * second's or their actions agree.  What the deleted checks computed (the
 * rP = data + K lines) goes with dead-code removal. */
#include "vliw_internal.h"

enum { NR = JN_ISA_NREGS };

/* The action of the exit path at t, reached from insn i; -1 if not a pure exit. */
static int exit_action(const struct xfn *f, size_t i, size_t t)
{
	const struct xin *x = &f->code[t];
	const struct absval *r0 = &f->av[i * NR];

	if (x->op == JN_XOP_EXITK)
		return x->imm >= 0 && x->imm <= 255 ? x->imm : -1;
	if (x->op == JN_OP_EXIT)
		return r0->kind == AK_CONST && r0->v >= 0 && r0->v <= 255 ? (int)r0->v : -1;
	if ((x->op == JN_OP_MOV64_K || x->op == JN_OP_MOV32_K) && x->dst == 0 && t + 1 < f->n &&
	    f->code[t + 1].op == JN_OP_EXIT && !f->code[t + 1].del)
		return x->imm >= 0 && x->imm <= 255 ? x->imm : -1;
	if (x->op == JN_OP_MOV64_X && x->dst == 0 && t + 1 < f->n && f->code[t + 1].op == JN_OP_EXIT &&
	    !f->code[t + 1].del) {   /* r0 = rX; exit, with rX known at the check */
		const struct absval *v = &f->av[i * NR + x->src];
		return v->kind == AK_CONST && v->v >= 0 && v->v <= 255 ? (int)v->v : -1;
	}
	return -1;
}

/* K such that the check fails exactly when data + K > data_end; 0 if not a check. */
static int64_t bound(const struct xfn *f, size_t i)
{
	const struct xin *x = &f->code[i];
	const struct absval *a = &f->av[i * NR];
	struct absval d = a[x->dst], s = a[x->src];

	if (x->op == JN_OP_JGT_X && d.kind == AK_PKT && s.kind == AK_END)
		return d.v;
	if (x->op == JN_OP_JGE_X && d.kind == AK_PKT && s.kind == AK_END)
		return d.v + 1;
	if (x->op == JN_OP_JLT_X && d.kind == AK_END && s.kind == AK_PKT)
		return s.v;
	if (x->op == JN_OP_JLE_X && d.kind == AK_END && s.kind == AK_PKT)
		return s.v + 1;
	return 0;
}

int jn_vliw_pass_bounds(struct xfn *f)
{
	int n = 0;

	/* last to first, so that a chain of checks folds into one load */
	for (size_t i = f->n; i-- > 0;) {
		struct xin *c = &f->code[i];
		int64_t k;
		int act;
		size_t l = i + 1;

		if (c->del || !jn_vliw_is_cond(c) || (k = bound(f, i)) <= 0 || k > 0xffff)
			continue;
		if ((act = exit_action(f, i, (size_t)c->tgt)) < 0)
			continue;
		bool joined = false;
		while (l < f->n && f->code[l].del)
			joined |= f->target[l++] != 0;
		if (joined)
			continue;
		if (l >= f->n || !jn_vliw_is_load(&f->code[l]) || f->npred[l] != 1 || f->target[l])
			continue;
		struct xin *ld = &f->code[l];
		if (ld->chk && ld->chk_act != act && ld->chk > k)
			continue;   /* can't express both actions in one check */
		if (!ld->chk || k >= ld->chk) {
			ld->chk = (uint16_t)k;
			ld->chk_act = (uint8_t)act;
		}
		c->del = 1;
		n++;
	}
	return n;
}
