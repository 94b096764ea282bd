/* inval.c - exact invalidation of cached traces by map changes.
 *
 * No trace folds map contents: every lookup, map value load and prog_array
 * slot a guard depends on is read again, live, on every attempt (lower.c
 * presets only the pointers of constant-key array lookups, which never
 * move).  So correctness needs no invalidation at all; what invalidation
 * buys is not trying, and evicting first, a trace that cannot hold for any
 * packet under the maps as they are.
 *
 * A trace is *invalid* when a guard whose operands are determined by the
 * maps and constants alone fails.  "Constants" include what the trace's own
 * equality guards pin: a packet field guarded equal to c is c for every
 * packet the trace admits, so a lookup keyed by it reads one entry (keys
 * taken from the packet but not pinned read a different entry per packet:
 * such a guard failing says nothing about other packets).  At install the
 * NIC finds those guards, the map inputs they read (lookups in maps other
 * than LRU maps, whose lookups change recency; map value loads; prog_array
 * slots) and the maps the trace's own effects may write.  After every
 * change of state (a host run, a hit whose trace writes a watched map, or
 * jn_nic_maps_changed) each cached trace that watches a changed map reads
 * its inputs again: if none differs, nothing happened to it; otherwise its
 * guards are evaluated and it becomes invalid (counted in invalidations)
 * or valid again (revalidations).  So an update invalidates exactly the
 * traces whose guards read the entry that changed and no longer hold.
 * Assumes: operands precede their users; maps change only through packets
 * run by the NIC or jn_nic_maps_changed is called.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/bpf.h>

#include "nic_internal.h"

/* What one trace's guards read of the maps (one allocation). */
struct jn_twatch {
	uint64_t maps;        /* maps whose entries the inputs read: bit min(i, 63) */
	uint64_t writes;      /* maps the trace's effects may write */
	uint32_t n;           /* watched inputs */
	int32_t *refs;        /* their IR refs (lookup, mload, prog) */
	uint64_t *seen;       /* their values at the last evaluation */
	uint8_t *need;        /* per instruction: 1 evaluated, 2 pinned by a guard */
	uint64_t *val;        /* per instruction: the value (scratch) */
	uint8_t *undef;       /* per instruction: not computable (a NULL value read) */
};

static uint64_t bit(int64_t map) { return 1ULL << (map < 63 ? map : 63); }

static bool lru(const struct jn_trace *t, int64_t map)
{
	uint32_t type = jn_map_spec(t->maps[map])->type;
	return type == BPF_MAP_TYPE_LRU_HASH || type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

/* The map whose value memory holds addr (global data), or -1. */
static int64_t map_of(const struct jn_trace *t, uint64_t addr, uint32_t sz)
{
	size_t nm = jn_xdp_nmaps(t->x);

	for (size_t i = 0; i < nm; i++)
		if (jn_map_check_ptr(t->maps[i], addr, sz, true) == 0)
			return (int64_t)i;
	return -1;
}

static uint64_t effect_writes(const struct jn_trace *t)
{
	uint64_t w = 0;

	for (uint32_t i = 0; i < t->n; i++) {
		const struct jn_tins *in = &t->ir[i];
		if (in->op == JN_TIR_MSTORE) {
			const struct jn_tins *b = &t->ir[in->a];
			int64_t m = b->op == JN_TIR_LOOKUP ? b->k
				  : b->op == JN_TIR_KINT ? map_of(t, (uint64_t)b->k, in->sz) : -1;
			w |= m >= 0 ? bit(m) : 0;
		} else if (in->op == JN_TIR_ECALL) {
			const struct jn_tcall *c = &t->calls[in->k];
			switch (c->helper) {
			case BPF_FUNC_map_update_elem: case BPF_FUNC_map_delete_elem:
			case BPF_FUNC_map_push_elem: case BPF_FUNC_map_pop_elem:
				if (c->kind[0] == JN_TA_MAP)
					w |= bit(c->val[0]);
				break;
			default:
				break;
			}
		}
	}
	return w;
}

/* Instruction i is determined by the maps and constants (given the pins). */
static bool determined(const struct jn_trace *t, const uint8_t *det, uint32_t i)
{
	const struct jn_tins *in = &t->ir[i];

	if (in->flags & JN_TF_POST)
		return false;
	switch (in->op) {
	case JN_TIR_KINT:
		return true;
	case JN_TIR_LOOKUP:
		if (lru(t, in->k))
			return false;
		for (int32_t c = in->a; c < in->a + in->b; c++)
			if (!det[t->chunks[c]])
				return false;
		return true;
	case JN_TIR_MLOAD: case JN_TIR_PROG:
		return det[in->a];
	case JN_TIR_ALU:
		return det[in->a] && (in->b < 0 || det[in->b]);
	default:
		return false;
	}
}

static bool reads_map(uint8_t op)
{
	return op == JN_TIR_LOOKUP || op == JN_TIR_MLOAD || op == JN_TIR_PROG;
}

/* A lookup in an array: its value is a function of the key alone (array
 * values never move or go away), not an input that map changes alter. */
static bool fixed(const struct jn_trace *t, const struct jn_tins *in)
{
	uint32_t type;

	if (in->op != JN_TIR_LOOKUP)
		return false;
	type = jn_map_spec(t->maps[in->k])->type;
	return type == BPF_MAP_TYPE_ARRAY || type == BPF_MAP_TYPE_PERCPU_ARRAY;
}

/* Mark what state guard operand r needs (need 1), stopping at pins;
 * collect the map inputs (not array lookups: a hit that bumps a counter
 * in an array then re-reads nothing). */
static void mark(const struct jn_trace *t, struct jn_twatch *w, int32_t r)
{
	const struct jn_tins *in;

	if (r < 0 || w->need[r])
		return;
	in = &t->ir[r];
	w->need[r] = 1;
	if (reads_map(in->op) && !fixed(t, in)) {
		w->refs[w->n++] = r;
		w->maps |= bit(in->op == JN_TIR_MLOAD ? in->b : in->k);
	}
	if (in->op == JN_TIR_LOOKUP) {
		for (int32_t c = in->a; c < in->a + in->b; c++)
			mark(t, w, t->chunks[c]);
	} else if (in->op != JN_TIR_KINT) {
		mark(t, w, in->a);
		if (in->op == JN_TIR_ALU)
			mark(t, w, in->b);
	}
}

/* The pins: values computed from the packet (not from the maps: det0
 * false) that an equality guard against a constant fixes; the pinning
 * guard itself is marked 3 (it holds by definition). */
static void pins(const struct jn_trace *t, struct jn_twatch *w, const uint8_t *det0)
{
	for (uint32_t i = 0; i < t->n; i++) {
		const struct jn_tins *g = &t->ir[i];
		int32_t x, k;
		uint64_t c;
		if (g->op != JN_TIR_GUARD || g->k != JN_TC_EQ)
			continue;
		x = t->ir[g->a].op == JN_TIR_KINT ? g->b : g->a;
		k = x == g->a ? g->b : g->a;
		if (t->ir[k].op != JN_TIR_KINT || det0[x] || (t->ir[x].flags & JN_TF_POST) ||
		    (g->sz == 4 && t->ir[x].width > 4))
			continue;
		c = g->sz == 4 ? (uint32_t)t->ir[k].k : (uint64_t)t->ir[k].k;   /* x fits 32 bits */
		if (w->need[x] == 2 && w->val[x] != c)
			continue;
		w->need[x] = 2;
		w->val[x] = c;
		w->need[i] = 3;
	}
}

static int watch_build(struct jn_trace *t)
{
	size_t n = t->n ? t->n : 1;
	struct jn_twatch *w = calloc(1, sizeof(*w) + n * (2 * sizeof(uint64_t) + sizeof(int32_t) + 2));
	uint8_t *det;

	if (!w)
		return -ENOMEM;
	w->val = (uint64_t *)(w + 1);
	w->seen = w->val + n;
	w->refs = (int32_t *)(w->seen + n);
	w->need = (uint8_t *)(w->refs + n);
	w->undef = w->need + n;
	w->writes = effect_writes(t);
	det = w->undef;   /* borrowed as "determined" while building */
	for (uint32_t i = 0; i < t->n; i++)   /* by the maps and constants alone */
		det[i] = determined(t, det, i);
	pins(t, w, det);
	for (uint32_t i = 0; i < t->n; i++) {   /* ... and the pins; bit 1: reads a map */
		const struct jn_tins *in = &t->ir[i];
		det[i] = w->need[i] == 2 || determined(t, det, i);
		if (!det[i] || w->need[i] == 2)
			continue;
		if (reads_map(in->op) || (in->op == JN_TIR_ALU && ((det[in->a] | (in->b >= 0 ? det[in->b] : 0)) & 2)))
			det[i] |= 2;
	}
	for (uint32_t i = 0; i < t->n; i++) {   /* guards over the state: what they read */
		const struct jn_tins *g = &t->ir[i];
		if (g->op != JN_TIR_GUARD || w->need[i] == 3 || !det[g->a] || !det[g->b] ||
		    !((det[g->a] | det[g->b]) & 2))
			continue;
		mark(t, w, g->a);
		mark(t, w, g->b);
		w->need[i] = 1;
	}
	memset(det, 0, n);
	t->watch = w;
	return 0;
}

/* The watched inputs and the state guards under the maps as they are:
 * false if a guard fails; *changed: an input differs from the last time. */
static bool evaluate(const struct jn_trace *t, struct jn_twatch *w, bool *changed)
{
	uint64_t *v = w->val;
	bool holds = true;

	for (uint32_t i = 0; i < t->n; i++) {
		const struct jn_tins *in = &t->ir[i];
		if (w->need[i] != 1)
			continue;
		if (in->op == JN_TIR_LOOKUP) {
			w->undef[i] = 0;
			for (int32_t c = in->a; c < in->a + in->b; c++)
				w->undef[i] |= w->undef[t->chunks[c]];
		} else {
			w->undef[i] = in->op != JN_TIR_KINT &&
				      (w->undef[in->a] || (in->op != JN_TIR_MLOAD && in->b >= 0 && w->undef[in->b]));
		}
		if (w->undef[i])
			continue;
		switch (in->op) {
		case JN_TIR_KINT: v[i] = (uint64_t)in->k; break;
		case JN_TIR_LOOKUP: {
			uint8_t key[64 + 8];
			size_t pos = 0;
			for (int32_t c = in->a; c < in->a + in->b; c++) {
				memcpy(key + pos, &v[t->chunks[c]], 8);
				pos += t->chunk_sz[c];
			}
			v[i] = (uint64_t)(uintptr_t)jn_map_lookup(t->maps[in->k], key, 0);
			break;
		}
		case JN_TIR_MLOAD:
			if (!v[in->a]) {   /* the lookup's NULL guard decides */
				w->undef[i] = 1;
				break;
			}
			v[i] = jn_tld((const uint8_t *)(uintptr_t)v[in->a] + in->k, in->sz);
			break;
		case JN_TIR_PROG: {
			uint32_t prog;
			v[i] = jn_map_prog_at(t->maps[in->k], (uint32_t)v[in->a], &prog) == 0 &&
			       jn_xdp_prog_vm(t->x, prog) ? prog : (uint64_t)-1;
			break;
		}
		case JN_TIR_ALU: v[i] = jn_trace_alu((int)in->k, v[in->a], in->b >= 0 ? v[in->b] : 0); break;
		case JN_TIR_GUARD:
			holds = holds && jn_trace_cmp((int)in->k, in->sz, v[in->a], v[in->b]);
			break;
		default: break;
		}
	}
	*changed = false;
	for (uint32_t j = 0; j < w->n; j++) {
		uint64_t now = w->undef[w->refs[j]] ? ~0ULL : v[w->refs[j]];
		*changed = *changed || now != w->seen[j];
		w->seen[j] = now;
	}
	return holds;
}

static void set_valid(struct jn_nic *n, struct centry *e, bool holds)
{
	if (!holds && !e->invalid) {
		e->invalid = e->stale = true;
		n->st.invalidations++;
	} else if (holds && e->invalid) {
		e->invalid = e->stale = false;
		n->st.revalidations++;
	}
}

int jn_nic_watch(struct jn_nic *n, size_t i)
{
	struct centry *e = &n->ent[i];
	bool changed;
	int rc;

	e->invalid = false;
	if (!e->t->watch && (rc = watch_build(e->t)))
		return rc;
	e->writes = e->t->watch->writes;
	if (!e->t->watch->n)
		return 0;
	n->watch_maps |= e->t->watch->maps;
	set_valid(n, e, evaluate(e->t, e->t->watch, &changed));
	return 0;
}

void jn_nic_state_changed(struct jn_nic *n, uint64_t maps)
{
	uint64_t all = 0;

	if (!(maps & n->watch_maps))
		return;
	for (size_t i = 0; i < n->nent; i++) {
		struct centry *e = &n->ent[i];
		struct jn_twatch *w = e->t->watch;
		bool changed, holds;
		if (!w || !w->n)
			continue;
		all |= w->maps;
		if (!(w->maps & maps))
			continue;
		n->st.state_checks++;
		holds = evaluate(e->t, w, &changed);
		if (changed)
			set_valid(n, e, holds);
	}
	n->watch_maps = all;
}

void jn_nic_maps_changed(struct jn_nic *n)
{
	jn_nic_state_changed(n, ~0ULL);
}
