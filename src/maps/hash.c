/* hash.c - the hash core (chained buckets over preallocated slots, exact
 * LRU) and BPF_MAP_TYPE_HASH, PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH
 * (kernel/bpf/hashtab.c semantics; LRU eviction is exact least-recently-used
 * where the kernel approximates it). */
#include "maps/maps_internal.h"

#include <errno.h>
#include <linux/bpf.h>
#include <string.h>

#include "base/base.h"

/* ---- hash core ---- */

enum { HTAB_MIN_BUCKETS = 64 };

int jn_htab_init(struct jn_htab *h, uint32_t cap, uint32_t key_size, bool lru)
{
	size_t nb = 1, mlen, klen;

	while (nb < cap && nb < (1u << 31))
		nb <<= 1;
	memset(h, 0, sizeof(*h));
	h->cap = cap;
	h->nb_max = (uint32_t)nb;
	h->mask = (uint32_t)(nb < HTAB_MIN_BUCKETS ? nb : HTAB_MIN_BUCKETS) - 1;
	h->key_size = key_size;
	h->lru = lru;
	if (jn_size_mul(cap, sizeof(*h->meta), &mlen) || jn_size_mul(cap, key_size, &klen))
		return -E2BIG;
	h->buckets = jn_maps_area_alloc(nb * sizeof(*h->buckets));
	h->meta = jn_maps_area_alloc(mlen);
	h->keys = jn_maps_area_alloc(klen);
	if (!h->buckets || !h->meta || !h->keys) {
		jn_htab_fini(h);
		return -ENOMEM;
	}
	return 0;
}

void jn_htab_fini(struct jn_htab *h)
{
	jn_maps_area_free(h->buckets, (size_t)h->nb_max * sizeof(*h->buckets));
	jn_maps_area_free(h->meta, (size_t)h->cap * sizeof(*h->meta));
	jn_maps_area_free(h->keys, (size_t)h->cap * h->key_size);
	h->buckets = NULL;
	h->meta = NULL;
	h->keys = NULL;
}

/* Keys are short: compared a word at a time without a call. */
static inline bool key_eq(const uint8_t *a, const uint8_t *b, uint32_t n)
{
	uint64_t x, y;
	uint32_t u, v;

	for (; n >= 8; a += 8, b += 8, n -= 8) {
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		if (x != y)
			return false;
	}
	if (n >= 4) {
		memcpy(&u, a, 4);
		memcpy(&v, b, 4);
		if (u != v)
			return false;
		a += 4, b += 4, n -= 4;
	}
	for (; n; a++, b++, n--)
		if (*a != *b)
			return false;
	return true;
}

int64_t jn_htab_find(const struct jn_htab *h, const void *key, uint32_t hash)
{
	uint32_t s = h->buckets[hash & h->mask];

	while (s) {
		const struct jn_htab_meta *mt = &h->meta[s - 1];
		if (mt->hash == hash && key_eq(jn_htab_key(h, s - 1), key, h->key_size))
			return s - 1;
		s = mt->next;
	}
	return -1;
}

static void lru_unlink(struct jn_htab *h, uint32_t slot)
{
	struct jn_htab_meta *mt = &h->meta[slot];

	if (mt->lru_prev)
		h->meta[mt->lru_prev - 1].lru_next = mt->lru_next;
	else
		h->lru_head = mt->lru_next;
	if (mt->lru_next)
		h->meta[mt->lru_next - 1].lru_prev = mt->lru_prev;
	else
		h->lru_tail = mt->lru_prev;
	mt->lru_prev = mt->lru_next = 0;
}

static void lru_push_head(struct jn_htab *h, uint32_t slot)
{
	struct jn_htab_meta *mt = &h->meta[slot];

	mt->lru_prev = 0;
	mt->lru_next = h->lru_head;
	if (h->lru_head)
		h->meta[h->lru_head - 1].lru_prev = slot + 1;
	else
		h->lru_tail = slot + 1;
	h->lru_head = slot + 1;
}

void jn_htab_touch(struct jn_htab *h, uint32_t slot)
{
	if (h->lru && h->lru_head != slot + 1) {
		lru_unlink(h, slot);
		lru_push_head(h, slot);
	}
}

void jn_htab_remove(struct jn_htab *h, uint32_t slot)
{
	struct jn_htab_meta *mt = &h->meta[slot];
	uint32_t *link = &h->buckets[mt->hash & h->mask];

	while (*link && *link != slot + 1)
		link = &h->meta[*link - 1].next;
	if (*link)
		*link = mt->next;
	if (h->lru)
		lru_unlink(h, slot);
	mt->live = 0;
	mt->next = h->free_head;
	h->free_head = slot + 1;
	h->count--;
}

/* Twice the buckets: every live slot is relinked from its stored hash (a
 * chain's order may change; lookups do not depend on it). */
static void grow(struct jn_htab *h)
{
	uint32_t nb = (h->mask + 1) * 2;

	memset(h->buckets, 0, (size_t)nb * sizeof(*h->buckets));
	h->mask = nb - 1;
	for (uint32_t s = 0; s < h->hw; s++) {
		struct jn_htab_meta *mt = &h->meta[s];
		if (!mt->live)
			continue;
		mt->next = h->buckets[mt->hash & h->mask];
		h->buckets[mt->hash & h->mask] = s + 1;
	}
}

int64_t jn_htab_insert(struct jn_htab *h, const void *key, uint32_t hash, int64_t *evicted)
{
	uint32_t slot, b;
	struct jn_htab_meta *mt;

	*evicted = -1;
	if (h->count >= h->cap) {
		if (!h->lru || !h->lru_tail)
			return -E2BIG;
		*evicted = h->lru_tail - 1;
		jn_htab_remove(h, h->lru_tail - 1);
	}
	if (h->count > h->mask && h->mask + 1 < h->nb_max)
		grow(h);
	b = hash & h->mask;
	if (h->free_head) {
		slot = h->free_head - 1;
		h->free_head = h->meta[slot].next;
	} else {
		slot = h->hw++;
	}
	mt = &h->meta[slot];
	mt->next = h->buckets[b];
	mt->hash = hash;
	mt->live = 1;
	h->buckets[b] = slot + 1;
	memcpy(h->keys + (size_t)slot * h->key_size, key, h->key_size);
	h->count++;
	if (h->lru)
		lru_push_head(h, slot);
	return slot;
}

int64_t jn_htab_next_live(const struct jn_htab *h, int64_t after)
{
	for (uint64_t s = (uint64_t)(after + 1); s < h->hw; s++)
		if (h->meta[s].live)
			return (int64_t)s;
	return -1;
}

int64_t jn_htab_next_slot(const struct jn_htab *h, const void *key)
{
	int64_t s = key ? jn_htab_find(h, key, jn_htab_hash(key, h->key_size)) : -1;

	return s < 0 ? jn_htab_next_live(h, -1) : jn_htab_next_live(h, s);
}

/* ---- hash map types ---- */

#define HTAB_FLAGS (BPF_F_NO_PREALLOC | BPF_F_NO_COMMON_LRU | BPF_F_NUMA_NODE | BPF_F_RDONLY | \
		    BPF_F_WRONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG | BPF_F_ZERO_SEED)
enum { KMALLOC_MAX = 4 << 20, HTAB_ELEM = 48, PCPU_MIN_UNIT_SIZE = 32768 };

static bool is_lru(uint32_t type)
{
	return type == BPF_MAP_TYPE_LRU_HASH || type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static int htab_check(const struct jn_map_spec *s, char *err, size_t errlen)
{
	bool lru = is_lru(s->type);
	bool percpu = s->type == BPF_MAP_TYPE_PERCPU_HASH || s->type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
	int r = jn_map_check_common(s, HTAB_FLAGS, err, errlen);

	if (r)
		return r;
	if (!lru && (s->map_flags & BPF_F_NO_COMMON_LRU))
		return jn_map_refuse(s, EINVAL, err, errlen, "BPF_F_NO_COMMON_LRU without LRU");
	if (lru && (s->map_flags & BPF_F_NO_PREALLOC))
		return jn_map_refuse(s, JN_ENOTSUPP, err, errlen,
				     "LRU maps cannot have BPF_F_NO_PREALLOC");
	if (s->key_size == 0 || s->value_size == 0)
		return jn_map_refuse(s, EINVAL, err, errlen, "key_size %u, value_size %u",
				     s->key_size, s->value_size);
	if ((uint64_t)s->key_size + s->value_size >= KMALLOC_MAX - HTAB_ELEM ||
	    (percpu && ((s->value_size + 7ULL) & ~7ULL) > PCPU_MIN_UNIT_SIZE))
		return jn_map_refuse(s, E2BIG, err, errlen, "key_size %u + value_size %u too big",
				     s->key_size, s->value_size);
	return 0;
}

int jn_map_htab_init(struct jn_map *m)
{
	return jn_htab_init(&m->ht, m->spec.max_entries, m->spec.key_size, is_lru(m->spec.type));
}

void jn_map_htab_fini(struct jn_map *m)
{
	jn_htab_fini(&m->ht);
}

void *jn_map_htab_lookup(struct jn_map *m, const void *key, uint32_t cpu, bool sys)
{
	int64_t s = jn_htab_find(&m->ht, key, jn_htab_hash(key, m->spec.key_size));

	if (s < 0)
		return NULL;
	if (!sys)
		jn_htab_touch(&m->ht, (uint32_t)s);
	return jn_map_cpu_value(m, jn_map_slot(m, (uint32_t)s), cpu);
}

static long htab_update(struct jn_map *m, const void *key, const void *value, uint64_t flags,
			uint32_t cpu)
{
	uint32_t hash = jn_htab_hash(key, m->spec.key_size);
	int64_t s, evicted;

	if (flags > BPF_EXIST)
		return -EINVAL;   /* unknown flags; BPF_F_LOCK needs a bpf_spin_lock */
	s = jn_htab_find(&m->ht, key, hash);
	if (s >= 0 && flags == BPF_NOEXIST)
		return -EEXIST;
	if (s < 0 && flags == BPF_EXIST)
		return -ENOENT;
	if (s >= 0) {
		jn_htab_touch(&m->ht, (uint32_t)s);
		jn_map_store(m, jn_map_slot(m, (uint32_t)s), value, cpu, false);
		return 0;
	}
	s = jn_htab_insert(&m->ht, key, hash, &evicted);
	if (s < 0)
		return (long)s;
	jn_map_store(m, jn_map_slot(m, (uint32_t)s), value, cpu, true);
	return 0;
}

long jn_map_htab_delete(struct jn_map *m, const void *key)
{
	int64_t s = jn_htab_find(&m->ht, key, jn_htab_hash(key, m->spec.key_size));

	if (s < 0)
		return -ENOENT;
	jn_htab_remove(&m->ht, (uint32_t)s);
	return 0;
}

int jn_map_htab_next_key(struct jn_map *m, const void *key, void *next)
{
	int64_t s = jn_htab_next_slot(&m->ht, key);

	if (s < 0)
		return -ENOENT;
	memcpy(next, jn_htab_key(&m->ht, (uint32_t)s), m->spec.key_size);
	return 0;
}

#define HTAB_OPS(type_name, is_percpu) {                                        \
	.name = type_name, .percpu = is_percpu, .check = htab_check,            \
	.init = jn_map_htab_init, .fini = jn_map_htab_fini,                     \
	.lookup = jn_map_htab_lookup, .update = htab_update,                    \
	.delete = jn_map_htab_delete, .next_key = jn_map_htab_next_key,         \
}
const struct jn_map_ops jn_map_ops_hash = HTAB_OPS("hash", false);
const struct jn_map_ops jn_map_ops_percpu_hash = HTAB_OPS("percpu_hash", true);
const struct jn_map_ops jn_map_ops_lru_hash = HTAB_OPS("lru_hash", false);
const struct jn_map_ops jn_map_ops_lru_percpu_hash = HTAB_OPS("lru_percpu_hash", true);
#undef HTAB_OPS
