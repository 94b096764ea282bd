/* record.c - the recorder: runs the program concretely and symbolically at
 * once over one packet, as a dry run (no map, packet or global state
 * changes; the host's interpreter run then gives the real result).
 *
 * Every register holds its concrete value and an IR ref over the inputs.
 * A conditional branch emits a guard in the direction taken (the flipped
 * comparison when not taken); a comparison of packet pointers against
 * data_end becomes a guard on the length; a value used as a pointer offset
 * is specialised (guard value == constant).  What traces cannot express
 * aborts with a reason from JN_TRACE_ERRORS.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "isa/isa.h"
#include "record.h"

static const char *const err_names[] = {
#define TREDEF(n, m) #n,
	JN_TRACE_ERRORS(TREDEF)
#undef TREDEF
};
static const char *const err_msgs[] = {
#define TREDEF(n, m) m,
	JN_TRACE_ERRORS(TREDEF)
#undef TREDEF
};

const char *jn_trace_err_name(int e) { return e >= 0 && e < JN_TRERR__COUNT ? err_names[e] : "?"; }
const char *jn_trace_err_msg(int e) { return e >= 0 && e < JN_TRERR__COUNT ? err_msgs[e] : "?"; }

int jn_trace_err_parse(const char *name)
{
	for (int e = 0; e < JN_TRERR__COUNT; e++)
		if (!strcmp(name, err_names[e]))
			return e;
	return -1;
}

int jn_rec_abort(struct jn_tracer *tr, int reason, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (tr->msg && tr->msglen) {
		n = snprintf(tr->msg, tr->msglen, "%s: ", err_names[reason]);
		if (n > 0 && (size_t)n < tr->msglen) {
			va_start(ap, fmt);
			vsnprintf(tr->msg + n, tr->msglen - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return reason;
}

int jn_rec_effect(struct jn_tracer *tr, uint8_t op, uint8_t sz, int32_t a, int32_t b, int64_t k)
{
	int r = jn_tb_emit(&tr->b, op, sz, a, b, k, 0);
	return r < 0 ? r : 0;
}

int jn_rec_guard(struct jn_tracer *tr, int cond, int sz, int32_t a, int32_t b)
{
	struct jn_trace *t = tr->b.t;
	int r;

	if ((t->ir[a].flags | t->ir[b].flags) & JN_TF_POST)
		return jn_rec_abort(tr, JN_TRERR_POST_GUARD, "pc %u", tr->pc);
	if (!jn_trace_cmp(cond, sz, tr->b.cval[a], tr->b.cval[b]))
		return jn_rec_abort(tr, JN_TRERR_FAULT, "pc %u: guard does not hold (tracer bug)", tr->pc);
	if (t->ir[a].op == JN_TIR_KINT && t->ir[b].op == JN_TIR_KINT)
		return 0;
	r = jn_tb_emit(&tr->b, JN_TIR_GUARD, (uint8_t)sz, a, b, cond, 1);
	return r < 0 ? r : 0;
}

int jn_rec_len_guard(struct jn_tracer *tr, int cond, int64_t k)
{
	int kr = jn_tb_const(&tr->b, (uint64_t)k);
	return kr < 0 ? kr : jn_rec_guard(tr, cond, 8, tr->len_ref, kr);
}

int jn_rec_spec(struct jn_tracer *tr, int32_t ref, uint64_t *val)
{
	int k, rc;

	*val = tr->b.cval[ref];
	if (tr->b.t->ir[ref].op == JN_TIR_KINT)
		return 0;
	if ((k = jn_tb_const(&tr->b, *val)) < 0)
		return k;
	rc = jn_rec_guard(tr, JN_TC_EQ, 8, ref, k);
	return rc;
}

struct sval jn_rec_scalar(int32_t ref)
{
	struct sval v = { .kind = SK_SCALAR, .ref = ref };
	return v;
}
#define scalar jn_rec_scalar

int jn_rec_cur_len(struct jn_tracer *tr)
{
	int k = jn_tb_const(&tr->b, (uint64_t)(tr->end_off - tr->data_off));

	if (k < 0 || tr->end_abs)
		return k;
	return jn_tb_emit(&tr->b, JN_TIR_ALU, 8, tr->len_ref, k, JN_OP_ADD64_X, 0);
}

/* ---- ALU ---- */
static int ptr_alu(struct jn_tracer *tr, int op, struct sval *d, const struct sval *s)
{
	uint64_t c;
	int rc, r;

	if ((op == JN_OP_ADD64_X || op == JN_OP_SUB64_X) && d->kind != SK_SCALAR && s->kind == SK_SCALAR) {
		if ((rc = jn_rec_spec(tr, s->ref, &c)))
			return rc;
		d->off += op == JN_OP_ADD64_X ? (int64_t)c : -(int64_t)c;
		return 0;
	}
	if (op == JN_OP_ADD64_X && d->kind == SK_SCALAR && s->kind != SK_SCALAR) {
		if ((rc = jn_rec_spec(tr, d->ref, &c)))
			return rc;
		*d = *s;
		d->off += (int64_t)c;
		return 0;
	}
	if (op == JN_OP_SUB64_X && (d->kind == SK_PKT || d->kind == SK_PEND) &&
	    (s->kind == SK_PKT || s->kind == SK_PEND)) {
		/* (end + b) - (data + a) = len + (b - a); (data + a) - (end + b) = (a - b) - len */
		int kr = jn_tb_const(&tr->b, (uint64_t)(d->off - s->off));
		r = kr;
		if (kr >= 0 && d->kind == SK_PEND && s->kind == SK_PKT)
			r = jn_tb_emit(&tr->b, JN_TIR_ALU, 8, tr->len_ref, kr, JN_OP_ADD64_X, 0);
		else if (kr >= 0 && d->kind == SK_PKT && s->kind == SK_PEND)
			r = jn_tb_emit(&tr->b, JN_TIR_ALU, 8, kr, tr->len_ref, JN_OP_SUB64_X, 0);
		if (r < 0)
			return r;
		*d = scalar(r);
		return 0;
	}
	if (op == JN_OP_SUB64_X && d->kind == s->kind && d->kind == SK_STACK) {
		r = jn_tb_const(&tr->b, (uint64_t)(d->off - s->off));
		if (r < 0)
			return r;
		*d = scalar(r);
		return 0;
	}
	return jn_rec_abort(tr, JN_TRERR_PTR_ARITH, "pc %u: %s on a pointer", tr->pc, jn_isa_info[op].name);
}

static int do_alu(struct jn_tracer *tr, int op, const struct jn_insn *in)
{
	const struct jn_isa_info *inf = &jn_isa_info[op];
	struct sval *d = &tr->R[in->dst], s;
	bool is_k = inf->form == JN_FORM_ALU_K || inf->form == JN_FORM_MOV_K;
	int xop = is_k ? op + 1 : op, r;

	if (op == JN_OP_MOV64_X) {
		*d = tr->R[in->src];
		return 0;
	}
	if (is_k) {
		uint64_t k = (uint64_t)(int64_t)in->imm;
		if (op == JN_OP_MOV32_K)
			k = (uint32_t)k;
		if ((r = jn_tb_const(&tr->b, k)) < 0)
			return r;
		s = scalar(r);
		if (op == JN_OP_MOV64_K || op == JN_OP_MOV32_K) {
			*d = s;
			return 0;
		}
	} else {
		s = tr->R[in->src];
	}
	if (op == JN_OP_MOV32_X || jn_trace_alu_unary(op)) {
		const struct sval *a = op == JN_OP_MOV32_X || inf->form == JN_FORM_MOVSX ? &tr->R[in->src] : d;
		if (a->kind != SK_SCALAR)
			return jn_rec_abort(tr, JN_TRERR_PTR_ARITH, "pc %u: %s on a pointer", tr->pc, inf->name);
		r = jn_tb_emit(&tr->b, JN_TIR_ALU, 8, a->ref, -1, op, 0);
		if (r < 0)
			return r;
		*d = scalar(r);
		return 0;
	}
	if (d->kind != SK_SCALAR || s.kind != SK_SCALAR)
		return ptr_alu(tr, xop, d, &s);
	r = jn_tb_emit(&tr->b, JN_TIR_ALU, 8, d->ref, s.ref, xop, 0);
	if (r < 0)
		return r;
	*d = scalar(r);
	return 0;
}

/* ---- branches ---- */
static int jmp_cond(int op, bool *is32)
{
	static const struct { int op; int cond; } map[] = {
		{JN_OP_JEQ_X, JN_TC_EQ}, {JN_OP_JNE_X, JN_TC_NE}, {JN_OP_JGT_X, JN_TC_GT},
		{JN_OP_JGE_X, JN_TC_GE}, {JN_OP_JLT_X, JN_TC_LT}, {JN_OP_JLE_X, JN_TC_LE},
		{JN_OP_JSGT_X, JN_TC_SGT}, {JN_OP_JSGE_X, JN_TC_SGE}, {JN_OP_JSLT_X, JN_TC_SLT},
		{JN_OP_JSLE_X, JN_TC_SLE}, {JN_OP_JSET_X, JN_TC_SET},
		{JN_OP_JEQ32_X, JN_TC_EQ}, {JN_OP_JNE32_X, JN_TC_NE}, {JN_OP_JGT32_X, JN_TC_GT},
		{JN_OP_JGE32_X, JN_TC_GE}, {JN_OP_JLT32_X, JN_TC_LT}, {JN_OP_JLE32_X, JN_TC_LE},
		{JN_OP_JSGT32_X, JN_TC_SGT}, {JN_OP_JSGE32_X, JN_TC_SGE}, {JN_OP_JSLT32_X, JN_TC_SLT},
		{JN_OP_JSLE32_X, JN_TC_SLE}, {JN_OP_JSET32_X, JN_TC_SET},
	};
	int x = jn_isa_info[op].form == JN_FORM_JCC_K ? op + 1 : op;

	*is32 = x >= JN_OP_JEQ32_X && x <= JN_OP_JSLE32_X;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].op == x)
			return map[i].cond;
	return -1;
}

static int signed_cond(int c)
{
	switch (c) {
	case JN_TC_GT: return JN_TC_SGT;
	case JN_TC_GE: return JN_TC_SGE;
	case JN_TC_LT: return JN_TC_SLT;
	case JN_TC_LE: return JN_TC_SLE;
	default: return c;
	}
}

/* Packet pointers compared: data+a vs end+b is (a - b) vs len. */
static int ptr_cmp(struct jn_tracer *tr, int cond, const struct sval *d, const struct sval *s, bool *taken)
{
	int64_t L = tr->len;
	int64_t x = d->kind == SK_PEND ? L + d->off : d->off, y = s->kind == SK_PEND ? L + s->off : s->off;
	int sc = signed_cond(cond), k;

	if (cond == JN_TC_SET || cond == JN_TC_NSET)
		return jn_rec_abort(tr, JN_TRERR_PTR_ARITH, "pc %u: jset on pointers", tr->pc);
	*taken = jn_trace_cmp(sc, 8, (uint64_t)x, (uint64_t)y);
	if (!*taken)
		sc ^= 1;
	if (d->kind == s->kind)
		return 0;
	if (d->kind == SK_PKT) {   /* a OP len + b  <=>  (a - b) OP len */
		if ((k = jn_tb_const(&tr->b, (uint64_t)(d->off - s->off))) < 0)
			return k;
		return jn_rec_guard(tr, sc, 8, k, tr->len_ref);
	}
	if ((k = jn_tb_const(&tr->b, (uint64_t)(s->off - d->off))) < 0)
		return k;
	return jn_rec_guard(tr, sc, 8, tr->len_ref, k);
}

static int do_jcc(struct jn_tracer *tr, int op, const struct jn_insn *in, bool *taken)
{
	bool is32;
	int cond = jmp_cond(op, &is32), r;
	const struct sval *d = &tr->R[in->dst];
	struct sval s;

	if (jn_isa_info[op].form == JN_FORM_JCC_K) {
		if ((r = jn_tb_const(&tr->b, (uint64_t)(int64_t)in->imm)) < 0)
			return r;
		s = scalar(r);
	} else {
		s = tr->R[in->src];
	}
	if (d->kind == SK_SCALAR && s.kind == SK_SCALAR) {
		*taken = jn_trace_cmp(cond, is32 ? 4 : 8, tr->b.cval[d->ref], tr->b.cval[s.ref]);
		return jn_rec_guard(tr, *taken ? cond : cond ^ 1, is32 ? 4 : 8, d->ref, s.ref);
	}
	if (is32)
		return jn_rec_abort(tr, JN_TRERR_PTR_ARITH, "pc %u: 32-bit compare of a pointer", tr->pc);
	if ((d->kind == SK_PKT || d->kind == SK_PEND) && (s.kind == SK_PKT || s.kind == SK_PEND))
		return ptr_cmp(tr, cond, d, &s, taken);
	if (d->kind == SK_STACK && s.kind == SK_STACK) {
		*taken = jn_trace_cmp(cond, 8, (uint64_t)d->off, (uint64_t)s.off);
		return 0;
	}
	/* pointer against NULL: only a map value from a lookup can be NULL,
	 * and then it is a scalar 0; a live pointer is never NULL */
	if ((cond == JN_TC_EQ || cond == JN_TC_NE) && s.kind == SK_SCALAR &&
	    tr->b.t->ir[s.ref].op == JN_TIR_KINT && tr->b.cval[s.ref] == 0 && d->kind != SK_MAPPTR) {
		*taken = cond == JN_TC_NE;
		/* a found value's pointer is guarded; a reservation's success was
		 * decided when it was made (rec_reserve) */
		if (d->kind == SK_MVAL && !tr->mv[d->obj].rbuf &&
		    tr->b.t->ir[tr->mv[d->obj].base].op != JN_TIR_KINT)
			return jn_rec_guard(tr, JN_TC_NE, 8, tr->mv[d->obj].base, s.ref);
		return 0;
	}
	return jn_rec_abort(tr, JN_TRERR_PTR_ARITH, "pc %u: comparison of a pointer", tr->pc);
}

/* ---- calls and exits ---- */
int jn_rec_enter(struct jn_tracer *tr, uint32_t target, uint32_t ret, const struct frame *loop)
{
	struct frame *f;
	uint32_t fd;

	if (tr->depth + 1 >= JN_VM_MAX_FRAMES)
		return jn_rec_abort(tr, JN_TRERR_FAULT, "pc %u: call depth", tr->pc);
	if (target >= tr->n)
		return jn_rec_abort(tr, JN_TRERR_FAULT, "pc %u: call to pc %u", tr->pc, target);
	fd = jn_xdp_func_stack(tr->vm, target);
	if (tr->stack_used + fd > JN_VM_MAX_STACK)
		return jn_rec_abort(tr, JN_TRERR_FAULT, "pc %u: stack size", tr->pc);
	f = &tr->frames[tr->depth++];
	if (loop) {
		*f = *loop;
		tr->loops++;
	} else {
		memset(f, 0, sizeof(*f));
		memcpy(f->R, tr->R, sizeof(tr->R));
	}
	f->ret = ret;
	f->fd = fd;
	f->vm = tr->vm;
	f->ops = tr->ops;
	tr->R[10].kind = SK_STACK;
	tr->R[10].off = REC_STACK - (int64_t)(tr->depth) * JN_ISA_STACK;
	jn_rec_zero_stack(tr, (uint32_t)tr->R[10].off - fd, fd);
	tr->stack_used += fd;
	tr->pc = target;
	return 0;
}

static int call_local(struct jn_tracer *tr, uint32_t target)
{
	return jn_rec_enter(tr, target, tr->pc + 1, NULL);
}

/* Returns 1 when the program has exited (the trace is complete). */
static int do_exit(struct jn_tracer *tr)
{
	struct frame *f;
	struct sval r0 = tr->R[0];
	int rc;

	if (tr->depth == 0) {
		if (r0.kind != SK_SCALAR)
			return jn_rec_abort(tr, JN_TRERR_PTR_ARITH, "pc %u: returns a pointer", tr->pc);
		rc = jn_rec_effect(tr, JN_TIR_RET, 8, r0.ref, -1, 0);
		return rc ? rc : -1000;
	}
	f = &tr->frames[--tr->depth];
	if (f->vm != tr->vm) {   /* back from a subprogram that tail-called */
		tr->vm = f->vm;
		tr->ops = f->ops;
		tr->insns = jn_vm_insns(tr->vm);
		tr->n = (uint32_t)jn_vm_ninsns(tr->vm);
	}
	if (f->loop)
		return jn_rec_loop_return(tr, f);
	memcpy(tr->R, f->R, sizeof(tr->R));
	tr->R[0] = r0;
	tr->stack_used -= f->fd;
	tr->pc = f->ret;
	return 0;
}

static int do_lddw(struct jn_tracer *tr, int op, const struct jn_insn *in)
{
	struct sval *d = &tr->R[in->dst];
	int r;

	switch (op) {
	case JN_OP_LDDW:
		r = jn_tb_const(&tr->b, (uint64_t)(uint32_t)in[0].imm | (uint64_t)(uint32_t)in[1].imm << 32);
		if (r < 0)
			return r;
		*d = scalar(r);
		return 0;
	case JN_OP_LDDW_MAP_IDX:
		if ((size_t)(uint32_t)in->imm >= tr->nmaps)
			return jn_rec_abort(tr, JN_TRERR_FAULT, "pc %u: map index", tr->pc);
		memset(d, 0, sizeof(*d));
		d->kind = SK_MAPPTR;
		d->obj = in->imm;
		return 0;
	case JN_OP_LDDW_FUNC:   /* a callback (bpf_loop) */
		memset(d, 0, sizeof(*d));
		d->kind = SK_FUNC;
		d->off = (int64_t)tr->pc + in->imm + 1;
		d->obj = tr->tail_calls;   /* the program it belongs to */
		return 0;
	case JN_OP_LDDW_MAP_IDX_VAL:
		if ((size_t)(uint32_t)in->imm >= tr->nmaps)
			return jn_rec_abort(tr, JN_TRERR_FAULT, "pc %u: map index", tr->pc);
		return jn_rec_global(tr, in->imm, (uint32_t)in[1].imm, d);
	default:
		return jn_rec_abort(tr, JN_TRERR_NYI_INSN, "pc %u: %s", tr->pc, jn_isa_info[op].name);
	}
}

static int do_mem(struct jn_tracer *tr, int op, const struct jn_insn *in)
{
	const struct jn_isa_info *inf = &jn_isa_info[op];
	unsigned sz = jn_isa_size(in->code);
	struct sval v;
	int rc, r;

	switch (inf->form) {
	case JN_FORM_LDX: case JN_FORM_LDXSX:
		if ((rc = jn_rec_load(tr, &tr->R[in->src], in->off, sz, &v)))
			return rc;
		if (inf->form == JN_FORM_LDXSX) {
			int ext = sz == 1 ? JN_OP_MOVSX64_8 : sz == 2 ? JN_OP_MOVSX64_16 : JN_OP_MOVSX64_32;
			if ((r = jn_tb_emit(&tr->b, JN_TIR_ALU, 8, v.ref, -1, ext, 0)) < 0)
				return r;
			v.ref = r;
		}
		tr->R[in->dst] = v;
		return 0;
	case JN_FORM_ST:
		if ((r = jn_tb_const(&tr->b, (uint64_t)(int64_t)in->imm)) < 0)
			return r;
		v = scalar(r);
		return jn_rec_store(tr, &tr->R[in->dst], in->off, sz, &v);
	case JN_FORM_STX:
		return jn_rec_store(tr, &tr->R[in->dst], in->off, sz, &tr->R[in->src]);
	default:
		return jn_rec_atomic(tr, op, in);
	}
}

/* One instruction.  0: go on; -1000: done; > 0 abort; < 0 errno. */
static int step(struct jn_tracer *tr)
{
	const struct jn_insn *in = &tr->insns[tr->pc];
	int op = tr->ops[tr->pc], rc;
	bool taken = false;

	if (++tr->steps > REC_MAX_INSNS)
		return jn_rec_abort(tr, JN_TRERR_TOOLONG, "%u instructions", tr->steps);
	switch (jn_isa_info[op].form) {
	case JN_FORM_ALU_K: case JN_FORM_ALU_X: case JN_FORM_NEG: case JN_FORM_MOV_K:
	case JN_FORM_MOV_X: case JN_FORM_MOVSX: case JN_FORM_END:
		rc = do_alu(tr, op, in);
		break;
	case JN_FORM_JA:
		tr->pc += 1 + in->off;
		return 0;
	case JN_FORM_JA32:
		tr->pc += 1 + in->imm;
		return 0;
	case JN_FORM_JCC_K: case JN_FORM_JCC_X:
		if ((rc = do_jcc(tr, op, in, &taken)))
			return rc;
		tr->pc += 1 + (taken ? in->off : 0);
		return 0;
	case JN_FORM_LDX: case JN_FORM_LDXSX: case JN_FORM_ST: case JN_FORM_STX:
	case JN_FORM_ATOMIC: case JN_FORM_AFETCH: case JN_FORM_AXCHG: case JN_FORM_ACMPXCHG:
		rc = do_mem(tr, op, in);
		break;
	case JN_FORM_LDDW:
		if ((rc = do_lddw(tr, op, in)))
			return rc;
		tr->pc += 2;
		return 0;
	case JN_FORM_CALL:
		rc = jn_rec_helper(tr, in->imm);
		break;
	case JN_FORM_CALL_LOCAL:
		return call_local(tr, tr->pc + 1 + (uint32_t)in->imm);
	case JN_FORM_EXIT:
		return do_exit(tr);
	default:
		return jn_rec_abort(tr, JN_TRERR_NYI_INSN, "pc %u: %s", tr->pc, jn_isa_info[op].name);
	}
	if (rc)
		return rc;
	tr->pc++;
	return 0;
}

/* ---- the tracer ---- */
int jn_tracer_new(struct jn_xdp *x, struct jn_tracer **out, char *err, size_t errlen)
{
	struct jn_tracer *tr = calloc(1, sizeof(*tr));

	if (!tr)
		goto nomem;
	tr->x = x;
	tr->vm = jn_xdp_vm(x);
	tr->insns = jn_vm_insns(tr->vm);
	tr->n = (uint32_t)jn_vm_ninsns(tr->vm);
	tr->nmaps = jn_xdp_nmaps(x);
	tr->ops = malloc(tr->n ? tr->n : 1);
	tr->entry = tr->vm;
	tr->entry_ops = tr->ops;
	tr->nprogs = jn_xdp_nprogs(x);
	tr->prog_ops = calloc(tr->nprogs + 1, sizeof(*tr->prog_ops));
	tr->maps = calloc(tr->nmaps + 1, sizeof(*tr->maps));
	tr->lru = calloc(tr->nmaps + 1, sizeof(*tr->lru));
	tr->updated = calloc(tr->nmaps + 1, sizeof(*tr->updated));
	tr->rb_pos = malloc((tr->nmaps + 1) * sizeof(*tr->rb_pos));
	tr->rb_taken = calloc(tr->nmaps + 1, sizeof(*tr->rb_taken));
	tr->run = calloc(1, sizeof(*tr->run));
	tr->b.cse_head = malloc(JN_TCSE_BUCKETS * sizeof(*tr->b.cse_head));
	if (!tr->ops || !tr->prog_ops || !tr->maps || !tr->lru || !tr->updated || !tr->rb_pos ||
	    !tr->rb_taken || !tr->run || !tr->b.cse_head)
		goto nomem;
	for (uint32_t pc = 0; pc < tr->n; pc++)
		tr->ops[pc] = (uint8_t)jn_isa_decode(&tr->insns[pc]);
	/* reset everything once now: the pages are touched here, at setup, not
	 * by the first miss */
	jn_rec_dirty(tr, true, 0, JN_XDP_FRAME_SZ);
	jn_rec_dirty(tr, false, 0, REC_STACK);
	jn_rec_mem_reset(tr);
	memset(tr->frame, 0, sizeof(tr->frame));
	memset(tr->spill, 0, sizeof(tr->spill));
	for (size_t i = 0; i < tr->nmaps; i++) {
		uint32_t type;
		tr->maps[i] = jn_xdp_map(x, i);
		type = jn_map_spec(tr->maps[i])->type;
		tr->lru[i] = type == 9 /* LRU_HASH */ || type == 10 /* LRU_PERCPU_HASH */;
	}
	*out = tr;
	return 0;
nomem:
	jn_tracer_free(tr);
	return jn_errf(err, errlen, ENOMEM, "trace: out of memory");
}

void jn_tracer_free(struct jn_tracer *tr)
{
	if (!tr)
		return;
	jn_rec_mem_reset(tr);
	for (size_t i = 0; tr->prog_ops && i < tr->nprogs; i++)
		free(tr->prog_ops[i]);
	free(tr->prog_ops);
	free(tr->entry_ops);
	free(tr->maps);
	free(tr->lru);
	free(tr->updated);
	free(tr->rb_pos);
	free(tr->rb_taken);
	free(tr->run);
	free(tr->b.cse_head);
	free(tr->b.cval);
	free(tr->b.cse_next);
	free(tr);
}

void jn_trace_free(struct jn_trace *t)
{
	if (!t)
		return;
	free(t->ir);
	free(t->chunks);
	free(t->chunk_sz);
	free(t->calls);
	free(t->mems);
	free(t->cond);
	free(t->x1);
	free(t->x2);
	free(t->vals);
	free(t->watch);
	free(t);
}

static int record_start(struct jn_tracer *tr, const uint8_t *pkt, uint32_t len, uint64_t ts_ns)
{
	struct jn_xdp_result res;
	struct jn_vm_run *xr;
	int rc;

	/* jn_xdp_begin sets the clock and the context fields; the host's run
	 * begins again anyway */
	if ((rc = jn_xdp_begin(tr->x, pkt, len, ts_ns, &res)))
		return rc;
	xr = jn_xdp_run_state(tr->x);
	/* headroom zeroed (bytes past the packet are only ever read after the
	 * recorder wrote them: bounds checks, adjust_tail's zeros) */
	memset(tr->frame, 0, JN_XDP_HEADROOM);
	memcpy(tr->frame + JN_XDP_HEADROOM, pkt, len);
	jn_vm_run_init_xdp(tr->run, tr->vm, tr->frame, sizeof(tr->frame), JN_XDP_HEADROOM, len,
			   JN_XDP_FRAME_SZ);
	tr->run->ingress_ifindex = xr->ingress_ifindex;
	tr->run->rx_queue_index = xr->rx_queue_index;
	memset(tr->run->stack, 0, sizeof(tr->run->stack));
	jn_rec_mem_reset(tr);
	memset(tr->updated, 0, tr->nmaps + 1);
	memset(tr->rb_pos, 0xff, (tr->nmaps + 1) * sizeof(*tr->rb_pos));
	memset(tr->rb_taken, 0, (tr->nmaps + 1) * sizeof(*tr->rb_taken));
	memset(tr->R, 0, sizeof(tr->R));
	tr->depth = tr->loops = 0;
	tr->rb_used = 0;
	tr->vm = tr->entry;
	tr->ops = tr->entry_ops;
	tr->insns = jn_vm_insns(tr->vm);
	tr->n = (uint32_t)jn_vm_ninsns(tr->vm);
	tr->tail_calls = 0;
	tr->stack_used = jn_xdp_func_stack(tr->vm, 0);
	tr->data_off = tr->end_off = tr->meta_off = 0;
	tr->grown = tr->end_abs = false;
	tr->len = len;
	tr->pc = tr->steps = 0;
	tr->cap_chunks = tr->cap_calls = tr->cap_mems = 0;
	return 0;
}

static int record_finish(struct jn_tracer *tr, struct jn_trace *t)
{
	int rc = jn_tlenguard(t);

	if (!rc)
		rc = jn_timplied(t);
	if (!rc)
		rc = jn_tdce(t, tr->lru);

	if (!rc)
		rc = jn_tcond_build(t);
	jn_tstate(t);
	if (!rc)
		rc = jn_tcompile(t);
	t->info.path_insns = tr->steps;
	return rc;
}

int jn_trace_record(struct jn_tracer *tr, const uint8_t *pkt, uint32_t len, uint64_t ts_ns,
		    struct jn_trace **out, char *msg, size_t msglen)
{
	struct jn_trace *t;
	int rc, z;

	*out = NULL;
	if (msg && msglen)
		msg[0] = 0;
	tr->msg = msg;
	tr->msglen = msglen;
	if ((rc = record_start(tr, pkt, len, ts_ns))) {
		if (msg && msglen)
			snprintf(msg, msglen, "trace: packet of %u bytes: XDP takes %d..%d", len,
				 JN_XDP_MIN_LEN, JN_XDP_MAX_DATA);
		return rc;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->x = tr->x;
	t->maps = tr->maps;
	tr->b.t = t;
	tr->b.cap = 0;
	tr->b.lru_map = tr->lru;
	for (int i = 0; i < JN_TCSE_BUCKETS; i++)
		tr->b.cse_head[i] = -1;
	if ((rc = jn_tb_grow(&tr->b)) < 0)
		goto fail;
	tr->len_ref = jn_tb_emit(&tr->b, JN_TIR_LEN, 4, -1, -1, 0, len);
	z = jn_tb_const(&tr->b, 0);
	if (tr->len_ref < 0 || z < 0) {
		rc = -ENOMEM;
		goto fail;
	}
	tr->R[1].kind = SK_CTX;
	tr->R[10].kind = SK_STACK;
	tr->R[10].off = REC_STACK;
	for (int i = 0; i < 10; i++)
		if (i != 1)
			tr->R[i].ref = z;
	while ((rc = step(tr)) == 0)
		;
	if (rc == -1000)
		rc = record_finish(tr, t);
	else if (rc == -E2BIG)
		rc = jn_rec_abort(tr, JN_TRERR_TOOLONG, "trace exceeds %d IR instructions", JN_TRACE_MAX_IR);
	if (rc)
		goto fail;
	*out = t;
	tr->b.t = NULL;
	return 0;
fail:
	jn_trace_free(t);
	tr->b.t = NULL;
	return rc;
}
