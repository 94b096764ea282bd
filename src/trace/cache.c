/* cache.c - the NIC's trace cache: capacity in traces and in IR
 * instructions, replacement by LRU, LFU, FIFO, random (seeded), CLOCK
 * (second chance) or Belady's optimal policy (evict the trace whose path
 * comes back last; needs the future, jn_nic_opts.future). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nic_internal.h"

static const char *const pol_names[] = {
#define P_(e, nm) nm,
	JN_NIC_POLICIES(P_)
#undef P_
};

const char *jn_nic_policy_name(int p) { return p >= 0 && p < JN_POL__COUNT ? pol_names[p] : "?"; }

int jn_nic_policy_parse(const char *name)
{
	for (int p = 0; p < JN_POL__COUNT; p++)
		if (!strcmp(name, pol_names[p]))
			return p;
	return -1;
}

static uint64_t rnd(struct jn_nic *n)
{
	uint64_t z = (n->rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

size_t jn_nic_victim(struct jn_nic *n)
{
	size_t v = 0;

	/* a trace invalidated by a map change goes first (Belady knows better) */
	for (size_t i = 0; n->o.policy != JN_POL_BELADY && i < n->nent; i++)
		if (n->ent[i].stale) {
			n->st.stale_evictions++;
			return i;
		}

	switch (n->o.policy) {
	case JN_POL_RANDOM:
		return (size_t)(rnd(n) % n->nent);
	case JN_POL_CLOCK:
		for (;;) {
			if (n->hand >= n->nent)
				n->hand = 0;
			if (!n->ent[n->hand].ref)
				return n->hand;
			n->ent[n->hand++].ref = false;
		}
	default:
		break;
	}
	for (size_t i = 1; i < n->nent; i++) {
		const struct centry *a = &n->ent[i], *b = &n->ent[v];
		bool better;
		switch (n->o.policy) {
		case JN_POL_LFU:
			better = a->uses < b->uses || (a->uses == b->uses && a->last < b->last);
			break;
		case JN_POL_FIFO:
			better = a->inserted < b->inserted;
			break;
		case JN_POL_BELADY:
			better = n->paths[a->path].next_use > n->paths[b->path].next_use;
			break;
		default:
			better = a->last < b->last;
		}
		if (better)
			v = i;
	}
	return v;
}

void jn_nic_evict(struct jn_nic *n, size_t v)
{
	struct centry *e = &n->ent[v];

	n->paths[e->path].cached = false;
	n->paths[e->path].evicted = true;
	n->paths[e->path].slot = -1;
	n->paths[e->path].hits += e->uses - 1;   /* its hits while cached (nic.c) */
	n->paths[e->path].packets += e->uses - 1;
	if (e->t) {
		n->ops_cached -= e->t->info.ops;
		jn_trace_free(e->t);
	}
	n->ent[v] = n->ent[--n->nent];
	n->tree_dirty = true;
	n->changed_at = n->tick;
	if (v < n->nent)
		n->paths[n->ent[v].path].slot = (int32_t)v;
	n->st.evictions++;
}

int jn_nic_install(struct jn_nic *n, struct jn_trace *t, size_t pi)
{
	uint32_t ops = t ? t->info.ops : 0;
	struct centry *e;

	if (n->o.cap_ops && ops > n->o.cap_ops) {
		jn_trace_free(t);
		return 0;
	}
	while (n->nent && ((n->o.capacity && n->nent >= n->o.capacity) ||
			   (n->o.cap_ops && n->ops_cached + ops > n->o.cap_ops)))
		jn_nic_evict(n, jn_nic_victim(n));
	if (n->nent == n->capent) {
		size_t cap = n->capent ? 2 * n->capent : 16;
		struct centry *ne = realloc(n->ent, cap * sizeof(*ne));
		if (!ne) {
			jn_trace_free(t);
			return -ENOMEM;
		}
		n->ent = ne;
		n->capent = cap;
	}
	e = &n->ent[n->nent++];
	e->t = t;
	e->path = pi;
	e->last = e->inserted = n->tick;
	e->uses = 1;
	e->ref = true;
	e->stale = e->invalid = false;
	e->writes = 0;
	e->tried = 0;
	n->tree_dirty = true;
	n->changed_at = n->tick;
	n->ops_cached += ops;
	n->paths[pi].cached = true;
	n->paths[pi].slot = (int32_t)(e - n->ent);
	n->paths[pi].installed_once = true;
	n->st.installs++;
	if (!t)   /* the simulation: an entry without a trace */
		return 0;
	n->st.guards_sum += t->info.guards;
	n->st.body_sum += t->info.body;
	n->st.ops_sum += t->info.ops;
	n->st.path_sum += t->info.path_insns;
	return jn_nic_watch(n, (size_t)(e - n->ent));
}

static bool admitted(struct jn_nic *n, struct npath *p)
{
	if (n->o.admit <= 1)
		return true;
	if (n->tick - p->admit_since >= n->o.admit_window || !p->admit_count) {
		p->admit_since = n->tick;
		p->admit_count = 0;
	}
	return ++p->admit_count >= n->o.admit;
}

int jn_nic_offer(struct jn_nic *n, struct jn_trace *t, size_t pi)
{
	struct npath *p = &n->paths[pi];

	if (!admitted(n, p) || p->pending) {
		n->st.not_admitted += !p->pending;
		jn_trace_free(t);
		return 0;
	}
	if (!n->o.install_delay && !n->o.host_cost_ns)
		return jn_nic_install(n, t, pi);
	/* the host's install reaches the NIC install_delay packets later */
	if (n->npend == n->cappend) {
		size_t cap = n->cappend ? 2 * n->cappend : 16;
		struct pending *np = realloc(n->pend, cap * sizeof(*np));
		if (!np) {
			jn_trace_free(t);
			return -ENOMEM;
		}
		n->pend = np;
		n->cappend = cap;
	}
	n->pend[n->npend++] = (struct pending){ t, pi, n->tick + n->o.install_delay,
						n->now_ns + n->o.host_cost_ns };
	p->pending = true;
	return 0;
}

int jn_nic_installs(struct jn_nic *n, uint64_t ts_ns)
{
	int rc;

	for (size_t i = 0; i < n->npend;) {
		struct pending pd = n->pend[i];
		/* without a host cost the packets' clock does not matter (a
		 * capture's timestamps may go back) */
		if (pd.ready > n->tick || (n->o.host_cost_ns && pd.ready_ns > ts_ns)) {
			i++;
			continue;
		}
		n->pend[i] = n->pend[--n->npend];
		n->paths[pd.path].pending = false;
		if ((rc = jn_nic_install(n, pd.t, pd.path)))
			return rc;
	}
	return 0;
}

void jn_nic_cache_free(struct jn_nic *n)
{
	for (size_t i = 0; i < n->nent; i++)
		jn_trace_free(n->ent[i].t);
	free(n->ent);
	n->ent = NULL;
	n->nent = n->capent = 0;
}
