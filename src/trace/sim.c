/* sim.c - the trace cache alone over a sequence of paths: hit counts for a
 * capacity and policy (the NIC's own replacement code, entries without
 * traces), and the LRU hit curve for every capacity in one pass.
 *
 * LRU by stack distances (Mattson et al.): a packet whose path was used d
 * distinct paths ago hits in every LRU cache of more than d entries, so one
 * pass over a move-to-front list gives a histogram of distances and the
 * hits of capacity c are the packets at distance < c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nic_internal.h"

int jn_nic_simulate(const uint64_t *paths, size_t n, uint32_t capacity, int policy, uint64_t seed,
		    uint64_t *hits)
{
	struct jn_nic *s = calloc(1, sizeof(*s));
	int rc = 0;

	if (!s)
		return -ENOMEM;
	if (policy < 0 || policy >= JN_POL__COUNT) {
		free(s);
		return -EINVAL;
	}
	s->o.capacity = capacity ? capacity : 1;
	s->o.policy = policy;
	s->o.future = paths;
	s->o.n_future = n;
	s->rng = seed ? seed : 0x6e6963;
	*hits = 0;
	if (policy == JN_POL_BELADY && (rc = jn_nic_belady_prepare(s, NULL, 0)))
		goto out;
	for (size_t i = 0; i < n; i++) {
		long p;
		size_t e;
		s->tick = i;
		if (!paths[i])
			continue;
		if ((p = jn_nic_path_get(s, paths[i])) < 0) {
			rc = (int)p;
			goto out;
		}
		if (s->next)
			s->paths[p].next_use = s->next[i];
		for (e = 0; e < s->nent && s->ent[e].path != (size_t)p; e++)
			;
		if (e < s->nent) {
			s->ent[e].last = i;
			s->ent[e].uses++;
			s->ent[e].ref = true;
			(*hits)++;
			if (e && policy != JN_POL_CLOCK)   /* as the NIC: most recent first */
				jn_nic_swap(s, 0, e);
			continue;
		}
		if (s->nent >= s->o.capacity)
			jn_nic_evict(s, jn_nic_victim(s));
		if (s->nent == s->capent) {
			size_t cap = s->capent ? 2 * s->capent : 16;
			struct centry *ne = realloc(s->ent, cap * sizeof(*ne));
			if (!ne) {
				rc = -ENOMEM;
				goto out;
			}
			s->ent = ne;
			s->capent = cap;
		}
		s->ent[s->nent++] = (struct centry){ .path = (size_t)p, .last = i, .uses = 1,
						     .inserted = i, .ref = true };
	}
out:
	free(s->ent);
	free(s->paths);
	free(s->index);
	free(s->next);
	free(s);
	return rc;
}

int jn_nic_lru_curve(const uint64_t *paths, size_t n, uint32_t maxcap, uint64_t *hits)
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
