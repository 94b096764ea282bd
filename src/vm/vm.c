/* vm.c - loading a program into the interpreter: validation, pre-decoding
 * into struct jn_vinsn, function and stack-depth analysis; runs and calls.
 * Assumes nothing of the input: jn_isa_validate runs first and every later
 * step only meets valid instructions. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "vm_internal.h"

static void vm_free_parts(struct jn_vm *vm)
{
	free(vm->code);
	free(vm->insns);
	free(vm->is_func);
	free(vm->frame_depth);
	free(vm->maps);
	free(vm);
}

void jn_vm_free(struct jn_vm *vm)
{
	if (vm)
		vm_free_parts(vm);
}

size_t jn_vm_ninsns(const struct jn_vm *vm) { return vm->n; }
const struct jn_insn *jn_vm_insns(const struct jn_vm *vm) { return vm->insns; }

/* Absolute target (the validator guarantees 0 <= t < n) and direction. */
static int decode_jump(uint32_t pc, int64_t rel, struct jn_vinsn *v)
{
	int64_t t = (int64_t)pc + rel + 1;

	v->off = (int32_t)t;
	v->back = t <= (int64_t)pc;
	return 0;
}

static int decode_lddw(struct jn_vm *vm, uint32_t pc, enum jn_op op, struct jn_vinsn *v,
		       char *err, size_t errlen)
{
	const struct jn_insn *in = &vm->insns[pc];
	uint64_t val;

	switch (op) {
	case JN_OP_LDDW:
		val = (uint64_t)(uint32_t)in[0].imm | (uint64_t)(uint32_t)in[1].imm << 32;
		break;
	case JN_OP_LDDW_FUNC: {
		uint32_t t = (uint32_t)((int64_t)pc + in[0].imm + 1);
		vm->is_func[t] = 1;
		val = (uint64_t)(uintptr_t)&vm->code[t];
		break;
	}
	default:
		if (!vm->opts.resolve_lddw)
			return jn_errf(err, errlen, EINVAL,
				       "pc %u: lddw %s refers to an object the program was loaded without",
				       pc, jn_isa_info[op].text);
		int rc = vm->opts.resolve_lddw(vm->opts.user, in, &val, err, errlen);
		if (rc)
			return rc;
	}
	v->op = JN_OP_LDDW;
	v->imm = val;
	v[1] = v[0];   /* second slot: never executed */
	return 0;
}

/* A memory access whose base register is the frame pointer. */
static bool is_r10_access(const struct jn_insn *in, enum jn_op op)
{
	switch (jn_isa_info[op].form) {
	case JN_FORM_LDX: case JN_FORM_LDXSX:
		return in->src == 10;
	case JN_FORM_ST: case JN_FORM_STX: case JN_FORM_ATOMIC: case JN_FORM_AFETCH:
	case JN_FORM_AXCHG: case JN_FORM_ACMPXCHG:
		return in->dst == 10;
	default:
		return false;
	}
}

static int decode_one(struct jn_vm *vm, uint32_t pc, char *err, size_t errlen)
{
	const struct jn_insn *in = &vm->insns[pc];
	struct jn_vinsn *v = &vm->code[pc];
	enum jn_op op = jn_isa_decode(in);

	v->op = (uint8_t)op;
	v->dst = in->dst;
	v->src = in->src;
	v->off = in->off;
	v->imm = (uint64_t)(int64_t)in->imm;
	v->back = 0;
	if (is_r10_access(in, op) && (in->off < -JN_ISA_STACK ||
				      in->off + (int)jn_isa_size(in->code) > 0))
		return jn_errf(err, errlen, EACCES,
			       "pc %u: %s of %u bytes at r10%+d outside the stack frame (r10-512..r10)",
			       pc, jn_isa_info[op].form == JN_FORM_LDX || jn_isa_info[op].form == JN_FORM_LDXSX
			       ? "load" : "store", jn_isa_size(in->code), in->off);
	switch (jn_isa_info[op].form) {
	case JN_FORM_JA:
	case JN_FORM_JCC_K:
	case JN_FORM_JCC_X:
		return decode_jump(pc, in->off, v);
	case JN_FORM_JA32:
		return decode_jump(pc, in->imm, v);
	case JN_FORM_CALL_LOCAL:
		decode_jump(pc, in->imm, v);
		vm->is_func[v->off] = 1;
		return 0;
	case JN_FORM_CALL:
		if (in->imm < 0 || in->imm >= JN_VM_MAX_HELPERS || !vm->helpers[in->imm]) {
			const char *name = NULL;
			if (in->imm >= 0 && (size_t)in->imm < vm->opts.n_helpers)
				name = vm->opts.helpers[in->imm].name;
			return jn_errf(err, errlen, EOPNOTSUPP, "pc %u: unsupported helper %s%s%d%s", pc,
				       name ? name : "", name ? " (id " : "id ", in->imm, name ? ")" : "");
		}
		return 0;
	case JN_FORM_LDDW:
		return decode_lddw(vm, pc, op, v, err, errlen);
	default:
		return 0;
	}
}

/* Stack bytes a function uses: the deepest r10-relative access, including
 * pointers formed as "rX = r10; rX += -K" (how clang passes stack buffers). */
static uint32_t function_depth(const struct jn_vm *vm, uint32_t lo, uint32_t hi)
{
	int64_t min = 0;

	for (uint32_t pc = lo; pc < hi; pc++) {
		const struct jn_insn *in = &vm->insns[pc];
		int form = jn_isa_info[vm->code[pc].op].form;
		int64_t o = 0;

		if ((form == JN_FORM_LDX || form == JN_FORM_LDXSX) && in->src == 10)
			o = in->off;
		else if ((form == JN_FORM_ST || form == JN_FORM_STX || form == JN_FORM_ATOMIC ||
			  form == JN_FORM_AFETCH || form == JN_FORM_AXCHG || form == JN_FORM_ACMPXCHG) &&
			 in->dst == 10)
			o = in->off;
		else if (vm->code[pc].op == JN_OP_MOV64_X && in->src == 10 && pc + 1 < hi &&
			 vm->code[pc + 1].op == JN_OP_ADD64_K && in[1].dst == in->dst)
			o = in[1].imm;
		if (o < min)
			min = o;
	}
	uint32_t d = (uint32_t)(min < -JN_ISA_STACK ? JN_ISA_STACK : -min);
	return (d + 15) & ~15u;   /* the kernel rounds each frame to 16 with the JIT on */
}

static void analyse_functions(struct jn_vm *vm)
{
	uint32_t start = 0;

	vm->is_func[0] = 1;
	for (uint32_t pc = 1; pc <= vm->n; pc++) {
		if (pc < vm->n && !vm->is_func[pc])
			continue;
		vm->frame_depth[start] = (uint16_t)function_depth(vm, start, pc);
		start = pc;
	}
	vm->depth0 = vm->frame_depth[0];
}

struct jn_vm *jn_vm_load(const struct jn_insn *insns, size_t n,
			 const struct jn_vm_opts *opts, char *err, size_t errlen)
{
	struct jn_vm *vm;
	int rc;

	if (n == 0 || n > JN_ISA_MAX_INSNS) {
		jn_errf(err, errlen, EINVAL, "program has %zu instructions (1..%d allowed)", n,
			JN_ISA_MAX_INSNS);
		return NULL;
	}
	if (jn_isa_validate(insns, n, err, errlen))
		return NULL;
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		goto nomem;
	vm->n = (uint32_t)n;
	vm->code = calloc(n + 1, sizeof(*vm->code));
	vm->insns = malloc(n * sizeof(*vm->insns));
	vm->is_func = calloc(n + 1, 1);
	vm->frame_depth = calloc(n + 1, sizeof(*vm->frame_depth));
	if (!vm->code || !vm->insns || !vm->is_func || !vm->frame_depth)
		goto nomem;
	memcpy(vm->insns, insns, n * sizeof(*insns));
	if (opts) {
		size_t sz = opts->sz && opts->sz < sizeof(vm->opts) ? opts->sz : sizeof(vm->opts);
		memcpy(&vm->opts, opts, sz);
	}
	if (!vm->opts.budget)
		vm->opts.budget = JN_VM_DEFAULT_BUDGET;
	for (size_t i = 0; i < vm->opts.n_helpers && i < JN_VM_MAX_HELPERS; i++)
		vm->helpers[i] = vm->opts.helpers[i].fn;
	for (uint32_t pc = 0; pc < n; pc++) {
		rc = decode_one(vm, pc, err, errlen);
		if (rc)
			goto fail;
		if (jn_isa_is_wide(insns[pc].code))
			pc++;
	}
	analyse_functions(vm);
	jn_vm_fuse(vm);
	return vm;
nomem:
	jn_errf(err, errlen, ENOMEM, "out of memory loading a program of %zu instructions", n);
fail:
	if (vm)
		vm_free_parts(vm);
	return NULL;
}

/* ---- runs ---- */

static void run_reset(struct jn_vm_run *run, struct jn_vm *vm)
{
	run->vm = vm;
	run->user = vm->opts.user;
	run->err = 0;
	run->err_pc = 0;
	run->errmsg[0] = 0;
	run->insns = 0;
	run->tail_calls = 0;
	run->pending_tail = NULL;
	run->budget_left = (int64_t)vm->opts.budget;
	run->depth = 0;
	run->stack_used = vm->depth0;
	/* an empty range: nothing passes "lo <= a <= hi - size" */
	run->val_lo = run->val_hi = (uint8_t *)run->ctx_words;
	/* frame 0's used stack starts zeroed: uninitialised reads are repeatable */
	memset(run->stack + sizeof(run->stack) - vm->depth0, 0, vm->depth0);
}

void jn_vm_run_init_mem(struct jn_vm_run *run, struct jn_vm *vm, uint8_t *mem, size_t len)
{
	run_reset(run, vm);
	if (!mem) {  /* an empty region nothing can be loaded from */
		mem = (uint8_t *)run->ctx_words;
		len = 0;
	}
	run->data = run->data_meta = mem;
	run->data_end = mem + len;
	run->buf = mem;
	run->buf_end = mem + len;
	run->frame_sz = 0;
}

void jn_vm_run_init_xdp(struct jn_vm_run *run, struct jn_vm *vm, uint8_t *buf,
			size_t buflen, size_t headroom, size_t len, uint32_t frame_sz)
{
	run_reset(run, vm);
	run->buf = buf;
	run->buf_end = buf + buflen;
	run->data = run->data_meta = buf + headroom;
	run->data_end = run->data + len;
	run->frame_sz = frame_sz;
}

static uint64_t *frame_top(struct jn_vm_run *run, int depth)
{
	return (uint64_t *)(run->stack + sizeof(run->stack) - (size_t)depth * JN_ISA_STACK);
}

static int interp(struct jn_vm_run *run, uint64_t *R, uint32_t pc, int depth)
{
	return run->counting ? jn_vm_interp_count(run, R, pc, depth)
			     : jn_vm_interp_fast(run, R, pc, depth);
}

int jn_vm_exec(struct jn_vm_run *run, uint64_t *ret, bool count)
{
	uint64_t R[JN_ISA_NREGS] = {0};
	int rc;

	run->counting = count;
	if (run->vm->opts.ctx_kind == JN_CTX_XDP) {
		R[1] = (uint64_t)(uintptr_t)run->ctx_words;
	} else if (run->data_end > run->data) {
		R[1] = (uint64_t)(uintptr_t)run->data;
		R[2] = (uint64_t)(run->data_end - run->data);
	}
	R[10] = (uint64_t)(uintptr_t)frame_top(run, 0);
	rc = interp(run, R, 0, 0);
	if (rc) {
		if (!run->err)
			run->err = rc;
		return run->err;
	}
	*ret = R[0];
	return 0;
}

int jn_vm_fault(struct jn_vm_run *run, int errnum, const char *fmt, ...)
{
	va_list ap;

	if (errnum > 0)
		errnum = -errnum;
	if (run->err)   /* keep the first fault */
		return run->err;
	va_start(ap, fmt);
	vsnprintf(run->errmsg, sizeof(run->errmsg), fmt, ap);
	va_end(ap);
	run->err = errnum ? errnum : -EFAULT;
	run->err_pc = run->cur_pc;
	return run->err;
}

int jn_vm_call_local(struct jn_vm_run *run, uint32_t pc, uint32_t target, uint64_t *R, int depth)
{
	struct jn_vm *vm = run->vm;
	uint32_t fd = vm->frame_depth[target];
	uint64_t C[JN_ISA_NREGS];
	int rc;

	if (depth + 1 >= JN_VM_MAX_FRAMES)
		return jn_vm_fault(run, -E2BIG, "pc %u: call depth exceeds %d frames", pc,
				   JN_VM_MAX_FRAMES);
	if (run->stack_used + fd > JN_VM_MAX_STACK)
		return jn_vm_fault(run, -E2BIG, "pc %u: combined stack of %d frames is %u bytes (max %d)",
				   pc, depth + 2, run->stack_used + fd, JN_VM_MAX_STACK);
	memcpy(C, R, sizeof(C));
	C[10] = (uint64_t)(uintptr_t)frame_top(run, depth + 1);
	memset((uint8_t *)(uintptr_t)C[10] - fd, 0, fd);
	run->stack_used += fd;
	run->depth = depth + 1;
	rc = interp(run, C, target, depth + 1);
	run->vm = vm;   /* a tail call in the callee replaced its frame only: the caller's code goes on */
	run->depth = depth;
	run->stack_used -= fd;
	R[0] = C[0];
	return rc;
}

static int func_pc(struct jn_vm_run *run, uint64_t fn, uint32_t *pc)
{
	const struct jn_vm *vm = run->vm;
	uint64_t base = (uint64_t)(uintptr_t)vm->code;

	if (fn < base || fn >= base + (uint64_t)vm->n * sizeof(*vm->code) ||
	    (fn - base) % sizeof(*vm->code))
		return -EINVAL;
	*pc = (uint32_t)((fn - base) / sizeof(*vm->code));
	return vm->is_func[*pc] ? 0 : -EINVAL;
}

int jn_vm_callx(struct jn_vm_run *run, uint32_t pc, uint64_t t, uint64_t *R, int depth)
{
	uint32_t target;

	if (func_pc(run, t, &target) == 0)
		return jn_vm_call_local(run, pc, target, R, depth);
	if (t < JN_VM_MAX_HELPERS && run->vm->helpers[t]) {
		run->cur_pc = pc;
		R[0] = run->vm->helpers[t](run, R[1], R[2], R[3], R[4], R[5]);
		if (run->err)
			return run->err;
		if (run->pending_tail) {
			run->pending_tail = NULL;
			return jn_vm_fault(run, -EINVAL, "pc %u: tail call through callx", pc);
		}
		return 0;
	}
	return jn_vm_fault(run, -EINVAL, "pc %u: callx to %#llx: not a function or helper", pc,
			   (unsigned long long)t);
}

int jn_vm_callback(struct jn_vm_run *run, uint64_t fn, const uint64_t args[5], uint64_t *ret)
{
	uint64_t R[JN_ISA_NREGS] = {0};
	uint32_t target;
	int rc;

	if (func_pc(run, fn, &target))
		return jn_vm_fault(run, -EINVAL, "pc %u: callback %#llx is not a function", run->cur_pc,
				   (unsigned long long)fn);
	memcpy(&R[1], args, 5 * sizeof(*args));
	rc = jn_vm_call_local(run, run->cur_pc, target, R, run->depth);
	if (rc)
		return rc;
	*ret = R[0];
	return 0;
}

void jn_vm_set_tail_call(struct jn_vm_run *run, struct jn_vm *prog)
{
	run->pending_tail = prog;
}

int jn_vm_tail_call(struct jn_vm_run *run)
{
	struct jn_vm *t = run->pending_tail;

	run->pending_tail = NULL;
	if (!t || run->tail_calls >= JN_VM_MAX_TAIL_CALLS)
		return 0;  /* falls through, as in the kernel */
	run->tail_calls++;
	run->vm = t;
	return 1;
}
