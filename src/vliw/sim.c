/* sim.c - Sephirot: executes the rows on one packet inside a jn_xdp
 * instance (its frame, context, maps and helpers).
 *
 * A row works as the core's pipeline does: every lane reads its operands
 * at fetch (the registers as the previous row left them), loads read
 * memory, then the row's helper call runs, then stores and atomics go to
 * memory in lane order and register results commit.  Control: among the
 * lanes that branch, jump, exit or fail a checked load, the lowest lane
 * wins.  Hardware reset: registers and the 512-byte stack are zero at the
 * start of every packet (r1 = context, r10 = stack top).
 *
 * Checked loads (pass remove-bounds): when data + K > data_end the core
 * stops with the load's action, without loading.
 *
 * Timing (docs/hxdp.md): one row per cycle; a taken branch or jump costs
 * 2 more (resolved in execute, the rows in fetch and decode are dropped);
 * a failing checked load 2 more for the same reason; a helper call stalls
 * helper_cycles; a plain exit waits 3 cycles for r0 to be committed, a
 * parameterized exit is recognised at fetch and costs nothing more.  The
 * packet arrives in 32-byte frames, one per cycle, overlapped with the
 * previous packet's processing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/bpf.h>

#include "base/base.h"
#include "vliw_internal.h"

struct jn_vliw_sim {
	const struct jn_vliw_prog *p;
	struct jn_xdp *x;
	const struct jn_helper *helpers;
	size_t n_helpers;
	uint64_t *val;              /* per instruction: resolved lddw value */
	double clock;
	unsigned hcyc;
	uint64_t max_rows;
};

static int fault(struct jn_vm_run *run, size_t row, const struct xin *in, int e, const char *what,
		 uint64_t a, unsigned sz)
{
	run->cur_pc = in->pc;
	return jn_vm_fault(run, e, "vliw: row %zu (pc %u): %s of %u bytes at %#llx not allowed", row,
			   in->pc, what, sz, (unsigned long long)a);
}

static bool in_ctx(const struct jn_vm_run *run, uint64_t a)
{
	uint64_t c = (uint64_t)(uintptr_t)run->ctx_words;
	return a >= c && a < c + 24;
}

static int load(struct jn_vm_run *run, size_t row, const struct xin *in, uint64_t a, unsigned sz,
		uint64_t *v)
{
	if (in_ctx(run, a)) {
		unsigned off = (unsigned)(a - (uint64_t)(uintptr_t)run->ctx_words);
		if (sz != 4 || off % 4)
			return fault(run, row, in, -EACCES, "context load", a, sz);
		switch (off / 4) {
		case 0: *v = (uint64_t)(uintptr_t)run->data; break;
		case 1: *v = (uint64_t)(uintptr_t)run->data_end; break;
		case 2: *v = (uint64_t)(uintptr_t)run->data_meta; break;
		case 3: *v = run->ingress_ifindex; break;
		case 4: *v = run->rx_queue_index; break;
		default: *v = run->egress_ifindex; break;
		}
		return 0;
	}
	void *m = jn_vm_mem(run, a, sz, false);
	if (!m)
		return fault(run, row, in, -EFAULT, "load", a, sz);
	*v = 0;
	memcpy(v, m, sz);
	return 0;
}

static uint64_t alu(int op, uint64_t d, uint64_t s)
{
	uint32_t d32 = (uint32_t)d, s32 = (uint32_t)s;

	switch (op) {
	case JN_OP_ADD64_K: case JN_OP_ADD64_X: return d + s;
	case JN_OP_SUB64_K: case JN_OP_SUB64_X: return d - s;
	case JN_OP_MUL64_K: case JN_OP_MUL64_X: return d * s;
	case JN_OP_DIV64_K: case JN_OP_DIV64_X: return s ? d / s : 0;
	case JN_OP_SDIV64_K: case JN_OP_SDIV64_X:
		return !s ? 0 : ((int64_t)s == -1 ? -d : (uint64_t)((int64_t)d / (int64_t)s));
	case JN_OP_OR64_K: case JN_OP_OR64_X: return d | s;
	case JN_OP_AND64_K: case JN_OP_AND64_X: return d & s;
	case JN_OP_LSH64_K: case JN_OP_LSH64_X: return d << (s & 63);
	case JN_OP_RSH64_K: case JN_OP_RSH64_X: return d >> (s & 63);
	case JN_OP_NEG64: return -d;
	case JN_OP_MOD64_K: case JN_OP_MOD64_X: return s ? d % s : d;
	case JN_OP_SMOD64_K: case JN_OP_SMOD64_X:
		return !s ? d : ((int64_t)s == -1 ? 0 : (uint64_t)((int64_t)d % (int64_t)s));
	case JN_OP_XOR64_K: case JN_OP_XOR64_X: return d ^ s;
	case JN_OP_MOV64_K: case JN_OP_MOV64_X: return s;
	case JN_OP_MOVSX64_8: return (uint64_t)(int64_t)(int8_t)s;
	case JN_OP_MOVSX64_16: return (uint64_t)(int64_t)(int16_t)s;
	case JN_OP_MOVSX64_32: return (uint64_t)(int64_t)(int32_t)s;
	case JN_OP_ARSH64_K: case JN_OP_ARSH64_X: return (uint64_t)((int64_t)d >> (s & 63));
	case JN_OP_ADD32_K: case JN_OP_ADD32_X: return (uint32_t)(d32 + s32);
	case JN_OP_SUB32_K: case JN_OP_SUB32_X: return (uint32_t)(d32 - s32);
	case JN_OP_MUL32_K: case JN_OP_MUL32_X: return (uint32_t)(d32 * s32);
	case JN_OP_DIV32_K: case JN_OP_DIV32_X: return s32 ? d32 / s32 : 0;
	case JN_OP_SDIV32_K: case JN_OP_SDIV32_X:
		return !s32 ? 0 : (uint32_t)((int32_t)s32 == -1 ? -d32 : (uint32_t)((int32_t)d32 / (int32_t)s32));
	case JN_OP_OR32_K: case JN_OP_OR32_X: return d32 | s32;
	case JN_OP_AND32_K: case JN_OP_AND32_X: return d32 & s32;
	case JN_OP_LSH32_K: case JN_OP_LSH32_X: return (uint32_t)(d32 << (s32 & 31));
	case JN_OP_RSH32_K: case JN_OP_RSH32_X: return d32 >> (s32 & 31);
	case JN_OP_NEG32: return (uint32_t)-d32;
	case JN_OP_MOD32_K: case JN_OP_MOD32_X: return s32 ? d32 % s32 : d32;
	case JN_OP_SMOD32_K: case JN_OP_SMOD32_X:
		return !s32 ? d32 : (uint32_t)((int32_t)s32 == -1 ? 0 : (uint32_t)((int32_t)d32 % (int32_t)s32));
	case JN_OP_XOR32_K: case JN_OP_XOR32_X: return d32 ^ s32;
	case JN_OP_MOV32_K: case JN_OP_MOV32_X: return s32;
	case JN_OP_MOVSX32_8: return (uint32_t)(int32_t)(int8_t)s;
	case JN_OP_MOVSX32_16: return (uint32_t)(int32_t)(int16_t)s;
	case JN_OP_ARSH32_K: case JN_OP_ARSH32_X: return (uint32_t)((int32_t)d32 >> (s32 & 31));
	case JN_OP_BE16: return __builtin_bswap16((uint16_t)d);
	case JN_OP_BE32: return __builtin_bswap32((uint32_t)d);
	case JN_OP_BE64: return __builtin_bswap64(d);
	case JN_OP_LE16: return (uint16_t)d;
	case JN_OP_LE32: return (uint32_t)d;
	case JN_OP_LE64: return d;
	case JN_XOP_ADD3_64: return d + s;
	case JN_XOP_SUB3_64: return d - s;
	case JN_XOP_OR3_64: return d | s;
	case JN_XOP_AND3_64: return d & s;
	case JN_XOP_LSH3_64: return d << (s & 63);
	case JN_XOP_RSH3_64: return d >> (s & 63);
	case JN_XOP_XOR3_64: return d ^ s;
	case JN_XOP_ADD3_32: return (uint32_t)(d32 + s32);
	case JN_XOP_AND3_32: return d32 & s32;
	case JN_XOP_LSH3_32: return (uint32_t)(d32 << (s32 & 31));
	case JN_XOP_RSH3_32: return d32 >> (s32 & 31);
	case JN_XOP_XOR3_32: return d32 ^ s32;
	default: return 0;
	}
}

static bool jcc(int op, uint64_t d, uint64_t s)
{
	uint32_t a = (uint32_t)d, b = (uint32_t)s;

	switch (op) {
	case JN_OP_JEQ_K: case JN_OP_JEQ_X: return d == s;
	case JN_OP_JGT_K: case JN_OP_JGT_X: return d > s;
	case JN_OP_JGE_K: case JN_OP_JGE_X: return d >= s;
	case JN_OP_JSET_K: case JN_OP_JSET_X: return d & s;
	case JN_OP_JNE_K: case JN_OP_JNE_X: return d != s;
	case JN_OP_JSGT_K: case JN_OP_JSGT_X: return (int64_t)d > (int64_t)s;
	case JN_OP_JSGE_K: case JN_OP_JSGE_X: return (int64_t)d >= (int64_t)s;
	case JN_OP_JLT_K: case JN_OP_JLT_X: return d < s;
	case JN_OP_JLE_K: case JN_OP_JLE_X: return d <= s;
	case JN_OP_JSLT_K: case JN_OP_JSLT_X: return (int64_t)d < (int64_t)s;
	case JN_OP_JSLE_K: case JN_OP_JSLE_X: return (int64_t)d <= (int64_t)s;
	case JN_OP_JEQ32_K: case JN_OP_JEQ32_X: return a == b;
	case JN_OP_JGT32_K: case JN_OP_JGT32_X: return a > b;
	case JN_OP_JGE32_K: case JN_OP_JGE32_X: return a >= b;
	case JN_OP_JSET32_K: case JN_OP_JSET32_X: return a & b;
	case JN_OP_JNE32_K: case JN_OP_JNE32_X: return a != b;
	case JN_OP_JSGT32_K: case JN_OP_JSGT32_X: return (int32_t)a > (int32_t)b;
	case JN_OP_JSGE32_K: case JN_OP_JSGE32_X: return (int32_t)a >= (int32_t)b;
	case JN_OP_JLT32_K: case JN_OP_JLT32_X: return a < b;
	case JN_OP_JLE32_K: case JN_OP_JLE32_X: return a <= b;
	case JN_OP_JSLT32_K: case JN_OP_JSLT32_X: return (int32_t)a < (int32_t)b;
	case JN_OP_JSLE32_K: case JN_OP_JSLE32_X: return (int32_t)a <= (int32_t)b;
	default: return true;   /* JA, GOTOL */
	}
}

/* Stores and atomics, after the row's loads and call. */
static int store(struct jn_vm_run *run, size_t row, const struct xin *in, const uint64_t *R,
		 uint64_t *wr, uint16_t *wmask)
{
	uint64_t a = R[in->dst] + (uint64_t)(int64_t)in->off, v;
	unsigned sz = jn_vliw_msize(in);
	int f = xform(in);
	void *m;

	if (in_ctx(run, a))
		return fault(run, row, in, -EACCES, "store into the context", a, sz);
	if (!(m = jn_vm_mem(run, a, sz, true)))
		return fault(run, row, in, -EFAULT, "store", a, sz);
	if (f == XF_ST || f == XF_STX || f == XF_ST6 || f == XF_STX6) {
		v = (f == XF_ST || f == XF_ST6) ? (uint64_t)(int64_t)in->imm : R[in->src];
		memcpy(m, &v, sz);
		return 0;
	}
	if (a & (sz - 1))
		return fault(run, row, in, -EINVAL, "misaligned atomic access", a, sz);
	uint64_t old = 0, s = R[in->src];
	memcpy(&old, m, sz);
	int o = in->imm & ~BPF_FETCH;
	if (f == XF_ACMPXCHG) {
		uint64_t expect = sz == 4 ? (uint32_t)R[0] : R[0];
		v = old == expect ? s : old;
		wr[0] = old;
		*wmask |= 1;
	} else if (f == XF_AXCHG) {
		v = s;
	} else {
		v = o == BPF_ADD ? old + s : o == BPF_OR ? old | s : o == BPF_AND ? old & s : old ^ s;
	}
	memcpy(m, &v, sz);
	if (f == XF_AFETCH || f == XF_AXCHG) {
		wr[in->src] = old;
		*wmask |= (uint16_t)(1u << in->src);
	}
	return 0;
}

struct rowctl { int lane; size_t next; bool exit, chkfail; uint64_t r0; };

static void control(struct rowctl *c, int lane, size_t next, bool exit, uint64_t r0, bool chk)
{
	if (c->lane >= 0)
		return;
	*c = (struct rowctl){ lane, next, exit, chk, r0 };
}

/* Execute phase A of lane l: ALU, loads, branches.  Returns 0 or a fault. */
static int lane_a(struct jn_vliw_sim *s, struct jn_vm_run *run, size_t row, int l, const struct xin *in,
		  size_t i, const uint64_t *R, uint64_t *wr, uint16_t *wm, struct rowctl *c)
{
	int f = xform(in);
	uint64_t v;
	int rc;

	switch (f) {
	case XF_ALU_K: case XF_MOV_K:
		v = alu(in->op, R[in->dst], (uint64_t)(int64_t)in->imm);
		break;
	case XF_ALU_X: case XF_MOV_X: case XF_MOVSX: case XF_NEG: case XF_END:
		v = alu(in->op, R[in->dst], R[in->src]);
		break;
	case XF_ALU3:
		v = alu(in->op, R[in->src], (uint64_t)(int64_t)in->imm);
		break;
	case XF_LDDW:
		v = s->val[i];
		break;
	case XF_LDX: case XF_LDXSX: case XF_LD6: {
		unsigned sz = jn_vliw_msize(in);
		if (in->chk && (uint64_t)(run->data_end - run->data) < in->chk) {
			control(c, l, 0, true, in->chk_act, true);
			return 0;
		}
		if ((rc = load(run, row, in, R[in->src] + (uint64_t)(int64_t)in->off, sz, &v)))
			return rc;
		if (f == XF_LDXSX)
			v = sz == 1 ? (uint64_t)(int64_t)(int8_t)v : sz == 2 ? (uint64_t)(int64_t)(int16_t)v
									: (uint64_t)(int64_t)(int32_t)v;
		break;
	}
	case XF_JA: case XF_JA32: case XF_JCC_K: case XF_JCC_X:
		if (jcc(in->op, R[in->dst], f == XF_JCC_K ? (uint64_t)(int64_t)in->imm : R[in->src]))
			control(c, l, (size_t)in->tgt, false, 0, false);
		return 0;
	case XF_EXIT:
		control(c, l, 0, true, R[0], false);
		return 0;
	case XF_EXITK:
		control(c, l, 0, true, (uint64_t)(int64_t)in->imm, false);
		return 0;
	default:
		return 0;   /* calls, stores: later phases */
	}
	wr[in->dst] = v;
	*wm |= (uint16_t)(1u << in->dst);
	return 0;
}

static int call(struct jn_vliw_sim *s, struct jn_vm_run *run, size_t row, const struct xin *in,
		const uint64_t *R, uint64_t *wr, uint16_t *wm)
{
	jn_helper_fn fn = in->imm >= 0 && (size_t)in->imm < s->n_helpers ? s->helpers[in->imm].fn : NULL;

	if (!fn)
		return jn_vm_fault(run, -EOPNOTSUPP, "vliw: row %zu (pc %u): no helper %d here", row,
				   in->pc, in->imm);
	run->cur_pc = in->pc;
	wr[0] = fn(run, R[1], R[2], R[3], R[4], R[5]);
	*wm |= 1;
	if (run->err)
		return run->err;
	if (run->pending_tail) {
		run->pending_tail = NULL;
		return jn_vm_fault(run, -EOPNOTSUPP, "vliw: row %zu (pc %u): tail calls are not "
				   "supported by the simulator", row, in->pc);
	}
	return 0;
}

static int exec_row(struct jn_vliw_sim *s, struct jn_vm_run *run, size_t row, uint64_t *R,
		    struct rowctl *c, struct jn_vliw_timing *t)
{
	const struct jn_vliw_prog *p = s->p;
	const int32_t *lanes = &p->rows[row * (size_t)p->lanes];
	uint64_t wr[JN_ISA_NREGS];
	uint16_t wm = 0;
	int flane = p->lanes, frc = 0, rc;

	for (int l = 0; l < p->lanes; l++) {
		if (lanes[l] < 0)
			continue;
		t->insns++;
		if ((rc = lane_a(s, run, row, l, &p->code[lanes[l]], (size_t)lanes[l], R, wr, &wm, c))) {
			flane = l;   /* what comes before it in program order still happens */
			frc = rc;
			break;
		}
	}
	for (int l = 0; l < flane; l++) {
		const struct xin *in = lanes[l] >= 0 ? &p->code[lanes[l]] : NULL;
		if (in && xform(in) == XF_CALL) {
			t->calls++;
			if ((rc = call(s, run, row, in, R, wr, &wm)))
				return rc;
		}
	}
	for (int l = 0; l < flane; l++) {
		const struct xin *in = lanes[l] >= 0 ? &p->code[lanes[l]] : NULL;
		if (in && jn_vliw_is_store(in) && (rc = store(run, row, in, R, wr, &wm)))
			return rc;
	}
	if (frc)
		return frc;
	for (int k = 0; k < JN_ISA_NREGS; k++)
		if (wm & (1u << k))
			R[k] = wr[k];
	return 0;
}

static int sim_exec(struct jn_vliw_sim *s, struct jn_vm_run *run, uint64_t *r0, struct jn_vliw_timing *t)
{
	const struct jn_vliw_prog *p = s->p;
	uint64_t R[JN_ISA_NREGS] = {0};
	uint8_t *top = run->stack + sizeof(run->stack);
	size_t row = 0;
	int rc;

	memset(top - JN_ISA_STACK, 0, JN_ISA_STACK);
	if (!p->ctx_mem) {
		R[1] = (uint64_t)(uintptr_t)run->ctx_words;
	} else if (run->data_end > run->data) {
		R[1] = (uint64_t)(uintptr_t)run->data;
		R[2] = (uint64_t)(run->data_end - run->data);
	}
	R[10] = (uint64_t)(uintptr_t)top;
	for (;;) {
		struct rowctl c = { .lane = -1 };
		if (row >= p->nrows)
			return jn_vm_fault(run, -EFAULT, "vliw: fell off the end at row %zu", row);
		if (++t->rows > s->max_rows)
			return jn_vm_fault(run, -E2BIG, "vliw: row budget of %llu exhausted (loop?)",
					   (unsigned long long)s->max_rows);
		if ((rc = exec_row(s, run, row, R, &c, t)))
			return rc;
		if (c.lane < 0) {
			row++;
			continue;
		}
		if (c.exit) {
			t->cycles += c.chkfail ? 2 : (p->code[p->rows[row * (size_t)p->lanes + (size_t)c.lane]].op ==
						       JN_OP_EXIT ? 3 : 0);
			*r0 = c.r0;
			return 0;
		}
		t->taken++;
		row = c.next;
	}
}

int jn_vliw_sim_run(struct jn_vliw_sim *s, const uint8_t *pkt, uint32_t len, uint64_t ts_ns,
		    struct jn_xdp_result *res, struct jn_vliw_timing *t)
{
	struct jn_vliw_timing tm = {0};
	uint64_t r0 = XDP_ABORTED;
	int rc = jn_xdp_begin(s->x, pkt, len, ts_ns, res);

	if (rc)
		return rc;
	rc = sim_exec(s, jn_xdp_run_state(s->x), &r0, &tm);
	jn_xdp_finish(s->x, rc, r0, res);
	res->insns = tm.insns;
	tm.cycles += tm.rows + 2 * tm.taken + tm.calls * s->hcyc;
	tm.frames = (len + 31) / 32;
	if (t)
		*t = tm;
	return 0;
}

int jn_vliw_exec_mem(const struct jn_vliw_prog *p, struct jn_vm_run *run,
		     const struct jn_helper *helpers, size_t n_helpers, uint64_t *r0,
		     struct jn_vliw_timing *t)
{
	struct jn_vliw_sim s = { .p = p, .helpers = helpers, .n_helpers = helpers ? n_helpers : 0,
				 .clock = 156.25, .hcyc = 2, .max_rows = 10000000 };
	struct jn_vliw_timing tm = {0};
	int rc;

	if (!(s.val = calloc(p->n ? p->n : 1, sizeof(*s.val))))
		return jn_vm_fault(run, -ENOMEM, "vliw: out of memory");
	for (size_t i = 0; i < p->n; i++) {
		const struct xin *in = &p->code[i];
		if (xform(in) == XF_LDDW && in->src == 0)
			s.val[i] = (uint64_t)(uint32_t)in->imm | (uint64_t)(uint32_t)in->imm2 << 32;
	}
	rc = sim_exec(&s, run, r0, &tm);
	free(s.val);
	if (t)
		*t = tm;
	return rc;
}

int jn_vliw_sim_new(const struct jn_vliw_prog *p, struct jn_xdp *x,
		    const struct jn_vliw_sim_opts *opts, struct jn_vliw_sim **out,
		    char *err, size_t errlen)
{
	struct jn_vliw_sim *s = calloc(1, sizeof(*s));

	if (!s || !(s->val = calloc(p->n ? p->n : 1, sizeof(*s->val)))) {
		free(s);
		return jn_errf(err, errlen, ENOMEM, "vliw: out of memory");
	}
	s->p = p;
	s->x = x;
	s->helpers = jn_xdp_helpers(x);
	s->n_helpers = JN_VM_MAX_HELPERS;
	s->clock = opts && opts->clock_mhz > 0 ? opts->clock_mhz : 156.25;
	s->hcyc = opts && opts->helper_cycles ? opts->helper_cycles : 2;
	s->max_rows = opts && opts->max_rows ? opts->max_rows : 10000000;
	for (size_t i = 0; i < p->n; i++) {
		const struct xin *in = &p->code[i];
		if (xform(in) == XF_CALL && (in->imm < 0 || in->imm >= JN_VM_MAX_HELPERS ||
					     !s->helpers[in->imm].fn)) {
			jn_vliw_sim_free(s);
			return jn_errf(err, errlen, EOPNOTSUPP, "vliw: pc %u: unsupported helper %d", in->pc,
				       in->imm);
		}
		if (xform(in) != XF_LDDW)
			continue;
		struct jn_map *m = in->src ? jn_xdp_map(x, (size_t)(uint32_t)in->imm) : NULL;
		uint32_t vsz = m ? jn_map_spec(m)->value_size : 0;
		/* a map value: imm2 = element * value_size + offset (pass arrayk) */
		uint32_t key = vsz ? (uint32_t)in->imm2 / vsz : 0;
		uint8_t *v;
		if (in->src == 0) {
			s->val[i] = (uint64_t)(uint32_t)in->imm | (uint64_t)(uint32_t)in->imm2 << 32;
		} else if (m && in->src == BPF_PSEUDO_MAP_IDX) {
			s->val[i] = (uint64_t)(uintptr_t)m;
		} else if (m && vsz && (v = jn_map_lookup(m, &key, 0)) != NULL) {
			s->val[i] = (uint64_t)(uintptr_t)(v + (uint32_t)in->imm2 % vsz);
		} else {
			jn_vliw_sim_free(s);
			return jn_errf(err, errlen, EINVAL, "vliw: pc %u: lddw refers to map %d, which "
				       "the instance has no such value for", in->pc, in->imm);
		}
	}
	*out = s;
	return 0;
}

void jn_vliw_sim_free(struct jn_vliw_sim *s)
{
	if (!s)
		return;
	free(s->val);
	free(s);
}

double jn_vliw_sim_clock(const struct jn_vliw_sim *s) { return s->clock; }
