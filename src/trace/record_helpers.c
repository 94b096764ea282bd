/* record_helpers.c - helpers whose effect on the path is expressed without
 * running them in the trace, or run as effects with a known outcome.
 *
 * - bpf_loop: unrolled for the concrete iteration count (guarded: the count
 *   and flags are specialised, each callback's return is guarded zero or
 *   non-zero); the callbacks are recorded like bpf-to-bpf calls.
 * - bpf_check_mtu: the MTU is configuration (the interface of a specialised
 *   ifindex); the outcome a guard on the length (the packet's, or the
 *   mtu_len argument's) plus the delta.
 * - bpf_fib_lookup: the routing table is configuration; which route the
 *   destination matches (or none) becomes guards on the masked destination
 *   (the chosen route matches, every route that would beat it does not),
 *   and the results written into the parameters are constants.
 * - ring buffer reserve/submit/discard: effects; whether a reservation
 *   succeeds depends only on its (specialised) size and flags and on the
 *   reservations before it in this packet, so the NULL test is decided at
 *   recording and the reserved bytes are a region of their own whose stores
 *   become effects.
 * - spin locks, the CPU and NUMA ids, xdp_get_buff_len: constants or the
 *   length; xdp_adjust_meta: decided (its checks do not depend on the
 *   length), an effect; xdp_load_bytes/store_bytes: copies through the
 *   shadow, in bounds by a length guard.
 * Assumes: the interpreter's helpers (src/vm) define the semantics: routes
 * and interface MTUs do not change while x lives.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/bpf.h>
#include <sys/socket.h>

#include "isa/isa.h"
#include "record.h"

enum { REC_MAX_ROUTES = 64, REC_MAX_RESERVE = 4096 };

static int set_r0_const(struct jn_tracer *tr, uint64_t v)
{
	int r = jn_tb_const(&tr->b, v);

	if (r < 0)
		return r;
	tr->R[0] = jn_rec_scalar(r);
	return 0;
}

/* Register i (a scalar) specialised to its value. */
static int spec_reg(struct jn_tracer *tr, int i, uint64_t *v)
{
	if (tr->R[i].kind != SK_SCALAR)
		return jn_rec_abort(tr, JN_TRERR_PTR_ARG, "pc %u: argument %d is a pointer", tr->pc, i);
	return jn_rec_spec(tr, tr->R[i].ref, v);
}

static int alu(struct jn_tracer *tr, int op, int32_t a, int32_t b)
{
	return jn_tb_emit(&tr->b, JN_TIR_ALU, 8, a, b, op, 0);
}

/* ---- bpf_loop ---- */
static int loop_enter(struct jn_tracer *tr, const struct frame *f)
{
	int32_t z = jn_tb_const(&tr->b, 0), i = jn_tb_const(&tr->b, f->loop_i);
	int rc;

	if (z < 0 || i < 0)
		return z < 0 ? z : i;
	if ((rc = jn_rec_enter(tr, f->loop_pc, f->ret, f)))
		return rc;
	/* the interpreter's callback starts with zeros but for its two arguments */
	for (int r = 0; r < 10; r++)
		tr->R[r] = jn_rec_scalar(z);
	tr->R[1] = jn_rec_scalar(i);
	tr->R[2] = f->loop_ctx;
	return 0;
}

static int rec_loop(struct jn_tracer *tr)
{
	struct frame f;
	uint64_t nr, flags;
	int rc;

	if ((rc = spec_reg(tr, 4, &flags)))
		return rc;
	if (flags)
		return set_r0_const(tr, (uint64_t)-EINVAL);
	if ((rc = spec_reg(tr, 1, &nr)))
		return rc;
	if (nr > (1u << 23))
		return set_r0_const(tr, (uint64_t)-E2BIG);
	if (tr->R[2].kind != SK_FUNC || tr->R[2].obj != tr->tail_calls)
		return jn_rec_abort(tr, JN_TRERR_PTR_ARG, "pc %u: bpf_loop callback", tr->pc);
	if (nr == 0)
		return set_r0_const(tr, 0);
	memset(&f, 0, sizeof(f));
	memcpy(f.R, tr->R, sizeof(f.R));
	f.loop = true;
	f.ret = tr->pc + 1;
	f.loop_n = (uint32_t)nr;
	f.loop_pc = (uint32_t)tr->R[2].off;
	f.loop_ctx = tr->R[3];
	if ((rc = loop_enter(tr, &f)))
		return rc;
	tr->pc--;   /* the instruction loop's pc++ makes it the callback's first */
	return 0;
}

int jn_rec_loop_return(struct jn_tracer *tr, struct frame *f)
{
	struct sval r0 = tr->R[0];
	struct frame next;
	int32_t z;
	bool stop;
	int rc;

	tr->stack_used -= f->fd;
	tr->loops--;
	if (r0.kind != SK_SCALAR)
		return jn_rec_abort(tr, JN_TRERR_PTR_ARITH, "pc %u: callback returns a pointer", tr->pc);
	if ((z = jn_tb_const(&tr->b, 0)) < 0)
		return z;
	stop = tr->b.cval[r0.ref] != 0;
	if ((rc = jn_rec_guard(tr, stop ? JN_TC_NE : JN_TC_EQ, 8, r0.ref, z)))
		return rc;
	f->loop_i++;
	if (!stop && f->loop_i < f->loop_n) {
		next = *f;
		return loop_enter(tr, &next);
	}
	memcpy(tr->R, f->R, sizeof(tr->R));
	tr->pc = f->ret;
	return set_r0_const(tr, f->loop_i);
}

/* ---- bpf_check_mtu(ctx, ifindex, &mtu_len, len_diff, flags) ---- */
static int rec_check_mtu(struct jn_tracer *tr)
{
	const struct sval *mp = &tr->R[3];
	struct sval in;
	uint64_t ifindex, flags, len;
	uint32_t mtu;
	int32_t l, k, d;
	int rc;

	if (mp->kind != SK_STACK)
		return jn_rec_abort(tr, JN_TRERR_PTR_ARG, "pc %u: check_mtu mtu_len", tr->pc);
	if ((rc = jn_rec_load(tr, mp, 0, 4, &in)) || (rc = spec_reg(tr, 5, &flags)))
		return rc;
	if (flags)
		return set_r0_const(tr, (uint64_t)-EINVAL);
	if ((rc = spec_reg(tr, 2, &ifindex)))
		return rc;
	if (!ifindex) {   /* the ingress interface: a context field */
		int32_t c = jn_tb_emit(&tr->b, JN_TIR_CTXF, 4, -1, -1, 12, tr->run->ingress_ifindex);
		if (c < 0)
			return c;
		if ((rc = jn_rec_spec(tr, c, &ifindex)))
			return rc;
	}
	mtu = jn_xdp_iface_mtu(tr->x, (uint32_t)ifindex);
	if (tr->R[4].kind != SK_SCALAR)
		return jn_rec_abort(tr, JN_TRERR_PTR_ARG, "pc %u: check_mtu len_diff", tr->pc);
	/* len = (mtu_len ? mtu_len + 14 : data_end - data) + (s32)len_diff */
	if ((k = jn_tb_const(&tr->b, 0)) < 0)
		return k;
	if ((rc = jn_rec_guard(tr, tr->b.cval[in.ref] ? JN_TC_NE : JN_TC_EQ, 8, in.ref, k)))
		return rc;
	if (tr->b.cval[in.ref])
		l = (k = jn_tb_const(&tr->b, 14)) < 0 ? k : alu(tr, JN_OP_ADD64_X, in.ref, k);
	else
		l = jn_rec_cur_len(tr);
	d = l < 0 ? l : alu(tr, JN_OP_MOVSX64_32, tr->R[4].ref, -1);
	l = d < 0 ? d : alu(tr, JN_OP_ADD64_X, l, d);
	k = l < 0 ? l : jn_tb_const(&tr->b, (uint64_t)mtu + 14);
	if (k < 0)
		return k;
	len = tr->b.cval[l];
	if ((rc = jn_rec_guard(tr, (int64_t)len > (int64_t)mtu + 14 ? JN_TC_SGT : JN_TC_SLE, 8, l, k)))
		return rc;
	if ((k = jn_tb_const(&tr->b, mtu)) < 0)
		return k;
	in = jn_rec_scalar(k);
	if ((rc = jn_rec_store(tr, mp, 0, 4, &in)))
		return rc;
	return set_r0_const(tr, (int64_t)len > (int64_t)mtu + 14 ? BPF_MTU_CHK_RET_FRAG_NEEDED
								 : BPF_MTU_CHK_RET_SUCCESS);
}

/* ---- bpf_fib_lookup(ctx, params, plen, flags) ---- */
struct fib_dst {
	int32_t ref[2];      /* the destination, 8 bytes a chunk (IPv4: one chunk of 4) */
	uint64_t val[2];
	int n;
};

/* Route r's prefix as a mask and value per chunk of the destination (bytes
 * in memory order, little-endian chunks). */
static void route_mask(const struct jn_fib_route *r, int n, uint64_t mask[2], uint64_t want[2])
{
	for (int c = 0; c < n; c++) {
		mask[c] = want[c] = 0;
		for (int b = 0; b < 8; b++) {
			int bit = (c * 8 + b) * 8;
			uint8_t m = r->plen >= bit + 8 ? 0xff : r->plen > bit ? (uint8_t)(0xff << (8 - (r->plen - bit))) : 0;
			mask[c] |= (uint64_t)m << (8 * b);
			want[c] |= (uint64_t)(r->dst[c * 8 + b] & m) << (8 * b);
		}
	}
}

static bool route_matches(const struct jn_fib_route *r, const struct fib_dst *d)
{
	uint64_t mask[2], want[2];

	route_mask(r, d->n, mask, want);
	for (int c = 0; c < d->n; c++)
		if ((d->val[c] & mask[c]) != want[c])
			return false;
	return true;
}

/* Guard that r matches (every chunk equal under the mask) or not (the
 * first chunk that differs differs: narrower than "some chunk differs",
 * still exact for the packets it admits). */
static int route_guard(struct jn_tracer *tr, const struct jn_fib_route *r, const struct fib_dst *d,
		       bool match)
{
	uint64_t mask[2], want[2];
	int rc;

	route_mask(r, d->n, mask, want);
	for (int c = 0; c < d->n; c++) {
		bool eq = (d->val[c] & mask[c]) == want[c];
		int32_t m, w, v;
		if (!mask[c] || (!match && eq))
			continue;
		m = jn_tb_const(&tr->b, mask[c]);
		w = m < 0 ? m : jn_tb_const(&tr->b, want[c]);
		v = w < 0 ? w : alu(tr, JN_OP_AND64_X, d->ref[c], m);
		if (v < 0)
			return v;
		if ((rc = jn_rec_guard(tr, eq ? JN_TC_EQ : JN_TC_NE, 8, v, w)))
			return rc;
		if (!match)
			return 0;
	}
	return 0;
}

static int store_const(struct jn_tracer *tr, const struct sval *p, int64_t off, const uint8_t *bytes,
		       unsigned n)
{
	for (unsigned o = 0; o < n;) {
		unsigned sz = n - o >= 8 ? 8 : n - o >= 4 ? 4 : n - o >= 2 ? 2 : 1;
		uint64_t v = 0;
		struct sval s;
		int32_t k;
		int rc;
		memcpy(&v, bytes + o, sz);
		if ((k = jn_tb_const(&tr->b, v)) < 0)
			return k;
		s = jn_rec_scalar(k);
		if ((rc = jn_rec_store(tr, p, off + o, sz, &s)))
			return rc;
		o += sz;
	}
	return 0;
}

/* The chosen route's results written into the parameters. */
static int fib_results(struct jn_tracer *tr, const struct sval *p, const struct jn_fib_route *best,
		       int family)
{
	uint32_t ifindex = best->ifindex;
	uint16_t mtu = (uint16_t)jn_xdp_iface_mtu(tr->x, best->ifindex);
	int rc;

	if ((rc = store_const(tr, p, offsetof(struct bpf_fib_lookup, ifindex), (const uint8_t *)&ifindex, 4)) ||
	    (rc = store_const(tr, p, offsetof(struct bpf_fib_lookup, smac), best->smac, 6)) ||
	    (rc = store_const(tr, p, offsetof(struct bpf_fib_lookup, dmac), best->dmac, 6)))
		return rc;
	if (best->has_gw &&
	    (rc = store_const(tr, p, family == AF_INET ? offsetof(struct bpf_fib_lookup, ipv4_dst)
						     : offsetof(struct bpf_fib_lookup, ipv6_dst),
			      best->gw, family == AF_INET ? 4 : 16)))
		return rc;
	if ((rc = store_const(tr, p, offsetof(struct bpf_fib_lookup, mtu_result), (const uint8_t *)&mtu, 2)))
		return rc;
	return set_r0_const(tr, BPF_FIB_LKUP_RET_SUCCESS);
}

static int rec_fib_lookup(struct jn_tracer *tr)
{
	const struct sval *p = &tr->R[2];
	const struct jn_fib_route *routes, *best = NULL;
	struct fib_dst d = { .n = 1 };
	struct sval v;
	uint64_t plen, family;
	size_t nr;
	int rc;

	if ((rc = spec_reg(tr, 3, &plen)))
		return rc;
	if (plen < sizeof(struct bpf_fib_lookup))
		return set_r0_const(tr, (uint64_t)-EINVAL);
	if (p->kind != SK_STACK)
		return jn_rec_abort(tr, JN_TRERR_PTR_ARG, "pc %u: fib_lookup parameters", tr->pc);
	routes = jn_xdp_routes(tr->x, &nr);
	if (nr > REC_MAX_ROUTES)
		return jn_rec_abort(tr, JN_TRERR_NYI_HELPER, "pc %u: fib_lookup over %zu routes (traces take %d)",
				    tr->pc, nr, REC_MAX_ROUTES);
	/* the whole structure must be writable stack (the loads check the bounds) */
	if ((rc = jn_rec_load(tr, p, sizeof(struct bpf_fib_lookup) - 1, 1, &v)) ||
	    (rc = jn_rec_load(tr, p, offsetof(struct bpf_fib_lookup, family), 1, &v)) ||
	    (rc = jn_rec_spec(tr, v.ref, &family)))
		return rc;
	if (family != AF_INET && family != AF_INET6)
		return set_r0_const(tr, (uint64_t)-EAFNOSUPPORT);
	if (family == AF_INET6)
		d.n = 2;
	for (int c = 0; c < d.n; c++) {
		int64_t off = (family == AF_INET ? offsetof(struct bpf_fib_lookup, ipv4_dst)
						 : offsetof(struct bpf_fib_lookup, ipv6_dst)) + 8 * c;
		if ((rc = jn_rec_load(tr, p, off, family == AF_INET ? 4 : 8, &v)))
			return rc;
		d.ref[c] = v.ref;
		d.val[c] = tr->b.cval[v.ref];
	}
	for (size_t i = 0; i < nr; i++)   /* as the helper chooses: the first of the longest */
		if (routes[i].family == (int)family && route_matches(&routes[i], &d) &&
		    (!best || routes[i].plen > best->plen))
			best = &routes[i];
	for (size_t i = 0; i < nr; i++) {
		const struct jn_fib_route *r = &routes[i];
		bool before = best && r < best;
		if (r == best || r->family != (int)family ||
		    (best && r->plen < best->plen + !before))   /* could not have beaten best */
			continue;
		if ((rc = route_guard(tr, r, &d, false)))
			return rc;
	}
	if (!best)
		return set_r0_const(tr, BPF_FIB_LKUP_RET_NOT_FWDED);
	if ((rc = route_guard(tr, best, &d, true)))
		return rc;
	return fib_results(tr, p, best, (int)family);
}

/* ---- ring buffer reservations ---- */

/* Nothing consumes a ring (jn_map_ringbuf_produce), so whether a record
 * fits depends on the producer position as the packet arrived -- a
 * guard-phase bpf_ringbuf_query, once per ring and path -- plus what the
 * path took before: fits iff pos <= max_entries - 1 - taken - len. */
static int32_t ring_pos(struct jn_tracer *tr, int map)
{
	int32_t pos = tr->rb_pos[map], flag;
	int c;

	if (pos >= 0)
		return pos;
	if ((c = jn_rec_new_call(tr, BPF_FUNC_ringbuf_query)) < 0 ||
	    (flag = jn_tb_const(&tr->b, BPF_RB_PROD_POS)) < 0)
		return c < 0 ? c : flag;
	tr->b.t->calls[c].kind[0] = JN_TA_MAP;
	tr->b.t->calls[c].val[0] = map;
	tr->b.t->calls[c].kind[1] = JN_TA_VAL;
	tr->b.t->calls[c].val[1] = flag;
	pos = jn_tb_emit(&tr->b, JN_TIR_CALL, 8, -1, -1, c, (int64_t)jn_map_ringbuf_pos(tr->maps[map]));
	if (pos >= 0)
		tr->rb_pos[map] = pos;
	return pos;
}

int jn_rec_ring_room(struct jn_tracer *tr, int map, uint64_t size, bool *fits)
{
	struct jn_map *m = tr->maps[map];
	uint64_t max = jn_map_spec(m)->max_entries, len = jn_map_ringbuf_len(size);
	uint64_t taken = tr->rb_taken[map];
	int32_t pos, k;

	if (size > UINT32_MAX / 4 || len > max || taken + len > max - 1) {
		*fits = false;   /* on every packet of this path */
		return 0;
	}
	if ((pos = ring_pos(tr, map)) < 0)
		return pos;
	*fits = jn_map_ringbuf_fits(m, tr->b.cval[pos] + taken, size);
	if ((k = jn_tb_const(&tr->b, max - 1 - taken - len)) < 0)
		return k;
	if (*fits)
		tr->rb_taken[map] += len;
	return jn_rec_guard(tr, *fits ? JN_TC_LE : JN_TC_GT, 8, pos, k);
}

/* bpf_ringbuf_query (map, flags): the producer position (also the
 * available data: nothing consumes) as the packet arrived plus what the
 * path took; the size; 0 for the consumer position and unknown flags. */
static int rec_ring_query(struct jn_tracer *tr)
{
	const struct sval *mp = &tr->R[1];
	uint64_t flags;
	int32_t pos, k;
	int rc;

	if (mp->kind != SK_MAPPTR || jn_map_spec(tr->maps[mp->obj])->type != BPF_MAP_TYPE_RINGBUF)
		return jn_rec_abort(tr, JN_TRERR_PTR_ARG, "pc %u: ringbuf_query map", tr->pc);
	if ((rc = spec_reg(tr, 2, &flags)))
		return rc;
	if (flags == BPF_RB_RING_SIZE)
		return set_r0_const(tr, jn_map_spec(tr->maps[mp->obj])->max_entries);
	if (flags != BPF_RB_AVAIL_DATA && flags != BPF_RB_PROD_POS)
		return set_r0_const(tr, 0);
	if ((pos = ring_pos(tr, mp->obj)) < 0 || (k = jn_tb_const(&tr->b, tr->rb_taken[mp->obj])) < 0)
		return pos < 0 ? pos : k;
	if ((pos = alu(tr, JN_OP_ADD64_X, pos, k)) < 0)
		return pos;
	tr->R[0] = jn_rec_scalar(pos);
	return 0;
}

static int rec_reserve(struct jn_tracer *tr)
{
	const struct sval *mp = &tr->R[1];
	struct jn_tcall *call;
	struct mval *m;
	uint64_t size, flags, need;
	int c, r, rc;

	if (mp->kind != SK_MAPPTR || jn_map_spec(tr->maps[mp->obj])->type != BPF_MAP_TYPE_RINGBUF)
		return jn_rec_abort(tr, JN_TRERR_PTR_ARG, "pc %u: ringbuf_reserve map", tr->pc);
	if ((rc = spec_reg(tr, 2, &size)) || (rc = spec_reg(tr, 3, &flags)))
		return rc;
	need = 16 + ((size + 7) & ~(uint64_t)7);
	if (flags || size > JN_XDP_SCRATCH_SZ || tr->rb_used + need > JN_XDP_SCRATCH_SZ)
		return set_r0_const(tr, 0);   /* the helper fails on every packet of this path */
	bool fits;
	if ((rc = jn_rec_ring_room(tr, mp->obj, size, &fits)))
		return rc;
	if (!fits)
		return set_r0_const(tr, 0);   /* the ring is full */
	if (size > REC_MAX_RESERVE)
		return jn_rec_abort(tr, JN_TRERR_NYI_HELPER, "pc %u: ringbuf_reserve of %llu bytes", tr->pc,
				    (unsigned long long)size);
	if (tr->nmv == REC_MAX_MVALS)
		return jn_rec_abort(tr, JN_TRERR_ALIAS, "pc %u: too many map values", tr->pc);
	tr->rb_used += (uint32_t)need;
	if ((c = jn_rec_new_call(tr, BPF_FUNC_ringbuf_reserve)) < 0)
		return c;
	call = &tr->b.t->calls[c];
	call->kind[0] = JN_TA_MAP;
	call->val[0] = mp->obj;
	for (int i = 1; i < 3; i++) {
		call->kind[i] = JN_TA_VAL;
		call->val[i] = tr->R[i + 1].ref;
	}
	if ((r = jn_tb_emit(&tr->b, JN_TIR_ECALL, 8, -1, -1, c, 0)) < 0)
		return r;
	tr->b.t->ir[r].flags |= JN_TF_POST;
	m = &tr->mv[tr->nmv];
	memset(m, 0, sizeof(*m));
	m->map = mp->obj;
	m->rbuf = true;
	m->base = r;
	m->size = (uint32_t)size;
	m->copy = calloc(size ? size : 1, 1);
	m->sh = malloc((size ? size : 1) * sizeof(*m->sh));
	if (!m->copy || !m->sh) {
		free(m->copy);
		free(m->sh);
		return -ENOMEM;
	}
	for (uint32_t b = 0; b < m->size; b++)
		m->sh[b].ref = SB_ORIG;
	memset(&tr->R[0], 0, sizeof(tr->R[0]));
	tr->R[0].kind = SK_MVAL;
	tr->R[0].obj = tr->nmv++;
	tr->R[0].ref = r;
	return 0;
}

/* submit / discard (ptr, flags): effects on the reservation. */
static int rec_release(struct jn_tracer *tr, int32_t id)
{
	const struct sval *p = &tr->R[1];
	struct jn_tcall *call;
	int c, r;

	if (p->kind != SK_MVAL || !tr->mv[p->obj].rbuf || p->off)
		return jn_rec_abort(tr, JN_TRERR_PTR_ARG, "pc %u: ringbuf submit/discard of a non-reservation",
				    tr->pc);
	if (tr->R[2].kind != SK_SCALAR)
		return jn_rec_abort(tr, JN_TRERR_PTR_ARG, "pc %u: argument 2 is a pointer", tr->pc);
	if ((c = jn_rec_new_call(tr, id)) < 0)
		return c;
	call = &tr->b.t->calls[c];
	call->kind[0] = call->kind[1] = JN_TA_VAL;
	call->val[0] = tr->mv[p->obj].base;
	call->val[1] = tr->R[2].ref;
	if ((r = jn_tb_emit(&tr->b, JN_TIR_ECALL, 8, -1, -1, c, 0)) < 0)
		return r;
	tr->b.t->ir[r].flags |= JN_TF_POST;
	tr->R[0] = jn_rec_scalar(r);
	return 0;
}

/* bpf_spin_lock/unlock: one CPU runs at a time; the pointer must be 4
 * bytes of a map value or the stack. */
static int rec_spin_lock(struct jn_tracer *tr)
{
	const struct sval *p = &tr->R[1];
	struct sval v;
	int rc;

	if (p->kind != SK_MVAL && p->kind != SK_STACK)
		return jn_rec_abort(tr, JN_TRERR_PTR_ARG, "pc %u: spin lock", tr->pc);
	if ((rc = jn_rec_load(tr, p, 0, 4, &v)))   /* the bounds (the load itself is dead) */
		return rc;
	return set_r0_const(tr, 0);
}

/* bpf_xdp_adjust_meta(ctx, delta): the checks are on positions in the
 * frame that do not depend on the length: decided here; an effect. */
static int rec_adjust_meta(struct jn_tracer *tr)
{
	struct jn_tcall *call;
	uint64_t d64;
	int64_t meta, data;
	int c, r, rc;

	if (tr->R[1].kind != SK_CTX)
		return jn_rec_abort(tr, JN_TRERR_PTR_ARG, "pc %u: adjust_meta context", tr->pc);
	if ((rc = spec_reg(tr, 2, &d64)))
		return rc;
	meta = JN_XDP_HEADROOM + tr->meta_off + (int32_t)d64;
	data = JN_XDP_HEADROOM + tr->data_off;
	if (meta < JN_XDP_FRAME_HDR || meta > data)
		return set_r0_const(tr, (uint64_t)-EINVAL);
	if (data - meta > 32 || ((data - meta) & 3))
		return set_r0_const(tr, (uint64_t)-EACCES);
	if ((c = jn_rec_new_call(tr, BPF_FUNC_xdp_adjust_meta)) < 0)
		return c;
	call = &tr->b.t->calls[c];
	call->kind[0] = JN_TA_CTX;
	call->kind[1] = JN_TA_VAL;
	call->val[1] = tr->R[2].ref;
	if ((r = jn_tb_emit(&tr->b, JN_TIR_ECALL, 8, -1, -1, c, 0)) < 0)
		return r;
	tr->b.t->ir[r].flags |= JN_TF_POST;
	tr->meta_off = meta - JN_XDP_HEADROOM;
	tr->run->data_meta = tr->frame + meta;
	return set_r0_const(tr, 0);
}

/* bpf_xdp_load_bytes / store_bytes(ctx, off, buf, len): offset and length
 * specialised, in bounds or not by a length guard, the bytes copied between
 * the packet and a stack buffer through the shadow (stores to the packet are
 * effects). */
static int rec_xdp_bytes(struct jn_tracer *tr, int32_t id)
{
	struct sval pkt = { .kind = SK_PKT }, *buf = &tr->R[3];
	uint64_t off, len;
	int64_t need;
	bool ok;
	int rc;

	if (tr->R[1].kind != SK_CTX || buf->kind != SK_STACK)
		return jn_rec_abort(tr, JN_TRERR_PTR_ARG, "pc %u: xdp_load/store_bytes arguments", tr->pc);
	if ((rc = spec_reg(tr, 2, &off)) || (rc = spec_reg(tr, 4, &len)))
		return rc;
	if (len > JN_ISA_STACK)
		return jn_rec_abort(tr, JN_TRERR_PTR_ARG, "pc %u: %llu bytes", tr->pc, (unsigned long long)len);
	if (off > 0xffff)
		return set_r0_const(tr, (uint64_t)-EFAULT);
	/* in bounds: off + len <= data_end - data */
	need = (int64_t)(off + len) + tr->data_off - tr->end_off;
	if (tr->end_abs) {
		ok = (int64_t)(off + len) + tr->data_off <= tr->end_off;
	} else {
		ok = (int64_t)tr->len >= need;
		if ((rc = jn_rec_len_guard(tr, ok ? JN_TC_GE : JN_TC_LT, need)))
			return rc;
	}
	if (!ok)
		return set_r0_const(tr, (uint64_t)-EINVAL);
	pkt.off = tr->data_off + (int64_t)off;
	for (uint64_t o = 0; o < len; o += 8) {
		unsigned n = len - o < 8 ? (unsigned)(len - o) : 8;
		const struct sval *from = id == BPF_FUNC_xdp_load_bytes ? &pkt : buf;
		const struct sval *to = id == BPF_FUNC_xdp_load_bytes ? buf : &pkt;
		struct sval v;
		if ((rc = jn_rec_load(tr, from, (int64_t)o, n, &v)) || (rc = jn_rec_store(tr, to, (int64_t)o, n, &v)))
			return rc;
	}
	return set_r0_const(tr, 0);
}

int jn_rec_other_helper(struct jn_tracer *tr, int32_t id)
{
	int r;

	switch (id) {
	case BPF_FUNC_loop: return rec_loop(tr);
	case BPF_FUNC_check_mtu: return rec_check_mtu(tr);
	case BPF_FUNC_fib_lookup: return rec_fib_lookup(tr);
	case BPF_FUNC_ringbuf_reserve: return rec_reserve(tr);
	case BPF_FUNC_ringbuf_submit: case BPF_FUNC_ringbuf_discard: return rec_release(tr, id);
	case BPF_FUNC_ringbuf_query: return rec_ring_query(tr);
	case BPF_FUNC_spin_lock: case BPF_FUNC_spin_unlock: return rec_spin_lock(tr);
	case BPF_FUNC_get_smp_processor_id: case BPF_FUNC_get_numa_node_id: return set_r0_const(tr, 0);
	case BPF_FUNC_xdp_adjust_meta: return rec_adjust_meta(tr);
	case BPF_FUNC_xdp_load_bytes: case BPF_FUNC_xdp_store_bytes: return rec_xdp_bytes(tr, id);
	case BPF_FUNC_xdp_get_buff_len:
		if ((r = jn_rec_cur_len(tr)) < 0)
			return r;
		tr->R[0] = jn_rec_scalar(r);
		return 0;
	default:
		return jn_rec_abort(tr, JN_TRERR_NYI_HELPER, "pc %u: helper %d (%s)", tr->pc, id,
				    jn_obj_helper_name(id) ? jn_obj_helper_name(id) : "?");
	}
}
