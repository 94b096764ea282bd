/* nic.c - the JITNIC NIC/host model: each packet first tries the traces in
 * the NIC's cache; on a miss the host records the packet's path (a dry
 * run), runs the interpreter for the real result, and installs the trace
 * unless the admission policy holds it back.  Statistics: hits, cold and
 * capacity misses, evictions, re-traces, distinct paths, aborts by reason,
 * trace sizes, executed instructions, host time, and a thrashing signal:
 * the miss rate over a sliding window of the last packets. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "base/base.h"
#include "nic_internal.h"

long jn_nic_path_get(struct jn_nic *n, uint64_t hash)
{
	size_t mask, i;

	if (2 * (n->npaths + 1) > n->index_cap) {
		size_t cap = n->index_cap ? 2 * n->index_cap : 256;
		int64_t *ix = calloc(cap, sizeof(*ix));
		if (!ix)
			return -ENOMEM;
		for (size_t p = 0; p < n->npaths; p++) {
			i = (size_t)(n->paths[p].hash * 0x9e3779b97f4a7c15ULL >> 20) & (cap - 1);
			while (ix[i])
				i = (i + 1) & (cap - 1);
			ix[i] = (int64_t)p + 1;
		}
		free(n->index);
		n->index = ix;
		n->index_cap = cap;
	}
	mask = n->index_cap - 1;
	i = (size_t)(hash * 0x9e3779b97f4a7c15ULL >> 20) & mask;
	while (n->index[i]) {
		if (n->paths[n->index[i] - 1].hash == hash)
			return (long)(n->index[i] - 1);
		i = (i + 1) & mask;
	}
	if (n->npaths == n->cappaths) {
		size_t cap = n->cappaths ? 2 * n->cappaths : 64;
		struct npath *np = realloc(n->paths, cap * sizeof(*np));
		if (!np)
			return -ENOMEM;
		n->paths = np;
		n->cappaths = cap;
	}
	memset(&n->paths[n->npaths], 0, sizeof(n->paths[0]));
	n->paths[n->npaths].hash = hash;
	n->paths[n->npaths].next_use = UINT64_MAX;
	n->paths[n->npaths].slot = -1;
	n->index[i] = (int64_t)n->npaths + 1;
	return (long)n->npaths++;
}

int jn_nic_belady_prepare(struct jn_nic *n, char *err, size_t errlen)
{
	const uint64_t *f = n->o.future;
	size_t nf = n->o.n_future;

	if (!f)
		return jn_errf(err, errlen, EINVAL, "nic: the belady policy needs the future (jn_nic_future)");
	n->next = malloc((nf ? nf : 1) * sizeof(*n->next));
	if (!n->next)
		return jn_errf(err, errlen, ENOMEM, "nic: out of memory");
	/* next[i]: the next packet after i on the same path (backwards scan
	 * with the path table's next_use as "last seen") */
	for (size_t i = nf; i-- > 0;) {
		long p;
		if (!f[i]) {
			n->next[i] = UINT64_MAX;
			continue;
		}
		if ((p = jn_nic_path_get(n, f[i])) < 0)
			return jn_errf(err, errlen, ENOMEM, "nic: out of memory");
		n->next[i] = n->paths[p].next_use;
		n->paths[p].next_use = i;
	}
	return 0;
}

/* The fewest misses m of a full window with m / window >= level (as
 * doubles), window + 1 if none: the signal then compares integers. */
static uint64_t thrash_min(uint32_t window, double level)
{
	uint64_t lo = 0, hi = (uint64_t)window + 1;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (mid <= window && (double)mid / (double)window >= level)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* One dry recording of a synthetic UDP/IPv4 packet, its trace dropped: the
 * recorder's and the lowering's code and buffers are touched at setup
 * rather than by the first miss (a dry run changes no map, packet or
 * global state; nothing is counted). */
static void warm_recorder(struct jn_nic *n)
{
	static const uint8_t pkt[64] = {
		0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00,           /* Ethernet, IPv4 */
		0x45, 0, 0, 50, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,   /* IPv4, UDP */
		0x30, 0x39, 0x00, 0x35, 0, 30, 0, 0,                            /* UDP 12345 -> 53 */
	};
	struct jn_trace *t = NULL;

	jn_trace_record(n->tr, pkt, sizeof(pkt), 0, &t, NULL, 0);
	jn_trace_free(t);
}

int jn_nic_new(struct jn_xdp *x, const struct jn_nic_opts *o, struct jn_nic **out, char *err,
	       size_t errlen)
{
	struct jn_nic *n = calloc(1, sizeof(*n));
	int rc;

	if (!n)
		return jn_errf(err, errlen, ENOMEM, "nic: out of memory");
	n->x = x;
	if (o)
		memcpy(&n->o, o, o->sz && o->sz < sizeof(n->o) ? o->sz : sizeof(n->o));
	if (n->o.policy < 0 || n->o.policy >= JN_POL__COUNT) {
		int p = n->o.policy;
		free(n);
		return jn_errf(err, errlen, EINVAL, "nic: unknown policy %d", p);
	}
	if (!n->o.admit_window)
		n->o.admit_window = 1024;
	if (!n->o.thrash_window)
		n->o.thrash_window = 1024;
	if (n->o.thrash_window > (1u << 24)) {
		free(n);
		return jn_errf(err, errlen, EINVAL, "nic: thrashing window above %u packets", 1u << 24);
	}
	if (n->o.thrash_level <= 0)
		n->o.thrash_level = 0.5;
	n->thrash_min = thrash_min(n->o.thrash_window, n->o.thrash_level);
	n->rng = n->o.seed ? n->o.seed : 0x6e6963;
	n->win = calloc(n->o.thrash_window, 1);
	rc = n->win ? jn_tracer_new(x, &n->tr, err, errlen) : jn_errf(err, errlen, ENOMEM, "nic: out of memory");
	if (!rc && n->o.policy == JN_POL_BELADY)
		rc = jn_nic_belady_prepare(n, err, errlen);
	if (rc) {
		jn_nic_free(n);
		return rc;
	}
	warm_recorder(n);
	*out = n;
	return 0;
}

void jn_nic_free(struct jn_nic *n)
{
	if (!n)
		return;
	jn_nic_cache_free(n);
	jn_tracer_free(n->tr);
	for (size_t i = 0; i < n->npaths; i++) {
		free(n->paths[i].cond);
		free(n->paths[i].ir);
	}
	free(n->paths);
	free(n->index);
	free(n->next);
	free(n->miss_ns);
	free(n->win);
	jn_nic_tree_free(n);
	for (size_t i = 0; i < n->npend; i++)
		jn_trace_free(n->pend[i].t);
	free(n->pend);
	free(n);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void window(struct jn_nic *n, bool miss)
{
	uint32_t slot = n->win_slot;
	bool on;

	if (++n->win_slot == n->o.thrash_window)
		n->win_slot = 0;
	if (++n->win_pkts > n->o.thrash_window)
		n->win_miss -= n->win[slot];
	n->win[slot] = miss;
	n->win_miss += miss;
	if (n->win_pkts < n->o.thrash_window)
		return;
	if (n->win_miss > n->win_max) {
		n->win_max = n->win_miss;
		n->st.max_window_miss = (double)n->win_max / (double)n->o.thrash_window;
	}
	on = n->win_miss >= n->thrash_min;
	if (on) {
		n->st.thrash_packets++;
		n->st.thrash_onsets += !n->thrashing;
	}
	n->thrashing = on;
}

/* A recorded path: count it, classify the miss, install or hold back. */
static int recorded(struct jn_nic *n, struct jn_trace *t)
{
	long pi = jn_nic_path_get(n, t->hash);
	struct npath *p;

	if (pi < 0) {
		jn_trace_free(t);
		return (int)pi;
	}
	p = &n->paths[pi];
	if (!p->cond) {
		p->cond = strdup(t->cond);
		p->info = t->info;
		n->st.distinct_paths++;
		if (n->o.keep_ir) {
			size_t len;
			FILE *f = open_memstream(&p->ir, &len);
			if (f) {
				jn_trace_dump(t, f);
				fclose(f);
			}
		}
		if (!p->cond) {
			jn_trace_free(t);
			return -ENOMEM;
		}
	}
	p->records++;
	p->packets++;
	if (p->slot >= 0) {   /* cached, but marked invalid by a map change it was not told of */
		n->ent[p->slot].invalid = n->ent[p->slot].stale = false;
		jn_trace_free(t);
		return 0;
	}
	if (p->installed_once) {
		n->st.capacity_misses++;
		n->st.retraces += p->evicted;
	} else {
		n->st.cold_misses++;
	}
	return jn_nic_offer(n, t, (size_t)pi);
}

static __attribute__((noinline)) int miss(struct jn_nic *n, const struct jn_pkt *pk,
					  struct jn_xdp_result *res)
{
	uint64_t t0 = now_ns();
	struct jn_trace *t = NULL;
	char msg[160];
	int rc = jn_trace_record(n->tr, pk->data, pk->caplen, pk->ts_ns, &t, msg, sizeof(msg));

	if (rc < 0)
		return rc;
	if (jn_xdp_run(n->x, pk->data, pk->caplen, pk->ts_ns, res, true))
		return -EINVAL;
	jn_nic_state_changed(n, ~0ULL);   /* the host's run may have changed any map */
	t0 = now_ns() - t0;
	n->st.host_ns += t0;
	if (n->nmiss_ns == n->capmiss_ns) {
		size_t cap = n->capmiss_ns ? 2 * n->capmiss_ns : 256;
		uint32_t *m = realloc(n->miss_ns, cap * sizeof(*m));
		if (m) {
			n->miss_ns = m;
			n->capmiss_ns = cap;
		}
	}
	if (n->nmiss_ns < n->capmiss_ns)
		n->miss_ns[n->nmiss_ns++] = t0 > UINT32_MAX ? UINT32_MAX : (uint32_t)t0;
	n->st.insns_miss += res->insns;
	n->st.misses++;
	if (rc > 0) {
		n->st.aborts++;
		n->st.abort_by[rc]++;
		return 0;
	}
	return recorded(n, t);
}

/* A hit on the window: its fast path when the full window holds no miss
 * (every slot is 0 and stays 0; no thrashing, as that needs a miss). */
static inline void window_hit(struct jn_nic *n)
{
	if (n->win_miss || n->win_pkts < n->o.thrash_window) {
		window(n, false);
		return;
	}
	n->win_pkts++;
	if (++n->win_slot == n->o.thrash_window)
		n->win_slot = 0;
	n->thrashing = false;
}

/* Try cache entry i on the packet (cd: as a leaf's candidate, else in
 * full): 1 on a hit (counted; the entry moves to the front), 0 if its
 * guards fail, or a negative errno. */
static inline __attribute__((always_inline)) int try_entry(struct jn_nic *n, size_t i,
							  const struct ncand *cd,
							  struct jn_trace_pkt *tp, struct jn_xdp_result *res)
{
	struct centry *e = &n->ent[i];
	uint32_t ops;
	int rc;

	if (e->invalid) {   /* cannot hold under the maps as they are (inval.c) */
		e->tried = n->tick + 1;
		return 0;
	}
	rc = n->o.run ? n->o.run(n->o.run_arg, e->t, n->x, tp, res, &ops)
	   : cd ? jn_trace_run_x1(e->t, cd->x1, cd->nx1, n->x, tp, res, &ops)
		: jn_trace_run(e->t, n->x, tp, res, &ops);
	if (__builtin_expect(rc != 1, 0)) {
		e->tried = n->tick + 1;   /* the walk skips it (a hit ends the packet) */
		if (rc < 0)
			return rc;
		n->st.check_ops += ops;
		if (rc == 2 && !e->stale) {   /* cannot hold until the maps change */
			e->stale = true;
			n->st.invalidations++;
		}
		return 0;
	}
	/* the path's hits and packets: uses - 1 while cached (jn_nic_path, and
	 * folded in at eviction) */
	e->stale = false;
	jn_nic_after_hit(n, e);
	e->last = n->tick;
	e->uses++;
	e->ref = true;
	n->st.hits++;
	n->st.ops_hit += ops;
	n->st.insns_full_hits += e->t->info.path_insns;
	window_hit(n);
	/* the most recently hit trace goes first in the walk (except under
	 * CLOCK, whose hand walks the slots in order) */
	if (i && n->o.policy != JN_POL_CLOCK)
		jn_nic_swap(n, 0, i);
	return 1;
}

/* The entries the leaf did not hold (or all without a tree), most
 * recently hit first.  1 on a hit. */
static __attribute__((noinline)) int walk(struct jn_nic *n, struct jn_trace_pkt *tp,
					  struct jn_xdp_result *res)
{
	int rc;

	for (size_t i = 0; i < n->nent; i++) {
		if (n->ent[i].tried == n->tick + 1)
			continue;
		if ((rc = try_entry(n, i, NULL, tp, res)) != 0)
			return rc;
	}
	return 0;
}

/* The cached traces on one packet: first the candidates of the leaf the
 * decision tree leads it to, then (a miss, or no tree yet) the others, most
 * recently hit first.  1 on a hit. */
static int lookup(struct jn_nic *n, const struct jn_pkt *pk, struct jn_xdp_result *res)
{
	struct jn_trace_pkt tp = { .data = pk->data, .len = pk->caplen, .ts_ns = pk->ts_ns };
	const struct nnode *leaf;
	int rc;

	if (!n->nent)
		return 0;
	/* a tree costs tens of microseconds to build: only once the cache has
	 * settled (in a miss storm the cache is walked, as without a tree) */
	if (n->tree_dirty && n->tick - n->changed_at >= JN_NIC_TREE_DELAY)
		jn_nic_tree_build(n);   /* on failure: no tree, the cache is walked */
	leaf = n->tree_dirty ? NULL : jn_nic_tree_leaf(n, pk->data, pk->caplen);
	for (uint32_t c = 0; leaf && c < leaf->ncand; c++) {
		const struct ncand *cd = &n->cands[leaf->cand0 + c];
		int32_t s = n->paths[cd->path].slot;
		if (s < 0)
			continue;
		if ((rc = try_entry(n, (size_t)s, cd, &tp, res)) != 0) {
			if (rc > 0 && c)
				jn_nic_tree_hit(n, leaf, c);
			return rc;
		}
	}
	return walk(n, &tp, res);
}

int jn_nic_packet(struct jn_nic *n, const struct jn_pkt *pk, struct jn_xdp_result *res, bool *hit)
{
	int rc;

	*hit = false;
	n->tick = n->st.packets++;
	n->now_ns = pk->ts_ns;
	if (n->next && n->tick < n->o.n_future && n->o.future[n->tick]) {
		long p = jn_nic_path_get(n, n->o.future[n->tick]);
		if (p >= 0)
			n->paths[p].next_use = n->next[n->tick];
	}
	if (n->npend && (rc = jn_nic_installs(n, pk->ts_ns)))
		return rc;
	if (pk->caplen < JN_XDP_MIN_LEN || pk->caplen > JN_XDP_MAX_DATA) {
		jn_xdp_begin(n->x, pk->data, pk->caplen, pk->ts_ns, res);   /* fills res with the refusal */
		n->st.skipped++;
		return -EINVAL;
	}
	rc = lookup(n, pk, res);
	if (rc < 0)
		return rc;
	if (rc) {
		*hit = true;
		return 0;
	}
	rc = miss(n, pk, res);
	window(n, true);
	return rc;
}

const struct jn_nic_stats *jn_nic_stats(const struct jn_nic *n) { return &n->st; }

size_t jn_nic_npaths(const struct jn_nic *n)
{
	size_t k = 0;
	for (size_t i = 0; i < n->npaths; i++)
		k += n->paths[i].cond != NULL;
	return k;
}

void jn_nic_path(const struct jn_nic *n, size_t i, struct jn_nic_path *out)
{
	size_t k = 0;

	memset(out, 0, sizeof(*out));
	for (size_t p = 0; p < n->npaths; p++) {
		if (!n->paths[p].cond)
			continue;
		if (k++ != i)
			continue;
		out->cond = n->paths[p].cond;
		out->ir = n->paths[p].ir;
		out->hash = n->paths[p].hash;
		uint64_t live = n->paths[p].slot >= 0 ? n->ent[n->paths[p].slot].uses - 1 : 0;
		out->packets = n->paths[p].packets + live;
		out->hits = n->paths[p].hits + live;
		out->records = n->paths[p].records;
		out->info = n->paths[p].info;
		return;
	}
}

/* The future's flips: a shadow NIC of unlimited capacity holds the first
 * trace of every path and is told of every change of state the way the NIC
 * tells its cache (a packet's run changed what its trace writes; ~0: a
 * path seen first, or none); a flip whenever one of its traces turns
 * invalid or valid. */
struct shadow {
	struct jn_nic *n;
	uint8_t *inv;              /* per shadow path: invalid as last flipped */
	size_t ninv;
	struct jn_nic_flip *fl;
	size_t nfl, capfl;
};

static int shadow_flips(struct shadow *s, uint64_t pkt)
{
	struct jn_nic *n = s->n;

	if (n->npaths > s->ninv) {
		uint8_t *inv = realloc(s->inv, n->cappaths);
		if (!inv)
			return -ENOMEM;
		memset(inv + s->ninv, 0, n->cappaths - s->ninv);
		s->inv = inv;
		s->ninv = n->cappaths;
	}
	for (size_t i = 0; i < n->nent; i++) {
		const struct centry *e = &n->ent[i];
		if (e->invalid == (bool)s->inv[e->path])
			continue;
		if (s->nfl == s->capfl) {
			size_t cap = s->capfl ? 2 * s->capfl : 64;
			struct jn_nic_flip *fl = realloc(s->fl, cap * sizeof(*fl));
			if (!fl)
				return -ENOMEM;
			s->fl = fl;
			s->capfl = cap;
		}
		s->fl[s->nfl++] = (struct jn_nic_flip){ pkt, n->paths[e->path].hash, e->invalid };
		s->inv[e->path] = e->invalid;
	}
	return 0;
}

/* Packet pkt ran; t its trace (taken), NULL if it has none. */
static int shadow_step(struct shadow *s, struct jn_trace *t, uint64_t pkt)
{
	struct jn_nic *n = s->n;
	uint64_t marks = n->st.invalidations + n->st.revalidations, writes = ~0ULL;
	long pi = t ? jn_nic_path_get(n, t->hash) : 0;
	int rc = 0;

	if (pi < 0) {
		jn_trace_free(t);
		return (int)pi;
	}
	if (t && n->paths[pi].cached)
		writes = n->ent[n->paths[pi].slot].writes;
	jn_nic_state_changed(n, writes);
	if (t && !n->paths[pi].cached) {
		rc = jn_nic_install(n, t, (size_t)pi);
		t = NULL;
	}
	jn_trace_free(t);
	if (!rc && n->st.invalidations + n->st.revalidations != marks)
		rc = shadow_flips(s, pkt);
	return rc;
}

/* Every packet of set recorded on x, then run; with flips, the shadow. */
static int future(struct jn_xdp *x, const struct jn_pkt_set *set, struct jn_nic_future *out,
		  bool flips, char *err, size_t errlen)
{
	struct jn_nic_opts o = { .sz = sizeof(o) };   /* unlimited capacity */
	struct shadow s = { 0 };
	struct jn_xdp_result res;
	int rc;

	memset(out, 0, sizeof(*out));
	out->paths = calloc(set->n ? set->n : 1, sizeof(*out->paths));
	if (flips)
		out->ts = calloc(set->n ? set->n : 1, sizeof(*out->ts));
	if (!out->paths || (flips && !out->ts)) {
		jn_nic_future_free(out);
		return jn_errf(err, errlen, ENOMEM, "nic: out of memory");
	}
	if ((rc = jn_nic_new(x, &o, &s.n, err, errlen))) {
		jn_nic_future_free(out);
		return rc;
	}
	for (uint64_t i = 0; i < set->n && rc >= 0; i++) {
		const struct jn_pkt *p = &set->pkts[i];
		struct jn_trace *t = NULL;
		if (out->ts)
			out->ts[i] = p->ts_ns;
		rc = jn_trace_record(s.n->tr, p->data, p->caplen, p->ts_ns, &t, NULL, 0);
		if (rc == -EINVAL) {   /* a length XDP never sees: no run */
			rc = 0;
			continue;
		}
		if (rc < 0)
			break;
		out->paths[i] = t ? t->hash : 0;
		jn_xdp_run(x, p->data, p->caplen, p->ts_ns, &res, false);
		if (flips)
			rc = shadow_step(&s, t, i);
		else
			jn_trace_free(t);
	}
	jn_nic_free(s.n);
	free(s.inv);
	out->n = set->n;
	out->flips = s.fl;
	out->nflips = s.nfl;
	if (rc < 0) {
		jn_nic_future_free(out);
		return jn_errf(err, errlen, -rc, "nic: recording the future failed");
	}
	return 0;
}

int jn_nic_future(struct jn_xdp *x, const struct jn_pkt_set *set, uint64_t **out, char *err,
		  size_t errlen)
{
	struct jn_nic_future f;
	int rc = future(x, set, &f, false, err, errlen);

	*out = rc ? NULL : f.paths;
	return rc;
}

int jn_nic_future_record(struct jn_xdp *x, const struct jn_pkt_set *set, struct jn_nic_future *out,
			 char *err, size_t errlen)
{
	return future(x, set, out, true, err, errlen);
}

void jn_nic_future_free(struct jn_nic_future *f)
{
	free(f->paths);
	free(f->ts);
	free(f->flips);
	memset(f, 0, sizeof(*f));
}
