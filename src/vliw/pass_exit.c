/* pass_exit.c - the parameterized exit: "r0 = K; exit" becomes "exit K"
 * (0x96, the action in imm), and a "goto" whose target is an exit (plain
 * or parameterized) becomes the exit itself.  The exit instruction stays where other jumps
 * still land on it, and goes when nothing reaches it any more.
 * K is taken as the 64-bit r0 the mov produced: mov64 sign-extends, so any
 * K works; mov32 zero-extends, so only K >= 0 is fused. */
#include "vliw_internal.h"

static bool movk_r0(const struct xin *i)
{
	return i->dst == 0 && (i->op == JN_OP_MOV64_K || (i->op == JN_OP_MOV32_K && i->imm >= 0));
}

int jn_vliw_pass_exit(struct xfn *f)
{
	int n = 0;

	/* goto L; ... L: exit [K]  ->  exit [K] */
	for (size_t i = 0; i < f->n; i++) {
		struct xin *j = &f->code[i];
		if (j->del || (j->op != JN_OP_JA && j->op != JN_OP_GOTOL))
			continue;
		const struct xin *t = &f->code[j->tgt];
		if ((t->op == JN_XOP_EXITK || t->op == JN_OP_EXIT) && !t->del) {
			uint32_t pc = j->pc;
			*j = *t;
			j->pc = pc;
		}
	}
	for (size_t i = 0; i + 1 < f->n; i++) {
		struct xin *m = &f->code[i], *e = &f->code[i + 1];
		if (m->del || !movk_r0(m) || e->op != JN_OP_EXIT || e->del)
			continue;
		*m = (struct xin){ .op = JN_XOP_EXITK, .imm = m->imm, .pc = m->pc };
		if (f->npred[i + 1] <= 1) {   /* only the mov fell into it */
			e->del = 1;
			n++;
		}
	}
	return n;
}
