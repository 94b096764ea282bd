/* lower_fuse.c - what the NIC resolves when it installs a trace, planned
 * before lower.c emits the ops.
 *
 * - A lookup in an array (or per-CPU array) through a constant key always
 *   gives the same pointer (array values never move or go away): its value
 *   is preset, and a guard on known values alone that holds is dropped.
 * - A guard "lookup == 0" / "lookup != 0" is done by the lookup itself
 *   (the table's hit or miss); it goes earlier, which only ends a failing
 *   attempt sooner.
 * - A lookup whose key bytes are all packet bytes at constant offsets or
 *   constants (the loads, shifts, ors and masks that built it) copies its
 *   key from the packet; taken only when that drops more instructions than
 *   the packet ranges it copies.
 * - A map store of "the same bytes as loaded + v" is a read-modify-write in
 *   phase 2 when nothing before it in phase 2 may have written those bytes
 *   (no helper call with effects, no store to an overlapping range of the
 *   same value, no store through another pointer into the same map): the
 *   bytes it reads then are still the bytes as the packet arrived.
 * - A run of packet stores (consecutive in phase 2, disjoint bytes) whose
 *   bytes are packet bytes as they arrived (a byte-wise MAC swap) becomes
 *   one load in phase 1 and one store in phase 2 per contiguous range.
 * Assumes: the trace is final; operands precede their users; every load a
 * trace keeps reads state as the packet arrived (record_mem.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/bpf.h>

#include "isa/isa.h"
#include "lower_internal.h"
#include "maps/maps.h"

/* Add d to the uses of instruction i's operands. */
static void ir_use(const struct jn_trace *t, uint32_t i, int32_t *u, int d)
{
	const struct jn_tins *in = &t->ir[i];

	switch (in->op) {
	case JN_TIR_KINT:
		return;
	case JN_TIR_LOOKUP:
		for (int32_t c = in->a; c < in->a + in->b; c++)
			u[t->chunks[c]] += d;
		return;
	case JN_TIR_CALL: case JN_TIR_ECALL: {
		const struct jn_tcall *c = &t->calls[in->k];
		for (int j = 0; j < 5; j++)
			if (c->kind[j] == JN_TA_VAL && c->val[j] >= 0)
				u[c->val[j]] += d;
		for (uint32_t j = 0; j < c->nmem; j++)
			if (t->mems[c->mem0 + j].ref >= 0)
				u[t->mems[c->mem0 + j].ref] += d;
		break;
	}
	default:
		break;
	}
	if (in->a >= 0)
		u[in->a] += d;
	if (in->op != JN_TIR_MLOAD && in->b >= 0)
		u[in->b] += d;
}

static bool post(const struct jn_trace *t, int32_t r)
{
	return (t->ir[r].flags & JN_TF_POST) != 0;
}

static bool pure(const struct jn_trace *t, int32_t r)
{
	return (t->ir[r].op == JN_TIR_PLOAD || t->ir[r].op == JN_TIR_ALU) && !post(t, r);
}

/* Constant-key lookups in arrays: known pointers. */
static void known_lookups(const struct jn_trace *t, struct jn_lplan *pl)
{
	for (uint32_t i = 0; i < t->n; i++) {
		const struct jn_tins *in = &t->ir[i];
		uint32_t type, key;
		if (in->op == JN_TIR_KINT) {
			pl->known[i] = 1;
			pl->kval[i] = (uint64_t)in->k;
		}
		if (in->op != JN_TIR_LOOKUP || post(t, (int32_t)i) || in->b != 1 ||
		    t->chunk_sz[in->a] != 4 || t->ir[t->chunks[in->a]].op != JN_TIR_KINT)
			continue;
		type = jn_map_spec(t->maps[in->k])->type;
		if (type != BPF_MAP_TYPE_ARRAY && type != BPF_MAP_TYPE_PERCPU_ARRAY)
			continue;
		key = (uint32_t)t->ir[t->chunks[in->a]].k;
		pl->known[i] = 1;
		pl->kval[i] = (uint64_t)(uintptr_t)jn_map_lookup(t->maps[in->k], &key, 0);
	}
}

/* Guards decided at install (dropped if they hold) and NULL tests folded
 * into their lookups. */
static void guards(const struct jn_trace *t, struct jn_lplan *pl)
{
	for (uint32_t i = 0; i < t->n; i++) {
		const struct jn_tins *in = &t->ir[i];
		if (in->op != JN_TIR_GUARD)
			continue;
		if (pl->known[in->a] && pl->known[in->b]) {
			if (jn_trace_cmp((int)in->k, in->sz, pl->kval[in->a], pl->kval[in->b])) {
				pl->drop[i] = 1;
				ir_use(t, i, pl->uses, -1);
			}
			continue;
		}
		if (t->ir[in->a].op == JN_TIR_LOOKUP && !pl->known[in->a] && !post(t, in->a) &&
		    pl->nullg[in->a] < 0 && in->sz == 8 && pl->known[in->b] && !pl->kval[in->b] &&
		    (in->k == JN_TC_EQ || in->k == JN_TC_NE)) {
			pl->nullg[in->a] = (int32_t)i;
			pl->drop[i] = 1;
			ir_use(t, i, pl->uses, -1);
		}
	}
}

/* Byte i of a value: packet byte off (>= 0) or the constant c. */
struct kb { int32_t off; uint8_t c; };

static bool is_zero(struct kb b) { return b.off < 0 && !b.c; }

/* The bytes of value r, if each is a packet byte or a constant. */
static bool tpl(const struct jn_trace *t, int32_t r, struct kb v[8], int depth)
{
	const struct jn_tins *in;
	struct kb w[8];
	uint64_t m;
	int sh;

	if (r < 0 || depth > 16 || post(t, r))
		return false;
	in = &t->ir[r];
	if (in->op == JN_TIR_KINT || in->op == JN_TIR_PLOAD) {
		if (in->op == JN_TIR_PLOAD && (in->k < 0 || in->sz < 1 || in->sz > 8))
			return false;
		for (int i = 0; i < 8; i++)
			v[i] = in->op == JN_TIR_KINT ? (struct kb){ -1, (uint8_t)((uint64_t)in->k >> (8 * i)) }
			     : i < in->sz ? (struct kb){ (int32_t)in->k + i, 0 } : (struct kb){ -1, 0 };
		return true;
	}
	if (in->op != JN_TIR_ALU || !tpl(t, in->a, v, depth + 1))
		return false;
	switch (in->k) {
	case JN_OP_OR64_X:
		if (!tpl(t, in->b, w, depth + 1))
			return false;
		for (int i = 0; i < 8; i++) {
			if (is_zero(v[i]))
				v[i] = w[i];
			else if (v[i].off < 0 && w[i].off < 0)
				v[i].c |= w[i].c;
			else if (!is_zero(w[i]))
				return false;
		}
		return true;
	case JN_OP_LSH64_X: case JN_OP_RSH64_X: case JN_OP_AND64_X:
		if (in->b < 0 || t->ir[in->b].op != JN_TIR_KINT)
			return false;
		m = (uint64_t)t->ir[in->b].k;
		if (in->k != JN_OP_AND64_X) {
			if (m >= 64 || m % 8)
				return false;
			sh = (int)(m / 8);
			if (in->k == JN_OP_RSH64_X)
				for (int i = 0; i < 8; i++)
					v[i] = i + sh < 8 ? v[i + sh] : (struct kb){ -1, 0 };
			else
				for (int i = 7; i >= 0; i--)
					v[i] = i >= sh ? v[i - sh] : (struct kb){ -1, 0 };
			return true;
		}
		for (int i = 0; i < 8; i++) {
			uint8_t mb = (uint8_t)(m >> (8 * i));
			if (mb == 0)
				v[i] = (struct kb){ -1, 0 };
			else if (v[i].off < 0)
				v[i].c &= mb;
			else if (mb != 0xff)
				return false;
		}
		return true;
	case JN_OP_BE16: case JN_OP_BSWAP16:
		w[0] = v[1];
		v[1] = v[0];
		v[0] = w[0];
		for (int i = 2; i < 8; i++)
			v[i] = (struct kb){ -1, 0 };
		return true;
	default:
		return false;
	}
}

/* Lookup i's key parts (into parts if not NULL, else counted); the number
 * of parts and of packet ranges among them; false if the key is not packet
 * bytes and constants. */
static bool key_parts(const struct jn_trace *t, uint32_t i, struct jn_txop *parts, uint32_t *np,
		      uint32_t *npkt)
{
	const struct jn_tins *in = &t->ir[i];
	struct kb key[72];
	uint32_t len = 0, spill = 0;

	for (int32_t c = in->a; c < in->a + in->b; c++) {
		struct kb v[8];
		if (t->chunk_sz[c] > 8 || len + t->chunk_sz[c] > 64 || !tpl(t, t->chunks[c], v, 0))
			return false;
		memcpy(key + len, v, t->chunk_sz[c] * sizeof(v[0]));
		len += t->chunk_sz[c];
	}
	*np = *npkt = 0;
	for (uint32_t p = 0; p < len;) {
		uint32_t q = p + 1;
		bool pk = key[p].off >= 0;
		while (q < len && q - p < 8 && (pk ? key[q].off == key[q - 1].off + 1 : key[q].off < 0))
			q++;
		if (!pk) {   /* zeros the last part's 8-byte write already covers go */
			uint32_t z = p;
			while (z < q && z < spill && is_zero(key[z]))
				z++;
			if (z == q) {
				p = q;
				continue;
			}
		}
		if (parts) {
			uint64_t k = 0;
			for (uint32_t j = p; !pk && j < q; j++)
				k |= (uint64_t)key[j].c << (8 * (j - p));
			parts[*np] = (struct jn_txop){ .op = JN_TX_KEYPART, .sz = (uint8_t)(q - p),
						       .d = (int32_t)i, .a = (int32_t)p,
						       .b = pk ? key[p].off : -1, .k = (int64_t)k };
		}
		++*np;
		*npkt += pk;
		spill = p + 8;
		p = q;
	}
	return *np > 0;
}

/* Lookups whose keys are copied from the packet: when that drops more
 * loads and arithmetic than the packet ranges the copy reads. */
static void packet_keys(const struct jn_trace *t, struct jn_lplan *pl, int32_t *u, uint8_t *dead)
{
	for (uint32_t i = 0; i < t->n; i++) {
		const struct jn_tins *in = &t->ir[i];
		uint32_t np, npkt, gone = 0;
		if (in->op != JN_TIR_LOOKUP || pl->known[i] || post(t, (int32_t)i) ||
		    !key_parts(t, i, NULL, &np, &npkt))
			continue;
		memcpy(u, pl->uses, t->n * sizeof(*u));
		memset(dead, 0, t->n);
		ir_use(t, i, u, -1);
		for (uint32_t j = i; j-- > 0;)
			if (!pl->drop[j] && u[j] == 0 && pure(t, (int32_t)j) && pl->uses[j] > 0) {
				dead[j] = 1;
				gone++;
				ir_use(t, j, u, -1);
			}
		if (gone <= npkt)
			continue;
		pl->keyp[i] = 1;
		pl->nparts += np;
		memcpy(pl->uses, u, t->n * sizeof(*u));
		for (uint32_t j = 0; j < i; j++)
			pl->drop[j] |= dead[j];
	}
}

/* May the phase-2 instruction j write the bytes [k, k + sz) of the value
 * at base a (a store into map map)? */
static bool may_write(const struct jn_trace *t, uint32_t j, int32_t a, int64_t k, uint8_t sz, int64_t map)
{
	const struct jn_tins *s = &t->ir[j];

	if (s->op == JN_TIR_ECALL)
		return true;
	if (s->op != JN_TIR_MSTORE)
		return false;
	if (s->a == a)
		return s->k < k + sz && k < s->k + s->sz;
	return t->ir[s->a].op != JN_TIR_LOOKUP || t->ir[a].op != JN_TIR_LOOKUP || t->ir[s->a].k == map;
}

/* Stores of "loaded + v" into the bytes loaded: read-modify-writes. */
static void rmw(const struct jn_trace *t, struct jn_lplan *pl)
{
	for (uint32_t i = 0; i < t->n; i++) {
		const struct jn_tins *st = &t->ir[i], *al, *ld;
		int32_t m, v;
		bool ok = true;
		if (st->op != JN_TIR_MSTORE || st->b < 0)
			continue;
		al = &t->ir[st->b];
		if (al->op != JN_TIR_ALU || post(t, st->b) || pl->drop[st->b] || pl->uses[st->b] != 1 ||
		    !(al->k == JN_OP_ADD64_X || (al->k == JN_OP_ADD32_X && st->sz <= 4)) || al->b < 0)
			continue;
		m = t->ir[al->a].op == JN_TIR_MLOAD ? al->a : al->b;
		v = m == al->a ? al->b : al->a;
		ld = &t->ir[m];
		if (ld->op != JN_TIR_MLOAD || post(t, m) || pl->drop[m] || pl->uses[m] != 1 ||
		    ld->a != st->a || ld->k != st->k || ld->sz != st->sz || m == v)
			continue;
		for (uint32_t j = 0; j < i && ok; j++)
			if (jn_tir_kind[t->ir[j].op] == JN_TK_E || post(t, (int32_t)j))
				ok = !may_write(t, j, st->a, st->k, st->sz, ld->b);
		if (!ok)
			continue;
		pl->madd[i] = v;
		pl->drop[st->b] = pl->drop[m] = 1;
		ir_use(t, st->b, pl->uses, -1);
		ir_use(t, (uint32_t)m, pl->uses, -1);
		pl->uses[v]++;
	}
}

static bool phase2(const struct jn_trace *t, uint32_t i)
{
	return jn_tir_kind[t->ir[i].op] == JN_TK_E || post(t, (int32_t)i);
}

/* The run of packet stores from x2 instruction i on (consecutive in phase
 * 2, disjoint bytes, each value packet bytes as they arrived): src[dst]
 * per written byte (-1: not written), its stores in st[]; their count. */
static uint32_t store_run(const struct jn_trace *t, uint32_t i, int32_t *src, uint32_t *st)
{
	uint32_t ns = 0;

	for (uint32_t j = i; j < t->n; j++) {
		const struct jn_tins *in = &t->ir[j];
		struct kb v[8];
		bool ok;
		if (!phase2(t, j))
			continue;
		ok = in->op == JN_TIR_PSTORE && in->k >= 0 && in->k + in->sz <= 64 && in->sz <= 8 &&
		     tpl(t, in->a, v, 0);
		for (int b = 0; ok && b < in->sz; b++)
			ok = v[b].off >= 0 && src[in->k + b] < 0;
		if (!ok)
			break;
		for (int b = 0; b < in->sz; b++)
			src[in->k + b] = v[b].off;
		st[ns++] = j;
	}
	return ns;
}

/* Runs of packet stores whose bytes are packet bytes as they arrived (a
 * byte-wise swap of the MAC addresses): one load and one store per
 * contiguous range, when that drops more than it adds. */
static void packet_moves(const struct jn_trace *t, struct jn_lplan *pl, int32_t *u, uint8_t *dead)
{
	int32_t src[64];
	uint32_t st[64];

	for (uint32_t i = 0; i < t->n; i++) {
		uint32_t ns, nseg = 0, gone = 0;
		if (t->ir[i].op != JN_TIR_PSTORE || !phase2(t, i) || pl->drop[i])
			continue;
		memset(src, 0xff, sizeof(src));
		if ((ns = store_run(t, i, src, st)) < 2)
			continue;
		memcpy(u, pl->uses, t->n * sizeof(*u));
		memset(dead, 0, t->n);
		for (uint32_t s = 0; s < ns; s++)
			ir_use(t, st[s], u, -1);
		for (uint32_t j = st[ns - 1]; j-- > 0;)
			if (!pl->drop[j] && u[j] == 0 && pure(t, (int32_t)j) && pl->uses[j] > 0) {
				dead[j] = 1;
				gone++;
				ir_use(t, j, u, -1);
			}
		for (int b = 0; b < 64;) {   /* contiguous ranges, up to 8 bytes */
			int e = b + 1;
			if (src[b] < 0) {
				b++;
				continue;
			}
			while (e < 64 && e - b < 8 && src[e] >= 0 && src[e] == src[e - 1] + 1)
				e++;
			if (nseg < ns) {
				pl->msrc[st[nseg]] = src[b];
				pl->mdst[st[nseg]] = b;
				pl->msz[st[nseg]] = (uint8_t)(e - b);
			}
			nseg++;
			b = e;
		}
		if (nseg >= ns || 2 * nseg >= ns + gone) {
			for (uint32_t s = 0; s < ns; s++)
				pl->msrc[st[s]] = -1;
			i = st[ns - 1];
			continue;
		}
		memcpy(pl->uses, u, t->n * sizeof(*u));
		for (uint32_t j = 0; j < t->n; j++)
			pl->drop[j] |= dead[j];
		for (uint32_t s = nseg; s < ns; s++)
			pl->drop[st[s]] = 1;
		i = st[ns - 1];
	}
}

void jn_lower_move(const struct jn_lplan *pl, uint32_t i, struct jn_txop *x1, struct jn_txop *x2)
{
	uint8_t sz = pl->msz[i];
	uint8_t ld = sz == 1 ? JN_TX_PLD1 : sz == 2 ? JN_TX_PLD2 : sz == 4 ? JN_TX_PLD4
		   : sz == 8 ? JN_TX_PLD8 : JN_TX_PLOAD;

	*x1 = (struct jn_txop){ .op = ld, .sz = sz, .d = (int32_t)i, .a = -1, .b = -1, .k = pl->msrc[i] };
	*x2 = (struct jn_txop){ .op = JN_TX_PSTORE, .sz = sz, .d = (int32_t)i, .a = (int32_t)i, .b = -1,
				.k = pl->mdst[i] };
}

int jn_lower_plan(const struct jn_trace *t, struct jn_lplan *pl)
{
	size_t n = t->n ? t->n : 1;
	int32_t *u;
	uint8_t *dead;

	memset(pl, 0, sizeof(*pl));
	pl->mem = calloc(n, sizeof(uint64_t) + 6 * sizeof(int32_t) + 5);
	if (!pl->mem)
		return -ENOMEM;
	pl->kval = pl->mem;
	pl->madd = (int32_t *)(pl->kval + n);
	pl->nullg = pl->madd + n;
	pl->uses = pl->nullg + n;
	pl->msrc = pl->uses + n;
	pl->mdst = pl->msrc + n;
	u = pl->mdst + n;
	pl->drop = (uint8_t *)(u + n);
	pl->known = pl->drop + n;
	pl->keyp = pl->known + n;
	pl->msz = pl->keyp + n;
	dead = pl->msz + n;
	for (uint32_t i = 0; i < t->n; i++) {
		pl->madd[i] = pl->nullg[i] = pl->msrc[i] = -1;
		ir_use(t, i, pl->uses, 1);
	}
	known_lookups(t, pl);
	guards(t, pl);
	packet_keys(t, pl, u, dead);
	rmw(t, pl);
	packet_moves(t, pl, u, dead);
	return 0;
}

void jn_lower_plan_free(struct jn_lplan *pl)
{
	free(pl->mem);
	pl->mem = NULL;
}

uint32_t jn_lower_lookup(const struct jn_trace *t, const struct jn_lplan *pl, uint32_t i,
			 struct jn_txop *o, struct jn_txop *parts)
{
	uint32_t cost = 0, np = 0, npkt = 0;
	int32_t g = pl->nullg[i];

	if (g >= 0) {
		o->cond = t->ir[g].k == JN_TC_EQ ? JN_LK_NULL : JN_LK_NONNULL;
		o->state = (t->ir[g].flags & JN_TF_STATE) != 0;
		cost += pl->uses[i] > 0;   /* the hit/miss alone is the lookup's */
	}
	if (pl->keyp[i] && key_parts(t, i, parts, &np, &npkt)) {
		o->op = JN_TX_LOOKUP_T;
		o->b = (int32_t)np;
		cost += npkt;
	}
	return cost;
}
