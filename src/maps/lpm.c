/* lpm.c - BPF_MAP_TYPE_LPM_TRIE (kernel/bpf/lpm_trie.c semantics).
 *
 * Key: struct { u32 prefixlen; u8 data[key_size - 4]; }, data in network
 * order.  Entries live in the hash core under their key masked to prefixlen
 * (exact match for update/delete/get_next_key); lookups walk a trie of
 * the same prefixes (lpm_trie.c) whose nodes name the hash slots.  The key as
 * given (bits past prefixlen included) is kept for get_next_key, as the
 * kernel keeps it. */
#include "maps/maps_internal.h"

#include <errno.h>
#include <linux/bpf.h>
#include <string.h>

#define LPM_FLAGS (BPF_F_NO_PREALLOC | BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY | \
		   BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)
enum {
	LPM_DATA_MAX = 256,
	LPM_KEY_MIN = 4 + 1,
	LPM_KEY_MAX = 4 + LPM_DATA_MAX,
	LPM_VAL_MAX = (4 << 20) - LPM_DATA_MAX - 24,
};

static uint32_t max_plen(const struct jn_map *m)
{
	return (m->spec.key_size - 4) * 8;
}

static int lpm_check(const struct jn_map_spec *s, char *err, size_t errlen)
{
	int r = jn_map_check_common(s, LPM_FLAGS, err, errlen);

	if (r)
		return r;
	if (!(s->map_flags & BPF_F_NO_PREALLOC))
		return jn_map_refuse(s, EINVAL, err, errlen,
				     "lpm_trie needs BPF_F_NO_PREALLOC in map_flags");
	if (s->key_size < LPM_KEY_MIN || s->key_size > LPM_KEY_MAX)
		return jn_map_refuse(s, EINVAL, err, errlen, "key_size %u, lpm_trie needs %d..%d",
				     s->key_size, LPM_KEY_MIN, LPM_KEY_MAX);
	if (s->value_size < 1 || s->value_size > LPM_VAL_MAX)
		return jn_map_refuse(s, EINVAL, err, errlen, "value_size %u", s->value_size);
	return 0;
}

static int lpm_init(struct jn_map *m)
{
	int r = jn_htab_init(&m->ht, m->spec.max_entries, m->spec.key_size, false);

	if (!r)
		r = jn_lpm_trie_init(&m->lpm_trie, m->spec.max_entries, m->spec.key_size - 4);
	if (r)
		return r;
	m->lpm_orig = jn_maps_area_alloc((size_t)m->spec.max_entries * m->spec.key_size);
	return m->lpm_orig ? 0 : -ENOMEM;
}

static void lpm_fini(struct jn_map *m)
{
	jn_htab_fini(&m->ht);
	jn_maps_area_free(m->lpm_orig, (size_t)m->spec.max_entries * m->spec.key_size);
	jn_lpm_trie_fini(&m->lpm_trie);
	m->lpm_orig = NULL;
}

static uint32_t key_plen(const void *key)
{
	uint32_t plen;

	memcpy(&plen, key, 4);
	return plen;
}

/* out = key with prefixlen plen and the data bits past plen cleared */
static void mask_key(const struct jn_map *m, const uint8_t *key, uint32_t plen, uint8_t *out)
{
	uint32_t dlen = m->spec.key_size - 4, full = plen / 8;

	memcpy(out, &plen, 4);
	memcpy(out + 4, key + 4, full);
	memset(out + 4 + full, 0, dlen - full);
	if (plen % 8)
		out[4 + full] = key[4 + full] & (uint8_t)(0xff << (8 - plen % 8));
}

static int64_t find_exact(const struct jn_map *m, const void *key)
{
	uint8_t k[LPM_KEY_MAX];

	mask_key(m, key, key_plen(key), k);
	return jn_htab_find(&m->ht, k, jn_htab_hash(k, m->spec.key_size));
}

static void *lpm_lookup(struct jn_map *m, const void *key, uint32_t cpu, bool sys)
{
	uint32_t plen = key_plen(key);
	int64_t s;

	if (plen > max_plen(m))
		return NULL;
	s = jn_lpm_trie_lookup(&m->lpm_trie, (const uint8_t *)key + 4, plen);
	return s < 0 ? NULL : jn_map_slot(m, (uint32_t)s);
}

static long lpm_update(struct jn_map *m, const void *key, const void *value, uint64_t flags,
		       uint32_t cpu)
{
	uint8_t k[LPM_KEY_MAX];
	uint32_t plen = key_plen(key), ks = m->spec.key_size, hash;
	int64_t s, evicted;

	if (flags > BPF_EXIST || plen > max_plen(m))
		return -EINVAL;
	mask_key(m, key, plen, k);
	hash = jn_htab_hash(k, ks);
	s = jn_htab_find(&m->ht, k, hash);
	if (s >= 0 && flags == BPF_NOEXIST)
		return -EEXIST;
	if (s < 0 && flags == BPF_EXIST)
		return -ENOENT;
	if (s < 0) {
		if (m->ht.count >= m->ht.cap)
			return -ENOSPC;
		s = jn_htab_insert(&m->ht, k, hash, &evicted);
		if (s < 0)
			return (long)s;
		jn_lpm_trie_insert(&m->lpm_trie, k + 4, plen, (uint32_t)s);
	}
	memcpy(m->lpm_orig + (size_t)s * ks, key, ks);
	jn_map_store(m, jn_map_slot(m, (uint32_t)s), value, cpu, true);
	return 0;
}

static long lpm_delete(struct jn_map *m, const void *key)
{
	uint8_t k[LPM_KEY_MAX];
	int64_t s;

	if (key_plen(key) > max_plen(m))
		return -EINVAL;
	mask_key(m, key, key_plen(key), k);
	s = jn_htab_find(&m->ht, k, jn_htab_hash(k, m->spec.key_size));
	if (s < 0)
		return -ENOENT;
	jn_htab_remove(&m->ht, (uint32_t)s);
	jn_lpm_trie_delete(&m->lpm_trie, k + 4, key_plen(key));
	return 0;
}

static int lpm_next_key(struct jn_map *m, const void *key, void *next)
{
	int64_t s = -1;

	if (key && key_plen(key) <= max_plen(m))
		s = find_exact(m, key);
	s = jn_htab_next_live(&m->ht, s);
	if (s < 0)
		return -ENOENT;
	memcpy(next, m->lpm_orig + (size_t)s * m->spec.key_size, m->spec.key_size);
	return 0;
}

const struct jn_map_ops jn_map_ops_lpm_trie = {
	.name = "lpm_trie",
	.check = lpm_check,
	.init = lpm_init,
	.fini = lpm_fini,
	.lookup = lpm_lookup,
	.update = lpm_update,
	.delete = lpm_delete,
	.next_key = lpm_next_key,
};
