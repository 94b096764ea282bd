/* exec.c - running a trace on a packet, as a transaction.
 *
 * Phase 1 evaluates, in order, every instruction that does not depend on an
 * effect: inputs (the packet and the maps as the packet arrived), arithmetic,
 * guard-phase helper calls and the guards; the first guard that fails ends
 * the attempt with nothing changed.  Phase 2 then applies the effects in
 * program order (packet and map stores, effect helpers, head/tail moves)
 * and computes the values that depend on them.
 * Executed instructions are counted without constants and the length
 * (operands, not work).
 * Assumes: x was prepared by jn_xdp_begin for this packet; the trace was
 * recorded on x (its map pointers are x's).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/bpf.h>

#include "trace_internal.h"

struct ectx {
	const struct jn_trace *t;
	struct jn_xdp *x;
	struct jn_vm_run *run;
	uint8_t *data0;
	uint64_t len0;
	uint64_t *v;
};

static uint64_t call(struct ectx *e, const struct jn_tcall *c)
{
	const struct jn_helper *h = &jn_xdp_helpers(e->x)[c->helper];
	uint64_t a[5] = {0};

	for (uint32_t i = 0; i < c->nmem; i++) {
		const struct jn_tmem *m = &e->t->mems[c->mem0 + i];
		memcpy(e->run->stack + m->off, &e->v[m->ref], m->sz);
	}
	for (int i = 0; i < 5; i++) {
		switch (c->kind[i]) {
		case JN_TA_VAL: a[i] = e->v[c->val[i]]; break;
		case JN_TA_MAP: a[i] = (uint64_t)(uintptr_t)e->t->maps[c->val[i]]; break;
		case JN_TA_STACK: a[i] = (uint64_t)(uintptr_t)(e->run->stack + c->val[i]); break;
		case JN_TA_PKT: a[i] = (uint64_t)(uintptr_t)(e->data0 + c->val[i]); break;
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

static uint64_t lookup(struct ectx *e, const struct jn_tins *in)
{
	uint8_t key[64];
	size_t pos = 0;

	for (int32_t c = in->a; c < in->a + in->b; c++) {
		memcpy(key + pos, &e->v[e->t->chunks[c]], e->t->chunk_sz[c]);
		pos += e->t->chunk_sz[c];
	}
	return (uint64_t)(uintptr_t)jn_map_lookup(e->t->maps[in->k], key, 0);
}

/* Value of a non-effect instruction; false if it is a guard that fails. */
static bool eval(struct ectx *e, const struct jn_tins *in, uint64_t *out)
{
	const uint64_t *v = e->v;
	uint64_t r = 0;

	switch (in->op) {
	case JN_TIR_KINT: r = (uint64_t)in->k; break;
	case JN_TIR_LEN: r = e->len0; break;
	case JN_TIR_PLOAD: memcpy(&r, e->data0 + in->k, in->sz); break;
	case JN_TIR_CTXF: r = in->k == 12 ? e->run->ingress_ifindex : e->run->rx_queue_index; break;
	case JN_TIR_ALU: r = jn_trace_alu((int)in->k, v[in->a], in->b >= 0 ? v[in->b] : 0); break;
	case JN_TIR_LOOKUP: r = lookup(e, in); break;
	case JN_TIR_MLOAD: memcpy(&r, (const uint8_t *)(uintptr_t)v[in->a] + in->k, in->sz); break;
	case JN_TIR_PROG: {
		uint32_t prog;
		r = jn_map_prog_at(e->t->maps[in->k], (uint32_t)v[in->a], &prog) == 0 &&
		    jn_xdp_prog_vm(e->x, prog) ? prog : (uint64_t)-1;
		break;
	}
	case JN_TIR_CALL: r = call(e, &e->t->calls[in->k]); break;
	case JN_TIR_GUARD: return jn_trace_cmp((int)in->k, in->sz, v[in->a], v[in->b]);
	default: break;
	}
	*out = r;
	return true;
}

static void effect(struct ectx *e, const struct jn_tins *in, uint64_t *r0)
{
	uint64_t *v = e->v;

	switch (in->op) {
	case JN_TIR_PSTORE: memcpy(e->data0 + in->k, &v[in->a], in->sz); break;
	case JN_TIR_MSTORE: memcpy((uint8_t *)(uintptr_t)v[in->a] + in->k, &v[in->b], in->sz); break;
	case JN_TIR_RET: *r0 = v[in->a]; break;
	default: break;
	}
}

/* Phase 1: 1 if every guard held, 0 if one failed, 2 if the one that
 * failed reads map contents alone; *n counts instructions. */
static int check(struct ectx *e, uint32_t *n)
{
	const struct jn_trace *t = e->t;

	for (uint32_t i = 0; i < t->n; i++) {
		const struct jn_tins *in = &t->ir[i];
		if ((in->flags & JN_TF_POST) || jn_tir_kind[in->op] == JN_TK_E)
			continue;
		*n += in->op != JN_TIR_KINT && in->op != JN_TIR_LEN;
		if (!eval(e, in, &e->v[i]))
			return (in->flags & JN_TF_STATE) ? 2 : 0;
		if (in->op == JN_TIR_CALL && e->run->err)
			return 0;
	}
	return 1;
}

/* Phase 2: the effects and what depends on them, in order; r0. */
static uint64_t commit(struct ectx *e, uint32_t *n)
{
	const struct jn_trace *t = e->t;
	uint64_t r0 = 0;

	for (uint32_t i = 0; i < t->n; i++) {
		const struct jn_tins *in = &t->ir[i];
		if (in->op == JN_TIR_ECALL)
			e->v[i] = call(e, &t->calls[in->k]);
		else if (jn_tir_kind[in->op] == JN_TK_E)
			effect(e, in, &r0);
		else if (in->flags & JN_TF_POST)
			eval(e, in, &e->v[i]);
		else
			continue;
		(*n)++;
	}
	return r0;
}

int jn_trace_exec(const struct jn_trace *t, struct jn_xdp *x, struct jn_xdp_result *res,
		  uint32_t *ops)
{
	uint64_t vbuf[512], r0;
	struct ectx e = { .t = t, .x = x, .run = jn_xdp_run_state(x) };
	uint32_t n = 0;
	int rc;

	e.v = t->n <= 512 ? vbuf : malloc(t->n * sizeof(uint64_t));
	if (!e.v)
		return -ENOMEM;
	e.data0 = e.run->buf + JN_XDP_HEADROOM;
	e.len0 = (uint64_t)(e.run->data_end - e.run->data);
	rc = check(&e, &n);
	if (rc != 1) {
		e.run->err = 0;
		e.run->errmsg[0] = 0;
		jn_xdp_clear_redirect(x);
	} else {
		r0 = commit(&e, &n);
		jn_xdp_finish(x, e.run->err, r0, res);
	}
	if (ops)
		*ops = n;
	if (e.v != vbuf)
		free(e.v);
	return rc;
}

bool jn_trace_frameless(const struct jn_trace *t)
{
	for (uint32_t i = 0; i < t->n; i++)
		switch (t->ir[i].op) {
		case JN_TIR_PSTORE: case JN_TIR_ECALL: case JN_TIR_CALL:
			return false;
		default:
			break;
		}
	return true;
}

int jn_trace_exec_frameless(const struct jn_trace *t, struct jn_xdp *x, const uint8_t *pkt,
			    uint32_t len, struct jn_xdp_result *res, uint32_t *ops)
{
	uint64_t vbuf[512], r0;
	struct ectx e = { .t = t, .x = x, .run = jn_xdp_run_state(x), .data0 = (uint8_t *)pkt,
			  .len0 = len };
	uint32_t n = 0;
	int rc;

	e.v = t->n <= 512 ? vbuf : malloc(t->n * sizeof(uint64_t));
	if (!e.v)
		return -ENOMEM;
	rc = check(&e, &n);
	if (rc == 1) {
		r0 = commit(&e, &n);   /* map stores and the return only */
		memset(res, 0, sizeof(*res));
		res->retval = r0;
		res->action = r0 > XDP_REDIRECT ? XDP_ABORTED : (int)r0;
		res->data = pkt;
		res->len = len;
	}
	if (ops)
		*ops = n;
	if (e.v != vbuf)
		free(e.v);
	return rc;
}
