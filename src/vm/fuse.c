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

void jn_vm_fuse(struct jn_vm *vm)
{
	uint8_t *target = fill_targets(vm);

	if (!target)
		return;   /* fusion is an optimisation: without memory, run unfused */
	for (uint32_t pc = 0; pc + 1 < vm->n; pc++) {
		struct jn_vinsn *a = &vm->code[pc], *b = a + 1;

		if (target[pc + 1])
			continue;
		if (a->op == JN_OP_MOV64_X && b->op == JN_OP_ADD64_K && b->dst == a->dst) {
			a->op = JN_VOP_MOVADD;
			a->imm = b->imm;
			pc++;
		}
	}
	free(target);
}
