/* record_mem.c - the recorder's memory: shadow bytes for the packet, the
 * stack and every map value the path touches (store-to-load forwarding).
 *
 * What it does: a store records, per byte, which value (and which byte of
 * it) the byte now holds; a load rebuilds its value from those bytes: one
 * value, a shifted/masked part of one, or an OR of parts, and bytes still as
 * they arrived become loads of the input (packet bytes, map value bytes) or
 * zeros (stack, headroom).  So a trace never reads back what it wrote: every
 * load it keeps reads state as the packet arrived.  Every packet access
 * carries the length guard that makes it in bounds (implied ones vanish when
 * the path condition is simplified).
 * Assumes: pointers carry their region (struct sval); offsets into the
 * packet are relative to data as it arrived.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "isa/isa.h"
#include "record.h"

uint8_t *jn_rec_addr(struct jn_tracer *tr, const struct sval *p, int64_t off)
{
	switch (p->kind) {
	case SK_PKT: return tr->frame + JN_XDP_HEADROOM + p->off + off;
	case SK_STACK: return tr->run->stack + p->off + off;
	case SK_MVAL: return tr->mv[p->obj].copy + p->off + off;
	default: return NULL;
	}
}

void jn_rec_dirty(struct jn_tracer *tr, bool pkt, size_t i, size_t n)
{
	size_t *lo = pkt ? &tr->psh_lo : &tr->ssh_lo, *hi = pkt ? &tr->psh_hi : &tr->ssh_hi;

	if (i < *lo)
		*lo = i;
	if (i + n > *hi)
		*hi = i + n;
}

/* Back to "every byte as it arrived": only the ranges written are reset
 * (a miss's cost is mostly this and the copy of the packet). */
void jn_rec_mem_reset(struct jn_tracer *tr)
{
	for (int i = 0; i < tr->nmv; i++) {
		free(tr->mv[i].copy);
		free(tr->mv[i].sh);
	}
	tr->nmv = 0;
	for (size_t i = tr->psh_lo; i < tr->psh_hi; i++)
		tr->psh[i].ref = SB_ORIG;
	for (size_t i = tr->ssh_lo; i < tr->ssh_hi; i++)
		tr->ssh[i].ref = SB_ORIG;
	tr->psh_lo = JN_XDP_FRAME_SZ;
	tr->ssh_lo = REC_STACK;
	tr->psh_hi = tr->ssh_hi = 0;
}

void jn_rec_zero_stack(struct jn_tracer *tr, uint32_t off, uint32_t len)
{
	memset(tr->run->stack + off, 0, len);
	for (uint32_t i = 0; i < len; i++)
		tr->ssh[off + i].ref = SB_ORIG;
}

/* The value of n bytes as they arrived at region offset off. */
static int orig(struct jn_tracer *tr, int kind, int obj, int64_t off, unsigned n)
{
	struct jn_tbuild *b = &tr->b;
	uint64_t v = 0;

	if (kind == SK_STACK || (kind == SK_PKT && off < 0))
		return jn_tb_const(b, 0);
	if (kind == SK_PKT) {
		int rc;
		if (tr->end_abs) {
			/* after adjust_tail to a constant end, bytes past the original
			 * length are the zeros the helper wrote: which ones depends on len */
			if (off >= (int64_t)tr->len) {
				rc = jn_rec_len_guard(tr, JN_TC_LE, off);
				return rc ? -(1000 + rc) : jn_tb_const(b, 0);
			}
			if (off + n > tr->len)
				return -(1000 + jn_rec_abort(tr, JN_TRERR_TAIL_GROW, "pc %u: load across the old end",
							     tr->pc));
			if ((rc = jn_rec_len_guard(tr, JN_TC_GE, off + n)))
				return -(1000 + rc);
		}
		memcpy(&v, tr->frame + JN_XDP_HEADROOM + off, n);
		return jn_tb_emit(b, JN_TIR_PLOAD, (uint8_t)n, -1, -1, off, v);
	}
	if (tr->mv[obj].rbuf)   /* reserved bytes hold whatever the buffer held */
		return -(1000 + jn_rec_abort(tr, JN_TRERR_RB_READ, "pc %u: reservation byte %lld", tr->pc,
					     (long long)off));
	memcpy(&v, tr->mv[obj].copy + off, n);
	return jn_tb_emit(b, JN_TIR_MLOAD, (uint8_t)n, tr->mv[obj].base, tr->mv[obj].map, off, v);
}

/* Bytes [idx, idx+n) of value ref, as a value. */
static int part(struct jn_tracer *tr, int32_t ref, unsigned idx, unsigned n)
{
	struct jn_tbuild *b = &tr->b;
	int k, r = ref;

	if (idx) {
		if ((k = jn_tb_const(b, 8 * idx)) < 0)
			return k;
		if ((r = jn_tb_emit(b, JN_TIR_ALU, 8, r, k, JN_OP_RSH64_X, 0)) < 0)
			return r;
	}
	if (n < 8) {
		if ((k = jn_tb_const(b, (1ULL << (8 * n)) - 1)) < 0)
			return k;
		r = jn_tb_emit(b, JN_TIR_ALU, 8, r, k, JN_OP_AND64_X, 0);
	}
	return r;
}

static struct sbyte *shadow(struct jn_tracer *tr, int kind, int obj, int64_t off)
{
	switch (kind) {
	case SK_PKT: return &tr->psh[JN_XDP_HEADROOM + off];
	case SK_STACK: return &tr->ssh[off];
	default: return &tr->mv[obj].sh[off];
	}
}

/* Rebuild n bytes at region offset off from the shadow. */
static int shadow_load(struct jn_tracer *tr, int kind, int obj, int64_t off, unsigned n)
{
	struct jn_tbuild *b = &tr->b;
	const struct sbyte *sh = shadow(tr, kind, obj, off);
	int acc = -1;

	for (unsigned i = 0; i < n;) {
		unsigned j = i + 1;
		int v, k;
		if (sh[i].ref == SB_SPILL)
			return -(1000 + JN_TRERR_STACK);
		while (j < n && (sh[i].ref == SB_ORIG
				 ? sh[j].ref == SB_ORIG && (kind != SK_PKT || off + j != 0)
				 : sh[j].ref == sh[i].ref && sh[j].idx == sh[i].idx + (j - i)))
			j++;
		v = sh[i].ref == SB_ORIG ? orig(tr, kind, obj, off + i, j - i)
					 : part(tr, sh[i].ref, sh[i].idx, j - i);
		if (v < 0)
			return v;   /* errno, or -(1000 + abort reason) */
		if (i) {
			if ((k = jn_tb_const(b, 8 * i)) < 0 ||
			    (v = jn_tb_emit(b, JN_TIR_ALU, 8, v, k, JN_OP_LSH64_X, 0)) < 0)
				return k < 0 ? k : v;
		}
		acc = acc < 0 ? v : jn_tb_emit(b, JN_TIR_ALU, 8, acc, v, JN_OP_OR64_X, 0);
		if (acc < 0)
			return acc;
		i = j;
	}
	return acc;
}

/* Check a packet access [o, o+n) and emit the length guards that make it
 * valid for every packet on this path. */
static int pkt_bounds(struct jn_tracer *tr, int64_t o, unsigned n)
{
	int rc;

	int64_t end = tr->end_abs ? tr->end_off : (int64_t)tr->len + tr->end_off;

	if (o < tr->meta_off || o + n > end)
		return jn_rec_abort(tr, JN_TRERR_FAULT, "pc %u: packet access [%lld, +%u) out of bounds",
				    tr->pc, (long long)o, n);
	if (tr->end_abs)   /* a constant end: in bounds for every packet; orig() guards the bytes */
		return 0;
	if (o + n > 0 && (rc = jn_rec_len_guard(tr, JN_TC_GE, o + n - tr->end_off)))
		return rc;
	if (tr->grown && o + n > 0) {
		if (o + n > (int64_t)tr->len)
			return jn_rec_abort(tr, JN_TRERR_TAIL_GROW, "pc %u: access at %lld", tr->pc,
					    (long long)o);
		if ((rc = jn_rec_len_guard(tr, JN_TC_GE, o + n)))
			return rc;
	}
	return 0;
}

/* Region check for p + off; returns 0 or an abort code. */
static int region(struct jn_tracer *tr, const struct sval *p, int64_t o, unsigned n, bool write)
{
	switch (p->kind) {
	case SK_PKT:
		return pkt_bounds(tr, o, n);
	case SK_STACK:
		/* this frame's 512 bytes and the callers' frames above it */
		if (o < REC_STACK - (int64_t)(tr->depth + 1) * JN_ISA_STACK || o + n > REC_STACK)
			return jn_rec_abort(tr, JN_TRERR_FAULT, "pc %u: stack access at %lld", tr->pc,
					    (long long)o);
		return 0;
	case SK_MVAL: {
		const struct mval *m = &tr->mv[p->obj];
		if (o < 0 || o + n > m->size)
			return jn_rec_abort(tr, JN_TRERR_FAULT, "pc %u: map value access at %lld", tr->pc,
					    (long long)o);
		if (tr->updated[m->map])
			return jn_rec_abort(tr, JN_TRERR_MAP_RAW, "pc %u: map %d", tr->pc, m->map);
		if (write && jn_map_spec(tr->maps[m->map])->readonly)
			return jn_rec_abort(tr, JN_TRERR_FAULT, "pc %u: store to read-only map", tr->pc);
		return 0;
	}
	case SK_PEND:
		return jn_rec_abort(tr, JN_TRERR_PEND_MEM, "pc %u", tr->pc);
	default:
		return jn_rec_abort(tr, JN_TRERR_FAULT, "pc %u: %s through a non-pointer", tr->pc,
				    write ? "store" : "load");
	}
}

static int ctx_load(struct jn_tracer *tr, int64_t o, unsigned n, struct sval *out)
{
	int r;

	if (n != 4 || o < 0 || o > 20 || (o & 3))
		return jn_rec_abort(tr, JN_TRERR_FAULT, "pc %u: xdp_md access at %lld", tr->pc, (long long)o);
	memset(out, 0, sizeof(*out));
	switch (o) {
	case 0: out->kind = SK_PKT; out->off = tr->data_off; return 0;
	case 4:   /* data_end: from the original end, or absolute after a constant adjust_tail */
		out->kind = tr->end_abs ? SK_PKT : SK_PEND;
		out->off = tr->end_off;
		return 0;
	case 8: out->kind = SK_PKT; out->off = tr->meta_off; return 0;
	case 20: r = jn_tb_const(&tr->b, 0); break;
	default:
		r = jn_tb_emit(&tr->b, JN_TIR_CTXF, 4, -1, -1, o,
			       o == 12 ? tr->run->ingress_ifindex : tr->run->rx_queue_index);
	}
	out->kind = SK_SCALAR;
	out->ref = r;
	return r < 0 ? r : 0;
}

int jn_rec_load(struct jn_tracer *tr, const struct sval *p, int64_t off, unsigned sz, struct sval *out)
{
	int64_t o = p->off + off;
	int rc, r;

	if (p->kind == SK_CTX)
		return ctx_load(tr, o, sz, out);
	if ((rc = region(tr, p, o, sz, false)))
		return rc;
	if (p->kind == SK_STACK && tr->ssh[o].ref == SB_SPILL) {
		if (sz != 8 || (o & 7))
			return jn_rec_abort(tr, JN_TRERR_STACK, "pc %u: partial load of a spilled pointer",
					    tr->pc);
		*out = tr->spill[o / 8];
		return 0;
	}
	r = shadow_load(tr, p->kind, p->obj, o, sz);
	if (r == -(1000 + JN_TRERR_STACK))
		return jn_rec_abort(tr, JN_TRERR_STACK, "pc %u: load overlaps a spilled pointer", tr->pc);
	if (r <= -1000)
		return -r - 1000;
	if (r < 0)
		return r;
	memset(out, 0, sizeof(*out));
	out->kind = SK_SCALAR;
	out->ref = r;
	if (!(tr->b.t->ir[r].flags & JN_TF_POST)) {
		uint64_t c = 0;
		memcpy(&c, jn_rec_addr(tr, p, off), sz);
		if (c != tr->b.cval[r])
			return jn_rec_abort(tr, JN_TRERR_STACK, "pc %u: shadow and memory disagree", tr->pc);
	}
	return 0;
}

int jn_rec_store(struct jn_tracer *tr, const struct sval *p, int64_t off, unsigned sz,
		 const struct sval *v)
{
	int64_t o = p->off + off;
	struct sbyte *sh;
	uint64_t c;
	int rc;

	if (p->kind == SK_CTX)
		return jn_rec_abort(tr, JN_TRERR_FAULT, "pc %u: store into xdp_md", tr->pc);
	if ((rc = region(tr, p, o, sz, true)))
		return rc;
	sh = shadow(tr, p->kind, p->obj, o);
	if (p->kind != SK_MVAL)
		jn_rec_dirty(tr, p->kind == SK_PKT, (size_t)(p->kind == SK_PKT ? o + JN_XDP_HEADROOM : o), sz);
	if (v->kind != SK_SCALAR) {
		if (p->kind != SK_STACK || sz != 8 || (o & 7))
			return jn_rec_abort(tr, JN_TRERR_PTR_STORE, "pc %u", tr->pc);
		for (unsigned i = 0; i < 8; i++)
			sh[i].ref = SB_SPILL;
		tr->spill[o / 8] = *v;
		memset(jn_rec_addr(tr, p, off), 0xa5, 8);
		return 0;
	}
	for (unsigned i = 0; i < sz; i++) {
		sh[i].ref = v->ref;
		sh[i].idx = (uint8_t)i;
	}
	c = tr->b.cval[v->ref];
	memcpy(jn_rec_addr(tr, p, off), &c, sz);
	if (p->kind == SK_PKT)
		return jn_rec_effect(tr, JN_TIR_PSTORE, (uint8_t)sz, v->ref, -1, o);
	if (p->kind == SK_MVAL)
		return jn_rec_effect(tr, JN_TIR_MSTORE, (uint8_t)sz, tr->mv[p->obj].base, v->ref, o);
	return 0;
}

static int atomic_alu(int op)
{
	switch (op) {
	case JN_OP_AADD32: case JN_OP_AFADD32: return JN_OP_ADD32_X;
	case JN_OP_AOR32: case JN_OP_AFOR32: return JN_OP_OR32_X;
	case JN_OP_AAND32: case JN_OP_AFAND32: return JN_OP_AND32_X;
	case JN_OP_AXOR32: case JN_OP_AFXOR32: return JN_OP_XOR32_X;
	case JN_OP_AADD64: case JN_OP_AFADD64: return JN_OP_ADD64_X;
	case JN_OP_AOR64: case JN_OP_AFOR64: return JN_OP_OR64_X;
	case JN_OP_AAND64: case JN_OP_AFAND64: return JN_OP_AND64_X;
	case JN_OP_AXOR64: case JN_OP_AFXOR64: return JN_OP_XOR64_X;
	default: return -1;
	}
}

/* Atomics: a load, the operation and a store (one CPU runs at a time). */
int jn_rec_atomic(struct jn_tracer *tr, int op, const struct jn_insn *in)
{
	unsigned sz = jn_isa_size(in->code);
	const struct sval *p = &tr->R[in->dst];
	struct sval old, nv, src = tr->R[in->src];
	int64_t o = p->off + in->off;
	int aop = atomic_alu(op), rc;

	if (src.kind != SK_SCALAR || (p->kind != SK_STACK && p->kind != SK_PKT && p->kind != SK_MVAL))
		return jn_rec_abort(tr, JN_TRERR_PTR_ARITH, "pc %u: atomic operands", tr->pc);
	if (((p->kind == SK_PKT ? o + JN_XDP_HEADROOM : o) & (sz - 1)))
		return jn_rec_abort(tr, JN_TRERR_FAULT, "pc %u: misaligned atomic", tr->pc);
	if ((rc = jn_rec_load(tr, p, in->off, sz, &old)))
		return rc;
	nv = src;
	if (aop >= 0) {
		nv.ref = jn_tb_emit(&tr->b, JN_TIR_ALU, 8, old.ref, src.ref, aop, 0);
	} else if (op == JN_OP_ACMPXCHG32 || op == JN_OP_ACMPXCHG64) {
		struct sval r0 = tr->R[0];
		bool eq;
		if (r0.kind != SK_SCALAR)
			return jn_rec_abort(tr, JN_TRERR_PTR_ARITH, "pc %u: cmpxchg on a pointer", tr->pc);
		eq = jn_trace_cmp(JN_TC_EQ, (int)sz, tr->b.cval[old.ref], tr->b.cval[r0.ref]);
		if ((rc = jn_rec_guard(tr, eq ? JN_TC_EQ : JN_TC_NE, (int)sz, old.ref, r0.ref)))
			return rc;
		tr->R[0] = old;
		return eq ? jn_rec_store(tr, p, in->off, sz, &src) : 0;
	}
	if (nv.ref < 0)
		return nv.ref;
	if ((rc = jn_rec_store(tr, p, in->off, sz, &nv)))
		return rc;
	if (aop < 0 || (in->imm & 1))   /* xchg and fetch forms return the old value */
		tr->R[in->src] = old;
	return 0;
}

int jn_rec_chunks(struct jn_tracer *tr, const struct sval *p, uint32_t size, uint8_t *bytes)
{
	struct jn_trace *t = tr->b.t;
	uint32_t first = t->nchunks;

	if (p->kind != SK_STACK && p->kind != SK_PKT)
		return -(1000 + JN_TRERR_PTR_ARG);
	for (uint32_t o = 0; o < size; o += 8) {
		unsigned n = size - o < 8 ? size - o : 8;
		struct sval v;
		int rc = jn_rec_load(tr, p, o, n, &v);
		if (rc)
			return rc > 0 ? -(1000 + rc) : rc;
		if (t->nchunks == tr->cap_chunks) {
			uint32_t cap = tr->cap_chunks ? 2 * tr->cap_chunks : 16;
			int32_t *c = realloc(t->chunks, cap * sizeof(*c));
			uint8_t *s = c ? realloc(t->chunk_sz, cap) : NULL;
			if (c)
				t->chunks = c;
			if (!s)
				return -ENOMEM;
			t->chunk_sz = s;
			tr->cap_chunks = cap;
		}
		t->chunks[t->nchunks] = v.ref;
		t->chunk_sz[t->nchunks++] = (uint8_t)n;
		memcpy(bytes + o, jn_rec_addr(tr, p, o), n);
	}
	return (int)first;
}

int jn_rec_global(struct jn_tracer *tr, int map, uint32_t off, struct sval *out)
{
	struct mval *m;
	uint32_t zero = 0;
	uint8_t *real;
	int i;

	for (i = 0; i < tr->nmv; i++)
		if (tr->mv[i].global && tr->mv[i].map == map)
			break;
	if (i == tr->nmv) {
		if (tr->nmv == REC_MAX_MVALS)
			return jn_rec_abort(tr, JN_TRERR_ALIAS, "pc %u: too many map values", tr->pc);
		real = jn_map_lookup(tr->maps[map], &zero, 0);
		m = &tr->mv[i];
		memset(m, 0, sizeof(*m));
		m->map = map;
		m->global = true;
		m->size = jn_map_spec(tr->maps[map])->value_size;
		m->copy = malloc(m->size);
		m->sh = malloc(m->size * sizeof(*m->sh));
		if (!real || !m->copy || !m->sh) {
			free(m->copy);
			free(m->sh);
			return real ? -ENOMEM : jn_rec_abort(tr, JN_TRERR_NYI_MAP, "pc %u", tr->pc);
		}
		tr->nmv++;
		memcpy(m->copy, real, m->size);
		for (uint32_t b = 0; b < m->size; b++)
			m->sh[b].ref = SB_ORIG;
		m->base = jn_tb_const(&tr->b, (uint64_t)(uintptr_t)real);
		if (m->base < 0)
			return m->base;
	}
	memset(out, 0, sizeof(*out));
	out->kind = SK_MVAL;
	out->obj = i;
	out->off = off;
	out->ref = tr->mv[i].base;
	return 0;
}
