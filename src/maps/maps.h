/* maps.h - BPF maps with the kernel's semantics and error codes, the maps
 * file (docs/maps-file.md) and JSON dumps.
 *
 * Storage of every map is one contiguous, preallocated area, so the
 * interpreter can check a map-value pointer with jn_map_check_ptr().
 * Program-side calls follow the helpers' semantics (lookup returns a pointer
 * into storage, valid until the entry is deleted); jn_map_sys_* follow the
 * bpf() syscall's (values copied; per-CPU maps copy value_size rounded up to
 * 8 for every CPU).  Error codes are the kernel's (checked against Linux 6.18
 * by tests/unit/test_maps_kernel.c), with these differences:
 * - LRU maps evict the exact least recently used entry (program lookups and
 *   all updates refresh it); the kernel approximates and evicts in batches.
 * - An update of an existing hash/LRU entry rewrites the value in place; the
 *   kernel swaps in a new element, so an old pointer sees the old value.
 * - Devmap/cpumap entries with a program (bpf_prog.fd > 0) are refused
 *   (-EINVAL); interfaces are not checked (any non-zero ifindex is taken);
 *   xskmap takes any u32 as a socket.  perf_event_array and ringbuf have no
 *   storage (output maps: the engine writes their records to a file).
 * - prog_array values are program indexes (from the maps file), not fds.
 */
#ifndef JN_MAPS_H
#define JN_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct btf;
struct json_object;
struct jn_map;  /* opaque; owned by whoever created it */

struct jn_map_spec {
	const char *name;          /* copied */
	uint32_t type;             /* BPF_MAP_TYPE_* from linux/bpf.h */
	uint32_t key_size, value_size, max_entries, map_flags;
	bool readonly;             /* .rodata / BPF_F_RDONLY_PROG: programs may not write */
	const void *init;          /* global data initial contents (array, 1 entry), or NULL */
	size_t init_len;
	/* BTF of the object and the key/value type ids (0 if unknown): used by
	 * the maps file for object-style keys/values and by dumps. */
	const struct btf *btf;
	uint32_t btf_key_type_id, btf_value_type_id;
	uint32_t ncpus;            /* per-CPU maps: number of CPUs (0: 1) */
};

/* Create a map. Unknown/unsupported type, zero sizes, sizes the type forbids
 * (e.g. array key_size != 4) give -EINVAL with
 * "maps: map NAME: unsupported type 27" style messages. */
int jn_map_create(const struct jn_map_spec *spec, struct jn_map **out, char *err, size_t errlen);
void jn_map_free(struct jn_map *m);
/* Back to the state right after jn_map_create (empty; global data from
 * spec.init).  0, or negative errno with a message (the map is then empty
 * and must only be freed). */
int jn_map_reset(struct jn_map *m, char *err, size_t errlen);
/* The map's spec: name and init are the map's own copies, btf is the
 * caller's pointer (keep the BTF alive as long as the map). */
const struct jn_map_spec *jn_map_spec(const struct jn_map *m);
uint32_t jn_map_ncpus(const struct jn_map *m);  /* per-CPU maps: CPUs; others 1 */
/* Name of any BPF_MAP_TYPE_* ("hash", "lpm_trie", "stack_trace"), or NULL. */
const char *jn_map_type_name(uint32_t type);
bool jn_map_type_supported(uint32_t type);
/* The kernel's internal ENOTSUPP, which bpf() returns to user space for some
 * operations (ringbuf lookups, LRU maps with BPF_F_NO_PREALLOC). */
#define JN_MAP_ENOTSUPP 524

/* ---- program side (helper semantics; cpu is the running CPU) ---- */
void *jn_map_lookup(struct jn_map *m, const void *key, uint32_t cpu);
long jn_map_update(struct jn_map *m, const void *key, const void *value, uint64_t flags, uint32_t cpu);
long jn_map_delete(struct jn_map *m, const void *key);
long jn_map_push(struct jn_map *m, const void *value, uint64_t flags);  /* queue/stack */
long jn_map_pop(struct jn_map *m, void *value);
long jn_map_peek(struct jn_map *m, void *value);
/* Ring buffer space, as the kernel's reservation counts it with no
 * consumer (jitnic has none, and neither has BPF_PROG_TEST_RUN): a record
 * of size bytes takes round_up(size + 8, 8) and fits while the producer
 * position stays below max_entries.  jn_map_ringbuf_produce takes the
 * space (0) or leaves it (-EAGAIN: full, or a record larger than the
 * ring); jn_map_ringbuf_pos is the producer position (bpf_ringbuf_query's
 * BPF_RB_PROD_POS, also BPF_RB_AVAIL_DATA with nothing consumed). */
long jn_map_ringbuf_produce(struct jn_map *m, uint64_t size);
uint64_t jn_map_ringbuf_pos(const struct jn_map *m);
/* The bytes a record of size bytes takes, and whether it fits after pos. */
uint64_t jn_map_ringbuf_len(uint64_t size);
bool jn_map_ringbuf_fits(const struct jn_map *m, uint64_t pos, uint64_t size);
/* devmap/devmap_hash/cpumap/xskmap: the redirect target stored at key
 * (ifindex, cpu or queue); -ENOENT if none. */
int jn_map_redirect_target(struct jn_map *m, uint32_t key, uint32_t *target);
/* prog_array: program index stored at key, -ENOENT if none. */
int jn_map_prog_at(struct jn_map *m, uint32_t key, uint32_t *prog);

/* Programs may write this map's values (not .rodata, BPF_F_RDONLY_PROG, devmap...). */
bool jn_map_prog_writable(const struct jn_map *m);
/* 0 if [addr, addr+size) lies inside one value of this map's storage (and
 * write is allowed), -EFAULT if not in this map, -EACCES if read-only. */
int jn_map_check_ptr(const struct jn_map *m, uint64_t addr, uint32_t size, bool write);
/* Array and per-CPU array maps: where the map keeps its values pointer
 * (stable for the map's life, the pointer itself changes on reset) and the
 * bytes from one index to the next; false for other types. */
bool jn_map_array_layout(const struct jn_map *m, uint8_t *const **values, uint32_t *stride);

/* ---- user side (syscall semantics) ---- */
int jn_map_sys_lookup(struct jn_map *m, const void *key, void *value);
int jn_map_sys_update(struct jn_map *m, const void *key, const void *value, uint64_t flags);
int jn_map_sys_delete(struct jn_map *m, const void *key);
int jn_map_sys_next_key(struct jn_map *m, const void *key, void *next);  /* key NULL: first */
size_t jn_map_sys_value_size(const struct jn_map *m);  /* value_size, or round_up(value_size,8)*ncpus */

/* ---- maps file (docs/maps-file.md) ---- */
struct jn_maps_entry {
	char *map;                 /* map name */
	uint8_t *key;              /* key_size bytes (NULL for queue/stack) */
	uint8_t *value;            /* jn_map_sys_value_size bytes */
	uint32_t key_len, value_len;
	size_t index;              /* position in the file's list for this map */
};
struct jn_fib_route {
	int family;                /* AF_INET or AF_INET6 */
	uint8_t dst[16];
	int plen;
	uint32_t ifindex;
	uint8_t smac[6], dmac[6];
	uint8_t gw[16];
	bool has_gw;
};
struct jn_iface { uint32_t ifindex, mtu; };
struct jn_maps_init {
	struct jn_maps_entry *entries; size_t n_entries;
	struct jn_fib_route *routes;   size_t n_routes;
	struct jn_iface *ifaces;       size_t n_ifaces;
	uint32_t ingress_ifindex, rx_queue_index;  /* defaults 1, 0 */
};
/* How the parser learns about the object's maps and programs. */
struct jn_maps_init_env {
	/* spec of the map called name, or NULL if the object has none */
	const struct jn_map_spec *(*map_by_name)(void *user, const char *name);
	/* "prog:NAME" values: the 32-bit value to store, or negative if unknown */
	long (*prog_by_name)(void *user, const char *name);
	void *user;
};
/* Parse a maps file. *out is malloc'd (free with jn_maps_init_free). */
int jn_maps_init_load(const char *path, const struct jn_maps_init_env *env,
		      struct jn_maps_init **out, char *err, size_t errlen);
/* Fill maps from init: every entry into the map of that name among maps[]
 * with BPF_ANY (queue/stack: pushed).  An entry for a map not in maps[] is
 * an error.  0 or negative errno with "maps: map NAME: entry 3: ...". */
int jn_maps_init_apply(const struct jn_maps_init *init, struct jn_map *const *maps, size_t n_maps,
		       char *err, size_t errlen);
/* An empty init (defaults only). */
struct jn_maps_init *jn_maps_init_empty(void);
void jn_maps_init_free(struct jn_maps_init *init);

/* Dump a map as JSON: {"name","type","key_size","value_size","max_entries",
 * "entries":[{"key":"hex","value":"hex"}...]} in key order (sorted by key
 * bytes, so dumps compare equal when contents do).  Arrays leave out indexes
 * whose value is all zeros (except global data maps, named ".xxx"); queue
 * and stack entries have only "value", in pop order; per-CPU values are one
 * hex string in the syscall layout.  Caller owns the object (json_object_put);
 * NULL if out of memory. */
struct json_object *jn_map_dump_json(struct jn_map *m);

#endif
