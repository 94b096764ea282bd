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
	const uint8_t *in;   /* the packet as it arrived (phase 1) */
	uint8_t *data0;      /* the packet in the frame (phase 2) */
	uint64_t len;
	const struct jn_txop *x1;   /* phase 1 as run (t->x1, or a specialisation of it) */
	uint32_t nx1;
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

static uint64_t lookup(struct ectx *e, const struct jn_txop *o)
{
	const struct jn_trace *t = e->t;
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

static uint64_t prog_at(struct ectx *e, const struct jn_txop *o)
{
	uint32_t prog;

	return jn_map_prog_at(e->t->maps[o->k], (uint32_t)e->t->vals[o->a], &prog) == 0 &&
	       jn_xdp_prog_vm(e->x, prog) ? prog : (uint64_t)-1;
}

/* One phase-1 op (or a phase-2 op that is not an effect): 0 if it went
 * on, 1 if it is a guard that fails, 2 if a helper call faulted.  One
 * switch for every op (the hot loop dispatches once per op). */
static inline __attribute__((always_inline)) int step(struct ectx *e, const struct jn_txop *o,
						      const uint8_t *pkt)
{
	uint64_t *v = e->t->vals;
#define MV ((const uint8_t *)(uintptr_t)v[o->a] + o->k)   /* MLD*: the map value's bytes */

	switch (o->op) {
	case JN_TX_GEQ_K: return v[o->a] != (uint64_t)o->k;
	case JN_TX_GNE_K: return v[o->a] == (uint64_t)o->k;
	case JN_TX_GGT_K: return v[o->a] <= (uint64_t)o->k;
	case JN_TX_GGE_K: return v[o->a] < (uint64_t)o->k;
	case JN_TX_GLT_K: return v[o->a] >= (uint64_t)o->k;
	case JN_TX_GLE_K: return v[o->a] > (uint64_t)o->k;
	case JN_TX_GUARD_K: return !jn_tcmp(o->cond, o->sz, v[o->a], (uint64_t)o->k);
	case JN_TX_GUARD: return !jn_tcmp(o->cond, o->sz, v[o->a], v[o->b]);
	case JN_TX_CALL:
		v[o->d] = call(e, &e->t->calls[o->k]);
		return e->run->err ? 2 : 0;
	case JN_TX_LEN: v[o->d] = e->len; return 0;
	case JN_TX_PLOAD: v[o->d] = jn_tld(pkt + o->k, o->sz); return 0;
	case JN_TX_PLD1: v[o->d] = pkt[o->k]; return 0;
	case JN_TX_PLD2: v[o->d] = jn_tld(pkt + o->k, 2); return 0;
	case JN_TX_PLD4: v[o->d] = jn_tld(pkt + o->k, 4); return 0;
	case JN_TX_PLD8: v[o->d] = jn_tld(pkt + o->k, 8); return 0;
	case JN_TX_CTXF: v[o->d] = o->k == 12 ? e->run->ingress_ifindex : e->run->rx_queue_index; return 0;
	case JN_TX_ADD: v[o->d] = v[o->a] + v[o->b]; return 0;
	case JN_TX_AND: v[o->d] = v[o->a] & v[o->b]; return 0;
	case JN_TX_OR: v[o->d] = v[o->a] | v[o->b]; return 0;
	case JN_TX_LSH: v[o->d] = v[o->a] << (v[o->b] & 63); return 0;
	case JN_TX_RSH: v[o->d] = v[o->a] >> (v[o->b] & 63); return 0;
	case JN_TX_BE16: v[o->d] = __builtin_bswap16((uint16_t)v[o->a]); return 0;
	case JN_TX_BE32: v[o->d] = __builtin_bswap32((uint32_t)v[o->a]); return 0;
	case JN_TX_ALU: v[o->d] = jn_trace_alu((int)o->k, v[o->a], v[o->b]); return 0;
	case JN_TX_LOOKUP: v[o->d] = lookup(e, o); return 0;
	case JN_TX_MLOAD: v[o->d] = jn_tld(MV, o->sz); return 0;
	case JN_TX_MLD1: v[o->d] = *MV; return 0;
	case JN_TX_MLD2: v[o->d] = jn_tld(MV, 2); return 0;
	case JN_TX_MLD4: v[o->d] = jn_tld(MV, 4); return 0;
	case JN_TX_MLD8: v[o->d] = jn_tld(MV, 8); return 0;
	case JN_TX_PROG: v[o->d] = prog_at(e, o); return 0;
	default: return 0;
	}
#undef MV
}

/* Phase 1: 1 if every guard held, 0 if one failed, 2 if the one that
 * failed reads map contents alone; *n counts instructions. */
static int check(struct ectx *e, uint32_t *n)
{
	const struct jn_trace *t = e->t;
	const struct jn_txop *o = e->x1, *end = o + e->nx1;
	const uint8_t *pkt = e->in;

	for (; o < end; o++) {
		int r = step(e, o, pkt);
		if (__builtin_expect(r, 0)) {
			*n = o->ord;
			return r == 1 && o->state ? 2 : 0;
		}
	}
	*n = t->ord1;
	return 1;
}

/* Phase 2: the effects and what depends on them, in order; r0. */
static uint64_t commit(struct ectx *e)
{
	const struct jn_trace *t = e->t;
	uint64_t *v = t->vals, r0 = 0;

	for (const struct jn_txop *o = t->x2, *end = o + t->nx2; o < end; o++) {
		switch (o->op) {
		case JN_TX_PSTORE: st(e->data0 + o->k, v[o->a], o->sz); break;
		case JN_TX_MSTORE: st((uint8_t *)(uintptr_t)v[o->a] + o->k, v[o->b], o->sz); break;
		case JN_TX_ECALL: v[o->d] = call(e, &t->calls[o->k]); break;
		case JN_TX_RET: r0 = v[o->a]; break;
		default: step(e, o, e->data0); break;
		}
	}
	return r0;
}

int jn_trace_run(const struct jn_trace *t, struct jn_xdp *x, struct jn_trace_pkt *p,
		 struct jn_xdp_result *res, uint32_t *ops)
{
	return jn_trace_run_x1(t, t->x1, t->nx1, x, p, res, ops);
}

int jn_trace_run_x1(const struct jn_trace *t, const struct jn_txop *x1, uint32_t nx1,
		    struct jn_xdp *x, struct jn_trace_pkt *p, struct jn_xdp_result *res, uint32_t *ops)
{
	struct ectx e = { .t = t, .x = x, .run = jn_xdp_run_state(x), .len = p->len, .x1 = x1,
			  .nx1 = nx1 };
	uint32_t n = 0;
	uint64_t r0;
	int rc;

	if (!p->framed && !t->direct) {
		if ((rc = jn_xdp_begin(x, p->data, p->len, p->ts_ns, res)))
			return rc;
		p->framed = true;
	}
	e.data0 = e.run->buf + JN_XDP_HEADROOM;
	e.in = p->framed ? e.data0 : p->data;
	rc = check(&e, &n);
	if (rc != 1) {
		if (p->framed) {   /* forget what guard-phase helpers left */
			e.run->err = 0;
			e.run->errmsg[0] = 0;
			jn_xdp_clear_redirect(x);
		}
	} else if (t->frame_fx || p->framed) {
		if (!p->framed) {
			int b = jn_xdp_begin(x, p->data, p->len, p->ts_ns, res);
			if (b)
				return b;
			p->framed = true;
		}
		r0 = commit(&e);
		n += t->nx2;
		jn_xdp_finish(x, e.run->err, r0, res);
	} else {
		/* map stores and the return only: the packet stays where it is */
		r0 = commit(&e);
		n += t->nx2;
		res->retval = r0;
		res->action = r0 > XDP_REDIRECT ? XDP_ABORTED : (int)r0;
		res->data = p->data;
		res->len = p->len;
		res->meta_len = 0;
		res->redirect_kind = JN_REDIR_NONE;
		res->redirect_target = 0;
		res->err = 0;
		res->errmsg[0] = 0;
		res->insns = 0;
		res->nondet = 0;
	}
	if (ops)
		*ops = n;
	return rc;
}

int jn_trace_exec(const struct jn_trace *t, struct jn_xdp *x, struct jn_xdp_result *res,
		  uint32_t *ops)
{
	struct jn_vm_run *run = jn_xdp_run_state(x);
	struct jn_trace_pkt p = { .data = run->data, .len = (uint32_t)(run->data_end - run->data),
				  .framed = true };

	return jn_trace_run(t, x, &p, res, ops);
}
