/* fuse.c - super-instructions: common pairs of pre-decoded slots become one
 * dispatch.  Runs after decoding and the function analysis (which reads the
 * unfused pairs).  Assumes validated code; a pair is fused only when its
 * second slot is no jump or call target, so no path can enter it halfway.
 * The fused slot keeps the first slot's pc for errors; counted runs still
 * count every eBPF instruction. */
#include <stdlib.h>

#include "vm_internal.h"

/* Slots some jump, call or function address can land on. */
static uint8_t *fill_targets(const struct jn_vm *vm)
{
	uint8_t *t = calloc(vm->n + 1, 1);

	if (!t)
		return NULL;
	for (uint32_t pc = 0; pc < vm->n; pc++) {
		const struct jn_vinsn *v = &vm->code[pc];
		switch (jn_isa_info[v->op].form) {
		case JN_FORM_JA: case JN_FORM_JA32: case JN_FORM_JCC_K: case JN_FORM_JCC_X:
		case JN_FORM_CALL_LOCAL:
			t[v->off] = 1;
			break;
		default:
			break;
		}
		if (vm->is_func[pc])
			t[pc] = 1;
	}
	return t;
}

/* The frame-pointer form of a load or store, or 0.  Its offset was checked
 * against [r10-512, r10) at load (vm.c), so it runs without a check. */
static uint8_t fp_form(const struct jn_vinsn *v)
{
	switch (v->op) {
	case JN_OP_LDXB:  return v->src == 10 ? JN_VOP_LDXB_FP : 0;
	case JN_OP_LDXH:  return v->src == 10 ? JN_VOP_LDXH_FP : 0;
	case JN_OP_LDXW:  return v->src == 10 ? JN_VOP_LDXW_FP : 0;
	case JN_OP_LDXDW: return v->src == 10 ? JN_VOP_LDXDW_FP : 0;
	case JN_OP_STXB:  return v->dst == 10 ? JN_VOP_STXB_FP : 0;
	case JN_OP_STXH:  return v->dst == 10 ? JN_VOP_STXH_FP : 0;
	case JN_OP_STXW:  return v->dst == 10 ? JN_VOP_STXW_FP : 0;
	case JN_OP_STXDW: return v->dst == 10 ? JN_VOP_STXDW_FP : 0;
	case JN_OP_STB:   return v->dst == 10 ? JN_VOP_STB_FP : 0;
	case JN_OP_STH:   return v->dst == 10 ? JN_VOP_STH_FP : 0;
	case JN_OP_STW:   return v->dst == 10 ? JN_VOP_STW_FP : 0;
	case JN_OP_STDW:  return v->dst == 10 ? JN_VOP_STDW_FP : 0;
	default:          return 0;
	}
}

void jn_vm_fuse(struct jn_vm *vm)
{
	uint8_t *target = fill_targets(vm);

	if (!target)
		return;   /* fusion is an optimisation: without memory, run unfused */
	for (uint32_t pc = 0; pc < vm->n; pc++) {
		uint8_t fp = fp_form(&vm->code[pc]);
		if (fp)
			vm->code[pc].op = fp;
	}
	for (uint32_t pc = 0; pc + 1 < vm->n; pc++) {
		struct jn_vinsn *a = &vm->code[pc], *b = a + 1;

		if (target[pc + 1])
			continue;
		if (a->op == JN_OP_MOV64_X && b->op == JN_OP_ADD64_K && b->dst == a->dst) {
			struct jn_vinsn *c = b + 1;
			a->op = JN_VOP_MOVADD;
			a->imm = b->imm;
			/* the bounds check that usually follows: forward only, so
			 * the budget (charged on backward jumps) is not involved */
			if (pc + 2 < vm->n && !target[pc + 2] && c->op == JN_OP_JGT_X &&
			    c->dst == a->dst && c->off > (int32_t)(pc + 2)) {
				a->op = JN_VOP_BOUNDS;
				a->off = c->off;
				a->back = c->src;
				pc++;
			}
			pc++;
			continue;
		}
		if (a->op == JN_OP_LDXB && b->op == JN_OP_LSH64_K && b->dst == a->dst &&
		    pc + 2 < vm->n && !target[pc + 2] && b[1].op == JN_OP_OR64_X) {
			const struct jn_vinsn *c = b + 1;
			if (c->src == a->dst && c->dst != a->dst) {         /* rB |= rA */
				a->op = JN_VOP_BYTEOR;
				a->back = c->dst;
			} else if (c->dst == a->dst && c->src != a->dst) {  /* rA |= rB */
				a->op = JN_VOP_BYTEORD;
				a->back = c->src;
			} else {
				continue;
			}
			a->imm = b->imm;
			pc += 2;
		}
	}
	free(target);
}
