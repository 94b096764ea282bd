/* maps_internal.h - private to src/maps: struct jn_map, the per-type ops
 * table, the hash core shared by the hash-like families, storage helpers.
 *
 * Storage: every map has ONE value area (m->values), slots * stride bytes,
 * mmap'd with MAP_NORESERVE so untouched pages cost nothing.  A slot holds
 * ncpus values of `unit` bytes each (unit = round_up(value_size, 8)); the
 * value of cpu c in slot s is at values + s * stride + c * unit.
 */
#ifndef JN_MAPS_INTERNAL_H
#define JN_MAPS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "maps/maps.h"

#define JN_CPU_ALL UINT32_MAX   /* update: value holds every CPU (syscall layout) */
#define JN_ENOTSUPP JN_MAP_ENOTSUPP

/* Hash core: chained buckets over preallocated slots, optional exact LRU.
 * Slot numbers are 0-based; links store slot + 1 so 0 means "none".  The
 * bucket array is reserved for cap entries but only its first mask + 1
 * buckets are in use: it doubles (rehashing from the stored hashes) when the
 * entries outnumber them, so a big, mostly empty map touches few cache lines.
 * Iteration follows slots, never buckets: resizing changes no order. */
struct jn_htab {
	uint32_t cap;              /* slots (max_entries) */
	uint32_t mask;             /* buckets in use - 1 */
	uint32_t nb_max;           /* buckets reserved (power of two >= cap) */
	uint32_t key_size;
	uint32_t count;            /* live entries */
	uint32_t hw;               /* slots [0, hw) have been used at least once */
	uint32_t free_head;        /* recycled slots, linked through meta.next */
	bool lru;
	uint32_t lru_head, lru_tail;   /* most / least recently used */
	uint32_t *buckets;
	struct jn_htab_meta {
		uint32_t next;     /* bucket chain (or free list) */
		uint32_t hash;
		uint32_t lru_prev, lru_next;
		uint32_t live;
	} *meta;
	uint8_t *keys;             /* cap * key_size */
};

int jn_htab_init(struct jn_htab *h, uint32_t cap, uint32_t key_size, bool lru);
void jn_htab_fini(struct jn_htab *h);
/* 64-bit multiply-xorshift over 8-byte words, folded to 32 bits (inline:
 * every lookup hashes once, an lpm lookup once per prefix length). */
static inline uint32_t jn_htab_hash(const void *key, uint32_t len)
{
	const uint8_t *p = key;
	uint64_t h = 0x6a09e667f3bcc909ULL ^ ((uint64_t)len * 0x9e3779b97f4a7c15ULL), w;

	for (; len >= 8; p += 8, len -= 8) {
		__builtin_memcpy(&w, p, 8);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 31;
	}
	if (len) {   /* the last 1..7 bytes, little-endian */
		uint32_t sh = 0, u4;
		uint16_t u2;
		w = 0;
		if (len & 4) {
			__builtin_memcpy(&u4, p, 4);
			w = u4;
			p += 4;
			sh = 32;
		}
		if (len & 2) {
			__builtin_memcpy(&u2, p, 2);
			w |= (uint64_t)u2 << sh;
			p += 2;
			sh += 16;
		}
		if (len & 1)
			w |= (uint64_t)*p << sh;
		h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 31;
	}
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 29;
	return (uint32_t)(h ^ (h >> 32));
}
/* Slot holding key, or -1. */
int64_t jn_htab_find(const struct jn_htab *h, const void *key, uint32_t hash);
/* Take a slot for a new key (not present).  A full table evicts its least
 * recently used entry if LRU (its slot number goes to *evicted, else
 * *evicted = -1) or fails with -E2BIG. */
int64_t jn_htab_insert(struct jn_htab *h, const void *key, uint32_t hash, int64_t *evicted);
void jn_htab_remove(struct jn_htab *h, uint32_t slot);
void jn_htab_touch(struct jn_htab *h, uint32_t slot);   /* LRU: most recent */
/* Live slot after `after` (-1: first live slot), or -1. */
int64_t jn_htab_next_live(const struct jn_htab *h, int64_t after);
/* get_next_key order: the slot after key's, the first slot if key is NULL
 * or absent; -1 at the end or when empty. */
int64_t jn_htab_next_slot(const struct jn_htab *h, const void *key);
static inline const uint8_t *jn_htab_key(const struct jn_htab *h, uint32_t slot)
{
	return h->keys + (size_t)slot * h->key_size;
}

struct jn_map_ops;
struct jn_map;
struct jn_lpm_trie;

/* The lpm_trie's trie (lpm_trie.c): data is dlen bytes in network order,
 * bits past plen clear for insert.  Lookup gives the hash slot of the
 * longest prefix of (d, plen) in the trie, or -1.  Insert takes a prefix
 * not yet in it, delete one that is (the hash core decides). */
int jn_lpm_trie_init(struct jn_lpm_trie *t, uint32_t max_entries, uint32_t dlen);
void jn_lpm_trie_fini(struct jn_lpm_trie *t);
int64_t jn_lpm_trie_lookup(const struct jn_lpm_trie *t, const uint8_t *d, uint32_t plen);
void jn_lpm_trie_insert(struct jn_lpm_trie *t, const uint8_t *d, uint32_t plen, uint32_t slot);
void jn_lpm_trie_delete(struct jn_lpm_trie *t, const uint8_t *d, uint32_t plen);

/* Hash-family ops shared with devmap_hash (hash.c). */
int jn_map_htab_init(struct jn_map *m);
void jn_map_htab_fini(struct jn_map *m);
void *jn_map_htab_lookup(struct jn_map *m, const void *key, uint32_t cpu, bool sys);
long jn_map_htab_delete(struct jn_map *m, const void *key);
int jn_map_htab_next_key(struct jn_map *m, const void *key, void *next);

struct jn_map {
	struct jn_map_spec spec;   /* name and init are owned copies; btf borrowed */
	const struct jn_map_ops *ops;
	uint32_t ncpus;            /* 1 unless per-CPU */
	uint32_t unit;             /* round_up(value_size, 8) */
	size_t stride;             /* unit * ncpus */
	uint32_t slots;
	uint8_t *values;
	size_t values_len;         /* slots * stride */
	bool readonly;             /* programs may not write values */
	/* family state */
	uint8_t *present;          /* fd-style arrays: slot is set (slots bytes) */
	struct jn_htab ht;         /* hash, lru, devmap_hash, lpm */
	uint8_t *lpm_orig;         /* lpm: keys as given (cap * key_size) */
	struct jn_lpm_trie {       /* lpm: what lookups walk (lpm_trie.c) */
		uint32_t root;     /* node + 1; 0: empty */
		uint32_t dlen;     /* data bytes of a key */
		uint32_t cap, hw;  /* nodes; nodes [0, hw) used at least once */
		uint32_t free_head;
		struct jn_lpm_node {
			uint32_t plen;
			uint32_t slot;       /* the entry's hash slot; UINT32_MAX: intermediate */
			uint32_t child[2];   /* node + 1 */
		} *nodes;
		uint8_t *data;     /* cap * dlen: each node's prefix bits */
	} lpm_trie;
	uint32_t q_head, q_tail;   /* queue/stack ring */
	uint64_t rb_prod;          /* ringbuf: bytes produced; nothing consumes them */
};

struct jn_map_ops {
	const char *name;          /* "hash" */
	bool percpu;
	bool readonly;             /* programs may not write values (devmap, ...) */
	int sys_lookup_err;        /* nonzero: the syscall lookup fails with this */
	/* Kernel's create-time checks; a message naming the map on failure. */
	int (*check)(const struct jn_map_spec *s, char *err, size_t errlen);
	uint32_t (*nslots)(const struct jn_map_spec *s);  /* NULL: max_entries */
	int (*init)(struct jn_map *m);                    /* optional */
	void (*fini)(struct jn_map *m);                   /* optional */
	/* Value of cpu (per-CPU maps) for key, or NULL; sys: a syscall lookup
	 * (does not refresh LRU recency). */
	void *(*lookup)(struct jn_map *m, const void *key, uint32_t cpu, bool sys);
	/* cpu: JN_CPU_ALL from the syscall (value holds every CPU). */
	long (*update)(struct jn_map *m, const void *key, const void *value, uint64_t flags,
		       uint32_t cpu);
	long (*delete)(struct jn_map *m, const void *key);
	int (*next_key)(struct jn_map *m, const void *key, void *next);
	long (*push)(struct jn_map *m, const void *value, uint64_t flags);
	long (*pop)(struct jn_map *m, void *value, bool remove);
	int (*target)(struct jn_map *m, uint32_t key, uint32_t *target);
};

extern const struct jn_map_ops jn_map_ops_array, jn_map_ops_percpu_array;
extern const struct jn_map_ops jn_map_ops_hash, jn_map_ops_percpu_hash;
extern const struct jn_map_ops jn_map_ops_lru_hash, jn_map_ops_lru_percpu_hash;
extern const struct jn_map_ops jn_map_ops_lpm_trie;
extern const struct jn_map_ops jn_map_ops_devmap, jn_map_ops_devmap_hash;
extern const struct jn_map_ops jn_map_ops_cpumap, jn_map_ops_xskmap;
extern const struct jn_map_ops jn_map_ops_prog_array;
extern const struct jn_map_ops jn_map_ops_perf_event_array, jn_map_ops_ringbuf;
extern const struct jn_map_ops jn_map_ops_queue, jn_map_ops_stack;

/* Zeroed anonymous memory (MAP_NORESERVE), NULL on failure; size 0 gives a
 * valid non-NULL pointer. */
void *jn_maps_area_alloc(size_t size);
void jn_maps_area_free(void *p, size_t size);

static inline uint8_t *jn_map_slot(const struct jn_map *m, uint32_t slot)
{
	return m->values + (size_t)slot * m->stride;
}
/* Store value into a slot: cpu JN_CPU_ALL copies unit bytes per CPU from the
 * syscall layout, else value_size bytes to that CPU.  fresh: the slot is new
 * (other CPUs' values and padding are zeroed first). */
void jn_map_store(struct jn_map *m, uint8_t *slot, const void *value, uint32_t cpu, bool fresh);
/* Value of cpu inside a slot (per-CPU maps; others: the slot), NULL if cpu
 * is out of range. */
static inline void *jn_map_cpu_value(const struct jn_map *m, uint8_t *slot, uint32_t cpu)
{
	if (!m->ops->percpu)
		return slot;
	if (cpu >= m->ncpus)
		return NULL;
	return slot + (size_t)cpu * m->unit;
}
/* Array-style get_next_key: NULL or out of range -> 0, last -> -ENOENT. */
int jn_map_array_next_key(struct jn_map *m, const void *key, void *next);
/* Queue/stack: the i-th element in pop order, NULL past the last. */
const void *jn_map_queue_at(const struct jn_map *m, uint32_t i);
/* Queue/stack: the i-th element in pop order, NULL past the last. */
const void *jn_map_queue_at(const struct jn_map *m, uint32_t i);
/* fd-style arrays: the per-slot "present" bytes (family init/fini). */
int jn_map_present_init(struct jn_map *m);
void jn_map_present_fini(struct jn_map *m);
/* Index from a 4-byte key. */
static inline uint32_t jn_map_key32(const void *key)
{
	uint32_t k;

	__builtin_memcpy(&k, key, 4);
	return k;
}
/* Create-time refusal: "maps: map NAME: <fmt>", returns -errnum. */
int jn_map_refuse(const struct jn_map_spec *s, int errnum, char *err, size_t errlen,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Checks every family shares: max_entries > 0, flags within mask, not both
 * BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG. */
int jn_map_check_common(const struct jn_map_spec *s, uint32_t flag_mask, char *err, size_t errlen);

/* ---- maps file (mapsfile.c, bytes.c) ---- */

struct json_object;
struct btf;

struct jn_mf {                 /* parse context of one maps file */
	const char *file;
	const struct jn_maps_init_env *env;
	char *err;
	size_t errlen;
};

struct jn_bytes {              /* growable byte string */
	uint8_t *p;
	size_t len, cap;
};

/* "maps: FILE: PATH: <fmt>", returns -errnum. */
int jn_mf_fail(const struct jn_mf *c, const char *path, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
enum { JN_MF_PATH = 256 };
/* Format a JSON path ("maps.x[2].key") into path[JN_MF_PATH], truncated. */
void jn_mf_path(char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An integer as a 64-bit pattern; *neg if it was negative. */
int jn_mf_int(const struct jn_mf *c, const char *path, struct json_object *j, uint64_t *v,
	      bool *neg);
/* An unsigned integer <= max. */
int jn_mf_uint(const struct jn_mf *c, const char *path, struct json_object *j, uint64_t max,
	       uint64_t *v);
bool jn_mf_parse_mac(const char *s, uint8_t mac[6]);
/* Exactly width bytes of a byte expression (docs/maps-file.md), zero-padded;
 * longer is "N bytes, WHAT is W".  btf/type_id: the BTF type for the object
 * form (NULL/0 if unknown). */
int jn_mf_fixed(const struct jn_mf *c, const char *path, struct json_object *j, size_t width,
		const char *what, const struct btf *btf, uint32_t type_id, uint8_t *out);

#endif
