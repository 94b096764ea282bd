/* compile.c - the hXDP compiler as a list of passes:
 *
 *   inline     bpf-to-bpf calls replaced by the callee's body (inline.c)
 *   decode     eBPF -> IR (lddw as one instruction, jumps to IR indexes,
 *              bswap -> be, refusing what Sephirot cannot run)
 *   zero       pass_zero.c
 *   bounds     pass_bounds.c (then dead-code removal)
 *   exit       pass_exit.c
 *   arrayk     pass_arrayk.c (repeated until nothing changes)
 *   copy       pass_copy.c (then dead-code removal)
 *   ldcomb     pass_ldcomb.c (repeated until nothing changes)
 *   alu3       pass_alu3.c (repeated until nothing changes)
 *   select     pass_select.c (then dead-code removal)
 *   spill      pass_spill.c
 *   ld6        pass_ld6.c
 *   rename     pass_rename.c
 *   schedule   sched.c
 *
 * After every pass: unreachable code goes, the IR is compacted and the
 * analyses (cfg.c) are redone. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/bpf.h>

#include "base/base.h"
#include "vliw_internal.h"

const char *const jn_vliw_pass_names[JN_VLIW_NPASSES] = {
#define P_(id, name, help) name,
	JN_VLIW_PASSES(P_)
#undef P_
};
const char *const jn_vliw_pass_help[JN_VLIW_NPASSES] = {
#define P_(id, name, help) help,
	JN_VLIW_PASSES(P_)
#undef P_
};

static int (*const pass_fn[JN_VLIW_NPASSES])(struct xfn *) = {
	jn_vliw_pass_zero, jn_vliw_pass_bounds, jn_vliw_pass_exit, jn_vliw_pass_arrayk, jn_vliw_pass_copy, jn_vliw_pass_ldcomb,
	jn_vliw_pass_alu3, jn_vliw_pass_select, jn_vliw_pass_spill, jn_vliw_pass_ld6, jn_vliw_pass_rename,
};

static int refuse(enum jn_op op, size_t pc, char *err, size_t errlen)
{
	switch (jn_isa_info[op].form) {
	case JN_FORM_CALLX: case JN_FORM_CALL_KFUNC:
		return jn_errf(err, errlen, EOPNOTSUPP,
			       "vliw: pc %zu: %s is not supported (Sephirot has no indirect calls or kfuncs)", pc,
			       jn_isa_info[op].name);
	case JN_FORM_LDABS: case JN_FORM_LDIND:
		return jn_errf(err, errlen, EOPNOTSUPP, "vliw: pc %zu: legacy packet loads are not "
			       "supported", pc);
	case JN_FORM_LDDW:
		if (op == JN_OP_LDDW || op == JN_OP_LDDW_MAP_IDX || op == JN_OP_LDDW_MAP_IDX_VAL)
			return 0;
		return jn_errf(err, errlen, EOPNOTSUPP, "vliw: pc %zu: lddw %s is not supported", pc,
			       jn_isa_info[op].text);
	default:
		return 0;
	}
}

/* pcs: each slot's pc in the program as given (NULL: the slot's index). */
static int decode_flat(const struct jn_insn *insns, size_t n, const uint32_t *pcs, struct xfn *f,
		       char *err, size_t errlen)
{
	int32_t *idx;
	int rc;

	f->code = calloc(n, sizeof(*f->code));
	idx = malloc((n + 1) * sizeof(*idx));
	if (!f->code || !idx) {
		free(idx);
		return jn_errf(err, errlen, ENOMEM, "vliw: out of memory");
	}
	for (size_t pc = 0; pc < n; pc++) {
		enum jn_op op = jn_isa_decode(&insns[pc]);
		struct xin *x = &f->code[f->n];
		if ((rc = refuse(op, pcs ? pcs[pc] : pc, err, errlen)) ||
		    (op == JN_OP_CALL && insns[pc].imm == BPF_FUNC_tail_call && !f->ctx_mem &&
		     (rc = jn_errf(err, errlen, EOPNOTSUPP, "vliw: pc %zu: bpf_tail_call is not supported "
				   "(Sephirot runs one program)", pcs ? (size_t)pcs[pc] : pc)))) {
			free(idx);
			return rc;
		}
		if (op == JN_OP_BSWAP16 || op == JN_OP_BSWAP32 || op == JN_OP_BSWAP64)
			op = op == JN_OP_BSWAP16 ? JN_OP_BE16 : op == JN_OP_BSWAP32 ? JN_OP_BE32 : JN_OP_BE64;
		*x = (struct xin){ .op = (uint16_t)op, .dst = insns[pc].dst, .src = insns[pc].src,
				   .off = insns[pc].off, .imm = insns[pc].imm, .pc = (uint32_t)pc,
				   .anyhelper = f->ctx_mem };
		idx[pc] = (int32_t)f->n++;
		if (jn_isa_is_wide(insns[pc].code)) {
			x->imm2 = insns[pc + 1].imm;
			idx[++pc] = -1;
		}
	}
	for (size_t i = 0; i < f->n; i++) {
		struct xin *x = &f->code[i];
		if (!jn_vliw_is_jump(x))
			continue;
		int64_t t = (int64_t)x->pc + 1 + (x->op == JN_OP_GOTOL ? x->imm : x->off);
		x->tgt = idx[t];   /* validated: in range, not inside an lddw */
		x->off = 0;
		if (x->op == JN_OP_GOTOL)
			x->imm = 0;
	}
	for (size_t i = 0; pcs && i < f->n; i++)
		f->code[i].pc = pcs[f->code[i].pc];
	free(idx);
	return 0;
}

/* Validate, inline bpf-to-bpf calls, decode. */
static int decode(const struct jn_insn *insns, size_t n, struct xfn *f, char *err, size_t errlen)
{
	struct jn_insn *flat;
	uint32_t *pcs;
	size_t nflat;
	int rc = jn_isa_validate(insns, n, err, errlen);

	if (!rc)
		rc = jn_vliw_inline(insns, n, &flat, &pcs, &nflat, err, errlen);
	if (rc || !flat)
		return rc ? rc : decode_flat(insns, n, NULL, f, err, errlen);
	rc = decode_flat(flat, nflat, pcs, f, err, errlen);
	free(flat);
	free(pcs);
	return rc;
}

static size_t drop_unreachable(struct xfn *f)
{
	size_t k = 0;
	for (size_t i = 0; i < f->n; i++)
		if (!f->code[i].del && f->av[i * JN_ISA_NREGS + 10].kind == AK_TOP) {
			f->code[i].del = 1;
			k++;
		}
	return k;
}

static int settle(struct xfn *f, char *err, size_t errlen)
{
	if (jn_vliw_compact(f))
		return jn_errf(err, errlen, ENOMEM, "vliw: out of memory");
	return jn_vliw_analyse(f, err, errlen);
}

/* Lower insns with the passes in mask; removed[k] counts what pass k took out. */
static int lower(const struct jn_insn *insns, size_t n, unsigned mask, struct xfn *f,
		 size_t *removed, char *err, size_t errlen)
{
	int rc = decode(insns, n, f, err, errlen);

	if (!rc)
		rc = jn_vliw_analyse(f, err, errlen);
	for (int k = 0; k < JN_VLIW_NPASSES && !rc; k++) {
		size_t before = f->n;
		if (!(mask & (1u << k)))
			continue;
		do {
			if ((rc = pass_fn[k](f)) < 0)
				return jn_errf(err, errlen, -rc, "vliw: pass %s: %s", jn_vliw_pass_names[k],
					       strerror(-rc));
			int changed = rc;
			rc = settle(f, err, errlen);
			if (!changed || (k != JN_VLIW_PASS_LDCOMB && k != JN_VLIW_PASS_ALU3 &&
					 k != JN_VLIW_PASS_ARRAYK))
				break;
		} while (!rc);
		while (!rc && (k == JN_VLIW_PASS_BOUNDS || k == JN_VLIW_PASS_COPY || k == JN_VLIW_PASS_ALU3 ||
			k == JN_VLIW_PASS_SELECT) &&
		       jn_vliw_dce(f))
			rc = settle(f, err, errlen);
		while (!rc && drop_unreachable(f))
			rc = settle(f, err, errlen);
		if (removed)
			removed[k] = before - f->n;
	}
	return rc;
}

static int build(const struct jn_insn *insns, size_t n, const struct jn_vliw_opts *o, unsigned mask,
		 struct jn_vliw_prog *p, char *err, size_t errlen)
{
	struct xfn f = { .ctx_mem = o->ctx_mem, .maps = o->maps, .n_maps = o->n_maps };
	int rc = lower(insns, n, mask, &f, p->st.removed, err, errlen);

	if (!rc)
		rc = jn_vliw_schedule(&f, p->lanes, !o->no_motion, p, err, errlen);
	jn_vliw_fn_free(&f);
	free(f.scratch);
	free(f.code);
	return rc;
}

static size_t rows_with(const struct jn_insn *insns, size_t n, const struct jn_vliw_opts *o,
			unsigned mask, int lanes)
{
	struct jn_vliw_prog q = { .lanes = lanes };
	char e[8];
	size_t r = build(insns, n, o, mask, &q, e, sizeof(e)) ? 0 : q.nrows;

	free(q.code);
	free(q.rows);
	return r;
}

int jn_vliw_compile(const struct jn_insn *insns, size_t n, const struct jn_vliw_opts *opts,
		    struct jn_vliw_prog **out, char *err, size_t errlen)
{
	struct jn_vliw_opts o = opts ? *opts : (struct jn_vliw_opts){ .passes = JN_VLIW_ALL_PASSES };
	struct jn_vliw_prog *p = calloc(1, sizeof(*p));
	struct timespec t0, t1;
	int rc;

	if (!p)
		return jn_errf(err, errlen, ENOMEM, "vliw: out of memory");
	if (!o.lanes)
		o.lanes = JN_VLIW_DEFAULT_LANES;
	if (o.lanes < 1 || o.lanes > JN_VLIW_MAX_LANES) {
		free(p);
		return jn_errf(err, errlen, EINVAL, "vliw: %d lanes (1..%d)", o.lanes, JN_VLIW_MAX_LANES);
	}
	p->lanes = o.lanes;
	p->ctx_mem = o.ctx_mem;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = build(insns, n, &o, o.passes, p, err, errlen);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (rc) {
		jn_vliw_free(p);
		return rc;
	}
	p->st.compile_us = (double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3;
	p->st.ebpf_insns = n;
	for (size_t pc = 0; pc < n; pc++, p->st.ebpf_ops++)
		if (jn_isa_is_wide(insns[pc].code))
			pc++;
	p->st.insns = p->n;
	p->st.rows = p->nrows;
	p->st.ipc = p->nrows ? (double)p->n / (double)p->nrows : 0;
	p->st.rows_base = rows_with(insns, n, &o, 0, o.lanes);
	for (int k = 0; k < JN_VLIW_NPASSES; k++)
		p->st.rows_after[k] = rows_with(insns, n, &o, o.passes & ((2u << k) - 1), o.lanes);
	*out = p;
	return 0;
}

void jn_vliw_free(struct jn_vliw_prog *p)
{
	if (!p)
		return;
	free(p->code);
	free(p->rows);
	free(p);
}

const struct jn_vliw_stats *jn_vliw_stats(const struct jn_vliw_prog *p) { return &p->st; }
int jn_vliw_lanes(const struct jn_vliw_prog *p) { return p->lanes; }

static void lane_text(const struct jn_vliw_prog *p, size_t r, int l, char *t, size_t len)
{
	int32_t i = p->rows[r * (size_t)p->lanes + (size_t)l];

	if (i == -2)
		snprintf(t, len, "(lddw)");
	else if (i < 0)
		snprintf(t, len, "-");
	else
		jn_vliw_text(&p->code[i], true, t, len);
}

int jn_vliw_listing(FILE *f, const struct jn_vliw_prog *p)
{
	char t[JN_ISA_TEXT_MAX + 48];
	int w[JN_VLIW_MAX_LANES] = {0};

	for (size_t r = 0; r < p->nrows; r++)   /* column widths */
		for (int l = 0; l < p->lanes; l++) {
			lane_text(p, r, l, t, sizeof(t));
			if ((int)strlen(t) > w[l])
				w[l] = (int)strlen(t);
		}
	for (size_t r = 0; r < p->nrows; r++) {
		fprintf(f, "%4zu ", r);
		for (int l = 0; l < p->lanes; l++) {
			lane_text(p, r, l, t, sizeof(t));
			fprintf(f, "%s%-*s", l ? " | " : "", l + 1 < p->lanes ? w[l] : 0, t);
		}
		fputc('\n', f);
	}
	return ferror(f) ? -EIO : 0;
}

static void slot(size_t r, const struct xin *in, struct jn_insn s[2])
{
	memset(s, 0, 2 * sizeof(*s));
	s[0].code = jn_vliw_xinfo[in->op].opcode;
	s[0].dst = in->dst;
	s[0].src = in->src;
	s[0].off = in->off;
	s[0].imm = in->imm;
	s[1].imm = in->imm2;
	if (jn_vliw_is_jump(in)) {
		int64_t rel = (int64_t)in->tgt - (int64_t)r - 1;
		if (in->op == JN_OP_GOTOL)
			s[0].imm = (int32_t)rel;
		else
			s[0].off = (int16_t)rel;
	}
	if (in->chk)
		s[0].imm = (int32_t)(0x80000000u | (uint32_t)in->chk_act << 16 | in->chk);
}

int jn_vliw_emit_imem(FILE *f, const struct jn_vliw_prog *p)
{
	for (size_t r = 0; r < p->nrows; r++) {
		struct jn_insn pend = {0};
		bool have = false;
		for (int l = 0; l < p->lanes; l++) {
			int32_t i = p->rows[r * (size_t)p->lanes + (size_t)l];
			struct jn_insn s[2] = {{0}};
			if (i == -2 && have) {
				s[0] = pend;
				have = false;
			} else if (i >= 0) {
				slot(r, &p->code[i], s);
				pend = s[1];
				have = xform(&p->code[i]) == XF_LDDW;
			}
			if (fwrite(&s[0], sizeof(s[0]), 1, f) != 1)
				return -EIO;
		}
		if (have && p->lanes == 1 && (r++, fwrite(&pend, sizeof(pend), 1, f) != 1))
			return -EIO;   /* (the second half takes the next row) */
	}
	return ferror(f) ? -EIO : 0;
}
