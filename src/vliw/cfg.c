/* cfg.c - the analyses every pass and the scheduler share: jump targets and
 * predecessor counts, register liveness (backward), and one forward
 * abstract interpretation that tracks what each register holds (a
 * constant, the context, data + K, data_end, r10 + K, some other
 * non-stack pointer) and which stack bytes are still known to be zero.
 * Also compaction (dropping deleted instructions) and dead-code removal. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "vliw_internal.h"

enum { NR = JN_ISA_NREGS, ZW = JN_ISA_STACK / 64, NSLOT = JN_ISA_STACK / 8 };

struct astate {
	struct absval r[NR];
	struct absval slot[NSLOT];   /* what 8-byte stack slot k (r10 - 512 + 8k) holds */
	uint64_t z[ZW];      /* bit b: stack byte r10 - 512 + b is zero */
	uint16_t minlen;     /* the packet surely has this many bytes from data */
};

size_t jn_vliw_succ(const struct xfn *f, size_t i, size_t s[2])
{
	const struct xin *in = &f->code[i];
	size_t k = 0;

	if (jn_vliw_is_exit(in))
		return 0;
	if (jn_vliw_is_jump(in))
		s[k++] = (size_t)in->tgt;
	if (!jn_vliw_is_jump(in) || jn_vliw_is_cond(in))
		if (i + 1 < f->n)
			s[k++] = i + 1;
	return k;
}

static void liveness(struct xfn *f)
{
	bool changed = true;

	memset(f->live_in, 0, f->n * sizeof(*f->live_in));
	memset(f->live_out, 0, f->n * sizeof(*f->live_out));
	while (changed) {
		changed = false;
		for (size_t i = f->n; i-- > 0;) {
			size_t s[2], k = jn_vliw_succ(f, i, s);
			uint16_t out = 0, in;
			for (size_t j = 0; j < k; j++)
				out |= f->live_in[s[j]];
			in = jn_vliw_uses(&f->code[i]) | (out & (uint16_t)~jn_vliw_defs(&f->code[i]));
			if (out != f->live_out[i] || in != f->live_in[i])
				changed = true;
			f->live_out[i] = out;
			f->live_in[i] = in;
		}
	}
}

/* ---- forward facts ---- */

static bool nonstack_ptr(uint8_t k)
{
	return k == AK_CTX || k == AK_PKT || k == AK_END || k == AK_NONSTACK || k == AK_PKTV ||
	       k == AK_MAPV;
}

static bool pkt_ptr(uint8_t k) { return k == AK_PKT || k == AK_END || k == AK_PKTV; }

static int bitlen(uint64_t v) { return v ? 64 - __builtin_clzll(v) : 0; }

/* Width of a known number: BITS v, or a non-negative constant; -1 else. */
static int bits_of(struct absval a)
{
	if (a.kind == AK_BITS)
		return (int)a.v;
	if (a.kind == AK_CONST && a.v >= 0)
		return bitlen((uint64_t)a.v);
	return -1;
}

static struct absval bits(int n) { return (struct absval){ AK_BITS, n > 64 ? 64 : n < 0 ? 0 : n }; }

/* An lddw'd map value (src 6): never NULL; with the map known, how many
 * bytes of the value lie from it (see AK_MAPV). */
static struct absval lddw_value(const struct xfn *f, const struct xin *in)
{
	uint32_t m = (uint32_t)in->imm, vsz = f->maps && m < f->n_maps ? f->maps[m].value : 0;

	return (struct absval){ AK_MAPV, vsz ? 1 + (int64_t)(vsz - (uint32_t)in->imm2 % vsz) : 1 };
}

static struct absval join1(struct absval a, struct absval b)
{
	if (a.kind == AK_TOP)
		return b;
	if (b.kind == AK_TOP || (a.kind == b.kind && a.v == b.v))
		return a;
	if (pkt_ptr(a.kind) && pkt_ptr(b.kind))
		return (struct absval){ AK_PKTV, 0 };
	if (a.kind == AK_MAPV && b.kind == AK_MAPV)
		return (struct absval){ AK_MAPV, 0 };   /* one of them may be NULL */
	if (nonstack_ptr(a.kind) && nonstack_ptr(b.kind) && a.kind != AK_CTX && b.kind != AK_CTX)
		return (struct absval){ AK_NONSTACK, 0 };
	if (bits_of(a) >= 0 && bits_of(b) >= 0)
		return bits(bits_of(a) > bits_of(b) ? bits_of(a) : bits_of(b));
	return (struct absval){ AK_UNK, 0 };
}

static bool fold(int op, uint64_t d, uint64_t s, uint64_t *out)
{
	switch (op) {
	case JN_OP_ADD64_K: case JN_OP_ADD64_X: *out = d + s; return true;
	case JN_OP_SUB64_K: case JN_OP_SUB64_X: *out = d - s; return true;
	case JN_OP_OR64_K: case JN_OP_OR64_X: *out = d | s; return true;
	case JN_OP_AND64_K: case JN_OP_AND64_X: *out = d & s; return true;
	case JN_OP_XOR64_K: case JN_OP_XOR64_X: *out = d ^ s; return true;
	case JN_OP_LSH64_K: case JN_OP_LSH64_X: *out = d << (s & 63); return true;
	case JN_OP_RSH64_K: case JN_OP_RSH64_X: *out = d >> (s & 63); return true;
	case JN_OP_MOV64_K: case JN_OP_MOV64_X: *out = s; return true;
	case JN_OP_MOV32_K: case JN_OP_MOV32_X: *out = (uint32_t)s; return true;
	default: return false;
	}
}

/* Width of an ALU result on numbers of widths bd, bs (-1: unknown), or -1. */
static int num_bits(const struct xin *in, int bd, int bs, struct absval s)
{
	uint8_t c = jn_vliw_xinfo[in->op].opcode;
	int k = s.kind == AK_CONST ? (int)(s.v & 63) : -1;

	switch (in->op) {
	case JN_OP_AND64_K: case JN_OP_AND64_X: case JN_OP_AND32_K: case JN_OP_AND32_X:
		if (bd >= 0 && bs >= 0)
			return bd < bs ? bd : bs;
		return bs >= 0 ? bs : bd >= 0 ? bd : JN_CLASS(c) == JN_CLS_ALU ? 32 : -1;
	case JN_OP_OR64_K: case JN_OP_OR64_X: case JN_OP_XOR64_K: case JN_OP_XOR64_X:
		return bd >= 0 && bs >= 0 ? (bd > bs ? bd : bs) : -1;
	case JN_OP_ADD64_K: case JN_OP_ADD64_X:
		return bd >= 0 && bs >= 0 && bd < 64 && bs < 64 ? (bd > bs ? bd : bs) + 1 : -1;
	case JN_OP_RSH64_K: case JN_OP_RSH64_X:
		return k < 0 ? -1 : bd >= 0 ? (bd > k ? bd - k : 0) : 64 - k;
	case JN_OP_LSH64_K: case JN_OP_LSH64_X:
		return k >= 0 && bd >= 0 && bd + k <= 64 ? bd + k : -1;
	default:
		return JN_CLASS(c) == JN_CLS_ALU ? 32 : -1;   /* 32-bit ops zero-extend */
	}
}

static struct absval alu(const struct xin *in, struct absval d, struct absval s)
{
	static const struct absval unk = { AK_UNK, 0 };
	int op = in->op;
	uint64_t v;

	if ((op == JN_OP_MOV32_K || op == JN_OP_MOV32_X) && s.kind == AK_CONST)
		return (struct absval){ AK_CONST, (int64_t)(uint32_t)s.v };
	if (d.kind == AK_CONST && s.kind == AK_CONST && fold(op, (uint64_t)d.v, (uint64_t)s.v, &v))
		return (struct absval){ AK_CONST, (int64_t)v };
	if (op == JN_OP_MOV64_X || op == JN_OP_MOV64_K)
		return s;
	int w = num_bits(in, bits_of(d), bits_of(s), s);
	if (w >= 0)
		return bits(w);
	bool add = op == JN_OP_ADD64_K || op == JN_OP_ADD64_X || op == JN_OP_SUB64_K ||
		   op == JN_OP_SUB64_X;
	if (!add)
		return unk;
	if (s.kind == AK_CONST && (d.kind == AK_PKT || d.kind == AK_STACK)) {
		int64_t k = (op == JN_OP_SUB64_K || op == JN_OP_SUB64_X) ? -s.v : s.v;
		return (struct absval){ d.kind, d.v + k };
	}
	if (pkt_ptr(d.kind))
		return (struct absval){ AK_PKTV, 0 };
	if (d.kind == AK_MAPV || d.kind == AK_NONSTACK)
		return (struct absval){ d.kind, 0 };
	return unk;
}

/* Helpers known not to write through their pointer arguments. */
static bool helper_reads_only(int32_t id)
{
	static const int32_t ok[] = { 1, 2, 3, 5, 6, 7, 8, 12, 23, 25, 28, 44, 51, 54, 65, 87, 125, 130 };
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (ok[i] == id)
			return true;
	return false;
}

static void zero_store(struct astate *st, const struct xin *in)
{
	struct absval b = st->r[in->dst];
	unsigned sz = jn_vliw_msize(in);
	int f = xform(in);
	bool zero = false;

	if (b.kind != AK_STACK) {
		if (!nonstack_ptr(b.kind))
			memset(st->z, 0, sizeof(st->z));
		return;
	}
	if (f == XF_ST || f == XF_ST6)
		zero = in->imm == 0;
	else if (f == XF_STX || f == XF_STX6)
		zero = st->r[in->src].kind == AK_CONST && st->r[in->src].v == 0;
	int64_t lo = JN_ISA_STACK + b.v + in->off;
	if (lo < 0 || lo + sz > JN_ISA_STACK) {
		memset(st->z, 0, sizeof(st->z));
		return;
	}
	for (int64_t k = lo; k < lo + (int64_t)sz; k++) {
		if (zero)
			st->z[k / 64] |= 1ull << (k % 64);
		else
			st->z[k / 64] &= ~(1ull << (k % 64));
	}
}

static void forget_slots(struct astate *st)
{
	for (int k = 0; k < NSLOT; k++)
		st->slot[k] = (struct absval){ AK_UNK, 0 };
}

/* Spills: an aligned 8-byte store of a register or an immediate into the
 * stack records what it stored; any other store touching a slot forgets it. */
static void slot_store(struct astate *st, const struct xin *in)
{
	struct absval b = st->r[in->dst];
	int64_t lo = JN_ISA_STACK + b.v + in->off, hi = lo + jn_vliw_msize(in);
	int f = xform(in);

	if (b.kind != AK_STACK) {
		if (!nonstack_ptr(b.kind))
			forget_slots(st);
		return;
	}
	if (lo < 0 || hi > JN_ISA_STACK) {
		forget_slots(st);
		return;
	}
	for (int64_t k = lo / 8; k <= (hi - 1) / 8; k++)
		st->slot[k] = (struct absval){ AK_UNK, 0 };
	if (hi - lo == 8 && lo % 8 == 0 && f == XF_STX)
		st->slot[lo / 8] = st->r[in->src];
	else if (hi - lo == 8 && lo % 8 == 0 && f == XF_ST)
		st->slot[lo / 8] = (struct absval){ AK_CONST, in->imm };
}

/* A reload of a spill: an aligned 8-byte load from a stack slot. */
static bool slot_load(const struct astate *st, const struct xin *in, struct absval *v)
{
	struct absval b = st->r[in->src];
	int64_t lo = JN_ISA_STACK + b.v + in->off;

	if (in->op != JN_OP_LDXDW || b.kind != AK_STACK || lo < 0 || lo + 8 > JN_ISA_STACK || lo % 8)
		return false;
	*v = st->slot[lo / 8];
	return v->kind != AK_TOP;
}

/* The width of a 3-operand ALU result: as the 2-operand op with an imm. */
static struct absval alu3_bits(const struct xin *in, struct absval src)
{
	static const uint16_t base[][2] = {
		{ JN_XOP_ADD3_64, JN_OP_ADD64_K }, { JN_XOP_OR3_64, JN_OP_OR64_K },
		{ JN_XOP_AND3_64, JN_OP_AND64_K }, { JN_XOP_LSH3_64, JN_OP_LSH64_K },
		{ JN_XOP_RSH3_64, JN_OP_RSH64_K }, { JN_XOP_XOR3_64, JN_OP_XOR64_K },
		{ JN_XOP_ADD3_32, JN_OP_ADD32_K }, { JN_XOP_AND3_32, JN_OP_AND32_K },
		{ JN_XOP_LSH3_32, JN_OP_LSH32_K }, { JN_XOP_RSH3_32, JN_OP_RSH32_K },
		{ JN_XOP_XOR3_32, JN_OP_XOR32_K },
	};
	for (size_t k = 0; k < sizeof(base) / sizeof(base[0]); k++)
		if (base[k][0] == in->op) {
			struct xin b = *in;
			struct absval imm = { AK_CONST, in->imm };
			b.op = base[k][1];
			int w = num_bits(&b, bits_of(src), bits_of(imm), imm);
			return w >= 0 ? bits(w) : (struct absval){ AK_UNK, 0 };
		}
	return (struct absval){ AK_UNK, 0 };
}

static void step(const struct xfn *fn, struct astate *st, const struct xin *in)
{
	static const struct absval unk = { AK_UNK, 0 };
	struct absval *r = st->r;
	int f = xform(in);

	switch (f) {
	case XF_ALU_K: case XF_MOV_K:
		r[in->dst] = alu(in, r[in->dst], (struct absval){ AK_CONST, in->imm });
		break;
	case XF_ALU_X: case XF_MOV_X:
		r[in->dst] = alu(in, r[in->dst], r[in->src]);
		break;
	case XF_ALU3:
		if (in->op == JN_XOP_ADD3_64 && (r[in->src].kind == AK_PKT || r[in->src].kind == AK_STACK))
			r[in->dst] = (struct absval){ r[in->src].kind, r[in->src].v + in->imm };
		else
			r[in->dst] = alu3_bits(in, r[in->src]);
		break;
	case XF_LDX: case XF_LDXSX: case XF_LD6:
		if (in->chk > st->minlen)
			st->minlen = in->chk;
		if (r[in->src].kind == AK_CTX && f == XF_LDX && in->off == 0)
			r[in->dst] = (struct absval){ AK_PKT, 0 };
		else if (r[in->src].kind == AK_CTX && f == XF_LDX && (in->off == 4 || in->off == 8))
			r[in->dst] = (struct absval){ in->off == 4 ? AK_END : AK_PKTV, 0 };
		else if (!slot_load(st, in, &r[in->dst]))
			r[in->dst] = f == XF_LDX && in->op != JN_OP_LDXDW ? bits(8 * (int)jn_vliw_msize(in))
					: f == XF_LD6 ? bits(48) : unk;
		break;
	case XF_END:
		r[in->dst] = in->imm < 64 ? bits(in->imm) : unk;
		break;
	case XF_LDDW:
		r[in->dst] = in->src == 0 ? (struct absval){ AK_CONST,
			(int64_t)((uint64_t)(uint32_t)in->imm | (uint64_t)(uint32_t)in->imm2 << 32) }
					  : in->src == 6 ? lddw_value(fn, in)
					  : (struct absval){ AK_NONSTACK, in->src == 5 ? (int64_t)(uint32_t)in->imm + 1 : 0 };
		break;
	case XF_ST: case XF_STX: case XF_ST6: case XF_STX6:
		zero_store(st, in);
		slot_store(st, in);
		break;
	case XF_ATOMIC: case XF_AFETCH: case XF_AXCHG: case XF_ACMPXCHG:
		zero_store(st, in);
		slot_store(st, in);
		if (f == XF_ACMPXCHG)
			r[0] = unk;
		else if (f != XF_ATOMIC)
			r[in->src] = unk;
		break;
	case XF_CALL:
		if (!helper_reads_only(in->imm)) {
			memset(st->z, 0, sizeof(st->z));
			forget_slots(st);
		}
		if (in->imm == 44 || in->imm == 54 || in->imm == 65)   /* packet moved */
			st->minlen = 0;
		if (in->imm == 44 || in->imm == 54 || in->imm == 65) {
			for (int k = 1; k < 10; k++)
				if (pkt_ptr(r[k].kind))
					r[k] = (struct absval){ AK_PKTV, 0 };
			for (int k = 0; k < NSLOT; k++)
				if (pkt_ptr(st->slot[k].kind))
					st->slot[k] = (struct absval){ AK_PKTV, 0 };
		}
		/* r1-r5 keep their values: helpers (interpreter and simulator) only set r0 */
		r[0] = in->imm == 1 ? (struct absval){ AK_MAPV, 0 } : unk;
		break;
	default:
		for (int k = 0; k < NR; k++)
			if (jn_vliw_defs(in) & (1u << k))
				r[k] = unk;
	}
}

/* What a bounds check tells on each edge: the packet has at least K bytes. */
static void edge_len(const struct xin *in, const struct astate *before, bool taken, struct astate *st)
{
	struct absval d = before->r[in->dst], s = before->r[in->src];
	int64_t k = -1;
	bool dp = d.kind == AK_PKT && s.kind == AK_END, de = d.kind == AK_END && s.kind == AK_PKT;
	int64_t pk = dp ? d.v : s.v;

	switch (in->op) {
	case JN_OP_JGT_X: k = dp && !taken ? pk : de && taken ? pk + 1 : -1; break;  /* p > e | e > p */
	case JN_OP_JGE_X: k = dp && !taken ? pk + 1 : de && taken ? pk : -1; break;  /* p >= e | e >= p */
	case JN_OP_JLT_X: k = de && !taken ? pk : dp && taken ? pk + 1 : -1; break;  /* e < p | p < e */
	case JN_OP_JLE_X: k = de && !taken ? pk + 1 : dp && taken ? pk : -1; break;  /* e <= p | p <= e */
	default: break;
	}
	if ((dp || de) && k > st->minlen && k <= 0xffff)
		st->minlen = (uint16_t)k;
}

static bool merge(struct astate *into, bool *seen, const struct astate *s)
{
	struct astate old = *into;

	if (!*seen) {
		*into = *s;
		*seen = true;
		return true;
	}
	for (int k = 0; k < NR; k++)
		into->r[k] = join1(into->r[k], s->r[k]);
	for (int k = 0; k < NSLOT; k++)
		into->slot[k] = join1(into->slot[k], s->slot[k]);
	for (int k = 0; k < ZW; k++)
		into->z[k] &= s->z[k];
	if (s->minlen < into->minlen)
		into->minlen = s->minlen;
	return memcmp(&old, into, sizeof(old)) != 0;
}

/* Forward propagation in program order, sweeping again only when a
 * backward jump changed something (one sweep for code without loops). */
static void propagate(struct xfn *f, struct astate *in, bool *seen, bool *queued)
{
	bool again = true;

	while (again) {
		again = false;
		for (size_t i = 0; i < f->n; i++) {
			size_t s[2], k;
			struct astate st, e;
			if (!queued[i])
				continue;
			queued[i] = false;
			st = in[i];
			step(f, &st, &f->code[i]);
			k = jn_vliw_succ(f, i, s);
			for (size_t j = 0; j < k; j++) {
				e = st;
				if (jn_vliw_is_cond(&f->code[i]))
					edge_len(&f->code[i], &in[i], j == 0, &e);
				if (merge(&in[s[j]], &seen[s[j]], &e)) {
					queued[s[j]] = true;
					again |= s[j] <= i;
				}
			}
		}
	}
}

static int facts(struct xfn *f)
{
	struct astate *in;
	bool *seen = calloc(f->n, 1), *queued = calloc(f->n, 1);

	if (f->scratch_n < f->n) {   /* one buffer for all the analyses of a compilation */
		free(f->scratch);
		f->scratch = malloc(f->n * sizeof(*in));
		f->scratch_n = f->scratch ? f->n : 0;
	}
	in = f->scratch;
	if (!in || !seen || !queued) {
		free(seen); free(queued);
		return -ENOMEM;
	}
	memset(&in[0], 0, sizeof(in[0]));
	for (int k = 0; k < NR; k++)
		in[0].r[k] = (struct absval){ AK_UNK, 0 };
	in[0].r[1] = (struct absval){ f->ctx_mem ? AK_NONSTACK : AK_CTX, 0 };
	in[0].r[10] = (struct absval){ AK_STACK, 0 };
	for (int k = 0; k < NSLOT; k++)   /* the stack starts zeroed */
		in[0].slot[k] = (struct absval){ AK_CONST, 0 };
	in[0].minlen = f->ctx_mem ? 0 : JN_XDP_MIN_LEN;   /* shorter packets never reach a program */
	memset(in[0].z, 0xff, sizeof(in[0].z));
	seen[0] = queued[0] = true;
	propagate(f, in, seen, queued);
	for (size_t i = 0; i < f->n; i++) {
		for (int k = 0; k < NR; k++)
			f->av[i * NR + k] = seen[i] ? in[i].r[k] : (struct absval){ AK_TOP, 0 };
		if (seen[i])
			memcpy(&f->zero[i * ZW], in[i].z, sizeof(in[i].z));
		f->minlen[i] = seen[i] ? in[i].minlen : 0;
	}
	free(seen); free(queued);
	return 0;
}

void jn_vliw_fn_free(struct xfn *f)
{
	free(f->target); free(f->npred); free(f->live_out); free(f->live_in); free(f->av);
	free(f->zero);
	free(f->minlen);
	f->minlen = NULL;
	f->target = NULL; f->npred = NULL; f->live_out = f->live_in = NULL; f->av = NULL;
	f->zero = NULL;
}

int jn_vliw_analyse(struct xfn *f, char *err, size_t errlen)
{
	size_t n = f->n ? f->n : 1;

	jn_vliw_fn_free(f);
	f->target = calloc(n, 1);
	f->npred = calloc(n, sizeof(*f->npred));
	f->live_out = calloc(n, sizeof(*f->live_out));
	f->live_in = calloc(n, sizeof(*f->live_in));
	f->av = calloc(n * NR, sizeof(*f->av));
	f->zero = calloc(n * ZW, sizeof(*f->zero));
	f->minlen = calloc(n, sizeof(*f->minlen));
	if (!f->target || !f->npred || !f->live_out || !f->live_in || !f->av || !f->zero || !f->minlen)
		return jn_errf(err, errlen, ENOMEM, "vliw: out of memory analysing %zu instructions", n);
	for (size_t i = 0; i < f->n; i++) {
		size_t s[2], k = jn_vliw_succ(f, i, s);
		for (size_t j = 0; j < k; j++)
			f->npred[s[j]]++;
		if (jn_vliw_is_jump(&f->code[i]))
			f->target[f->code[i].tgt] = 1;
	}
	liveness(f);
	if (facts(f))
		return jn_errf(err, errlen, ENOMEM, "vliw: out of memory analysing %zu instructions", n);
	return 0;
}

int jn_vliw_compact(struct xfn *f)
{
	size_t *map = malloc((f->n + 1) * sizeof(*map)), k = 0;

	if (!map)
		return -ENOMEM;
	for (size_t i = 0; i < f->n; i++) {
		map[i] = k;
		if (!f->code[i].del)
			k++;
	}
	map[f->n] = k;
	for (size_t i = 0, j = 0; i < f->n; i++) {
		struct xin in = f->code[i];
		if (in.del)
			continue;
		if (jn_vliw_is_jump(&in))
			in.tgt = (int32_t)map[in.tgt];
		f->code[j++] = in;
	}
	f->n = k;
	free(map);
	return 0;
}

size_t jn_vliw_dce(struct xfn *f)
{
	size_t removed = 0;

	for (size_t i = 0; i < f->n; i++) {
		struct xin *in = &f->code[i];
		uint16_t d = jn_vliw_defs(in);
		if (!in->del && jn_vliw_is_pure(in) && d && !(d & f->live_out[i])) {
			in->del = 1;
			removed++;
		}
	}
	return removed;
}

bool jn_vliw_base_is_stack(const struct xfn *f, size_t i, uint8_t reg, int64_t *off)
{
	const struct absval *a = &f->av[i * NR + reg];
	if (a->kind != AK_STACK)
		return false;
	*off = a->v;
	return true;
}

int jn_vliw_bits(const struct xfn *f, size_t i, uint8_t reg)
{
	return bits_of(f->av[i * NR + reg]);
}

enum jn_vliw_region jn_vliw_region(const struct xfn *f, size_t i, uint8_t reg)
{
	switch (f->av[i * NR + reg].kind) {
	case AK_STACK: return RG_STACK;
	case AK_PKT: case AK_PKTV: case AK_END: return RG_PKT;
	case AK_MAPV: return RG_MAP;
	case AK_CTX: return RG_CTX;
	case AK_NONSTACK: return RG_NONSTACK;
	default: return RG_UNK;
	}
}

bool jn_vliw_regions_apart(enum jn_vliw_region a, enum jn_vliw_region b)
{
	return a != b && a != RG_UNK && b != RG_UNK && a != RG_NONSTACK && b != RG_NONSTACK;
}

bool jn_vliw_apart(const struct xfn *f, size_t i, uint8_t reg, int64_t off, unsigned sz, size_t i2,
		   uint8_t reg2, int64_t off2, unsigned sz2)
{
	const struct absval *a = &f->av[i * NR + reg], *b = &f->av[i2 * NR + reg2];

	if (a->kind == b->kind && (a->kind == AK_PKT || a->kind == AK_STACK)) {
		int64_t x = a->v + off, y = b->v + off2;
		return x + (int64_t)sz <= y || y + (int64_t)sz2 <= x;
	}
	return jn_vliw_regions_apart(jn_vliw_region(f, i, reg), jn_vliw_region(f, i2, reg2));
}

/* rP = rB + K (K >= 0) set before insn j in straight code, rB unchanged
 * since: K; else -1. */
static int64_t plus_const(const struct xfn *f, size_t j, uint8_t p, uint8_t b)
{
	for (size_t k = j; k-- > 0 && j - k < 64;) {
		const struct xin *in = &f->code[k];
		if (f->target[k + 1])
			return -1;
		uint16_t d = in->del ? 0 : jn_vliw_defs(in);
		if (d & (1u << p)) {
			if (in->op == JN_XOP_ADD3_64 && in->src == b && p != b)
				return in->imm;
			if (in->op == JN_OP_ADD64_K && k > 0 && !f->target[k] && f->code[k - 1].op == JN_OP_MOV64_X &&
			    f->code[k - 1].dst == p && f->code[k - 1].src == b && p != b)
				return in->imm;
			return -1;
		}
		if (d & (1u << b))
			return -1;
	}
	return -1;
}

/* Bytes from rB the comparison at j proves inside the packet on its taken
 * (or fall-through) side: "rB + K <= data_end" in any of its spellings. */
static int64_t guard_k(const struct xfn *f, size_t j, uint8_t b, bool taken)
{
	const struct xin *in = &f->code[j];
	const struct absval *a = &f->av[j * NR];
	bool gt = in->op == JN_OP_JGT_X || in->op == JN_OP_JGE_X;

	if (!gt && in->op != JN_OP_JLT_X && in->op != JN_OP_JLE_X)
		return -1;
	bool e_dst = a[in->dst].kind == AK_END, e_src = a[in->src].kind == AK_END;
	if (e_dst == e_src || (e_dst ? gt : !gt) != taken)
		return -1;
	int64_t k = plus_const(f, j, e_dst ? in->src : in->dst, b);
	return k < 0 ? -1 : k;
}

static bool falls_through(const struct xin *in)
{
	return !in->del && in->op != JN_OP_JA && in->op != JN_OP_GOTOL && !jn_vliw_is_exit(in);
}

long jn_vliw_load_guard(const struct xfn *f, size_t i)
{
	const struct xin *L = &f->code[i];
	uint8_t b = L->src;
	uint8_t kind = f->av[i * NR + b].kind;
	int64_t need = (int64_t)L->off + jn_vliw_msize(L);
	size_t k = i;

	if (!jn_vliw_is_load(L) || L->chk || L->off < 0 || (kind != AK_PKT && kind != AK_PKTV))
		return -1;
	for (int steps = 0; steps < 128; steps++) {
		if (f->target[k]) {   /* only from one earlier conditional jump */
			size_t j = SIZE_MAX;
			if (f->npred[k] != 1 || (k > 0 && falls_through(&f->code[k - 1])))
				return -1;
			for (size_t x = 0; x < k && j == SIZE_MAX; x++)
				if (!f->code[x].del && jn_vliw_is_jump(&f->code[x]) && (size_t)f->code[x].tgt == k)
					j = x;
			if (j == SIZE_MAX || !jn_vliw_is_cond(&f->code[j]))
				return -1;
			if (guard_k(f, j, b, true) >= need)
				return (long)j;
			k = j;
			continue;
		}
		if (k-- == 0)
			return -1;
		const struct xin *in = &f->code[k];
		if (in->del)
			continue;
		if (xform(in) == XF_CALL || (jn_vliw_defs(in) & (1u << b)))
			return -1;
		if (jn_vliw_is_cond(in) && guard_k(f, k, b, false) >= need)
			return (long)k;
	}
	return -1;
}

bool jn_vliw_load_safe(const struct xfn *f, size_t i, uint16_t minlen)
{
	const struct xin *in = &f->code[i];
	const struct absval *b = &f->av[i * NR + in->src];
	int64_t lo = b->v + in->off, hi = lo + jn_vliw_msize(in);

	if (!jn_vliw_is_load(in) || in->chk)
		return false;
	switch (b->kind) {
	case AK_STACK:
		return lo >= -JN_ISA_STACK && hi <= 0;
	case AK_CTX:
		return xform(in) == XF_LDX && jn_vliw_msize(in) == 4 && lo >= 0 && hi <= 24 && lo % 4 == 0;
	case AK_PKT:
		return lo >= 0 && hi <= minlen;
	case AK_MAPV:   /* an lddw'd value: v - 1 bytes of it from the pointer */
		return in->off >= 0 && (int64_t)in->off + (int64_t)jn_vliw_msize(in) <= b->v - 1;
	default:
		return false;
	}
}
