/* record_call.c - helper calls while recording.
 *
 * Lookups are inputs: the key is rebuilt from the shadow, the value copied
 * as it is (no LRU recency touched by the dry run), found/not found is
 * guarded by the program's own NULL check.  Helpers without lasting effects
 * (redirects, csum_diff, the clock) run in the guard phase; helpers with
 * effects (map updates and deletes, perf output, random numbers) run at
 * commit, their results known only then (a branch on them aborts).
 * adjust_head/adjust_tail become length guards plus an effect.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/bpf.h>

#include "isa/isa.h"
#include "record.h"

#define scalar jn_rec_scalar

int jn_rec_new_call(struct jn_tracer *tr, int32_t helper)
{
	struct jn_trace *t = tr->b.t;

	if (t->ncalls == tr->cap_calls) {
		uint32_t cap = tr->cap_calls ? 2 * tr->cap_calls : 8;
		struct jn_tcall *c = realloc(t->calls, cap * sizeof(*c));
		if (!c)
			return -ENOMEM;
		t->calls = c;
		tr->cap_calls = cap;
	}
	memset(&t->calls[t->ncalls], 0, sizeof(t->calls[0]));
	t->calls[t->ncalls].helper = helper;
	t->calls[t->ncalls].depth = tr->depth;
	t->calls[t->ncalls].mem0 = t->nmems;
	return (int)t->ncalls++;
}

static int add_mem(struct jn_tracer *tr, int32_t off, uint8_t sz, int32_t ref)
{
	struct jn_trace *t = tr->b.t;

	if (t->nmems == tr->cap_mems) {
		uint32_t cap = tr->cap_mems ? 2 * tr->cap_mems : 16;
		struct jn_tmem *m = realloc(t->mems, cap * sizeof(*m));
		if (!m)
			return -ENOMEM;
		t->mems = m;
		tr->cap_mems = cap;
	}
	t->mems[t->nmems++] = (struct jn_tmem){ .off = off, .sz = sz, .ref = ref };
	return 0;
}

/* Argument i: a scalar. */
static int val_arg(struct jn_tracer *tr, int c, int i, bool pre)
{
	const struct sval *v = &tr->R[i + 1];
	struct jn_tcall *call = &tr->b.t->calls[c];

	if (v->kind != SK_SCALAR)
		return jn_rec_abort(tr, JN_TRERR_PTR_ARG, "pc %u: argument %d is a pointer", tr->pc, i + 1);
	if (pre && (tr->b.t->ir[v->ref].flags & JN_TF_POST))
		return jn_rec_abort(tr, JN_TRERR_POST_GUARD, "pc %u: argument %d", tr->pc, i + 1);
	call->kind[i] = JN_TA_VAL;
	call->val[i] = v->ref;
	return 0;
}

/* Argument i: size bytes of memory (stack: rebuilt before the call; packet:
 * bounds guarded, and for guard-phase calls untouched by this packet). */
static int mem_arg(struct jn_tracer *tr, int c, int i, uint32_t size, bool pre)
{
	const struct sval *p = &tr->R[i + 1];
	struct jn_tcall *call = &tr->b.t->calls[c];
	int rc;

	if (p->kind == SK_CTX) {
		call->kind[i] = JN_TA_CTX;
		return 0;
	}
	if (p->kind == SK_SCALAR && size == 0)
		return val_arg(tr, c, i, pre);
	if (p->kind == SK_MVAL && tr->mv[p->obj].global &&
	    jn_map_spec(tr->maps[tr->mv[p->obj].map])->readonly) {
		/* read-only global data (a format string): never changes, pass its address */
		const struct mval *m = &tr->mv[p->obj];
		int r;
		if (p->off < 0 || p->off + size > m->size)
			return jn_rec_abort(tr, JN_TRERR_FAULT, "pc %u: argument %d", tr->pc, i + 1);
		r = jn_tb_const(&tr->b, tr->b.cval[m->base] + (uint64_t)p->off);
		if (r < 0)
			return r;
		call->kind[i] = JN_TA_VAL;
		call->val[i] = r;
		return 0;
	}
	if (p->kind != SK_STACK && p->kind != SK_PKT)
		return jn_rec_abort(tr, JN_TRERR_PTR_ARG, "pc %u: argument %d", tr->pc, i + 1);
	call->kind[i] = p->kind == SK_STACK ? JN_TA_STACK : JN_TA_PKT;
	call->val[i] = p->off;
	for (uint32_t o = 0; o < size; o += 8) {
		unsigned n = size - o < 8 ? size - o : 8;
		struct sval v;
		if ((rc = jn_rec_load(tr, p, o, n, &v)))
			return rc;
		if (pre && (tr->b.t->ir[v.ref].flags & JN_TF_POST))
			return jn_rec_abort(tr, JN_TRERR_POST_GUARD, "pc %u: argument %d", tr->pc, i + 1);
		if (p->kind == SK_PKT) {
			for (unsigned b = 0; pre && b < n; b++)
				if (tr->psh[JN_XDP_HEADROOM + p->off + o + b].ref != SB_ORIG)
					return jn_rec_abort(tr, JN_TRERR_PTR_ARG,
							    "pc %u: argument %d: packet bytes written", tr->pc, i + 1);
			continue;
		}
		if ((rc = add_mem(tr, (int32_t)(p->off + o), (uint8_t)n, v.ref)))
			return rc;
		tr->b.t->calls[c].nmem++;
	}
	return 0;
}

static int map_arg(struct jn_tracer *tr, int c, int i)
{
	const struct sval *p = &tr->R[i + 1];

	if (p->kind != SK_MAPPTR)
		return jn_rec_abort(tr, JN_TRERR_PTR_ARG, "pc %u: argument %d is not a map", tr->pc, i + 1);
	tr->b.t->calls[c].kind[i] = JN_TA_MAP;
	tr->b.t->calls[c].val[i] = p->obj;
	return 0;
}

/* Emit the call; for a guard-phase call, run the real helper on the dry
 * run's memory for its concrete result. */
static int emit_call(struct jn_tracer *tr, int c, bool pre)
{
	const struct jn_tcall *call = &tr->b.t->calls[c];
	uint64_t a[5] = {0}, r0 = 0;
	int r;

	if (pre) {
		const struct jn_helper *h = &jn_xdp_helpers(tr->x)[call->helper];
		for (int i = 0; i < 5; i++) {
			const struct sval *p = &tr->R[i + 1];
			switch (call->kind[i]) {
			case JN_TA_VAL: a[i] = tr->b.cval[p->ref]; break;
			case JN_TA_MAP: a[i] = (uint64_t)(uintptr_t)tr->maps[p->obj]; break;
			case JN_TA_CTX: a[i] = (uint64_t)(uintptr_t)tr->run->ctx_words; break;
			case JN_TA_STACK: case JN_TA_PKT: a[i] = (uint64_t)(uintptr_t)jn_rec_addr(tr, p, 0); break;
			default: break;
			}
		}
		tr->run->cur_pc = tr->pc;
		tr->run->depth = tr->depth;
		r0 = h->fn(tr->run, a[0], a[1], a[2], a[3], a[4]);
		tr->run->depth = 0;
		if (tr->run->err)
			return jn_rec_abort(tr, JN_TRERR_FAULT, "%s", tr->run->errmsg);
	}
	r = jn_tb_emit(&tr->b, pre ? JN_TIR_CALL : JN_TIR_ECALL, 8, -1, -1, c, r0);
	if (r < 0)
		return r;
	if (!pre)
		tr->b.t->ir[r].flags |= JN_TF_POST;
	tr->R[0] = scalar(r);
	return 0;
}

static bool lookup_type_ok(uint32_t type)
{
	switch (type) {
	case BPF_MAP_TYPE_ARRAY: case BPF_MAP_TYPE_PERCPU_ARRAY: case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_PERCPU_HASH: case BPF_MAP_TYPE_LRU_HASH: case BPF_MAP_TYPE_LRU_PERCPU_HASH:
	case BPF_MAP_TYPE_LPM_TRIE: case BPF_MAP_TYPE_DEVMAP: case BPF_MAP_TYPE_DEVMAP_HASH:
	case BPF_MAP_TYPE_CPUMAP: case BPF_MAP_TYPE_XSKMAP:
		return true;
	default:
		return false;
	}
}

/* A found value: reuse the mval of an identical lookup, or of a lookup
 * with the same concrete key (guarded: the pointers are equal), else a new
 * one, guarded unequal to every other found value of the map. */
static int lookup_found(struct jn_tracer *tr, int map, int32_t ref, const uint8_t *key,
			uint32_t ksz, const uint8_t *val)
{
	const struct jn_map_spec *sp = jn_map_spec(tr->maps[map]);
	struct mval *m;
	int rc, obj;

	for (int i = 0; i < tr->nmv; i++) {
		m = &tr->mv[i];
		if (m->global || m->map != map)
			continue;
		if (m->base == ref)
			return i;
		if (!memcmp(m->key, key, ksz)) {
			tr->b.cval[ref] = tr->b.cval[m->base];
			rc = jn_rec_guard(tr, JN_TC_EQ, 8, ref, m->base);
			return rc ? -(1000 + rc) : i;
		}
	}
	if (tr->nmv == REC_MAX_MVALS)
		return -(1000 + jn_rec_abort(tr, JN_TRERR_ALIAS, "pc %u: too many map values", tr->pc));
	obj = tr->nmv;
	m = &tr->mv[obj];
	memset(m, 0, sizeof(*m));
	m->map = map;
	m->base = ref;
	m->size = sp->value_size;
	m->key_size = ksz;
	memcpy(m->key, key, ksz);
	m->copy = malloc(m->size);
	m->sh = malloc(m->size * sizeof(*m->sh));
	if (!m->copy || !m->sh) {
		free(m->copy);
		free(m->sh);
		return -ENOMEM;
	}
	tr->nmv++;
	memcpy(m->copy, val, m->size);
	for (uint32_t b = 0; b < m->size; b++)
		m->sh[b].ref = SB_ORIG;
	tr->b.cval[ref] = (uint64_t)(uintptr_t)m->copy;
	for (int i = 0; i < obj; i++) {
		if (tr->mv[i].global || tr->mv[i].map != map)
			continue;
		if ((rc = jn_rec_guard(tr, JN_TC_NE, 8, ref, tr->mv[i].base)))
			return -(1000 + rc);
	}
	return obj;
}

static int rec_lookup(struct jn_tracer *tr)
{
	const struct sval *mp = &tr->R[1];
	const struct jn_map_spec *sp;
	uint8_t key[64], *val, *buf = NULL;
	int first, ref, found, obj;

	if (mp->kind != SK_MAPPTR)
		return jn_rec_abort(tr, JN_TRERR_PTR_ARG, "pc %u: lookup in a non-map", tr->pc);
	sp = jn_map_spec(tr->maps[mp->obj]);
	if (!lookup_type_ok(sp->type) || sp->key_size > sizeof(key))
		return jn_rec_abort(tr, JN_TRERR_NYI_MAP, "pc %u: lookup in %s map %s", tr->pc,
				    jn_map_type_name(sp->type), sp->name);
	if (tr->updated[mp->obj])
		return jn_rec_abort(tr, JN_TRERR_MAP_RAW, "pc %u: map %s", tr->pc, sp->name);
	first = jn_rec_chunks(tr, &tr->R[2], sp->key_size, key);
	if (first <= -1000)
		return jn_rec_abort(tr, -first - 1000, "pc %u: lookup key", tr->pc);
	if (first < 0)
		return first;
	/* LRU maps: a syscall lookup, which leaves the recency alone (the
	 * value of CPU 0 comes first); others: the program's lookup, which
	 * has no side effect */
	if (tr->lru[mp->obj]) {
		if (!(buf = malloc(jn_map_sys_value_size(tr->maps[mp->obj]))))
			return -ENOMEM;
		found = jn_map_sys_lookup(tr->maps[mp->obj], key, buf) == 0;
		val = buf;
	} else {
		val = jn_map_lookup(tr->maps[mp->obj], key, 0);
		found = val != NULL;
	}
	ref = jn_tb_emit(&tr->b, JN_TIR_LOOKUP, 8, first, (int32_t)(tr->b.t->nchunks - (uint32_t)first),
			 mp->obj, found);
	obj = ref < 0 || !found ? ref : lookup_found(tr, mp->obj, ref, key, sp->key_size, val);
	free(buf);
	if (obj <= -1000)
		return -obj - 1000;
	if (obj < 0)
		return obj;
	memset(&tr->R[0], 0, sizeof(tr->R[0]));
	tr->R[0].ref = ref;
	if (found) {
		tr->R[0].kind = SK_MVAL;
		tr->R[0].obj = obj;
	}
	return 0;
}

/* adjust_tail by a constant d from an end relative to len: fails if the
 * end passes the frame's hard end or comes within 14 bytes of data. */
static int tail_checks(struct jn_tracer *tr, int64_t d, bool *ok)
{
	int64_t L = tr->len;
	int64_t hi = JN_XDP_FRAME_SZ - JN_XDP_TAILROOM - JN_XDP_HEADROOM - tr->end_off - d;
	int64_t lo = tr->data_off + JN_XDP_MIN_LEN - tr->end_off - d;
	bool hi_ok = L <= hi, lo_ok = L >= lo;
	int rc;

	*ok = hi_ok && lo_ok;
	if ((*ok || !hi_ok) && (rc = jn_rec_len_guard(tr, hi_ok ? JN_TC_LE : JN_TC_GT, hi)))
		return rc;
	if ((*ok || hi_ok) && (rc = jn_rec_len_guard(tr, lo_ok ? JN_TC_GE : JN_TC_LT, lo)))
		return rc;
	return 0;
}

/* r as a*len + k modulo 2^32 (what a helper's int argument sees): constants,
 * the length, 32- and 64-bit adds and subtracts, 32-bit moves and sign
 * extensions; false for anything else. */
static bool affine(const struct jn_trace *t, int32_t r, int64_t *a, int64_t *k, int depth)
{
	const struct jn_tins *in = &t->ir[r];
	int64_t a2, k2;

	if (depth > 12)
		return false;
	switch (in->op) {
	case JN_TIR_KINT: *a = 0; *k = (int32_t)in->k; return true;
	case JN_TIR_LEN: *a = 1; *k = 0; return true;
	case JN_TIR_ALU: break;
	default: return false;
	}
	switch (in->k) {
	case JN_OP_ADD64_X: case JN_OP_ADD32_X: case JN_OP_SUB64_X: case JN_OP_SUB32_X:
		if (!affine(t, in->a, a, k, depth + 1) || !affine(t, in->b, &a2, &k2, depth + 1))
			return false;
		if (in->k == JN_OP_SUB64_X || in->k == JN_OP_SUB32_X)
			a2 = -a2, k2 = -k2;
		*a += a2;
		*k += k2;
		return *a >= -1 && *a <= 1 && *k > -(1 << 20) && *k < (1 << 20);
	case JN_OP_MOV32_X: case JN_OP_MOVSX64_32:
		return affine(t, in->a, a, k, depth + 1);
	case JN_OP_ARSH64_X: {   /* (x << 32) s>> 32: sign extension */
		const struct jn_tins *s = &t->ir[in->a];
		if (t->ir[in->b].op != JN_TIR_KINT || t->ir[in->b].k != 32 || s->op != JN_TIR_ALU ||
		    s->k != JN_OP_LSH64_X || t->ir[s->b].op != JN_TIR_KINT || t->ir[s->b].k != 32)
			return false;
		return affine(t, s->a, a, k, depth + 1);
	}
	default:
		return false;
	}
}

/* The helper's checks of adjust_head, and of adjust_tail by a constant, as
 * length guards; *ok: whether it succeeds. */
static int adjust_checks(struct jn_tracer *tr, int32_t id, int64_t d, bool *ok)
{
	int64_t L = tr->len;
	int rc;

	if (id == BPF_FUNC_xdp_adjust_head) {
		/* fails if data+d < frame header + metadata or > data_end - 14 */
		int64_t lim = tr->data_off + d - tr->end_off + JN_XDP_MIN_LEN;   /* need len >= lim */
		if (tr->meta_off != tr->data_off)
			return jn_rec_abort(tr, JN_TRERR_META_MOVE, "pc %u", tr->pc);
		if (JN_XDP_HEADROOM + tr->data_off + d < JN_XDP_FRAME_HDR) {
			*ok = false;
		} else if (tr->end_abs) {
			*ok = tr->data_off + d <= tr->end_off - JN_XDP_MIN_LEN;
		} else {
			*ok = L >= lim;
			if ((rc = jn_rec_len_guard(tr, *ok ? JN_TC_GE : JN_TC_LT, lim)))
				return rc;
		}
		return 0;
	}
	if (tr->end_abs) {
		int64_t e = tr->end_off + d;
		*ok = JN_XDP_HEADROOM + e <= JN_XDP_FRAME_SZ - JN_XDP_TAILROOM && e >= tr->data_off + JN_XDP_MIN_LEN;
		return 0;
	}
	return tail_checks(tr, d, ok);
}

/* bpf_xdp_adjust_head / _tail.  A tail delta of the form K - len (cut or pad
 * to K bytes) is not specialised: the end becomes the constant K. */
static int rec_adjust(struct jn_tracer *tr, int32_t id)
{
	uint64_t d64;
	int64_t d, L = tr->len, a = 0, k = 0;
	bool ok = false, to_const = false;
	int rc, c, r;

	if (tr->R[1].kind != SK_CTX || tr->R[2].kind != SK_SCALAR)
		return jn_rec_abort(tr, JN_TRERR_PTR_ARG, "pc %u: adjust arguments", tr->pc);
	if (id == BPF_FUNC_xdp_adjust_tail && !tr->end_abs && !tr->grown && tr->end_off == 0 &&
	    affine(tr->b.t, tr->R[2].ref, &a, &k, 0) && a == -1 &&
	    (int32_t)tr->b.cval[tr->R[2].ref] == (int32_t)(k - L))   /* the form agrees with the value */
		to_const = true;
	if (to_const) {
		d = k - L;
		ok = JN_XDP_HEADROOM + k <= JN_XDP_FRAME_SZ - JN_XDP_TAILROOM && k >= tr->data_off + JN_XDP_MIN_LEN;
	} else {
		if ((rc = jn_rec_spec(tr, tr->R[2].ref, &d64)))
			return rc;
		d = (int32_t)d64;
		if ((rc = adjust_checks(tr, id, d, &ok)))
			return rc;
	}
	if (!ok) {
		r = jn_tb_const(&tr->b, (uint64_t)-EINVAL);
		tr->R[0] = scalar(r);
		return r < 0 ? r : 0;
	}
	if ((c = jn_rec_new_call(tr, id)) < 0)
		return c;
	tr->b.t->calls[c].kind[0] = JN_TA_CTX;
	if ((rc = val_arg(tr, c, 1, false)))
		return rc;
	if ((r = jn_tb_emit(&tr->b, JN_TIR_ECALL, 8, -1, -1, c, 0)) < 0)
		return r;
	if (id == BPF_FUNC_xdp_adjust_head) {
		tr->data_off += d;
		tr->meta_off += d;
	} else {
		int64_t end = tr->end_abs ? tr->end_off : L + tr->end_off;
		if (d > 0) {
			memset(tr->frame + JN_XDP_HEADROOM + end, 0, (size_t)d);
			if (tr->end_abs) {   /* constant positions: the zeros are known bytes */
				int32_t z = jn_tb_const(&tr->b, 0);
				if (z < 0)
					return z;
				for (int64_t i = end; i < end + d; i++)
					tr->psh[JN_XDP_HEADROOM + i] = (struct sbyte){ z, 0 };
				jn_rec_dirty(tr, true, (size_t)(JN_XDP_HEADROOM + end), (size_t)d);
			} else if (!to_const) {
				tr->grown = true;
			}
		}
		tr->end_off = to_const ? k : tr->end_off + d;
		tr->end_abs = tr->end_abs || to_const;
	}
	tr->run->data = tr->frame + JN_XDP_HEADROOM + tr->data_off;
	tr->run->data_meta = tr->frame + JN_XDP_HEADROOM + tr->meta_off;
	tr->run->data_end = tr->frame + JN_XDP_HEADROOM + (tr->end_abs ? 0 : L) + tr->end_off;
	r = jn_tb_const(&tr->b, 0);
	tr->R[0] = scalar(r);
	return r < 0 ? r : 0;
}

static int alu(struct jn_tracer *tr, int op, int32_t a, int32_t b)
{
	return jn_tb_emit(&tr->b, JN_TIR_ALU, 8, a, b, op, 0);
}

/* Sum of size bytes at register i's pointer as 32-bit words (complemented:
 * the "from" side) added to *sum. */
static int csum_words(struct jn_tracer *tr, int i, uint64_t size, bool neg, int32_t *sum)
{
	int32_t ones = jn_tb_const(&tr->b, 0xffffffffu);
	struct sval w;
	int rc;

	for (uint64_t o = 0; o < size; o += 4) {
		int32_t v;
		if ((rc = jn_rec_load(tr, &tr->R[i], (int64_t)o, 4, &w)))
			return rc;
		v = neg ? alu(tr, JN_OP_XOR32_X, w.ref, ones) : w.ref;
		if (v < 0 || (*sum = alu(tr, JN_OP_ADD64_X, *sum, v)) < 0)
			return v < 0 ? v : *sum;
	}
	return 0;
}

/* bpf_csum_diff as arithmetic over the words (forwarded from this
 * packet's writes): csum_partial of ~from ++ to, seeded, folded to 32 bits
 * twice (enough for at most 128 words). */
static int rec_csum_diff(struct jn_tracer *tr)
{
	uint64_t fs, ts;
	int32_t sum, lo, hi, k32, mask;
	int rc;

	if (tr->R[2].kind != SK_SCALAR || tr->R[4].kind != SK_SCALAR || tr->R[5].kind != SK_SCALAR)
		return jn_rec_abort(tr, JN_TRERR_PTR_ARG, "pc %u: csum_diff sizes", tr->pc);
	if ((rc = jn_rec_spec(tr, tr->R[2].ref, &fs)) || (rc = jn_rec_spec(tr, tr->R[4].ref, &ts)))
		return rc;
	if (((fs | ts) & 3) || fs > 512 || ts > 512 || fs + ts > 512) {
		sum = jn_tb_const(&tr->b, (uint64_t)-EINVAL);
	} else {
		sum = alu(tr, JN_OP_MOV32_X, tr->R[5].ref, -1);
		if (sum < 0)
			return sum;
		if ((rc = csum_words(tr, 1, fs, true, &sum)) || (rc = csum_words(tr, 3, ts, false, &sum)))
			return rc;
		k32 = jn_tb_const(&tr->b, 32);
		mask = jn_tb_const(&tr->b, 0xffffffffu);
		for (int f = 0; f < 2 && sum >= 0; f++) {
			lo = alu(tr, JN_OP_AND64_X, sum, mask);
			hi = alu(tr, JN_OP_RSH64_X, sum, k32);
			sum = lo < 0 || hi < 0 ? -ENOMEM : alu(tr, JN_OP_ADD64_X, lo, hi);
		}
	}
	if (sum < 0)
		return sum;
	memset(&tr->R[0], 0, sizeof(tr->R[0]));
	tr->R[0].ref = sum;
	return 0;
}

static int spec_size(struct jn_tracer *tr, int i, uint32_t *size)
{
	uint64_t v;
	int rc;

	if (tr->R[i + 1].kind != SK_SCALAR)
		return jn_rec_abort(tr, JN_TRERR_PTR_ARG, "pc %u: size argument", tr->pc);
	if ((rc = jn_rec_spec(tr, tr->R[i + 1].ref, &v)))
		return rc;
	if (v > 512)
		return jn_rec_abort(tr, JN_TRERR_PTR_ARG, "pc %u: size %llu", tr->pc, (unsigned long long)v);
	*size = (uint32_t)v;
	return 0;
}

/* The argument shapes of the helpers traces know: V value, M map, P/Q
 * memory whose size is the next argument, K map key, W map value, C ctx. */
static int helper_args(struct jn_tracer *tr, int c, const char *shape, bool pre)
{
	const struct sval *mp = &tr->R[1];
	uint32_t size = 0;
	int rc = 0;

	for (int i = 0; shape[i] && !rc; i++) {
		switch (shape[i]) {
		case 'V': rc = val_arg(tr, c, i, pre); break;
		case 'M': rc = map_arg(tr, c, i); break;
		case 'C': rc = mem_arg(tr, c, i, 0, pre); break;
		case 'P':
			if (!(rc = spec_size(tr, i + 1, &size)))
				rc = mem_arg(tr, c, i, size, pre);
			break;
		case 'K': case 'W':
			if (mp->kind != SK_MAPPTR)
				return jn_rec_abort(tr, JN_TRERR_PTR_ARG, "pc %u: not a map", tr->pc);
			size = shape[i] == 'K' ? jn_map_spec(tr->maps[mp->obj])->key_size
					       : jn_map_spec(tr->maps[mp->obj])->value_size;
			rc = mem_arg(tr, c, i, size, pre);
			break;
		}
	}
	return rc;
}

/* Decoded ops of program i (cached). */
static uint8_t *prog_ops(struct jn_tracer *tr, size_t i, struct jn_vm *vm)
{
	size_t n = jn_vm_ninsns(vm);
	const struct jn_insn *insns = jn_vm_insns(vm);

	if (!tr->prog_ops[i] && (tr->prog_ops[i] = malloc(n ? n : 1)))
		for (size_t pc = 0; pc < n; pc++)
			tr->prog_ops[i][pc] = (uint8_t)jn_isa_decode(&insns[pc]);
	return tr->prog_ops[i];
}

/* bpf_tail_call: the target is map state, guarded like any input; the
 * trace goes on in the target program (registers and stack as they are,
 * as the interpreter does). */
static int rec_tail_call(struct jn_tracer *tr)
{
	const struct sval *mp = &tr->R[2], *ix = &tr->R[3];
	struct jn_vm *vm = NULL;
	uint32_t prog = 0;
	uint64_t target;
	int r, k, rc;

	/* from a subprogram the target replaces the subprogram's frame and
	 * returns to its caller (do_exit restores the caller's program) */
	if (tr->loops)
		return jn_rec_abort(tr, JN_TRERR_NYI_TAIL, "pc %u: tail call in a bpf_loop callback", tr->pc);
	if (mp->kind != SK_MAPPTR || jn_map_spec(tr->maps[mp->obj])->type != BPF_MAP_TYPE_PROG_ARRAY ||
	    ix->kind != SK_SCALAR)
		return jn_rec_abort(tr, JN_TRERR_FAULT, "pc %u: tail call arguments", tr->pc);
	if (jn_map_prog_at(tr->maps[mp->obj], (uint32_t)tr->b.cval[ix->ref], &prog) == 0)
		vm = jn_xdp_prog_vm(tr->x, prog);
	target = vm ? prog : (uint64_t)-1;
	r = jn_tb_emit(&tr->b, JN_TIR_PROG, 8, ix->ref, -1, mp->obj, target);
	k = jn_tb_const(&tr->b, target);
	if (r < 0 || k < 0)
		return r < 0 ? r : k;
	if ((rc = jn_rec_guard(tr, JN_TC_EQ, 8, r, k)))
		return rc;
	if ((r = jn_tb_const(&tr->b, 0)) < 0)
		return r;
	tr->R[0] = scalar(r);
	if (!vm || tr->tail_calls >= JN_VM_MAX_TAIL_CALLS)
		return 0;   /* falls through */
	if (!prog_ops(tr, prog, vm))
		return -ENOMEM;
	tr->tail_calls++;
	tr->vm = vm;
	tr->ops = tr->prog_ops[prog];
	tr->insns = jn_vm_insns(vm);
	tr->n = (uint32_t)jn_vm_ninsns(vm);
	tr->pc = (uint32_t)-1;   /* the instruction loop's pc++ makes it 0 */
	return 0;
}

/* bpf_map_peek_elem / pop_elem (map, value): the head as the packet arrived
 * is an input: a guard-phase peek whose result is guarded and whose value is
 * read back from the buffer it wrote (out); a pop also takes the element at
 * commit (an effect).  After a push or pop in this packet the map's head is
 * not the one that arrived: another peek or pop aborts (MAP_RAW). */
static int rec_pop(struct jn_tracer *tr, int32_t id)
{
	const struct sval *mp = &tr->R[1], *buf = &tr->R[2];
	const struct jn_map_spec *sp;
	uint64_t r0;
	int c, rc, ref;

	if (mp->kind != SK_MAPPTR || buf->kind != SK_STACK)
		return jn_rec_abort(tr, JN_TRERR_PTR_ARG, "pc %u: peek/pop arguments", tr->pc);
	sp = jn_map_spec(tr->maps[mp->obj]);
	if (sp->type != BPF_MAP_TYPE_QUEUE && sp->type != BPF_MAP_TYPE_STACK)
		return jn_rec_abort(tr, JN_TRERR_NYI_MAP, "pc %u: peek/pop in %s map %s", tr->pc,
				    jn_map_type_name(sp->type), sp->name);
	if (tr->updated[mp->obj])
		return jn_rec_abort(tr, JN_TRERR_MAP_RAW, "pc %u: map %s", tr->pc, sp->name);
	if ((c = jn_rec_new_call(tr, BPF_FUNC_map_peek_elem)) < 0)
		return c;
	if ((rc = map_arg(tr, c, 0)) || (rc = mem_arg(tr, c, 1, sp->value_size, true)) ||
	    (rc = emit_call(tr, c, true)))
		return rc;
	ref = tr->R[0].ref;
	if ((rc = jn_rec_spec(tr, ref, &r0)))   /* found or empty */
		return rc;
	for (uint32_t o = 0; r0 == 0 && o < sp->value_size; o += 8) {
		unsigned n = sp->value_size - o < 8 ? sp->value_size - o : 8;
		uint64_t v = 0;
		struct sval sv;
		int32_t out;
		memcpy(&v, jn_rec_addr(tr, buf, o), n);
		out = jn_tb_emit(&tr->b, JN_TIR_OUT, (uint8_t)n, ref, -1, buf->off + o, v);
		if (out < 0)
			return out;
		sv = scalar(out);
		if ((rc = jn_rec_store(tr, buf, o, n, &sv)))
			return rc;
	}
	if (id == BPF_FUNC_map_pop_elem) {
		tr->updated[mp->obj] = true;
		if (r0 == 0) {
			int e;
			if ((c = jn_rec_new_call(tr, BPF_FUNC_map_pop_elem)) < 0)
				return c;
			tr->b.t->calls[c].kind[0] = JN_TA_MAP;
			tr->b.t->calls[c].val[0] = mp->obj;
			tr->b.t->calls[c].kind[1] = JN_TA_STACK;
			tr->b.t->calls[c].val[1] = buf->off;
			if ((e = jn_tb_emit(&tr->b, JN_TIR_ECALL, 8, -1, -1, c, 0)) < 0)
				return e;
			tr->b.t->ir[e].flags |= JN_TF_POST;
		}
	}
	tr->R[0] = scalar(ref);
	return 0;
}

/* bpf_ringbuf_output (map, data, size, flags): -EINVAL for bad flags,
 * -EAGAIN when the ring is full (guarded: jn_rec_ring_room), else an
 * effect that returns 0.  (The data pointer is checked only when the
 * record is written: the verifier guarantees it.) */
static int rec_output(struct jn_tracer *tr)
{
	const struct sval *mp = &tr->R[1];
	const uint64_t wake = BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP;
	uint32_t size;
	uint64_t flags;
	bool fits = false;
	int c, rc, k;

	if (mp->kind != SK_MAPPTR || jn_map_spec(tr->maps[mp->obj])->type != BPF_MAP_TYPE_RINGBUF)
		return jn_rec_abort(tr, JN_TRERR_PTR_ARG, "pc %u: ringbuf_output map", tr->pc);
	if (tr->R[4].kind != SK_SCALAR)
		return jn_rec_abort(tr, JN_TRERR_PTR_ARG, "pc %u: argument 4 is a pointer", tr->pc);
	if ((rc = spec_size(tr, 2, &size)) || (rc = jn_rec_spec(tr, tr->R[4].ref, &flags)))
		return rc;
	if (!(flags & ~wake) && (rc = jn_rec_ring_room(tr, mp->obj, size, &fits)))
		return rc;
	if (!fits) {
		k = jn_tb_const(&tr->b, (uint64_t)(flags & ~wake ? -EINVAL : -EAGAIN));
	} else {
		if ((c = jn_rec_new_call(tr, BPF_FUNC_ringbuf_output)) < 0)
			return c;
		if ((rc = helper_args(tr, c, "MPVV", false)) || (rc = emit_call(tr, c, false)))
			return rc;
		k = jn_tb_const(&tr->b, 0);
	}
	if (k < 0)
		return k;
	tr->R[0] = scalar(k);
	return 0;
}

int jn_rec_helper(struct jn_tracer *tr, int32_t id)
{
	static const struct { int32_t id; const char *shape; bool pre; } known[] = {
		{BPF_FUNC_ktime_get_ns, "", true}, {BPF_FUNC_ktime_get_boot_ns, "", true},
		{BPF_FUNC_jiffies64, "", true}, {BPF_FUNC_redirect, "VV", true},
		{BPF_FUNC_redirect_map, "MVV", true},
		{BPF_FUNC_map_update_elem, "MKWV", false}, {BPF_FUNC_map_delete_elem, "MK", false},
		{BPF_FUNC_perf_event_output, "CMVPV", false}, {BPF_FUNC_get_prandom_u32, "", false},
		{BPF_FUNC_trace_printk, "PVVVV", false},
		{BPF_FUNC_map_push_elem, "MWV", false},
	};
	int c, rc;

	if (id == BPF_FUNC_map_lookup_elem)
		return rec_lookup(tr);
	if (id == BPF_FUNC_csum_diff)
		return rec_csum_diff(tr);
	if (id == BPF_FUNC_xdp_adjust_head || id == BPF_FUNC_xdp_adjust_tail)
		return rec_adjust(tr, id);
	if (id == BPF_FUNC_tail_call)
		return rec_tail_call(tr);
	if (id == BPF_FUNC_map_peek_elem || id == BPF_FUNC_map_pop_elem)
		return rec_pop(tr, id);
	if (id == BPF_FUNC_ringbuf_output)
		return rec_output(tr);
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (known[i].id != id)
			continue;
		if ((c = jn_rec_new_call(tr, id)) < 0)
			return c;
		if ((rc = helper_args(tr, c, known[i].shape, known[i].pre)))
			return rc;
		if (id == BPF_FUNC_map_update_elem || id == BPF_FUNC_map_delete_elem ||
		    id == BPF_FUNC_map_push_elem)
			tr->updated[tr->R[1].obj] = true;
		return emit_call(tr, c, known[i].pre);
	}
	return jn_rec_other_helper(tr, id);
}
