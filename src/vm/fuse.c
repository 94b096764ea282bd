/* fuse.c - super-instructions: common pairs of pre-decoded slots become one
 * dispatch.  Runs after decoding and the function analysis (which reads the
 * unfused pairs).  Assumes validated code; a pair is fused only when its
 * second slot is no jump or call target, so no path can enter it halfway.
 * The fused slot keeps the first slot's pc for errors; counted runs still
 * count every eBPF instruction. */
#include <stddef.h>
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

/* A register set after a register copy: "rD = rS" (64-bit) keeps rS's
 * membership, any other write drops rD. */
static uint16_t after_mov(uint16_t set, const struct jn_vinsn *v)
{
	if (v->op == JN_OP_MOV64_X && (set >> v->src & 1))
		return set | (uint16_t)(1u << v->dst);
	return set & (uint16_t)~(1u << v->dst);
}

/* Where struct jn_vm_run keeps the xdp_md field at byte offset off (a
 * multiple of 4 below 24), and whether it is a pointer. */
static size_t ctx_slot(int32_t off, bool *ptr)
{
	*ptr = off < 12;
	switch (off) {
	case 0:  return offsetof(struct jn_vm_run, data);
	case 4:  return offsetof(struct jn_vm_run, data_end);
	case 8:  return offsetof(struct jn_vm_run, data_meta);
	case 12: return offsetof(struct jn_vm_run, ingress_ifindex);
	case 16: return offsetof(struct jn_vm_run, rx_queue_index);
	default: return offsetof(struct jn_vm_run, egress_ifindex);
	}
}

/* XDP programs load data and data_end from r1 (the context) before their
 * first branch.  Follow the registers that hold r1's entry value through
 * that straight-line start and turn their context loads into direct reads.
 * A guess only: the fused op checks its base register at run time. */
static void fuse_ctx_loads(struct jn_vm *vm, const uint8_t *target)
{
	uint16_t ctx = 1u << 1;   /* registers holding the context */

	if (vm->opts.ctx_kind != JN_CTX_XDP)
		return;
	for (uint32_t pc = 0; pc < vm->n && (pc == 0 || !target[pc]); pc++) {
		struct jn_vinsn *v = &vm->code[pc];
		bool ptr;
		switch (jn_isa_info[v->op].form) {
		case JN_FORM_LDX:
			if (v->op == JN_OP_LDXW && (ctx >> v->src & 1) && v->off >= 0 && v->off < 24 &&
			    v->off % 4 == 0) {
				v->imm = ctx_slot(v->off, &ptr);
				v->op = ptr ? JN_VOP_LDXW_CTXP : JN_VOP_LDXW_CTX32;
			}
			ctx &= (uint16_t)~(1u << v->dst);
			break;
		case JN_FORM_MOV_X:
			ctx = after_mov(ctx, v);
			break;
		case JN_FORM_ALU_K: case JN_FORM_ALU_X: case JN_FORM_NEG: case JN_FORM_MOV_K:
		case JN_FORM_MOVSX: case JN_FORM_END: case JN_FORM_LDXSX: case JN_FORM_LDDW:
			ctx &= (uint16_t)~(1u << v->dst);
			if (v->op == JN_OP_LDDW)
				pc++;
			break;
		case JN_FORM_ST: case JN_FORM_STX:
			break;
		default:   /* jumps, calls, atomics: the straight line ends */
			return;
		}
	}
}

/* Loads and stores whose base register probably holds a map value (r0 of a
 * helper call, or a copy of it, moved by constants): their value-first form
 * checks the last map value's range before the general regions.  A guess
 * along the program text (jumps are ignored); a wrong one costs a compare. */
static void guess_value_bases(const struct jn_vm *vm, uint8_t *val)
{
	uint16_t v = 0;

	for (uint32_t pc = 0; pc < vm->n; pc++) {
		const struct jn_vinsn *in = &vm->code[pc];
		int form = jn_isa_info[in->op].form;

		switch (form) {
		case JN_FORM_LDX:
			val[pc] = v >> in->src & 1;
			v &= (uint16_t)~(1u << in->dst);
			break;
		case JN_FORM_ST: case JN_FORM_STX:
			val[pc] = v >> in->dst & 1;
			break;
		case JN_FORM_CALL:
			v = 1;
			break;
		case JN_FORM_CALL_LOCAL: case JN_FORM_CALLX: case JN_FORM_CALL_KFUNC:
			v = 0;
			break;
		case JN_FORM_MOV_X:
			v = after_mov(v, in);
			break;
		case JN_FORM_ALU_K:
			if (in->op != JN_OP_ADD64_K && in->op != JN_OP_SUB64_K)
				v &= (uint16_t)~(1u << in->dst);
			break;
		case JN_FORM_ALU_X: case JN_FORM_NEG: case JN_FORM_MOV_K: case JN_FORM_MOVSX:
		case JN_FORM_END: case JN_FORM_LDXSX: case JN_FORM_LDDW:
			v &= (uint16_t)~(1u << in->dst);
			break;
		case JN_FORM_AFETCH: case JN_FORM_AXCHG:
			v &= (uint16_t)~(1u << in->src);
			break;
		case JN_FORM_ACMPXCHG: case JN_FORM_LDABS: case JN_FORM_LDIND:
			v &= (uint16_t)~1u;
			break;
		default:
			break;
		}
	}
}

static uint8_t value_form(uint8_t op)
{
	switch (op) {
	case JN_OP_LDXB:  return JN_VOP_LDXB_V;
	case JN_OP_LDXH:  return JN_VOP_LDXH_V;
	case JN_OP_LDXW:  return JN_VOP_LDXW_V;
	case JN_OP_LDXDW: return JN_VOP_LDXDW_V;
	case JN_OP_STXB:  return JN_VOP_STXB_V;
	case JN_OP_STXH:  return JN_VOP_STXH_V;
	case JN_OP_STXW:  return JN_VOP_STXW_V;
	case JN_OP_STXDW: return JN_VOP_STXDW_V;
	default:          return 0;
	}
}

/* Slots an op stands for (after the first pass). */
static uint32_t span(uint8_t op)
{
	static const uint8_t n[JN_VOP__END - JN_OP__COUNT] = {
#define S_(name, k) [JN_VOP_##name - JN_OP__COUNT] = k,
		JN_VM_SUPEROPS(S_)
#undef S_
	};
	if (op >= JN_OP__COUNT)
		return n[op - JN_OP__COUNT];
	return op == JN_OP_LDDW ? 2 : 1;
}

/* The first slot of a load-modify-store of one 64-bit word, or 0; *y gets
 * the register added (RMW64X) or the one the load is added to (RMW64Y). */
static uint8_t rmw_form(const struct jn_vinsn *a, const struct jn_vinsn *b, const struct jn_vinsn *c,
			uint8_t *y)
{
	if (a->op != JN_OP_LDXDW || a->dst == a->src || c->op != JN_OP_STXDW || c->dst != a->src ||
	    c->off != a->off)
		return 0;
	*y = b->src;
	if (b->dst == a->dst && c->src == a->dst && b->op == JN_OP_ADD64_K)
		return JN_VOP_RMW64K;
	if (b->dst == a->dst && c->src == a->dst && b->op == JN_OP_ADD64_X && b->src != a->dst)
		return JN_VOP_RMW64X;
	*y = b->dst;   /* rY += rX; store rY */
	if (b->op == JN_OP_ADD64_X && b->src == a->dst && b->dst != a->dst && b->dst != a->src &&
	    c->src == b->dst)
		return JN_VOP_RMW64Y;
	return 0;
}

/* A load whose value goes straight to the stack at the same width (a key
 * or a saved field), or 0. */
static uint8_t ld_st_form(const struct jn_vinsn *a, const struct jn_vinsn *b)
{
	if (b->src != a->dst)
		return 0;
	switch (a->op) {
	case JN_OP_LDXB:  return b->op == JN_VOP_STXB_FP ? JN_VOP_LDXB_STFP : 0;
	case JN_OP_LDXH:  return b->op == JN_VOP_STXH_FP ? JN_VOP_LDXH_STFP : 0;
	case JN_OP_LDXW:  return b->op == JN_VOP_STXW_FP ? JN_VOP_LDXW_STFP : 0;
	case JN_OP_LDXDW: return b->op == JN_VOP_STXDW_FP ? JN_VOP_LDXDW_STFP : 0;
	default:          return 0;
	}
}

/* Second pass: sequences of the ops the first pass left (possibly fused
 * already) whose later slots no jump lands on.  Every chain keeps its later
 * slots as they were, so a chain that meets an unusual case (an address
 * outside the fast regions, a base that is not the context) falls back to
 * running its first op alone. */
static void fuse_chains(struct jn_vm *vm, const uint8_t *target)
{
	for (uint32_t pc = 0; pc < vm->n; pc += span(vm->code[pc].op)) {
		struct jn_vinsn *a = &vm->code[pc];
		uint32_t n1 = span(a->op), nb = pc + n1;
		const struct jn_vinsn *b = nb < vm->n && !target[nb] ? &vm->code[nb] : NULL;
		uint8_t rmw, y = 0;

		if (!b)
			continue;
		if (a->op == JN_VOP_MOVADD && b->op == JN_OP_LDDW && nb + 2 < vm->n && !target[nb + 2] &&
		    b[2].op == JN_OP_CALL) {
			a->op = JN_VOP_CALLM;
		} else if (a->op == JN_OP_LDDW && b->op == JN_OP_CALL) {
			a->op = JN_VOP_LDDW_CALL;
		} else if (a->op == JN_OP_MOV64_K && a->dst == 0 && b->op == JN_OP_EXIT) {
			a->op = JN_VOP_RETK;
		} else if (a->op == JN_OP_MOV64_K && (b->op == JN_OP_JEQ_K || b->op == JN_OP_JNE_K)) {
			a->op = b->op == JN_OP_JEQ_K ? JN_VOP_MOVK_JEQK : JN_VOP_MOVK_JNEK;
		} else if (a->op == JN_VOP_LDXW_CTXP && b->op == JN_VOP_LDXW_CTXP) {
			a->op = JN_VOP_CTXP2;
		} else if (a->op == JN_OP_LDXB && b->op == JN_VOP_BYTEORD && b->src == a->src &&
			   b->back == a->dst && a->dst != a->src && b->imm == 8 &&
			   (b->off == a->off + 1 || b->off == a->off - 1)) {
			a->op = JN_VOP_LDH2;
		} else if (a->op == JN_OP_LDXB && b->op == JN_OP_STXB && b->src == a->dst &&
			   b->dst != a->dst) {
			a->op = JN_VOP_LDSTB;
		} else if (nb + 1 < vm->n && !target[nb + 1] && (rmw = rmw_form(a, b, b + 1, &y))) {
			a->op = rmw;
			a->back = y;
			a->imm = b->imm;
		} else if ((rmw = ld_st_form(a, b))) {
			a->op = rmw;
		} else if (a->op == JN_OP_LDXB && (b->op == JN_OP_AND64_K || b->op == JN_OP_AND32_K) &&
			   b->dst == a->dst) {
			a->op = JN_VOP_LDXB_AND;
			a->imm = b->imm;
		} else if (a->op == JN_OP_LSH64_K && b->op == JN_OP_RSH64_K && b->dst == a->dst &&
			   a->imm == 32 && b->imm == 32) {
			a->op = JN_VOP_ZEXT32;
		}
	}
}

/* First pass: pointer arithmetic, bounds checks, composed byte loads. */
static void fuse_pairs(struct jn_vm *vm, const uint8_t *target)
{
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
			} else if (pc + 3 < vm->n && !target[pc + 2] && !target[pc + 3] &&
				   c->op == JN_OP_MOV64_K && c->dst != a->dst && c[1].op == JN_OP_JGT_X &&
				   c[1].dst == a->dst && c[1].src != c->dst && c[1].off > (int32_t)(pc + 3)) {
				/* the same with "rM = K2" between (clang sets the verdict first) */
				a->op = JN_VOP_BOUNDSK;
				a->off = c[1].off;
				a->back = c[1].src;
				pc += 2;
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
}

/* The lddw of a CALLM or LDDW_CALL site, if its call is map_lookup_elem
 * with r1 the map, else NULL. */
static struct jn_vinsn *lookup_site(const struct jn_vm *vm, uint32_t pc)
{
	struct jn_vinsn *a = &vm->code[pc], *l = a->op == JN_VOP_CALLM ? a + 2 : a;

	if ((a->op != JN_VOP_CALLM && a->op != JN_VOP_LDDW_CALL) || !vm->opts.lookup_helper ||
	    l[2].imm != vm->opts.lookup_helper || l->dst != 1)
		return NULL;
	return l;
}

/* Map lookups on maps the embedder describes (jn_vm_opts.map_at) run
 * without the helper call. */
static void fuse_map_lookups(struct jn_vm *vm)
{
	uint32_t n = 0, k = 0;

	if (!vm->opts.map_at)
		return;
	for (uint32_t pc = 0; pc < vm->n; pc += span(vm->code[pc].op))
		n += lookup_site(vm, pc) != NULL;
	if (!n || !(vm->maps = calloc(n, sizeof(*vm->maps))))
		return;
	for (uint32_t pc = 0; pc < vm->n; pc += span(vm->code[pc].op)) {
		struct jn_vinsn *l = lookup_site(vm, pc);
		if (!l || !vm->opts.map_at(vm->opts.user, l->imm, &vm->maps[k]))
			continue;
		l[1].imm = (uint64_t)(uintptr_t)&vm->maps[k++];
		vm->code[pc].op = vm->code[pc].op == JN_VOP_CALLM ? JN_VOP_CALLM_MAP : JN_VOP_LDDW_CALL_MAP;
	}
}

void jn_vm_fuse(struct jn_vm *vm)
{
	uint8_t *target = fill_targets(vm), *val = calloc(vm->n + 1, 1);

	if (!target || !val) {
		free(target);
		free(val);
		return;   /* fusion is an optimisation: without memory, run unfused */
	}
	guess_value_bases(vm, val);
	fuse_ctx_loads(vm, target);
	for (uint32_t pc = 0; pc < vm->n; pc++) {
		uint8_t fp = fp_form(&vm->code[pc]);
		if (fp)
			vm->code[pc].op = fp;
	}
	fuse_pairs(vm, target);
	fuse_chains(vm, target);
	fuse_map_lookups(vm);
	for (uint32_t pc = 0; pc < vm->n; pc++) {
		uint8_t v = val[pc] ? value_form(vm->code[pc].op) : 0;
		if (v)
			vm->code[pc].op = v;
	}
	free(val);
	free(target);
}
