/* exec.c - running a trace on a packet, as a transaction.
 *
 * Phase 1 evaluates, in order, every instruction that does not depend on an
 * effect: inputs (the packet and the maps as the packet arrived), arithmetic,
 * guard-phase helper calls and the guards; the first guard that fails ends
 * the attempt with nothing changed.  Phase 2 then applies the effects in
 * program order (packet and map stores, effect helpers, head/tail moves)
 * and computes the values that depend on them.  Both run the lowered op
 * lists (lower.c) over the trace's value array, constants preset.
 * Executed instructions are counted without constants and the length
 * (operands, not work).
 * The XDP frame is laid out (jn_xdp_begin) only when needed: before phase 1
 * if it calls a helper or may read outside the packet (t->direct false),
 * before phase 2 if the trace writes the packet or calls a helper; a trace
 * that needs neither reads the packet where it is and leaves it there.
 * Assumes: the trace was recorded on x (its map pointers are x's); one
 * thread runs a given trace at a time (its value array is scratch).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/bpf.h>

#include "isa/isa.h"
#include "trace_internal.h"

struct ectx {
	const struct jn_trace *t;
	struct jn_xdp *x;
	struct jn_vm_run *run;
	uint8_t *data0;      /* the packet in the frame (phase 2) */
	uint64_t len;
};

static inline void st(uint8_t *p, uint64_t v, unsigned sz)
{
	switch (sz) {
	case 1: *p = (uint8_t)v; break;
	case 2: { uint16_t w = (uint16_t)v; memcpy(p, &w, 2); break; }
	case 4: { uint32_t w = (uint32_t)v; memcpy(p, &w, 4); break; }
	case 8: memcpy(p, &v, 8); break;
	default: memcpy(p, &v, sz); break;
	}
}

static uint64_t call(struct ectx *e, const struct jn_tcall *c)
{
	const struct jn_helper *h = &jn_xdp_helpers(e->x)[c->helper];
	const uint64_t *v = e->t->vals;
	uint8_t *data0 = e->run->buf + JN_XDP_HEADROOM;
	uint64_t a[5] = {0};

	for (uint32_t i = 0; i < c->nmem; i++) {
		const struct jn_tmem *m = &e->t->mems[c->mem0 + i];
		memcpy(e->run->stack + m->off, &v[m->ref], m->sz);
	}
	for (int i = 0; i < 5; i++) {
		switch (c->kind[i]) {
		case JN_TA_VAL: a[i] = v[c->val[i]]; break;
		case JN_TA_MAP: a[i] = (uint64_t)(uintptr_t)e->t->maps[c->val[i]]; break;
		case JN_TA_STACK: a[i] = (uint64_t)(uintptr_t)(e->run->stack + c->val[i]); break;
		case JN_TA_PKT: a[i] = (uint64_t)(uintptr_t)(data0 + c->val[i]); break;
		case JN_TA_CTX: a[i] = (uint64_t)(uintptr_t)e->run->ctx_words; break;
		default: break;
		}
	}
	uint64_t r;

	e->run->depth = c->depth;
	r = h->fn(e->run, a[0], a[1], a[2], a[3], a[4]);
	e->run->depth = 0;
	return r;
}

static uint64_t lookup(const struct jn_trace *t, const struct jn_txop *o)
{
	uint8_t key[64 + 8];
	size_t pos = 0;

	if (o->b == 1 && t->chunk_sz[o->a] == 4) {   /* a u32 key (arrays) */
		uint32_t k = (uint32_t)t->vals[t->chunks[o->a]];
		return (uint64_t)(uintptr_t)jn_map_lookup(t->maps[o->k], &k, 0);
	}
	for (int32_t c = o->a; c < o->a + o->b; c++) {
		/* all 8 bytes (little-endian: the chunk first), the next chunk
		 * overwrites the rest */
		memcpy(key + pos, &t->vals[t->chunks[c]], 8);
		pos += t->chunk_sz[c];
	}
	return (uint64_t)(uintptr_t)jn_map_lookup(t->maps[o->k], key, 0);
}

/* A lookup whose key parts (o[1 .. o->b]) come from the packet: each
 * writes 8 bytes (zero-extended) in key order, the next overwrites the
 * rest. */
static uint64_t lookup_t(const struct jn_trace *t, const struct jn_txop *o, const uint8_t *pkt)
{
	uint8_t key[64 + 8];

	for (const struct jn_txop *p = o + 1, *end = p + o->b; p < end; p++) {
		uint64_t w = p->b >= 0 ? jn_tld(pkt + p->b, p->sz) : (uint64_t)p->k;
		memcpy(key + p->a, &w, 8);
	}
	return (uint64_t)(uintptr_t)jn_map_lookup(t->maps[o->k], key, 0);
}

static uint64_t prog_at(struct ectx *e, const struct jn_txop *o)
{
	uint32_t prog;

	return jn_map_prog_at(e->t->maps[o->k], (uint32_t)e->t->vals[o->a], &prog) == 0 &&
	       jn_xdp_prog_vm(e->x, prog) ? prog : (uint64_t)-1;
}

/* A lookup's own guard (JN_LK_*): does value p fail it? */
static inline bool lk_fails(const struct jn_txop *o, uint64_t p)
{
	return o->cond == JN_LK_ANY ? false : o->cond == JN_LK_NULL ? p != 0 : p == 0;
}

/* The result of a hit whose effects left the packet where it is (map
 * stores and the return only). */
static void result_direct(const struct jn_trace_pkt *p, const uint8_t *data, uint64_t r0,
			  struct jn_xdp_result *res)
{
	res->retval = r0;
	res->action = r0 > XDP_REDIRECT ? XDP_ABORTED : (int)r0;
	res->data = data;
	res->len = p->len;
	res->meta_len = 0;
	res->redirect_kind = JN_REDIR_NONE;
	res->redirect_target = 0;
	res->err = 0;
	res->errmsg[0] = 0;
	res->insns = 0;
	res->nondet = 0;
}

int jn_trace_run(const struct jn_trace *t, struct jn_xdp *x, struct jn_trace_pkt *p,
		 struct jn_xdp_result *res, uint32_t *ops)
{
	return jn_trace_run_x1(t, t->x1, t->nx1, x, p, res, ops);
}

/* Both phases in one threaded loop (one indirect jump per op; phase 1's
 * end lays out the frame if phase 2 needs it and goes on with phase 2).
 * Effects (stores, effect calls, the return) only occur in phase 2, guards
 * only in phase 1; a helper call that faults ends phase 1 like a failed
 * guard, in phase 2 the fault is the result's. */
int jn_trace_run_x1(const struct jn_trace *t, const struct jn_txop *x1, uint32_t nx1,
		    struct jn_xdp *x, struct jn_trace_pkt *p, struct jn_xdp_result *res, uint32_t *ops)
{
	static const void *const lbl[] = {
		[JN_TX_LEN] = &&len, [JN_TX_PLOAD] = &&pload, [JN_TX_PLD1] = &&pld1,
		[JN_TX_PLD2] = &&pld2, [JN_TX_PLD4] = &&pld4, [JN_TX_PLD8] = &&pld8,
		[JN_TX_CTXF] = &&ctxf, [JN_TX_ALU] = &&alu, [JN_TX_ADD] = &&add, [JN_TX_AND] = &&and,
		[JN_TX_OR] = &&or, [JN_TX_LSH] = &&lsh, [JN_TX_RSH] = &&rsh, [JN_TX_BE16] = &&be16,
		[JN_TX_BE32] = &&be32, [JN_TX_LOOKUP] = &&lkup, [JN_TX_MLOAD] = &&mload,
		[JN_TX_MLD1] = &&mld1, [JN_TX_MLD2] = &&mld2, [JN_TX_MLD4] = &&mld4,
		[JN_TX_MLD8] = &&mld8, [JN_TX_PROG] = &&prog, [JN_TX_CALL] = &&call,
		[JN_TX_GUARD] = &&guard, [JN_TX_GUARD_K] = &&guard_k, [JN_TX_GEQ_K] = &&geq_k,
		[JN_TX_GNE_K] = &&gne_k, [JN_TX_GGT_K] = &&ggt_k, [JN_TX_GGE_K] = &&gge_k,
		[JN_TX_GLT_K] = &&glt_k, [JN_TX_GLE_K] = &&gle_k, [JN_TX_PSTORE] = &&pstore,
		[JN_TX_MSTORE] = &&mstore, [JN_TX_ECALL] = &&ecall, [JN_TX_RET] = &&ret,
		[JN_TX_LOOKUP_T] = &&lkup_t, [JN_TX_KEYPART] = &&next, [JN_TX_MADD] = &&madd,
		[JN_TX_OUT] = &&out,
	};
	struct ectx e = { .t = t, .x = x, .len = p->len };
	const struct jn_txop *o = x1, *end = x1 + nx1;
	uint64_t *v = t->vals, r0 = 0;
	const uint8_t *pkt = p->data;
	bool phase2 = false;
	int rc;
#define NEXT do { if (++o < end) goto *lbl[o->op]; goto phase_end; } while (0)
#define MV ((uint8_t *)(uintptr_t)v[o->a] + o->k)   /* a map value's bytes */
#define FAILS(c) do { if (__builtin_expect(c, 0)) goto fail; } while (0)

	v[t->len_ref] = p->len;
	if (p->framed || !t->direct) {   /* the run state only when there is a frame */
		if (!p->framed && (rc = jn_xdp_begin(x, p->data, p->len, p->ts_ns, res)))
			return rc;
		p->framed = true;
		e.run = jn_xdp_run_state(x);
		pkt = e.data0 = e.run->buf + JN_XDP_HEADROOM;
	}
	if (o < end)
		goto *lbl[o->op];
	goto phase_end;
geq_k: FAILS(v[o->a] != (uint64_t)o->k); NEXT;
gne_k: FAILS(v[o->a] == (uint64_t)o->k); NEXT;
ggt_k: FAILS(v[o->a] <= (uint64_t)o->k); NEXT;
gge_k: FAILS(v[o->a] < (uint64_t)o->k); NEXT;
glt_k: FAILS(v[o->a] >= (uint64_t)o->k); NEXT;
gle_k: FAILS(v[o->a] > (uint64_t)o->k); NEXT;
guard_k: FAILS(!jn_tcmp(o->cond, o->sz, v[o->a], (uint64_t)o->k)); NEXT;
guard: FAILS(!jn_tcmp(o->cond, o->sz, v[o->a], v[o->b])); NEXT;
len: v[o->d] = e.len; NEXT;
pload: v[o->d] = jn_tld(pkt + o->k, o->sz); NEXT;
pld1: v[o->d] = pkt[o->k]; NEXT;
pld2: v[o->d] = jn_tld(pkt + o->k, 2); NEXT;
pld4: v[o->d] = jn_tld(pkt + o->k, 4); NEXT;
pld8: v[o->d] = jn_tld(pkt + o->k, 8); NEXT;
ctxf: v[o->d] = o->k == 12 ? e.run->ingress_ifindex : e.run->rx_queue_index; NEXT;
add: v[o->d] = v[o->a] + v[o->b]; NEXT;
and: v[o->d] = v[o->a] & v[o->b]; NEXT;
or: v[o->d] = v[o->a] | v[o->b]; NEXT;
lsh: v[o->d] = v[o->a] << (v[o->b] & 63); NEXT;
rsh: v[o->d] = v[o->a] >> (v[o->b] & 63); NEXT;
be16: v[o->d] = __builtin_bswap16((uint16_t)v[o->a]); NEXT;
be32: v[o->d] = __builtin_bswap32((uint32_t)v[o->a]); NEXT;
alu: v[o->d] = jn_trace_alu((int)o->k, v[o->a], v[o->b]); NEXT;
lkup: v[o->d] = lookup(t, o); FAILS(lk_fails(o, v[o->d])); NEXT;
lkup_t: v[o->d] = lookup_t(t, o, pkt); FAILS(lk_fails(o, v[o->d])); o += o->b; NEXT;
mload: v[o->d] = jn_tld(MV, o->sz); NEXT;
mld1: v[o->d] = *MV; NEXT;
mld2: v[o->d] = jn_tld(MV, 2); NEXT;
mld4: v[o->d] = jn_tld(MV, 4); NEXT;
mld8: v[o->d] = jn_tld(MV, 8); NEXT;
prog: v[o->d] = prog_at(&e, o); NEXT;
call:
	v[o->d] = call(&e, &t->calls[o->k]);
	FAILS(e.run->err && !phase2);
	NEXT;
out: v[o->d] = jn_tld(e.run->stack + o->k, o->sz); NEXT;
pstore: st(e.data0 + o->k, v[o->a], o->sz); NEXT;
mstore: st(MV, v[o->b], o->sz); NEXT;
madd: st(MV, jn_tld(MV, o->sz) + v[o->b], o->sz); NEXT;
ecall: v[o->d] = call(&e, &t->calls[o->k]); NEXT;
ret: r0 = v[o->a]; NEXT;
next: NEXT;
phase_end:
	if (!phase2) {   /* every guard held */
		if (t->frame_fx && !p->framed) {
			/* packet writes alone: a copy of the packet where the frame
			 * would hold it (no run state to set up) */
			if (!t->copy_fx && (rc = jn_xdp_begin(x, p->data, p->len, p->ts_ns, res)))
				return rc;
			p->framed = !t->copy_fx;
			e.run = jn_xdp_run_state(x);
			e.data0 = e.run->buf + JN_XDP_HEADROOM;
			if (t->copy_fx)
				memcpy(e.data0, p->data, p->len);
		}
		phase2 = true;
		o = t->x2;
		end = o + t->nx2;
		pkt = e.data0;   /* NULL without a frame: no op of phase 2 reads the packet then */
		if (o < end)
			goto *lbl[o->op];
	}
	if (p->framed)
		jn_xdp_finish(x, e.run->err, r0, res);
	else
		result_direct(p, e.data0 ? e.data0 : p->data, r0, res);
	if (ops)
		*ops = t->ord1 + t->ord2;
	return 1;
fail:
	if (p->framed) {   /* forget what guard-phase helpers left */
		e.run->err = 0;
		e.run->errmsg[0] = 0;
		jn_xdp_clear_redirect(x);
	}
	if (ops)
		*ops = o->ord;
	return o->op != JN_TX_CALL && o->state ? 2 : 0;
#undef NEXT
#undef MV
#undef FAILS
}

int jn_trace_exec(const struct jn_trace *t, struct jn_xdp *x, struct jn_xdp_result *res,
		  uint32_t *ops)
{
	struct jn_vm_run *run = jn_xdp_run_state(x);
	struct jn_trace_pkt p = { .data = run->data, .len = (uint32_t)(run->data_end - run->data),
				  .framed = true };

	return jn_trace_run(t, x, &p, res, ops);
}
