/* sim.c - the trace cache alone over the future (jn_nic_future_record):
 * hit counts for a capacity and policy, with admission, install delays (in
 * packets and in the packets' time) and exact invalidation as the NIC
 * applies them (its own replacement, admission and install code, on
 * entries without traces), and the LRU hit curve for every capacity.
 *
 * The NIC hits a packet exactly when its path's trace is cached and not
 * invalid: traces of different paths never hold for the same packet, and
 * the path's own trace holds (its guards are the path condition).  What
 * the maps do shows in two ways: an invalid trace is not tried (a packet
 * on its path cannot come while the maps make it invalid) and is evicted
 * first, which the flips give; everything else is the path sequence.
 *
 * LRU by stack distances (Mattson et al.): a packet whose path was used d
 * distinct paths ago hits in every LRU cache of more than d entries, so one
 * pass over a move-to-front list gives a histogram of distances and the
 * hits of capacity c are the packets at distance < c.  Evicting invalid
 * traces first, admission and install delays break that inclusion, so with
 * any of them each capacity is simulated.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nic_internal.h"

struct sim {
	struct jn_nic *n;
	const struct jn_nic_future *f;
	uint8_t *inv;              /* per path: invalid after the flips so far */
	size_t k;                  /* the next flip */
};

/* Every path of f in the path table (in order of first appearance), so
 * that a later jn_nic_path_get only finds; inv for all of them. */
static int paths_register(struct sim *s)
{
	const struct jn_nic_future *f = s->f;

	for (size_t i = 0; i < f->n + f->nflips; i++) {
		uint64_t h = i < f->n ? f->paths[i] : f->flips[i - f->n].path;
		long p = h ? jn_nic_path_get(s->n, h) : 0;
		if (p < 0)
			return (int)p;
	}
	s->inv = calloc(s->n->npaths ? s->n->npaths : 1, 1);
	return s->inv ? 0 : -ENOMEM;
}

/* The flips after packet i: the path's validity, and its cached entry
 * marked as inval.c marks it (invalid traces are stale: evicted first). */
static int flips(struct sim *s, uint64_t i)
{
	for (; s->k < s->f->nflips && s->f->flips[s->k].after <= i; s->k++) {
		const struct jn_nic_flip *fl = &s->f->flips[s->k];
		long p = jn_nic_path_get(s->n, fl->path);
		if (p < 0)
			return (int)p;
		s->inv[p] = fl->invalid;
		if (s->n->paths[p].slot >= 0)
			s->n->ent[s->n->paths[p].slot].invalid = s->n->ent[s->n->paths[p].slot].stale = fl->invalid;
	}
	return 0;
}

/* Entries installed at packet i: valid or not as their paths are now
 * (jn_nic_watch evaluates a trace at install). */
static void mark_installed(struct sim *s, uint64_t i)
{
	for (size_t e = 0; e < s->n->nent; e++)
		if (s->n->ent[e].inserted == i)
			s->n->ent[e].invalid = s->n->ent[e].stale = s->inv[s->n->ent[e].path];
}

/* Packet i, as jn_nic_packet takes it. */
static int step(struct sim *s, uint64_t i, uint64_t *hits)
{
	struct jn_nic *n = s->n;
	long p = -1;
	int32_t slot;
	int rc;

	n->tick = i;
	n->now_ns = s->f->ts ? s->f->ts[i] : 0;
	if (s->f->paths[i] && (p = jn_nic_path_get(n, s->f->paths[i])) < 0)
		return (int)p;
	if (p >= 0 && n->next)
		n->paths[p].next_use = n->next[i];
	if (n->npend) {
		if ((rc = jn_nic_installs(n, n->now_ns)))
			return rc;
		mark_installed(s, i);
	}
	slot = p >= 0 ? n->paths[p].slot : -1;
	if (slot >= 0 && !n->ent[slot].invalid) {   /* a hit (try_entry in nic.c) */
		struct centry *e = &n->ent[slot];
		e->stale = false;
		e->last = i;
		e->uses++;
		e->ref = true;
		(*hits)++;
		if (slot && n->o.policy != JN_POL_CLOCK)   /* as the NIC: most recent first */
			jn_nic_swap(n, 0, (size_t)slot);
		return flips(s, i);
	}
	if ((rc = flips(s, i)) || p < 0)   /* the host's run, then its path */
		return rc;
	if (slot >= 0) {   /* cached but invalid: the NIC's recorded() clears the mark */
		n->ent[slot].invalid = n->ent[slot].stale = false;
		return 0;
	}
	if ((rc = jn_nic_offer(n, NULL, (size_t)p)) == 0 && (slot = n->paths[p].slot) >= 0)
		n->ent[slot].invalid = n->ent[slot].stale = s->inv[p];
	return rc;
}

int jn_nic_simulate(const struct jn_nic_future *f, const struct jn_nic_opts *o, uint64_t *hits)
{
	struct sim s = { .f = f };
	int rc;

	*hits = 0;
	if (o->policy < 0 || o->policy >= JN_POL__COUNT || o->cap_ops || (o->host_cost_ns && !f->ts))
		return -EINVAL;
	if (!(s.n = calloc(1, sizeof(*s.n))))
		return -ENOMEM;
	memcpy(&s.n->o, o, o->sz && o->sz < sizeof(*o) ? o->sz : sizeof(*o));
	s.n->o.future = f->paths;
	s.n->o.n_future = f->n;
	if (!s.n->o.admit_window)
		s.n->o.admit_window = 1024;
	s.n->rng = o->seed ? o->seed : 0x6e6963;
	rc = paths_register(&s);
	if (!rc && o->policy == JN_POL_BELADY)
		rc = jn_nic_belady_prepare(s.n, NULL, 0);
	for (uint64_t i = 0; i < f->n && !rc; i++)
		rc = step(&s, i, hits);
	jn_nic_cache_free(s.n);
	free(s.n->paths);
	free(s.n->index);
	free(s.n->next);
	free(s.n->pend);
	free(s.n);
	free(s.inv);
	return rc;
}

/* LRU for capacities 1..maxcap by stack distances over paths alone. */
static int stack_curve(const uint64_t *paths, size_t n, uint32_t maxcap, uint64_t *hits)
{
	uint64_t *stack = NULL, *hist = calloc(maxcap ? maxcap : 1, sizeof(*hist));
	size_t depth = 0, cap = 0;

	if (!hist)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		size_t d;
		if (!paths[i])
			continue;
		for (d = 0; d < depth && stack[d] != paths[i]; d++)
			;
		if (d < depth) {
			if (d < maxcap)
				hist[d]++;
		} else {
			if (depth == cap) {
				uint64_t *ns = realloc(stack, (cap = cap ? 2 * cap : 64) * sizeof(*ns));
				if (!ns) {
					free(stack);
					free(hist);
					return -ENOMEM;
				}
				stack = ns;
			}
			d = depth++;
		}
		memmove(stack + 1, stack, d * sizeof(*stack));
		stack[0] = paths[i];
	}
	for (uint32_t c = 0; c < maxcap; c++)
		hits[c] = (c ? hits[c - 1] : 0) + hist[c];
	free(stack);
	free(hist);
	return 0;
}

int jn_nic_lru_curve(const struct jn_nic_future *f, const struct jn_nic_opts *o, uint32_t maxcap,
		     uint64_t *hits)
{
	struct jn_nic_opts so;
	int rc = 0;

	memset(&so, 0, sizeof(so));
	memcpy(&so, o, o->sz && o->sz < sizeof(*o) ? o->sz : sizeof(*o));
	so.sz = sizeof(so);
	if (so.cap_ops || (so.host_cost_ns && !f->ts))
		return -EINVAL;
	if (!f->nflips && so.admit <= 1 && !so.install_delay && !so.host_cost_ns)
		return stack_curve(f->paths, f->n, maxcap, hits);
	so.policy = JN_POL_LRU;
	for (uint32_t c = 1; c <= maxcap && !rc; c++) {
		so.capacity = c;
		rc = jn_nic_simulate(f, &so, &hits[c - 1]);
	}
	return rc;
}
