/* to_ebpf.c - a trace lowered to one straight-line eBPF program, the input
 * of the VLIW compiler (docs/hxdp.md, "Traces on the VLIW core").
 *
 * What it emits, in order: the packet pointer from the context and, if the
 * trace's length guards (lenguard.c) narrow the length, one check of it
 * (data + lo > data_end, in the form the bounds pass turns into a checked
 * load; len > hi as a plain compare); then phase 1 as exec.c runs it:
 * first what is pure and safe before any guard (packet bytes inside the
 * checked length, context fields, arithmetic, key-0 array lookups as an
 * lddw of the value, loads from those, the keys of lookups made of them),
 * then the guards on those alone (side by side: all jump to one exit),
 * then the rest in IR order (lookups, map value loads, guard-phase helper
 * calls, their guards), each failed guard jumping to the exit with
 * JN_TRACE_MISS_CODE; then phase 2 (the effects in program order and what
 * depends on them, with phase-1 loads only effects read moved to right
 * before their first reader when nothing before it writes their bytes);
 * then the return.  Lookups build their key on the stack and call
 * bpf_map_lookup_elem (the executor's jn_map_lookup with the same
 * arguments); helper calls rebuild the stack bytes the helper reads first.
 * A computed return value gets one more guard (it must differ from the
 * miss code), so a miss is never mistaken for a hit.  Guards are not moved
 * before lookups when the trace reads an LRU map (a failed try touches the
 * entries the executor's try touches).
 *
 * Registers: the IR's refs become registers by a forward linear scan over
 * the emission order (last uses known beforehand); values live across a
 * helper call go to r6-r9, others prefer r0-r5; when none is free the live
 * value read last goes to a stack slot (or the new one does) and is
 * reloaded where it is read.  Constants are immediates where the eBPF
 * form allows, else materialised where used.  Scratch stack (lookup keys,
 * spill slots) grows from the bottom of the 512-byte frame and must stay
 * below every region a helper reads.
 *
 * What it refuses (positive JN_TVLIW_* code, err says where): listed in
 * trace.h (JN_TRACE_VLIW_REFUSALS).
 * Assumes: the trace is final and lowered (jn_tcompile ran: phase split as
 * lower.c's); operands precede their users.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/bpf.h>

#include "base/base.h"
#include "isa/isa.h"
#include "maps/maps.h"
#include "trace_internal.h"

/* ord entries below RETCHK: KEYST(i), the key of lookup i stored early */
#define KEYST(i) (-2 - (int32_t)(i))
enum { NREG = 10, FREE = -1, TEMP = -2, RETCHK = -1, KEYBUDGET = 128,
       TOP = (JN_VM_MAX_FRAMES + 1) * JN_ISA_STACK };   /* run->stack offset of r10 */

struct lw {
	const struct jn_trace *t;
	struct jn_insn *code;
	size_t n, cap;
	size_t *miss;              /* jumps to the miss exit */
	size_t nmiss, capmiss;
	int32_t *ord;              /* emission order: IR refs, RETCHK */
	uint32_t nord;
	uint32_t *def, *last;      /* per value: position defined, last used (0: entry) */
	uint32_t *callpre;         /* helper calls at positions <= p */
	int8_t *reg;               /* per value: its register, -1 none */
	int16_t *slot;             /* per value: spill slot (r10-relative), 0 none */
	int rv[NREG];              /* value in each register, FREE or TEMP */
	unsigned pin;              /* registers the instruction being emitted reads */
	int scratch;               /* next free scratch byte, r10-relative (from -512 up) */
	int keyoff, tmpslot;
	int memlo;                 /* lowest stack byte a helper reads (r10-relative), 0 none */
	int64_t lo, hi;            /* length interval */
	uint32_t vctx, vdata;      /* the context pointer, the packet as it arrived */
	uint32_t *first2;          /* order(): first phase-2 reader (IR index + 1) */
	int32_t *ga;               /* per guard: compare this ref with gimm instead (-1: as is) */
	int64_t *gimm;
	int32_t *gprog;            /* per guard on a tail call's target: the prog ref (-1: none) */
	int16_t *keyat;            /* per lookup: its own key area (0: the shared one) */
	uint8_t *keyst;            /* per lookup: the key is stored early (a KEYST entry) */
	uint8_t *used1;            /* order(): read in phase 1 */
	bool cur2, lru;            /* order(): ...; the trace looks up an LRU map */
	int reason;
	char *err;
	size_t errlen;
};

static int refuse(struct lw *w, int reason, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int refuse(struct lw *w, int reason, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (w->reason)
		return -1;
	w->reason = reason;
	if (w->err && w->errlen) {
		n = snprintf(w->err, w->errlen, "trace-vliw: %s: ", jn_trace_vliw_refusal_name(reason));
		va_start(ap, fmt);
		if (n >= 0 && (size_t)n < w->errlen)
			vsnprintf(w->err + n, w->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* ---- emitting ---- */

static int put(struct lw *w, int op, int dst, int src, int32_t off, int32_t imm)
{
	const struct jn_isa_info *in = &jn_isa_info[op];
	struct jn_insn i = { .code = in->opcode, .dst = (uint8_t)dst, .src = (uint8_t)src,
			     .off = (int16_t)off, .imm = imm };

	if (w->reason)
		return -1;
	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 64;
		struct jn_insn *c = realloc(w->code, cap * sizeof(*c));
		if (!c)
			return -ENOMEM;
		w->code = c;
		w->cap = cap;
	}
	if (in->sel == JN_SEL_OFF)
		i.off = (int16_t)in->selval;
	else if (in->sel == JN_SEL_IMM)
		i.imm = in->selval;
	else if (in->sel == JN_SEL_SRC)
		i.src = (uint8_t)in->selval;
	w->code[w->n++] = i;
	return 0;
}

static int put_lddw(struct lw *w, int op, int dst, uint64_t v)
{
	int rc = put(w, op, dst, 0, 0, (int32_t)(uint32_t)v);

	if (!rc)
		rc = put(w, JN_OP_LDDW, 0, 0, 0, (int32_t)(uint32_t)(v >> 32));
	if (!rc)
		w->code[w->n - 1].code = 0;   /* the second slot */
	return rc;
}

static int put_const(struct lw *w, int dst, uint64_t v)
{
	if ((int64_t)v == (int64_t)(int32_t)v)
		return put(w, JN_OP_MOV64_K, dst, 0, 0, (int32_t)v);
	return put_lddw(w, JN_OP_LDDW, dst, v);
}

static int jump_miss(struct lw *w, int op, int dst, int src, int32_t imm)
{
	int rc = put(w, op, dst, src, 0, imm);

	if (rc)
		return rc;
	if (w->nmiss == w->capmiss) {
		size_t cap = w->capmiss ? 2 * w->capmiss : 32;
		size_t *m = realloc(w->miss, cap * sizeof(*m));
		if (!m)
			return -ENOMEM;
		w->miss = m;
		w->capmiss = cap;
	}
	w->miss[w->nmiss++] = w->n - 1;
	return 0;
}

/* A lookup that cannot fail and always gives one pointer: key 0 of an
 * array (the configuration entry, .bss/.data): an lddw of the value's
 * address, as the simulator resolves it at load, instead of a call. */
static bool fixed_lookup(const struct jn_trace *t, int32_t v)
{
	const struct jn_tins *in;
	uint32_t type;

	if (v < 0 || (uint32_t)v >= t->n || (in = &t->ir[v])->op != JN_TIR_LOOKUP || in->b != 1 ||
	    t->chunk_sz[in->a] != 4 || t->ir[t->chunks[in->a]].op != JN_TIR_KINT ||
	    t->ir[t->chunks[in->a]].k != 0)
		return false;
	type = jn_map_spec(t->maps[in->k])->type;
	return type == BPF_MAP_TYPE_ARRAY || type == BPF_MAP_TYPE_PERCPU_ARRAY;
}

/* ---- registers ---- */

static bool is_const(const struct lw *w, int32_t v)
{
	return v >= 0 && (uint32_t)v < w->t->n && w->t->ir[v].op == JN_TIR_KINT;
}

static bool fits_imm(const struct lw *w, int32_t v)
{
	return is_const(w, v) && w->t->ir[v].k == (int64_t)(int32_t)w->t->ir[v].k;
}

static int spill_slot(struct lw *w, uint32_t v)
{
	if (!w->slot[v]) {
		w->slot[v] = (int16_t)w->scratch;
		w->scratch += 8;
	}
	return w->slot[v];
}

/* Free a register from the cands (n of them, none in avoid or pinned) by
 * moving the value used last of those they hold to its stack slot, if it
 * is used later than `than`; -1 if none. */
static int evict(struct lw *w, const int *cands, int n, unsigned avoid, uint32_t than)
{
	int best = -1;

	for (int i = 0; i < n; i++) {
		int r = cands[i], v = w->rv[r];
		if (v < 0 || ((avoid | w->pin) & (1u << r)) || w->last[v] <= than)
			continue;
		if (best < 0 || w->last[v] > w->last[w->rv[best]])
			best = r;
	}
	if (best < 0)
		return -1;
	int v = w->rv[best];
	if (put(w, JN_OP_STXDW, 10, best, spill_slot(w, (uint32_t)v), 0))
		return -1;
	w->reg[v] = -1;
	w->rv[best] = FREE;
	return best;
}

static const int low_first[NREG] = {0, 5, 4, 3, 2, 1, 9, 8, 7, 6}, callee[4] = {6, 7, 8, 9};

static int scratch(struct lw *w, unsigned avoid)
{
	int r = -1;

	for (int i = 0; i < NREG && r < 0; i++)
		if (w->rv[low_first[i]] == FREE && !(avoid & (1u << low_first[i])))
			r = low_first[i];
	if (r < 0 && (r = evict(w, low_first, NREG, avoid, 0)) < 0)
		return w->reason ? -1 : refuse(w, JN_TVLIW_REGS, "no free register");
	w->rv[r] = TEMP;
	w->pin |= 1u << r;
	return r;
}

static void release_temps(struct lw *w)
{
	w->pin = 0;
	for (int r = 0; r < NREG; r++)
		if (w->rv[r] == TEMP)
			w->rv[r] = FREE;
}

/* A register holding value v now: its own, or a temporary (constants,
 * spilled values).  Negative on refusal. */
static int get(struct lw *w, int32_t v, unsigned avoid)
{
	int r;

	if (!is_const(w, v) && w->reg[v] >= 0) {
		w->pin |= 1u << w->reg[v];
		return w->reg[v];
	}
	if ((r = scratch(w, avoid)) < 0)
		return r;
	if (is_const(w, v))
		return put_const(w, r, (uint64_t)w->t->ir[v].k) ? -1 : r;
	if (!w->slot[v])
		return refuse(w, JN_TVLIW_OP, "value %d used before it is computed", v);
	return put(w, JN_OP_LDXDW, r, 10, w->slot[v], 0) ? -1 : r;
}

static bool crosses(const struct lw *w, uint32_t v)
{
	return w->last[v] > w->def[v] + 1 && w->callpre[w->last[v] - 1] > w->callpre[w->def[v]];
}

/* Values whose last use is position p leave their registers. */
static void expire(struct lw *w, uint32_t p)
{
	for (int r = 0; r < NREG; r++)
		if (w->rv[r] >= 0 && w->last[w->rv[r]] <= p) {
			w->reg[w->rv[r]] = -1;
			w->rv[r] = FREE;
		}
}

/* The register value v is computed into (never one in avoid); done()
 * afterwards stores it if it was spilled. */
static int alloc(struct lw *w, uint32_t v, unsigned avoid)
{
	bool x = crosses(w, v);
	const int *o = x ? callee : low_first;
	int no = x ? 4 : NREG, r = -1;

	if (w->last[v] <= w->def[v])
		return scratch(w, avoid);   /* nobody reads it */
	for (int i = 0; i < no && r < 0; i++)
		if (w->rv[o[i]] == FREE && !(avoid & (1u << o[i])))
			r = o[i];
	if (r < 0)
		r = evict(w, o, no, avoid, w->last[v]);
	if (r < 0) {   /* v itself goes to the stack */
		spill_slot(w, v);
		return scratch(w, avoid);
	}
	w->rv[r] = (int)v;
	w->reg[v] = (int8_t)r;
	return r;
}

static int done(struct lw *w, uint32_t v, int r)
{
	if (w->slot[v] && w->reg[v] < 0 && w->last[v] > w->def[v])
		return put(w, JN_OP_STXDW, 10, r, w->slot[v], 0);
	return 0;
}


/* ---- memory of any size (1..8 bytes, little-endian pieces of 4, 2, 1) ---- */

static int op_sz(int base, unsigned sz)
{
	/* base is the 4-byte form; W, H, B, DW follow in the table */
	return base + (sz == 4 ? 0 : sz == 2 ? 1 : sz == 1 ? 2 : 3);
}

static unsigned piece(unsigned left)
{
	return left >= 8 ? 8 : left >= 4 ? 4 : left >= 2 ? 2 : 1;
}

/* dst = sz bytes at base + off (dst != base when sz is not 1, 2, 4, 8). */
static int load_n(struct lw *w, int dst, int base, int32_t off, unsigned sz)
{
	unsigned p = piece(sz), at = p;
	int tmp, rc;

	if ((rc = put(w, op_sz(JN_OP_LDXW, p), dst, base, off, 0)) || at == sz)
		return rc;
	if ((tmp = scratch(w, 1u << dst | 1u << base)) < 0)
		return -1;
	for (; at < sz; at += p) {
		p = piece(sz - at);
		if ((rc = put(w, op_sz(JN_OP_LDXW, p), tmp, base, off + (int32_t)at, 0)) ||
		    (rc = put(w, JN_OP_LSH64_K, tmp, 0, 0, (int32_t)(8 * at))) ||
		    (rc = put(w, JN_OP_OR64_X, dst, tmp, 0, 0)))
			return rc;
	}
	return 0;
}

/* sz bytes of value v at base + off. */
static int store_n(struct lw *w, int base, int32_t off, int32_t v, unsigned sz)
{
	int r = -1, tmp = -1, rc;

	if (is_const(w, v)) {
		uint64_t k = (uint64_t)w->t->ir[v].k;
		if (sz != 8 || fits_imm(w, v)) {
			for (unsigned at = 0, p; at < sz; at += p) {
				p = piece(sz - at);
				if ((rc = put(w, op_sz(JN_OP_STW, p), base, 0, off + (int32_t)at,
					      (int32_t)(uint32_t)(k >> (8 * at)))))
					return rc;
			}
			return 0;
		}
	}
	if ((r = get(w, v, 1u << base)) < 0)
		return -1;
	for (unsigned at = 0, p; at < sz; at += p) {
		p = piece(sz - at);
		if (!at) {
			rc = put(w, op_sz(JN_OP_STXW, p), base, r, off, 0);
		} else {
			if (tmp < 0 && (tmp = scratch(w, 1u << base | 1u << r)) < 0)
				return -1;
			rc = put(w, JN_OP_MOV64_X, tmp, r, 0, 0);
			rc = rc ? rc : put(w, JN_OP_RSH64_K, tmp, 0, 0, (int32_t)(8 * at));
			rc = rc ? rc : put(w, op_sz(JN_OP_STXW, p), base, tmp, off + (int32_t)at, 0);
		}
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- one IR instruction each ---- */

static int emit_alu(struct lw *w, uint32_t pos, uint32_t i)
{
	const struct jn_tins *in = &w->t->ir[i];
	int op = (int)in->k, form = jn_isa_info[op].form, ra, rb = -1, d, rc;
	bool unary = in->b < 0 || jn_trace_alu_unary(op);
	bool alu32 = JN_CLASS(jn_isa_info[op].opcode) == JN_CLS_ALU;
	bool kf = !unary && (alu32 ? is_const(w, in->b) : fits_imm(w, in->b)) &&
		  jn_isa_info[op - 1].form == JN_FORM_ALU_K;

	if ((ra = get(w, in->a, 0)) < 0 || (!unary && !kf && (rb = get(w, in->b, 0)) < 0))
		return -1;
	expire(w, pos);
	if ((d = alloc(w, i, rb >= 0 && rb != ra ? 1u << rb : 0)) < 0)
		return -1;
	if (form == JN_FORM_MOVSX || form == JN_FORM_MOV_X) {
		rc = put(w, op, d, ra, 0, 0);
	} else {
		rc = d != ra ? put(w, JN_OP_MOV64_X, d, ra, 0, 0) : 0;
		if (!rc && unary)
			rc = put(w, op, d, 0, 0, 0);
		else if (!rc)
			rc = put(w, kf ? op - 1 : op, d, kf ? 0 : rb, 0,
				 kf ? (int32_t)w->t->ir[in->b].k : 0);
	}
	return rc ? rc : done(w, i, d);
}

/* The eBPF jump taken when cond c holds (64-bit, then 32-bit forms). */
static const int jumps[JN_TC__COUNT][2] = {
	[JN_TC_EQ] = {JN_OP_JEQ_K, JN_OP_JEQ32_K}, [JN_TC_NE] = {JN_OP_JNE_K, JN_OP_JNE32_K},
	[JN_TC_GT] = {JN_OP_JGT_K, JN_OP_JGT32_K}, [JN_TC_LE] = {JN_OP_JLE_K, JN_OP_JLE32_K},
	[JN_TC_GE] = {JN_OP_JGE_K, JN_OP_JGE32_K}, [JN_TC_LT] = {JN_OP_JLT_K, JN_OP_JLT32_K},
	[JN_TC_SGT] = {JN_OP_JSGT_K, JN_OP_JSGT32_K}, [JN_TC_SLE] = {JN_OP_JSLE_K, JN_OP_JSLE32_K},
	[JN_TC_SGE] = {JN_OP_JSGE_K, JN_OP_JSGE32_K}, [JN_TC_SLT] = {JN_OP_JSLT_K, JN_OP_JSLT32_K},
	[JN_TC_SET] = {JN_OP_JSET_K, JN_OP_JSET32_K}, [JN_TC_NSET] = {-1, -1},
};

/* ---- tail calls ----
 * The core cannot read a prog_array, so a guard on a tail call's target
 * (prog(map, idx) cond K) is compiled against the slots as they are when
 * the trace is lowered: the slots where it fails and whether it fails for
 * an index past the last slot (the target is then -1, as for an empty
 * slot) become tests of the index alone (a u32, as the helper reads it).
 * jn_trace_ebpf_slots lists the slots read; the NIC lowers the trace again
 * when one of them changes. */

/* The program a tail call through slot idx of map runs (-1: none), as
 * the helper and the executor find it. */
static uint64_t slot_prog(const struct jn_trace *t, int64_t map, uint32_t idx)
{
	uint32_t prog;

	return jn_map_prog_at(t->maps[map], idx, &prog) == 0 && jn_xdp_prog_vm(t->x, prog) ? prog
												: (uint64_t)-1;
}

/* The guard's outcome for target v (its operands in the guard's order). */
static bool prog_holds(const struct jn_trace *t, const struct jn_tins *g, int32_t pr, uint64_t v)
{
	bool left = g->a == pr;
	uint64_t k = (uint64_t)t->ir[left ? g->b : g->a].k;

	return jn_trace_cmp((int)g->k, g->sz, left ? v : k, left ? k : v);
}

static int emit_prog_guard(struct lw *w, uint32_t pos, uint32_t i)
{
	const struct jn_trace *t = w->t;
	const struct jn_tins *g = &t->ir[i], *pr = &t->ir[w->gprog[i]];
	uint32_t nslot = jn_map_spec(t->maps[pr->k])->max_entries;
	uint64_t fail = 0, ok;
	int r, tmp, sh, rc = 0;

	if (is_const(w, pr->a)) {   /* known now */
		expire(w, pos);
		return prog_holds(t, g, w->gprog[i], slot_prog(t, pr->k, (uint32_t)t->ir[pr->a].k)) ? 0 :
		       jump_miss(w, JN_OP_JA, 0, 0, 0);
	}
	for (uint32_t s = 0; s < nslot; s++)   /* nslot <= 64 (check_prog) */
		fail |= (uint64_t)!prog_holds(t, g, w->gprog[i], slot_prog(t, pr->k, s)) << s;
	ok = ~fail & (nslot < 64 ? (1ULL << nslot) - 1 : ~0ULL);
	if ((r = get(w, pr->a, 0)) < 0)
		return -1;
	if (prog_holds(t, g, w->gprog[i], (uint64_t)-1)) {   /* past the end holds: no failing slot */
		for (uint32_t s = 0; s < nslot && !rc; s++)
			if (fail >> s & 1)
				rc = jump_miss(w, JN_OP_JEQ32_K, r, 0, (int32_t)s);
	} else if (!ok) {
		rc = jump_miss(w, JN_OP_JA, 0, 0, 0);
	} else if (!(ok & (ok - 1))) {   /* one slot holds */
		rc = jump_miss(w, JN_OP_JNE32_K, r, 0, __builtin_ctzll(ok));
	} else {   /* idx <= the last slot that holds, and bit idx of ok set */
		if ((tmp = scratch(w, 0)) < 0 || (sh = scratch(w, 0)) < 0)
			return -1;
		rc = jump_miss(w, JN_OP_JGT32_K, r, 0, 63 - __builtin_clzll(ok));
		rc = rc ? rc : put(w, JN_OP_MOV32_X, sh, r, 0, 0);
		rc = rc ? rc : put_const(w, tmp, ok);
		rc = rc ? rc : put(w, JN_OP_RSH64_X, tmp, sh, 0, 0);
		rc = rc ? rc : put(w, JN_OP_AND64_K, tmp, 0, 0, 1);
		rc = rc ? rc : jump_miss(w, JN_OP_JEQ_K, tmp, 0, 0);
	}
	expire(w, pos);
	return rc;
}

/* if !(a cond b) goto miss */
static int emit_guard(struct lw *w, uint32_t pos, uint32_t i)
{
	const struct jn_tins *in = &w->t->ir[i];
	int fail = (int)in->k ^ 1, w32 = in->sz == 4, ra, rb = -1, rc;
	bool kf = w->ga[i] >= 0 || (w32 ? is_const(w, in->b) : fits_imm(w, in->b));
	int32_t imm = w->ga[i] >= 0 ? (int32_t)w->gimm[i] : kf ? (int32_t)w->t->ir[in->b].k : 0;
	int32_t a = w->ga[i] >= 0 ? w->ga[i] : in->a;

	if (in->k < 0 || in->k >= JN_TC__COUNT)
		return refuse(w, JN_TVLIW_OP, "ir %u: guard condition %lld", i, (long long)in->k);
	if (w->gprog[i] >= 0)
		return emit_prog_guard(w, pos, i);
	if (fixed_lookup(w->t, in->a) && is_const(w, in->b) && !w->t->ir[in->b].k &&
	    (in->k == JN_TC_NE || in->k == JN_TC_EQ)) {   /* never null */
		expire(w, pos);
		return in->k == JN_TC_NE ? 0 : jump_miss(w, JN_OP_JA, 0, 0, 0);
	}
	if ((ra = get(w, a, 0)) < 0 || (!kf && (rb = get(w, in->b, 0)) < 0))
		return -1;
	if (fail == JN_TC_NSET) {   /* a & b == 0 fails a guard a & b */
		int tmp = scratch(w, 0);
		if (tmp < 0)
			return -1;
		rc = put(w, JN_OP_MOV64_X, tmp, ra, 0, 0);
		rc = rc ? rc : put(w, kf ? JN_OP_AND64_K : JN_OP_AND64_X, tmp, kf ? 0 : rb, 0, imm);
		rc = rc ? rc : jump_miss(w, w32 ? JN_OP_JEQ32_K : JN_OP_JEQ_K, tmp, 0, 0);
	} else {
		rc = jump_miss(w, jumps[fail][w32] + !kf, ra, kf ? 0 : rb, imm);
	}
	expire(w, pos);
	return rc;
}

static int emit_load(struct lw *w, uint32_t pos, uint32_t i)
{
	const struct jn_tins *in = &w->t->ir[i];
	int base, d, rc;
	int64_t lim = w->lo > JN_XDP_MIN_LEN ? w->lo : JN_XDP_MIN_LEN;
	bool pow2 = in->sz == 1 || in->sz == 2 || in->sz == 4 || in->sz == 8;

	if (in->op == JN_TIR_PLOAD && (in->k < 0 || in->k + in->sz > lim))
		return refuse(w, JN_TVLIW_PKT_RANGE, "ir %u: %u bytes at packet offset %lld, length >= %lld",
			      i, in->sz, (long long)in->k, (long long)lim);
	if (in->k < -32768 || in->k > 32767 - 8 || in->sz < 1 || in->sz > 8)
		return refuse(w, JN_TVLIW_OP, "ir %u: load of %u bytes at offset %lld", i, in->sz,
			      (long long)in->k);
	if (in->op == JN_TIR_CTXF && in->sz != 4 && in->sz != 0)
		return refuse(w, JN_TVLIW_OP, "ir %u: context field of %u bytes", i, in->sz);
	base = get(w, in->op == JN_TIR_PLOAD ? (int32_t)w->vdata : in->op == JN_TIR_CTXF ?
		   (int32_t)w->vctx : in->a, 0);
	if (base < 0)
		return -1;
	expire(w, pos);
	if ((d = alloc(w, i, pow2 ? 0 : 1u << base)) < 0)
		return -1;
	rc = load_n(w, d, base, (int32_t)in->k, in->op == JN_TIR_CTXF ? 4 : in->sz);
	return rc ? rc : done(w, i, d);
}

/* Bytes a guard-phase helper call left on the stack (a queue or stack
 * peek's value): the call wrote them at r10 + (k - TOP), above the
 * scratch (memlo counts them). */
static int emit_out(struct lw *w, uint32_t pos, uint32_t i)
{
	const struct jn_tins *in = &w->t->ir[i];
	int64_t rel = in->k - TOP;
	int d, rc;

	if (in->sz < 1 || in->sz > 8 || rel < -JN_ISA_STACK || rel + in->sz > 0)
		return refuse(w, JN_TVLIW_STACK, "ir %u: %u bytes at stack offset %lld", i, in->sz,
			      (long long)in->k);
	expire(w, pos);
	if ((d = alloc(w, i, 0)) < 0)
		return -1;
	rc = load_n(w, d, 10, (int32_t)rel, in->sz);
	return rc ? rc : done(w, i, d);
}

/* The packet length as it arrived: data_end - data (phase 1 only). */
static int emit_len(struct lw *w, uint32_t pos, uint32_t i)
{
	int rc, c = get(w, (int32_t)w->vctx, 0), dt = c < 0 ? -1 : get(w, (int32_t)w->vdata, 1u << c), d;

	if (dt < 0)
		return -1;
	expire(w, pos);
	if ((d = alloc(w, i, 1u << dt | 1u << c)) < 0)
		return -1;
	rc = put(w, JN_OP_LDXW, d, c, 4, 0);
	rc = rc ? rc : put(w, JN_OP_SUB64_X, d, dt, 0, 0);
	return rc ? rc : done(w, i, d);
}

static int emit_store(struct lw *w, uint32_t pos, uint32_t i)
{
	const struct jn_tins *in = &w->t->ir[i];
	bool pkt = in->op == JN_TIR_PSTORE;
	int base = get(w, pkt ? (int32_t)w->vdata : in->a, 0), rc;

	if (base < 0)
		return -1;
	if (in->k < -32768 || in->k > 32767 - 8 || in->sz < 1 || in->sz > 8)
		return refuse(w, JN_TVLIW_OP, "ir %u: store of %u bytes at offset %lld", i, in->sz,
			      (long long)in->k);
	rc = store_n(w, base, (int32_t)in->k, pkt ? in->a : in->b, in->sz);
	expire(w, pos);
	return rc;
}

/* ---- helper calls ---- */

struct mv { int dst, src; int32_t add; int kind; int64_t v; };   /* src < 0: not a register */

/* r1..r5 = the arguments, a parallel move: register sources first (a
 * cycle goes through the stack), then what needs no register. */
static int args(struct lw *w, struct mv *m, int nm)
{
	int rc = 0;
	bool left = true;

	while (left && !rc) {
		left = false;
		bool moved = false;
		for (int i = 0; i < nm && !rc; i++) {
			bool blocked = false;
			if (m[i].src < 0 || m[i].kind < 0)
				continue;
			for (int j = 0; j < nm; j++)
				blocked |= j != i && m[j].kind >= 0 && m[j].src == m[i].dst;
			if (blocked) {
				left = true;
				continue;
			}
			if (m[i].dst != m[i].src)
				rc = put(w, JN_OP_MOV64_X, m[i].dst, m[i].src, 0, 0);
			if (!rc && m[i].add)
				rc = put(w, JN_OP_ADD64_K, m[i].dst, 0, 0, m[i].add);
			m[i].kind = -1;   /* done */
			moved = true;
		}
		if (left && !moved && !rc) {   /* a cycle: park one source on the stack */
			for (int i = 0; i < nm; i++)
				if (m[i].src >= 0 && m[i].kind >= 0) {
					rc = put(w, JN_OP_STXDW, 10, m[i].src, w->tmpslot, 0);
					m[i].src = -1;
					m[i].kind = JN_TA_NONE + 100;   /* from the parked slot */
					break;
				}
		}
	}
	for (int i = 0; i < nm && !rc; i++) {
		switch (m[i].kind) {
		case -1: break;
		case JN_TA_NONE + 100: rc = put(w, JN_OP_LDXDW, m[i].dst, 10, w->tmpslot, 0); break;
		case JN_TA_MAP: rc = put_lddw(w, JN_OP_LDDW_MAP_IDX, m[i].dst, (uint64_t)m[i].v); break;
		case JN_TA_STACK: rc = put(w, JN_OP_MOV64_X, m[i].dst, 10, 0, 0); break;
		default:   /* a constant, or a spilled value */
			rc = is_const(w, (int32_t)m[i].v) ? put_const(w, m[i].dst, (uint64_t)w->t->ir[m[i].v].k)
							   : put(w, JN_OP_LDXDW, m[i].dst, 10, w->slot[m[i].v], 0);
			break;
		}
		if (!rc && m[i].kind != -1 && m[i].add)
			rc = put(w, JN_OP_ADD64_K, m[i].dst, 0, 0, m[i].add);
	}
	return rc;
}

/* The argument i of c as a move into r(i+1). */
static int arg_move(struct lw *w, const struct jn_tcall *c, int i, struct mv *m)
{
	int32_t v = -1;

	*m = (struct mv){ .dst = i + 1, .src = -1, .kind = c->kind[i], .v = c->val[i] };
	switch (c->kind[i]) {
	case JN_TA_VAL: v = (int32_t)c->val[i]; break;
	case JN_TA_MAP: return 0;
	case JN_TA_STACK:
		m->add = (int32_t)(c->val[i] - TOP);
		if (c->val[i] < TOP - JN_ISA_STACK || c->val[i] > TOP)
			return refuse(w, JN_TVLIW_STACK, "helper %d: argument %d at stack offset %lld",
				      c->helper, i + 1, (long long)c->val[i]);
		return 0;
	case JN_TA_PKT: v = (int32_t)w->vdata; m->add = (int32_t)c->val[i]; break;
	case JN_TA_CTX: v = (int32_t)w->vctx; break;
	default: return 0;
	}
	m->v = v;
	if (!is_const(w, v) && w->reg[v] >= 0)
		m->src = w->reg[v];
	else if (!is_const(w, v) && !w->slot[v])
		return refuse(w, JN_TVLIW_OP, "helper %d: argument %d not computed", c->helper, i + 1);
	return 0;
}

/* The result of the call at pos (in r0) to value i's home. */
static int result(struct lw *w, uint32_t pos, uint32_t i)
{
	int d;

	for (int r = 0; r <= 5; r++)   /* the call clobbered them */
		if (w->rv[r] == TEMP)
			w->rv[r] = FREE;
	expire(w, pos);
	if (w->last[i] <= w->def[i])
		return 0;
	if (w->rv[0] == FREE && !crosses(w, i)) {
		w->rv[0] = (int)i;
		w->reg[i] = 0;
		return 0;
	}
	if ((d = alloc(w, i, 0)) < 0)
		return -1;
	if (d && put(w, JN_OP_MOV64_X, d, 0, 0, 0))
		return -1;
	return done(w, i, d);
}

static int emit_call(struct lw *w, uint32_t pos, uint32_t i)
{
	const struct jn_tins *in = &w->t->ir[i];
	const struct jn_tcall *c = &w->t->calls[in->k];
	struct mv m[5];
	int nm = 0;

	for (uint32_t k = 0; k < c->nmem; k++) {
		const struct jn_tmem *me = &w->t->mems[c->mem0 + k];
		int32_t rel = me->off - TOP;
		if (rel < -JN_ISA_STACK || rel + me->sz > 0)
			return refuse(w, JN_TVLIW_STACK, "ir %u: helper %d reads stack offset %d", i,
				      c->helper, me->off);
		if (store_n(w, 10, rel, me->ref, me->sz))
			return -1;
		release_temps(w);
	}
	for (int a = 0; a < 5; a++)
		if (c->kind[a] != JN_TA_NONE && arg_move(w, c, a, &m[nm++]))
			return -1;
	if (args(w, m, nm) || put(w, JN_OP_CALL, 0, 0, 0, c->helper))
		return -1;
	return result(w, pos, i);
}

/* The key of lookup i into its area of the stack. */
static int store_key(struct lw *w, uint32_t i)
{
	const struct jn_tins *in = &w->t->ir[i];
	int32_t off = w->keyat[i] ? w->keyat[i] : w->keyoff;

	for (int32_t c = in->a; c < in->a + in->b; c++) {
		if (store_n(w, 10, off, w->t->chunks[c], w->t->chunk_sz[c]))
			return -1;
		release_temps(w);
		off += w->t->chunk_sz[c];
	}
	return 0;
}

static int emit_lookup(struct lw *w, uint32_t pos, uint32_t i)
{
	const struct jn_tins *in = &w->t->ir[i];
	int32_t off = w->keyoff;
	int d;

	if (fixed_lookup(w->t, (int32_t)i)) {
		expire(w, pos);
		if ((d = alloc(w, i, 0)) < 0 || put_lddw(w, JN_OP_LDDW_MAP_IDX_VAL, d, (uint64_t)in->k))
			return -1;
		return done(w, i, d);
	}
	if (!w->keyst[i] && store_key(w, i))
		return -1;
	off = w->keyat[i] ? w->keyat[i] : w->keyoff;
	if (put_lddw(w, JN_OP_LDDW_MAP_IDX, 1, (uint64_t)in->k) || put(w, JN_OP_MOV64_X, 2, 10, 0, 0) ||
	    put(w, JN_OP_ADD64_K, 2, 0, 0, off) || put(w, JN_OP_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem))
		return -1;
	return result(w, pos, i);
}

/* ---- the order, liveness, the program ---- */

static bool phase2(const struct jn_tins *in)
{
	return jn_tir_kind[in->op] == JN_TK_E || (in->flags & JN_TF_POST);
}

static void use(struct lw *w, int32_t v, uint32_t p)
{
	if (v >= 0 && !is_const(w, v) && w->last[v] < p)
		w->last[v] = p;
}

/* f(w, v, p) for every value v the instruction e (at position p) reads. */
typedef void use_fn(struct lw *w, int32_t v, uint32_t p);
static void uses(struct lw *w, int32_t e, uint32_t p, use_fn *f)
{
	const struct jn_trace *t = w->t;
	const struct jn_tins *in;

	if (e == RETCHK) {
		f(w, t->ir[t->n - 1].a, p);
		return;
	}
	if (e < RETCHK) {   /* KEYST */
		in = &t->ir[KEYST(e)];
		for (int32_t c = in->a; c < in->a + in->b; c++)
			f(w, t->chunks[c], p);
		return;
	}
	in = &t->ir[e];
	switch (in->op) {
	case JN_TIR_LEN: f(w, (int32_t)w->vctx, p); f(w, (int32_t)w->vdata, p); break;
	case JN_TIR_PLOAD: f(w, (int32_t)w->vdata, p); break;
	case JN_TIR_PSTORE: f(w, (int32_t)w->vdata, p); f(w, in->a, p); break;
	case JN_TIR_CTXF: f(w, (int32_t)w->vctx, p); break;
	case JN_TIR_ALU: f(w, in->a, p); f(w, in->b, p); break;
	case JN_TIR_MLOAD: case JN_TIR_RET: f(w, in->a, p); break;
	case JN_TIR_GUARD:
		if (w->ga[e] >= 0 || w->gprog[e] >= 0) {
			f(w, w->ga[e] >= 0 ? w->ga[e] : t->ir[w->gprog[e]].a, p);
			break;
		}
		/* fall through */
	case JN_TIR_MSTORE: f(w, in->a, p); f(w, in->b, p); break;
	case JN_TIR_LOOKUP:
		for (int32_t c = in->a; !w->keyst[e] && c < in->a + in->b; c++)
			f(w, t->chunks[c], p);
		break;
	case JN_TIR_CALL: case JN_TIR_ECALL: {
		const struct jn_tcall *c = &t->calls[in->k];
		for (uint32_t k = 0; k < c->nmem; k++)
			f(w, t->mems[c->mem0 + k].ref, p);
		for (int a = 0; a < 5; a++) {
			if (c->kind[a] == JN_TA_VAL)
				f(w, (int32_t)c->val[a], p);
			else if (c->kind[a] == JN_TA_PKT)
				f(w, (int32_t)w->vdata, p);
			else if (c->kind[a] == JN_TA_CTX)
				f(w, (int32_t)w->vctx, p);
		}
		break;
	}
	default:
		break;
	}
}

/* Users of each value: the first phase-2 one (IR index + 1), any in phase 1. */
static void mark_user(struct lw *w, int32_t v, uint32_t p)
{
	if (v < 0 || is_const(w, v) || (uint32_t)v >= w->t->n)
		return;
	if (!w->cur2)
		w->used1[v] = 1;
	else if (!w->first2[v])
		w->first2[v] = p;
}

/* A phase-1 load read by phase 2 alone may wait for its first reader if
 * nothing before that can change the bytes it reads. */
static bool sinkable(const struct lw *w, uint32_t i)
{
	const struct jn_trace *t = w->t;
	const struct jn_tins *in = &t->ir[i];

	if ((in->op != JN_TIR_PLOAD && in->op != JN_TIR_MLOAD) || w->used1[i] || !w->first2[i] ||
	    t->n > 4096)   /* the check is quadratic */
		return false;
	for (uint32_t j = 0; j + 1 < w->first2[i]; j++) {
		const struct jn_tins *s = &t->ir[j];
		if (!phase2(s) || s->op == JN_TIR_KINT)
			continue;
		if (s->op == JN_TIR_ECALL)
			return false;
		if (s->op == JN_TIR_PSTORE && in->op == JN_TIR_PLOAD && s->k < in->k + in->sz &&
		    in->k < s->k + s->sz)
			return false;
		if (s->op == JN_TIR_MSTORE && in->op == JN_TIR_MLOAD &&
		    (t->ir[s->a].op != JN_TIR_LOOKUP || t->ir[s->a].k == in->b) &&
		    (s->a != in->a || (s->k < in->k + in->sz && in->k < s->k + s->sz)))
			return false;
	}
	return true;
}

/* Pure and safe to run before any guard: packet and context reads (the
 * length check comes first), arithmetic, fixed lookups and their loads;
 * and the guards on those alone, unless the trace looks up an LRU map
 * (a failed try then touches the same entries as the executor's). */
static bool hoistable(const struct lw *w, const uint8_t *h, uint32_t i)
{
	const struct jn_tins *in = &w->t->ir[i];
#define OK(v) ((v) < 0 || is_const(w, v) || h[v])
	switch (in->op) {
	case JN_TIR_PLOAD: case JN_TIR_CTXF: case JN_TIR_LEN: return true;
	case JN_TIR_ALU: return OK(in->a) && OK(in->b);
	case JN_TIR_LOOKUP: return fixed_lookup(w->t, (int32_t)i);
	case JN_TIR_MLOAD: return fixed_lookup(w->t, in->a) && OK(in->a);
	case JN_TIR_GUARD:
		if (w->gprog[i] >= 0)
			return !w->lru && OK(w->t->ir[w->gprog[i]].a);
		return !w->lru && OK(in->a) && OK(in->b);
	default: return false;
	}
#undef OK
}

/* A phase-1 lookup whose key is made of hoisted values and constants
 * alone: its key can be stored before the guards, into its own area. */
static bool early_key(const struct lw *w, const uint8_t *h, const uint8_t *skip, uint32_t i,
		      uint32_t *budget)
{
	const struct jn_tins *in = &w->t->ir[i];
	uint32_t sz = 0;

	if (skip[i] || in->op != JN_TIR_LOOKUP || phase2(in) || fixed_lookup(w->t, (int32_t)i))
		return false;
	for (int32_t c = in->a; c < in->a + in->b; c++) {
		int32_t v = w->t->chunks[c];
		if (!is_const(w, v) && !h[v])
			return false;
		sz += w->t->chunk_sz[c];
	}
	sz = (sz + 7) & ~7u;
	if (sz > *budget)
		return false;
	*budget -= sz;
	return true;
}

/* The emission order: phase 1 with what is hoistable first, the return
 * value's check, phase 2 with each sunk load right before its first reader. */
static int order(struct lw *w, uint8_t *skip)
{
	const struct jn_trace *t = w->t;
	const struct jn_tins *ret = &t->ir[t->n - 1];
	uint8_t *h = calloc(t->n, 1);

	w->first2 = calloc(t->n, sizeof(*w->first2));
	w->used1 = calloc(t->n, 1);
	if (!h || !w->first2 || !w->used1) {
		free(h);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < t->n; i++) {
		uint32_t type = t->ir[i].op == JN_TIR_LOOKUP ? jn_map_spec(t->maps[t->ir[i].k])->type : 0;
		w->lru |= type == BPF_MAP_TYPE_LRU_HASH || type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
		if (skip[i])
			continue;
		w->cur2 = phase2(&t->ir[i]);
		uses(w, (int32_t)i, i + 1, mark_user);
	}
	if (ret->a >= 0 && !is_const(w, ret->a))
		w->used1[ret->a] = 1;   /* the return value's check */
	for (uint32_t i = 0; i < t->n; i++) {
		if (skip[i] || phase2(&t->ir[i]))
			continue;
		if (sinkable(w, i))
			skip[i] = 2;
		else
			h[i] = hoistable(w, h, i);
	}
	/* hoisted values (and the keys of lookups made of them alone), then
	 * the guards on them, then the rest */
	for (int pass = 0; pass < 3; pass++) {
		for (uint32_t i = 0; i < t->n; i++)
			if (!skip[i] && !phase2(&t->ir[i]) && h[i] == (pass < 2) &&
			    (pass == 2 || (t->ir[i].op == JN_TIR_GUARD) == (pass == 1)))
				w->ord[w->nord++] = (int32_t)i;
		for (uint32_t i = 0, budget = KEYBUDGET; !pass && i < t->n; i++)
			if (early_key(w, h, skip, i, &budget)) {
				w->keyst[i] = 1;
				w->ord[w->nord++] = KEYST(i);
			}
		if (!is_const(w, ret->a) && pass && (ret->a >= 0 && h[ret->a]) == (pass == 1))
			w->ord[w->nord++] = RETCHK;
	}
	/* sunk loads listed by their first reader */
	int32_t *head = malloc(2 * (size_t)t->n * sizeof(*head));
	if (!head) {
		free(h);
		return -ENOMEM;
	}
	int32_t *next = head + t->n;
	for (uint32_t i = 0; i < t->n; i++)
		head[i] = -1;
	for (uint32_t j = t->n; j-- > 0;)
		if (skip[j] == 2) {
			next[j] = head[w->first2[j] - 1];
			head[w->first2[j] - 1] = (int32_t)j;
		}
	for (uint32_t i = 0; i < t->n; i++) {
		if (skip[i] == 1 || !phase2(&t->ir[i]))
			continue;
		for (int32_t j = head[i]; j >= 0; j = next[j])
			w->ord[w->nord++] = j;
		w->ord[w->nord++] = (int32_t)i;
	}
	free(head);
	free(h);
	return 0;
}

/* be16(x) == C with x a 2-byte packet load is x == bswap16(C) (so for
 * be32 and 4 bytes; equality only): the swap need not run. */
static void swapped_guard(struct lw *w, uint32_t i)
{
	const struct jn_tins *g = &w->t->ir[i], *al = &w->t->ir[g->a], *x;
	uint64_t c;

	if ((g->k != JN_TC_EQ && g->k != JN_TC_NE) || !is_const(w, g->b) || al->op != JN_TIR_ALU ||
	    al->b >= 0 || (x = &w->t->ir[al->a])->op != JN_TIR_PLOAD)
		return;
	c = (uint64_t)w->t->ir[g->b].k;
	if ((al->k == JN_OP_BE16 || al->k == JN_OP_BSWAP16) && x->sz <= 2 && c <= 0xffff)
		w->gimm[i] = __builtin_bswap16((uint16_t)c);
	else if ((al->k == JN_OP_BE32 || al->k == JN_OP_BSWAP32) && x->sz <= 4 && c <= 0xffffffff &&
		 (g->sz == 4 || __builtin_bswap32((uint32_t)c) <= INT32_MAX))
		w->gimm[i] = __builtin_bswap32((uint32_t)c);
	else
		return;
	w->ga[i] = al->a;
}

/* A tail call's target (PROG) is lowered only as the operand of guards
 * against a constant; an index that is not a constant may be any slot (64
 * at most). */
static int check_prog(struct lw *w, uint32_t i)
{
	const struct jn_tins *in = &w->t->ir[i];
	const struct jn_map_spec *sp;

	if (!w->t->maps || !w->t->x || in->k < 0 || (size_t)in->k >= jn_xdp_nmaps(w->t->x) ||
	    (sp = jn_map_spec(w->t->maps[in->k]))->type != BPF_MAP_TYPE_PROG_ARRAY)
		return refuse(w, JN_TVLIW_PROG, "ir %u: map %lld is no prog_array of the trace's", i,
			      (long long)in->k);
	if (!is_const(w, in->a) && sp->max_entries > 64)
		return refuse(w, JN_TVLIW_PROG, "ir %u: index from the packet into prog_array %s of %u slots "
			      "(64 at most)", i, sp->name, sp->max_entries);
	return 0;
}

/* Guard i compares a tail call's target with a constant: note it. */
static bool prog_guard(struct lw *w, uint32_t i)
{
	const struct jn_tins *g = &w->t->ir[i];

	if (w->t->ir[g->a].op == JN_TIR_PROG && is_const(w, g->b))
		w->gprog[i] = g->a;
	else if (w->t->ir[g->b].op == JN_TIR_PROG && is_const(w, g->a))
		w->gprog[i] = g->b;
	return w->gprog[i] >= 0;
}

static void prog_read(struct lw *w, int32_t v, uint32_t p)
{
	if (v >= 0 && (uint32_t)v < w->t->n && w->t->ir[v].op == JN_TIR_PROG)
		refuse(w, JN_TVLIW_PROG, "ir %u reads the target of tail call %d", p, v);
}

/* What to emit, in order; the length interval; refusals found by looking. */
static int plan(struct lw *w, uint8_t *skip)
{
	const struct jn_trace *t = w->t;
	uint32_t nret = 0;

	w->lo = 0;
	w->hi = INT64_MAX;
	for (uint32_t i = 0; i < t->n; i++) {
		const struct jn_tins *in = &t->ir[i];
		if (in->op >= JN_TIR__COUNT)
			return refuse(w, JN_TVLIW_OP, "ir %u: op %u", i, in->op);
		if (in->op == JN_TIR_PROG && check_prog(w, i))
			return -1;
		if (in->op == JN_TIR_GUARD && phase2(in))
			return refuse(w, JN_TVLIW_POST_GUARD, "ir %u", i);
		if (in->op == JN_TIR_LEN && phase2(in))
			return refuse(w, JN_TVLIW_OP, "ir %u: length after an effect", i);
		skip[i] = in->op == JN_TIR_KINT || in->op == JN_TIR_PROG ||
			  (in->op == JN_TIR_GUARD && jn_tlen_bound(t, in, &w->lo, &w->hi));
		if (in->op == JN_TIR_GUARD && !skip[i] && !prog_guard(w, i))
			swapped_guard(w, i);
		nret += in->op == JN_TIR_RET;
	}
	for (uint32_t i = 0; i < t->n && !w->reason; i++)   /* targets read by guards alone */
		if (!skip[i] && (t->ir[i].op != JN_TIR_GUARD || w->gprog[i] < 0))
			uses(w, (int32_t)i, i, prog_read);
	if (w->reason)
		return -1;
	if (nret != 1 || t->ir[t->n - 1].op != JN_TIR_RET)
		return refuse(w, JN_TVLIW_OP, "%u returns, not one at the end", nret);
	const struct jn_tins *ret = &t->ir[t->n - 1];
	if (is_const(w, ret->a) ? (uint64_t)t->ir[ret->a].k == JN_TRACE_MISS_CODE : phase2(&t->ir[ret->a]))
		return refuse(w, JN_TVLIW_RET, "the return value %s", is_const(w, ret->a) ?
			      "is the miss code" : "is known only after effects");
	return order(w, skip);
}

static bool is_call(const struct lw *w, int32_t e)
{
	return e >= 0 && (w->t->ir[e].op == JN_TIR_CALL || w->t->ir[e].op == JN_TIR_ECALL ||
			  (w->t->ir[e].op == JN_TIR_LOOKUP && !fixed_lookup(w->t, e)));
}

/* def, last, callpre; the scratch layout. */
static int liveness(struct lw *w)
{
	const struct jn_trace *t = w->t;
	int32_t keysz = 0;

	for (uint32_t p = 1; p <= w->nord; p++) {
		int32_t e = w->ord[p - 1];
		if (e >= 0)
			w->def[e] = p;
		uses(w, e, p, use);
		w->callpre[p] = w->callpre[p - 1] + is_call(w, e);
		if (e >= 0 && t->ir[e].op == JN_TIR_LOOKUP) {
			int32_t sz = 0;
			for (int32_t c = t->ir[e].a; c < t->ir[e].a + t->ir[e].b; c++)
				sz += t->chunk_sz[c];
			keysz = sz > keysz ? sz : keysz;
		}
	}
	w->memlo = 0;
	for (uint32_t k = 0; k < t->nmems; k++)
		if (t->mems[k].off - TOP < w->memlo)
			w->memlo = t->mems[k].off - TOP;
	for (uint32_t i = 0; i < t->n; i++)   /* what a peek left, read back */
		if (t->ir[i].op == JN_TIR_OUT && t->ir[i].k - TOP < w->memlo)
			w->memlo = (int)(t->ir[i].k - TOP);
	for (uint32_t c = 0; c < t->ncalls; c++)
		for (int a = 0; a < 5; a++)
			if (t->calls[c].kind[a] == JN_TA_STACK && t->calls[c].val[a] - TOP < w->memlo)
				w->memlo = (int)(t->calls[c].val[a] - TOP);
	w->keyoff = -JN_ISA_STACK;
	w->tmpslot = w->keyoff + ((keysz + 7) & ~7);
	w->scratch = w->tmpslot + 8;
	for (uint32_t i = 0; i < t->n; i++) {   /* the keys stored early: their own areas */
		int32_t sz = 0;
		if (!w->keyst[i])
			continue;
		for (int32_t c = t->ir[i].a; c < t->ir[i].a + t->ir[i].b; c++)
			sz += t->chunk_sz[c];
		w->keyat[i] = (int16_t)w->scratch;
		w->scratch += (sz + 7) & ~7;
	}
	return 0;
}

/* The packet pointer, the context's home, the length check. */
static int entry(struct lw *w)
{
	bool lo = w->lo > JN_XDP_MIN_LEN, hi = w->hi < JN_XDP_MAX_DATA;
	int d, e, p, rc;

	if (w->last[w->vctx] && !crosses(w, w->vctx)) {
		w->rv[1] = (int)w->vctx;
		w->reg[w->vctx] = 1;
	} else {
		w->rv[1] = TEMP;
	}
	if (!w->last[w->vdata] && !lo && !hi)
		d = 0;   /* the packet is not read */
	else if ((d = w->last[w->vdata] ? alloc(w, w->vdata, 1u << 1) : scratch(w, 1u << 1)) < 0 ||
		 put(w, JN_OP_LDXW, d, 1, 0, 0) || done(w, w->vdata, d))
		return -1;
	if (w->slot[w->vdata])
		d = get(w, (int32_t)w->vdata, 1u << 1);
	if (lo || hi) {
		if (d < 0 || (e = scratch(w, 1u << 1)) < 0 || (p = scratch(w, 1u << 1)) < 0)
			return -1;
		rc = put(w, JN_OP_LDXW, e, 1, 4, 0);
		if (!rc && hi) {   /* len > hi: data_end > data + hi */
			rc = put(w, JN_OP_MOV64_X, p, d, 0, 0);
			rc = rc ? rc : put(w, JN_OP_ADD64_K, p, 0, 0, (int32_t)w->hi);
			rc = rc ? rc : jump_miss(w, JN_OP_JGT_X, e, p, 0);
		}
		if (!rc && lo) {   /* len < lo: data + lo > data_end (the bounds pass's form) */
			rc = put(w, JN_OP_MOV64_X, p, d, 0, 0);
			rc = rc ? rc : put(w, JN_OP_ADD64_K, p, 0, 0, (int32_t)w->lo);
			rc = rc ? rc : jump_miss(w, JN_OP_JGT_X, p, e, 0);
		}
		if (rc)
			return rc;
	}
	if (w->rv[1] == TEMP)
		w->rv[1] = FREE;
	if (w->last[w->vctx] && w->reg[w->vctx] < 0) {   /* lives across a call */
		if ((d = alloc(w, w->vctx, 0)) < 0 || put(w, JN_OP_MOV64_X, d, 1, 0, 0) || done(w, w->vctx, d))
			return -1;
	}
	release_temps(w);
	return 0;
}

static int emit(struct lw *w, uint32_t p, int32_t e)
{
	const struct jn_tins *in;
	int r;

	if (e == RETCHK) {
		in = &w->t->ir[w->t->n - 1];
		if ((r = get(w, in->a, 0)) < 0)
			return -1;
		r = jump_miss(w, JN_OP_JEQ_K, r, 0, JN_TRACE_MISS_CODE);
		expire(w, p);
		return r;
	}
	if (e < RETCHK) {
		r = store_key(w, (uint32_t)KEYST(e));
		expire(w, p);
		return r;
	}
	in = &w->t->ir[e];
	if (jn_tir_kind[in->op] != JN_TK_G && jn_tir_kind[in->op] != JN_TK_E && in->op != JN_TIR_CALL &&
	    in->op != JN_TIR_LOOKUP && w->last[e] <= w->def[e])
		return 0;   /* dead: only fed a length guard */
	switch (in->op) {
	case JN_TIR_LEN: return emit_len(w, p, (uint32_t)e);
	case JN_TIR_PLOAD: case JN_TIR_CTXF: case JN_TIR_MLOAD: return emit_load(w, p, (uint32_t)e);
	case JN_TIR_OUT: return emit_out(w, p, (uint32_t)e);
	case JN_TIR_ALU: return emit_alu(w, p, (uint32_t)e);
	case JN_TIR_LOOKUP: return emit_lookup(w, p, (uint32_t)e);
	case JN_TIR_CALL: case JN_TIR_ECALL: return emit_call(w, p, (uint32_t)e);
	case JN_TIR_GUARD: return emit_guard(w, p, (uint32_t)e);
	case JN_TIR_PSTORE: case JN_TIR_MSTORE: return emit_store(w, p, (uint32_t)e);
	case JN_TIR_RET:
		if (is_const(w, in->a))
			r = put_const(w, 0, (uint64_t)w->t->ir[in->a].k);
		else if ((r = get(w, in->a, 0)) >= 0)
			r = r ? put(w, JN_OP_MOV64_X, 0, r, 0, 0) : 0;
		return r ? r : put(w, JN_OP_EXIT, 0, 0, 0, 0);
	default:
		return refuse(w, JN_TVLIW_OP, "ir %d: %s", e, jn_tir_text[in->op]);
	}
}

static int lower_all(struct lw *w)
{
	uint8_t *skip = calloc(w->t->n ? w->t->n : 1, 1);
	int rc = skip ? plan(w, skip) : -ENOMEM;

	free(skip);
	if (rc || (rc = liveness(w)) || (rc = entry(w)))
		return rc;
	for (uint32_t p = 1; p <= w->nord && !rc; p++) {
		rc = emit(w, p, w->ord[p - 1]);
		release_temps(w);
	}
	if (rc)
		return rc;
	/* the miss exit */
	if (put(w, JN_OP_MOV64_K, 0, 0, 0, JN_TRACE_MISS_CODE) || put(w, JN_OP_EXIT, 0, 0, 0, 0))
		return -1;
	if (w->n > 32767)
		return refuse(w, JN_TVLIW_TOOBIG, "%zu instructions", w->n);
	if (w->scratch > w->memlo && w->memlo)
		return refuse(w, JN_TVLIW_STACK, "scratch up to r10%d, helpers read from r10%d", w->scratch,
			      w->memlo);
	for (size_t i = 0; i < w->nmiss; i++)
		w->code[w->miss[i]].off = (int16_t)(w->n - 2 - (w->miss[i] + 1));
	return 0;
}

int jn_trace_to_ebpf(const struct jn_trace *t, struct jn_insn **out, size_t *n, char *err,
		     size_t errlen)
{
	struct lw w = { .t = t, .err = err, .errlen = errlen, .vctx = t->n, .vdata = t->n + 1 };
	size_t nv = (size_t)t->n + 2;
	int rc;

	*out = NULL;
	*n = 0;
	if (err && errlen)
		err[0] = 0;
	if (!t->n)
		return refuse(&w, JN_TVLIW_OP, "empty trace") ? JN_TVLIW_OP : 0;
	w.ord = calloc(2 * (size_t)t->n + 2, sizeof(*w.ord));
	w.ga = malloc(t->n * sizeof(*w.ga));
	w.gimm = calloc(t->n, sizeof(*w.gimm));
	w.gprog = malloc(t->n * sizeof(*w.gprog));
	w.keyat = calloc(t->n, sizeof(*w.keyat));
	w.keyst = calloc(t->n, 1);
	w.def = calloc(nv, sizeof(*w.def));
	w.last = calloc(nv, sizeof(*w.last));
	w.callpre = calloc(2 * (size_t)t->n + 3, sizeof(*w.callpre));
	w.reg = malloc(nv);
	w.slot = calloc(nv, sizeof(*w.slot));
	rc = w.ord && w.def && w.last && w.callpre && w.reg && w.slot && w.ga && w.gimm && w.gprog &&
	     w.keyat && w.keyst ? 0 : -ENOMEM;
	if (!rc) {
		memset(w.reg, -1, nv);
		memset(w.ga, -1, t->n * sizeof(*w.ga));
		memset(w.gprog, -1, t->n * sizeof(*w.gprog));
		for (int r = 0; r < NREG; r++)
			w.rv[r] = FREE;
		rc = lower_all(&w);
	}
	free(w.ord);
	free(w.def);
	free(w.last);
	free(w.callpre);
	free(w.reg);
	free(w.slot);
	free(w.miss);
	free(w.first2);
	free(w.used1);
	free(w.ga);
	free(w.gimm);
	free(w.gprog);
	free(w.keyat);
	free(w.keyst);
	if (w.reason || rc) {
		free(w.code);
		if (rc == -ENOMEM || (!w.reason && rc < 0))
			return rc == -ENOMEM ? jn_errf(err, errlen, ENOMEM, "trace-vliw: out of memory") : rc;
		return w.reason;
	}
	*out = w.code;
	*n = w.n;
	return 0;
}

int jn_trace_ebpf_slots(const struct jn_trace *t, struct jn_trace_slot **out, size_t *n)
{
	struct jn_trace_slot *s = NULL;
	size_t ns = 0, cap = 0;

	*out = NULL;
	*n = 0;
	for (uint32_t i = 0; i < t->n; i++) {
		const struct jn_tins *in = &t->ir[i];
		uint64_t lo, hi;
		if (in->op != JN_TIR_PROG || !t->maps || !t->x || in->k < 0 ||
		    (size_t)in->k >= jn_xdp_nmaps(t->x))
			continue;
		lo = t->ir[in->a].op == JN_TIR_KINT ? (uint32_t)t->ir[in->a].k : 0;
		hi = t->ir[in->a].op == JN_TIR_KINT ? lo + 1 : jn_map_spec(t->maps[in->k])->max_entries;
		for (uint64_t k = lo; k < hi; k++) {
			bool dup = false;
			for (size_t j = 0; j < ns && !dup; j++)
				dup = s[j].map == (uint32_t)in->k && s[j].slot == k;
			if (dup)
				continue;
			if (ns == cap) {
				struct jn_trace_slot *g = realloc(s, (cap = cap ? 2 * cap : 8) * sizeof(*g));
				if (!g) {
					free(s);
					return -ENOMEM;
				}
				s = g;
			}
			s[ns++] = (struct jn_trace_slot){ (uint32_t)in->k, (uint32_t)k,
							  slot_prog(t, in->k, (uint32_t)k) };
		}
	}
	*out = s;
	*n = ns;
	return 0;
}

bool jn_trace_ebpf_slots_hold(const struct jn_trace *t, const struct jn_trace_slot *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (slot_prog(t, s[i].map, s[i].slot) != s[i].prog)
			return false;
	return true;
}
