/* inline.c - bpf-to-bpf calls, inlined.  Sephirot has no call stack, so
 * every call of a function is replaced by a copy of the function's body:
 *
 *   save      the caller's registers the callee writes and the caller
 *             reads after the call (the interpreter gives a callee a copy
 *             of the caller's registers; only r0 comes back)
 *   zero      the callee's frame (the interpreter zeroes it per call),
 *             except the words the callee's entry stores overwrite anyway
 *   body      the callee, its frame relocated below the caller's frame and
 *             the save slots: r10 + off becomes r10 + off - B, "rX = r10"
 *             becomes "rX = r10; rX += -B"; every exit jumps to the end
 *   restore   the saved registers
 *
 * Frame sizes are the interpreter's: the deepest r10 + K access of the
 * function (also through "rX = r10; rX += K"), rounded to 16.  All frames
 * and save slots together must fit the 512-byte stack; recursion, more than
 * JN_VLIW_MAX_FRAMES nested frames, r10 used as a plain value inside a
 * callee and jumps between functions are refused. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "vliw_internal.h"

enum { MAX_FRAMES = 8 };   /* the kernel's MAX_CALL_FRAMES */

struct fn {
	size_t lo, hi;         /* slots [lo, hi) */
	uint32_t depth;        /* rounded frame size */
	uint16_t clob;         /* r1-r9 it or its callees write */
	bool active;           /* being inlined (recursion check) */
};

struct inl {
	const struct jn_insn *in;
	enum jn_op *op;        /* per slot (second lddw slots: JN_OP_INVALID) */
	size_t n;
	struct fn *fn;
	size_t nfn;
	size_t *fn_of;         /* per slot: its function */
	uint16_t *live;        /* per slot: registers live before it (in its function) */
	struct jn_insn *out;
	uint32_t *pcs;
	size_t nout, cap;
	char *err;
	size_t errlen;
};

/* The slot's form; -1 for the second slot of an lddw. */
static int form_of(const struct inl *s, size_t pc)
{
	return s->op[pc] == JN_OP_INVALID ? -1 : jn_isa_info[s->op[pc]].form;
}

static bool is_local_call(const struct inl *s, size_t pc) { return form_of(s, pc) == JN_FORM_CALL_LOCAL; }

static size_t call_target(const struct inl *s, size_t pc) { return (size_t)((int64_t)pc + 1 + s->in[pc].imm); }

/* Registers an original instruction reads and writes (calls read their
 * arguments; exits r0). */
static uint16_t uses(const struct inl *s, size_t pc)
{
	const struct jn_insn *i = &s->in[pc];
	uint16_t d = (uint16_t)(1u << i->dst), r = (uint16_t)(1u << i->src);

	switch (form_of(s, pc)) {
	case JN_FORM_ALU_K: case JN_FORM_NEG: case JN_FORM_END: case JN_FORM_JCC_K: case JN_FORM_ST:
		return d;
	case JN_FORM_ALU_X: case JN_FORM_JCC_X: case JN_FORM_STX: case JN_FORM_ATOMIC:
	case JN_FORM_AFETCH: case JN_FORM_AXCHG:
		return d | r;
	case JN_FORM_ACMPXCHG:
		return d | r | 1;
	case JN_FORM_MOV_X: case JN_FORM_MOVSX: case JN_FORM_LDX: case JN_FORM_LDXSX: case JN_FORM_LDIND:
		return r | (form_of(s, pc) == JN_FORM_LDIND ? 1u << 6 : 0);
	case JN_FORM_CALL: case JN_FORM_CALL_LOCAL: case JN_FORM_CALL_KFUNC: case JN_FORM_CALLX:
		return 0x3e | (form_of(s, pc) == JN_FORM_CALLX ? d : 0);
	case JN_FORM_LDABS:
		return 1u << 6;
	case JN_FORM_EXIT:
		return 1;
	default:
		return 0;
	}
}

static uint16_t defs(const struct inl *s, size_t pc)
{
	const struct jn_insn *i = &s->in[pc];

	switch (form_of(s, pc)) {
	case JN_FORM_ALU_K: case JN_FORM_ALU_X: case JN_FORM_NEG: case JN_FORM_END: case JN_FORM_MOV_K:
	case JN_FORM_MOV_X: case JN_FORM_MOVSX: case JN_FORM_LDX: case JN_FORM_LDXSX: case JN_FORM_LDDW:
		return (uint16_t)(1u << i->dst);
	case JN_FORM_AFETCH: case JN_FORM_AXCHG:
		return (uint16_t)(1u << i->src);
	case JN_FORM_ACMPXCHG: case JN_FORM_CALL: case JN_FORM_CALL_LOCAL: case JN_FORM_CALL_KFUNC:
	case JN_FORM_CALLX: case JN_FORM_LDABS: case JN_FORM_LDIND:
		return 1;
	default:
		return 0;
	}
}

/* Jump target of slot pc, or SIZE_MAX when it is no jump. */
static size_t jump_target(const struct inl *s, size_t pc)
{
	switch (form_of(s, pc)) {
	case JN_FORM_JA: case JN_FORM_JCC_K: case JN_FORM_JCC_X:
		return (size_t)((int64_t)pc + 1 + s->in[pc].off);
	case JN_FORM_JA32:
		return (size_t)((int64_t)pc + 1 + s->in[pc].imm);
	default:
		return SIZE_MAX;
	}
}

static bool falls_through(const struct inl *s, size_t pc)
{
	int f = form_of(s, pc);
	return f != JN_FORM_JA && f != JN_FORM_JA32 && f != JN_FORM_EXIT;
}

/* Frame size as the interpreter computes it (vm.c). */
static uint32_t frame_depth(const struct inl *s, const struct fn *f)
{
	int64_t min = 0;

	for (size_t pc = f->lo; pc < f->hi; pc++) {
		const struct jn_insn *i = &s->in[pc];
		int form = form_of(s, pc);
		int64_t o = 0;
		if ((form == JN_FORM_LDX || form == JN_FORM_LDXSX) && i->src == 10)
			o = i->off;
		else if ((form == JN_FORM_ST || form == JN_FORM_STX || form == JN_FORM_ATOMIC ||
			  form == JN_FORM_AFETCH || form == JN_FORM_AXCHG || form == JN_FORM_ACMPXCHG) && i->dst == 10)
			o = i->off;
		else if (s->op[pc] == JN_OP_MOV64_X && i->src == 10 && pc + 1 < f->hi &&
			 s->op[pc + 1] == JN_OP_ADD64_K && i[1].dst == i->dst)
			o = i[1].imm;
		if (o < min)
			min = o;
	}
	uint32_t d = (uint32_t)(min < -JN_ISA_STACK ? JN_ISA_STACK : -min);
	return (d + 15) & ~15u;
}

/* Functions, their frames, jumps kept inside them; liveness per function. */
static int split(struct inl *s)
{
	uint8_t *start = calloc(s->n + 1, 1);
	size_t k = 0;

	if (!start)
		return -ENOMEM;
	start[0] = 1;
	for (size_t pc = 0; pc < s->n; pc++)
		if (is_local_call(s, pc))
			start[call_target(s, pc)] = 1;
	for (size_t pc = 0; pc < s->n; pc++)
		s->nfn += start[pc];
	s->fn = calloc(s->nfn, sizeof(*s->fn));
	if (!s->fn) {
		free(start);
		return -ENOMEM;
	}
	for (size_t pc = 0; pc < s->n; pc++) {
		if (start[pc] && pc) {
			s->fn[k++].hi = pc;
			s->fn[k].lo = pc;
		}
		s->fn_of[pc] = k;
	}
	s->fn[k].hi = s->n;
	free(start);
	for (size_t f = 0; f < s->nfn; f++) {
		struct fn *F = &s->fn[f];
		size_t last = F->hi - 1;
		if (s->op[last] == JN_OP_INVALID || falls_through(s, last))
			return jn_errf(s->err, s->errlen, EINVAL, "vliw: pc %zu: bpf-to-bpf: the function at pc %zu "
				       "does not end in exit or goto", last, F->lo);
		for (size_t pc = F->lo; pc < F->hi; pc++) {
			size_t t = s->op[pc] == JN_OP_INVALID ? SIZE_MAX : jump_target(s, pc);
			if (t != SIZE_MAX && (t < F->lo || t >= F->hi))
				return jn_errf(s->err, s->errlen, EINVAL, "vliw: pc %zu: bpf-to-bpf: jump to pc %zu "
					       "leaves the function at pc %zu", pc, t, F->lo);
		}
		F->depth = frame_depth(s, F);
	}
	return 0;
}

/* Backward liveness over each function (calls are one instruction). */
static void liveness(struct inl *s)
{
	for (bool changed = true; changed;) {
		changed = false;
		for (size_t pc = s->n; pc-- > 0;) {
			if (s->op[pc] == JN_OP_INVALID)
				continue;
			const struct fn *F = &s->fn[s->fn_of[pc]];
			size_t nx = pc + (jn_isa_is_wide(s->in[pc].code) ? 2 : 1);
			size_t t = jump_target(s, pc);
			uint16_t out = 0;
			if (form_of(s, pc) == JN_FORM_EXIT)
				out = 0;
			else {
				if (falls_through(s, pc) && nx < F->hi)
					out |= s->live[nx];
				if (t != SIZE_MAX)
					out |= s->live[t];
			}
			uint16_t in = (uint16_t)((out & ~defs(s, pc)) | uses(s, pc));
			if (in != s->live[pc]) {
				s->live[pc] = in;
				changed = true;
			}
		}
	}
}

/* r1-r9 written by each function or the functions it calls. */
static void clobbers(struct inl *s)
{
	for (size_t pc = 0; pc < s->n; pc++)
		if (s->op[pc] != JN_OP_INVALID)
			s->fn[s->fn_of[pc]].clob |= defs(s, pc) & 0x3fe;
	for (bool changed = true; changed;) {
		changed = false;
		for (size_t pc = 0; pc < s->n; pc++) {
			if (s->op[pc] == JN_OP_INVALID || !is_local_call(s, pc))
				continue;
			struct fn *F = &s->fn[s->fn_of[pc]];
			uint16_t c = F->clob | s->fn[s->fn_of[call_target(s, pc)]].clob;
			if (c != F->clob) {
				F->clob = c;
				changed = true;
			}
		}
	}
}

static int put(struct inl *s, struct jn_insn i, size_t pc)
{
	if (s->nout == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 256;
		if (cap > JN_ISA_MAX_INSNS + 2)
			return jn_errf(s->err, s->errlen, E2BIG, "vliw: pc %zu: bpf-to-bpf: inlining every call "
				       "makes more than %d instructions", pc, JN_ISA_MAX_INSNS);
		struct jn_insn *o = realloc(s->out, cap * sizeof(*o));
		if (o)
			s->out = o;
		uint32_t *p = o ? realloc(s->pcs, cap * sizeof(*p)) : NULL;
		if (!p)
			return jn_errf(s->err, s->errlen, ENOMEM, "vliw: out of memory");
		s->pcs = p;
		s->cap = cap;
	}
	s->pcs[s->nout] = (uint32_t)pc;
	s->out[s->nout++] = i;
	return 0;
}

/* Frame words (4 bytes, from r10 - depth) the function's entry overwrites
 * before anything could read them: bit w for the word at -depth + 4w. */
static void entry_stores(const struct inl *s, const struct fn *F, uint8_t done[JN_ISA_STACK / 4])
{
	uint8_t w[JN_ISA_STACK] = {0};

	for (size_t pc = F->lo; pc < F->hi; pc++) {
		const struct jn_insn *i = &s->in[pc];
		int form = form_of(s, pc);
		if ((form == JN_FORM_ST || form == JN_FORM_STX) && i->dst == 10 && !(form == JN_FORM_STX && i->src == 10)) {
			int64_t lo = JN_ISA_STACK + (int64_t)i->off;
			for (int64_t b = lo; b >= 0 && b < lo + jn_isa_size(i->code) && b < JN_ISA_STACK; b++)
				w[b] = 1;
			continue;
		}
		bool alu = form == JN_FORM_ALU_K || form == JN_FORM_ALU_X || form == JN_FORM_NEG ||
			   form == JN_FORM_END || form == JN_FORM_MOV_K || form == JN_FORM_MOV_X ||
			   form == JN_FORM_MOVSX || form == JN_FORM_LDDW;
		if (!alu || (uses(s, pc) & (1u << 10)))
			break;
		pc += jn_isa_is_wide(i->code);
	}
	for (uint32_t k = 0; k < F->depth / 4; k++) {
		size_t b = JN_ISA_STACK - F->depth + 4 * k;
		done[k] = w[b] & w[b + 1] & w[b + 2] & w[b + 3];
	}
}

static int emit_fn(struct inl *s, size_t f, uint32_t base, int level);

static int put_mem(struct inl *s, uint8_t code, uint8_t reg, int32_t off, size_t pc)
{
	struct jn_insn i = { .code = code, .dst = 10, .off = (int16_t)off };

	if (code == 0x79)   /* ldxdw reg = [r10 + off] */
		i.dst = reg, i.src = 10;
	else
		i.src = reg;
	return put(s, i, pc);
}

/* The callee's frame zeroed where its entry does not store anyway: 8 bytes,
 * or 4 where the other half is stored. */
static int zero_frame(struct inl *s, const struct fn *G, uint32_t gbase, size_t pc)
{
	uint8_t done[JN_ISA_STACK / 4];
	int rc = 0;

	entry_stores(s, G, done);
	for (uint32_t k = 0; k < G->depth / 4 && !rc; k += 2) {
		int32_t off = (int32_t)(4 * k) - (int32_t)G->depth - (int32_t)gbase;
		bool lo = done[k], hi = done[k + 1];
		if (!lo && !hi)
			rc = put_mem(s, 0x7a, 0, off, pc);          /* *(u64 *) = 0 */
		else if (!lo || !hi)
			rc = put_mem(s, 0x62, 0, off + (lo ? 4 : 0), pc);   /* *(u32 *) = 0 */
	}
	return rc;
}

/* The call at pc of function f (frame at base), inlined. */
static int emit_call(struct inl *s, size_t pc, size_t f, uint32_t base, int level)
{
	size_t g = s->fn_of[call_target(s, pc)];
	struct fn *G = &s->fn[g];
	size_t nx = pc + 1;
	uint16_t save = (uint16_t)(G->clob & (nx < s->fn[f].hi ? s->live[nx] : 0) & 0x3fe);
	uint32_t spill = base + s->fn[f].depth, gbase = spill;
	int rc = 0;

	if (G->active)
		return jn_errf(s->err, s->errlen, ELOOP, "vliw: pc %zu: bpf-to-bpf: recursive call of the "
			       "function at pc %zu (Sephirot has no call stack; calls are inlined)", pc, G->lo);
	if (level + 1 >= MAX_FRAMES)
		return jn_errf(s->err, s->errlen, E2BIG, "vliw: pc %zu: bpf-to-bpf: calls nest deeper than %d "
			       "frames", pc, MAX_FRAMES);
	for (int r = 1; r <= 9; r++)
		gbase += save >> r & 1 ? 8 : 0;
	if (gbase + G->depth > JN_ISA_STACK)
		return jn_errf(s->err, s->errlen, E2BIG, "vliw: pc %zu: bpf-to-bpf: inlining the call of the "
			       "function at pc %zu needs %u bytes of stack (max %d)", pc, G->lo,
			       gbase + G->depth, JN_ISA_STACK);
	uint32_t slot = spill;
	for (int r = 1; r <= 9 && !rc; r++)
		if (save >> r & 1) {
			slot += 8;
			rc = put_mem(s, 0x7b, (uint8_t)r, -(int32_t)slot, pc);   /* *(u64 *) = rN */
		}
	if (!rc)
		rc = zero_frame(s, G, gbase, pc);
	if (rc)
		return rc;
	G->active = true;
	rc = emit_fn(s, g, gbase, level + 1);
	G->active = false;
	slot = spill;
	for (int r = 1; r <= 9 && !rc; r++)
		if (save >> r & 1) {
			slot += 8;
			rc = put_mem(s, 0x79, (uint8_t)r, -(int32_t)slot, pc);
		}
	return rc;
}

/* Slot pc of a callee whose frame is at base: r10-relative accesses moved. */
static int emit_moved(struct inl *s, size_t pc, uint32_t base)
{
	struct jn_insn i = s->in[pc];
	int form = form_of(s, pc);
	bool mem_src = (form == JN_FORM_LDX || form == JN_FORM_LDXSX) && i.src == 10;
	bool mem_dst = (form == JN_FORM_ST || form == JN_FORM_STX || form == JN_FORM_ATOMIC ||
			form == JN_FORM_AFETCH || form == JN_FORM_AXCHG || form == JN_FORM_ACMPXCHG) && i.dst == 10;
	int rc;

	if (s->op[pc] == JN_OP_MOV64_X && i.src == 10) {
		if ((rc = put(s, i, pc)))
			return rc;
		return put(s, (struct jn_insn){ .code = 0x07, .dst = i.dst, .imm = -(int32_t)base }, pc);
	}
	if (mem_src || mem_dst) {
		int64_t off = (int64_t)i.off - base;
		if (off < -JN_ISA_STACK)
			return jn_errf(s->err, s->errlen, E2BIG, "vliw: pc %zu: bpf-to-bpf: r10%+d of an inlined "
				       "function lies below the 512-byte stack", pc, i.off);
		i.off = (int16_t)off;
	}
	uint16_t plain = (uint16_t)(uses(s, pc) & ~(mem_src ? 1u << i.src : 0) & ~(mem_dst ? 1u << i.dst : 0));
	if (form != JN_FORM_EXIT && form != JN_FORM_CALL && (plain & (1u << 10)))
		return jn_errf(s->err, s->errlen, EOPNOTSUPP, "vliw: pc %zu: bpf-to-bpf: a called function uses "
			       "r10 as a value (only as a memory base or in rX = r10)", pc);
	return put(s, i, pc);
}

/* Function f with its frame at base (0: the program's own frame). */
static int emit_fn(struct inl *s, size_t f, uint32_t base, int level)
{
	const struct fn *F = &s->fn[f];
	size_t len = F->hi - F->lo, nfix = 0;
	size_t *map = malloc((len + 1) * sizeof(*map));
	size_t *fix = malloc((len + 1) * sizeof(*fix));   /* output slots of jumps */
	int rc = 0;

	if (!map || !fix) {
		free(map);
		free(fix);
		return jn_errf(s->err, s->errlen, ENOMEM, "vliw: out of memory");
	}
	for (size_t pc = F->lo; pc < F->hi && !rc; pc++) {
		map[pc - F->lo] = s->nout;
		if (s->op[pc] == JN_OP_INVALID)   /* second lddw slot */
			rc = put(s, s->in[pc], pc);
		else if (is_local_call(s, pc))
			rc = emit_call(s, pc, f, base, level);
		else if (form_of(s, pc) == JN_FORM_EXIT && level > 0) {
			/* return: to the end (the last slot just ends) */
			if (pc + 1 < F->hi && !(rc = put(s, (struct jn_insn){ .code = 0x05 }, pc)))
				fix[nfix++] = s->nout - 1;
		} else {
			rc = base ? emit_moved(s, pc, base) : put(s, s->in[pc], pc);
			if (!rc && jump_target(s, pc) != SIZE_MAX)
				fix[nfix++] = s->nout - 1;
		}
	}
	map[len] = s->nout;
	for (size_t j = 0; j < nfix && !rc; j++) {
		size_t k = fix[j], pc = s->pcs[k];
		struct jn_insn *i = &s->out[k];
		size_t t = form_of(s, pc) == JN_FORM_EXIT ? F->hi : jump_target(s, pc);
		int64_t rel = (int64_t)map[t - F->lo] - (int64_t)k - 1;
		if (form_of(s, pc) == JN_FORM_JA32)
			i->imm = (int32_t)rel;
		else if (rel < INT16_MIN || rel > INT16_MAX)
			rc = jn_errf(s->err, s->errlen, E2BIG, "vliw: pc %zu: bpf-to-bpf: jump too far after "
				     "inlining", pc);
		else
			i->off = (int16_t)rel;
	}
	free(map);
	free(fix);
	return rc;
}

int jn_vliw_inline(const struct jn_insn *insns, size_t n, struct jn_insn **out, uint32_t **pcs,
		   size_t *nout, char *err, size_t errlen)
{
	struct inl s = { .in = insns, .n = n, .err = err, .errlen = errlen };
	bool calls = false;
	int rc;

	*out = NULL;
	*pcs = NULL;
	*nout = 0;
	s.op = malloc((n + 1) * sizeof(*s.op));
	if (!s.op)
		return jn_errf(err, errlen, ENOMEM, "vliw: out of memory");
	for (size_t pc = 0; pc < n; pc++) {
		s.op[pc] = jn_isa_decode(&insns[pc]);
		calls |= is_local_call(&s, pc);
		if (jn_isa_is_wide(insns[pc].code) && pc + 1 < n)
			s.op[++pc] = JN_OP_INVALID;
	}
	if (!calls) {
		free(s.op);
		return 0;
	}
	s.fn_of = malloc(n * sizeof(*s.fn_of));
	s.live = calloc(n, sizeof(*s.live));
	if (!s.fn_of || !s.live)
		rc = jn_errf(err, errlen, ENOMEM, "vliw: out of memory");
	else if ((rc = split(&s)) == -ENOMEM)
		rc = jn_errf(err, errlen, ENOMEM, "vliw: out of memory");
	if (!rc) {
		liveness(&s);
		clobbers(&s);
		s.fn[0].active = true;
		rc = emit_fn(&s, 0, 0, 0);
	}
	free(s.op);
	free(s.fn_of);
	free(s.live);
	free(s.fn);
	if (rc) {
		free(s.out);
		free(s.pcs);
		return rc;
	}
	*out = s.out;
	*pcs = s.pcs;
	*nout = s.nout;
	return 0;
}
