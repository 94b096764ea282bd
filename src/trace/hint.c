/* hint.c - predicting which cached trace a packet takes, so that the NIC
 * tries it first instead of walking the cache.
 *
 * The key of a packet is a hash of the packet bytes the cached traces'
 * guards read through arithmetic alone (lower.c: the EtherType, the
 * protocol, header lengths; not the addresses a lookup is keyed on), and of
 * whether each lies inside the packet.  Packets with equal keys take the
 * same few paths (they differ only in length guards and map contents), so
 * a bucket per key remembers the paths its packets last hit, most recent
 * first, like an exact-match cache in front of a classifier.  The set of
 * bytes only grows (up to JN_NIC_MAX_KEYS ranges; beyond that predictions
 * are merely coarser); when it grows, every bucket is stale (a generation
 * number, nothing is cleared).
 * Assumes: a prediction only orders the traces tried: nic.c still checks
 * every guard of the predicted trace and tries the others after it, so a
 * wrong or colliding prediction costs time, never a result.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nic_internal.h"

int jn_nic_hint_init(struct jn_nic *n)
{
	n->hint = calloc(JN_NIC_HINT_BUCKETS, sizeof(*n->hint));
	n->keygen = 1;
	return n->hint ? 0 : -ENOMEM;
}

void jn_nic_hint_keys(struct jn_nic *n, const struct jn_trace *t)
{
	for (uint32_t i = 0; i < t->nkeys && n->nkeys < JN_NIC_MAX_KEYS; i++) {
		uint32_t j = 0;
		while (j < n->nkeys && (n->keys[j].off != t->keys[i].off || n->keys[j].sz != t->keys[i].sz))
			j++;
		if (j < n->nkeys)
			continue;
		n->keys[n->nkeys++] = t->keys[i];
		n->keygen++;
	}
}

struct nhint *jn_nic_hint_get(struct jn_nic *n, const uint8_t *data, uint32_t len)
{
	uint64_t h = 0x6a69746e6963ULL;
	struct nhint *b;

	for (uint32_t i = 0; i < n->nkeys; i++) {
		const struct jn_tkey *k = &n->keys[i];
		uint64_t v = k->off + k->sz <= len ? jn_tld(data + k->off, k->sz) : ~(uint64_t)i;
		h = (h ^ v) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	b = &n->hint[(h ^ (h >> 32)) & (JN_NIC_HINT_BUCKETS - 1)];
	if (b->key != h || b->gen != n->keygen) {
		b->key = h;
		b->gen = n->keygen;
		for (int w = 0; w < JN_NIC_HINT_WAYS; w++)
			b->path[w] = -1;
	}
	return b;
}

void jn_nic_hint_hit(struct nhint *b, int32_t path)
{
	int w = 0;

	while (w < JN_NIC_HINT_WAYS - 1 && b->path[w] != path)
		w++;
	for (; w > 0; w--)
		b->path[w] = b->path[w - 1];
	b->path[0] = path;
}
