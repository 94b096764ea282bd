/* map.c - map creation, the ops table (one entry per type), storage, and
 * the public entry points that dispatch through it. */
#include "maps/maps_internal.h"

#include <errno.h>
#include <linux/bpf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "base/base.h"

static const char *const type_names[] = {
	[BPF_MAP_TYPE_UNSPEC] = "unspec",
	[BPF_MAP_TYPE_HASH] = "hash",
	[BPF_MAP_TYPE_ARRAY] = "array",
	[BPF_MAP_TYPE_PROG_ARRAY] = "prog_array",
	[BPF_MAP_TYPE_PERF_EVENT_ARRAY] = "perf_event_array",
	[BPF_MAP_TYPE_PERCPU_HASH] = "percpu_hash",
	[BPF_MAP_TYPE_PERCPU_ARRAY] = "percpu_array",
	[BPF_MAP_TYPE_STACK_TRACE] = "stack_trace",
	[BPF_MAP_TYPE_CGROUP_ARRAY] = "cgroup_array",
	[BPF_MAP_TYPE_LRU_HASH] = "lru_hash",
	[BPF_MAP_TYPE_LRU_PERCPU_HASH] = "lru_percpu_hash",
	[BPF_MAP_TYPE_LPM_TRIE] = "lpm_trie",
	[BPF_MAP_TYPE_ARRAY_OF_MAPS] = "array_of_maps",
	[BPF_MAP_TYPE_HASH_OF_MAPS] = "hash_of_maps",
	[BPF_MAP_TYPE_DEVMAP] = "devmap",
	[BPF_MAP_TYPE_SOCKMAP] = "sockmap",
	[BPF_MAP_TYPE_CPUMAP] = "cpumap",
	[BPF_MAP_TYPE_XSKMAP] = "xskmap",
	[BPF_MAP_TYPE_SOCKHASH] = "sockhash",
	[BPF_MAP_TYPE_CGROUP_STORAGE] = "cgroup_storage",
	[BPF_MAP_TYPE_REUSEPORT_SOCKARRAY] = "reuseport_sockarray",
	[BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE] = "percpu_cgroup_storage",
	[BPF_MAP_TYPE_QUEUE] = "queue",
	[BPF_MAP_TYPE_STACK] = "stack",
	[BPF_MAP_TYPE_SK_STORAGE] = "sk_storage",
	[BPF_MAP_TYPE_DEVMAP_HASH] = "devmap_hash",
	[BPF_MAP_TYPE_STRUCT_OPS] = "struct_ops",
	[BPF_MAP_TYPE_RINGBUF] = "ringbuf",
	[BPF_MAP_TYPE_INODE_STORAGE] = "inode_storage",
	[BPF_MAP_TYPE_TASK_STORAGE] = "task_storage",
	[BPF_MAP_TYPE_BLOOM_FILTER] = "bloom_filter",
	[BPF_MAP_TYPE_USER_RINGBUF] = "user_ringbuf",
	[BPF_MAP_TYPE_USER_RINGBUF + 1] = "cgrp_storage",
	[BPF_MAP_TYPE_USER_RINGBUF + 2] = "arena",
};

/* The dispatch table: one entry per supported type. */
static const struct jn_map_ops *const ops_by_type[] = {
	[BPF_MAP_TYPE_HASH] = &jn_map_ops_hash,
	[BPF_MAP_TYPE_ARRAY] = &jn_map_ops_array,
	[BPF_MAP_TYPE_PROG_ARRAY] = &jn_map_ops_prog_array,
	[BPF_MAP_TYPE_PERF_EVENT_ARRAY] = &jn_map_ops_perf_event_array,
	[BPF_MAP_TYPE_PERCPU_HASH] = &jn_map_ops_percpu_hash,
	[BPF_MAP_TYPE_PERCPU_ARRAY] = &jn_map_ops_percpu_array,
	[BPF_MAP_TYPE_LRU_HASH] = &jn_map_ops_lru_hash,
	[BPF_MAP_TYPE_LRU_PERCPU_HASH] = &jn_map_ops_lru_percpu_hash,
	[BPF_MAP_TYPE_LPM_TRIE] = &jn_map_ops_lpm_trie,
	[BPF_MAP_TYPE_DEVMAP] = &jn_map_ops_devmap,
	[BPF_MAP_TYPE_CPUMAP] = &jn_map_ops_cpumap,
	[BPF_MAP_TYPE_XSKMAP] = &jn_map_ops_xskmap,
	[BPF_MAP_TYPE_QUEUE] = &jn_map_ops_queue,
	[BPF_MAP_TYPE_STACK] = &jn_map_ops_stack,
	[BPF_MAP_TYPE_DEVMAP_HASH] = &jn_map_ops_devmap_hash,
	[BPF_MAP_TYPE_RINGBUF] = &jn_map_ops_ringbuf,
};

enum { MAX_NCPUS = 4096 };

const char *jn_map_type_name(uint32_t type)
{
	return type < JN_ARRAY_SIZE(type_names) ? type_names[type] : NULL;
}

bool jn_map_type_supported(uint32_t type)
{
	return type < JN_ARRAY_SIZE(ops_by_type) && ops_by_type[type];
}

/* Areas of freed maps kept for the next map of the same size (per thread):
 * a program instantiated again and again (benchmarks, the check command's
 * engines) reuses memory it has touched instead of fresh pages, whose first
 * touches cost page-table and cache misses in the middle of packets. */
enum { POOL_SLOTS = 16, POOL_MAX_BYTES = 8u << 20, POOL_TOTAL = 32u << 20 };
static __thread struct { void *p; size_t size; } pool[POOL_SLOTS];
static __thread size_t pool_bytes;

void *jn_maps_area_alloc(size_t size)
{
	void *p;

	if (size == 0)
		size = 1;
	for (int i = 0; i < POOL_SLOTS; i++)
		if (pool[i].p && pool[i].size == size) {
			p = pool[i].p;
			pool[i].p = NULL;
			pool_bytes -= size;
			memset(p, 0, size);
			return p;
		}
	/* Small areas are populated at once, like the kernel's preallocated
	 * maps, so runs do not pay page faults; big ones cost nothing until used. */
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | (size <= (8u << 20) ? MAP_POPULATE : 0),
		 -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void jn_maps_area_free(void *p, size_t size)
{
	if (!p)
		return;
	if (size == 0)
		size = 1;
	if (size <= POOL_MAX_BYTES && pool_bytes + size <= POOL_TOTAL)
		for (int i = 0; i < POOL_SLOTS; i++)
			if (!pool[i].p) {
				pool[i].p = p;
				pool[i].size = size;
				pool_bytes += size;
				return;
			}
	munmap(p, size);
}

int jn_map_refuse(const struct jn_map_spec *s, int errnum, char *err, size_t errlen,
		  const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return jn_errf(err, errlen, errnum, "maps: map %s: %s", s->name ? s->name : "?", msg);
}

int jn_map_check_common(const struct jn_map_spec *s, uint32_t flag_mask, char *err, size_t errlen)
{
	const uint32_t both = BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG;

	if (s->max_entries == 0)
		return jn_map_refuse(s, EINVAL, err, errlen, "max_entries is 0");
	if (s->map_flags & ~flag_mask)
		return jn_map_refuse(s, EINVAL, err, errlen, "map_flags 0x%x not allowed for %s",
				     s->map_flags & ~flag_mask, jn_map_type_name(s->type));
	if ((s->map_flags & both) == both)
		return jn_map_refuse(s, EINVAL, err, errlen,
				     "BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG together");
	if ((s->map_flags & (BPF_F_RDONLY | BPF_F_WRONLY)) == (BPF_F_RDONLY | BPF_F_WRONLY))
		return jn_map_refuse(s, EINVAL, err, errlen, "BPF_F_RDONLY and BPF_F_WRONLY together");
	return 0;
}

void jn_map_store(struct jn_map *m, uint8_t *slot, const void *value, uint32_t cpu, bool fresh)
{
	if (fresh)
		memset(slot, 0, m->stride);
	if (!m->ops->percpu)
		memcpy(slot, value, m->spec.value_size);
	else if (cpu == JN_CPU_ALL)
		memcpy(slot, value, m->stride);
	else if (cpu < m->ncpus)
		memcpy(slot + (size_t)cpu * m->unit, value, m->spec.value_size);
}

int jn_map_array_next_key(struct jn_map *m, const void *key, void *next)
{
	uint32_t idx = 0, n;

	if (key)
		memcpy(&idx, key, 4);
	if (!key || idx >= m->spec.max_entries)
		n = 0;
	else if (idx == m->spec.max_entries - 1)
		return -ENOENT;
	else
		n = idx + 1;
	memcpy(next, &n, 4);
	return 0;
}

int jn_map_present_init(struct jn_map *m)
{
	m->present = jn_maps_area_alloc(m->spec.max_entries);
	return m->present ? 0 : -ENOMEM;
}

void jn_map_present_fini(struct jn_map *m)
{
	jn_maps_area_free(m->present, m->spec.max_entries);
	m->present = NULL;
}

static int alloc_storage(struct jn_map *m, char *err, size_t errlen)
{
	const struct jn_map_spec *s = &m->spec;
	size_t stride, len;

	m->unit = (uint32_t)(((uint64_t)s->value_size + 7) & ~7ULL);
	m->slots = m->ops->nslots ? m->ops->nslots(s) : s->max_entries;
	if (jn_size_mul(m->unit, m->ncpus, &stride) || jn_size_mul(stride, m->slots, &len))
		return jn_map_refuse(s, E2BIG, err, errlen, "%u entries of %u bytes overflow",
				     s->max_entries, s->value_size);
	m->stride = stride;
	m->values_len = len;
	m->values = jn_maps_area_alloc(len);
	if (!m->values)
		return jn_map_refuse(s, ENOMEM, err, errlen, "cannot map %zu bytes of values", len);
	return 0;
}

static int copy_spec(struct jn_map *m, const struct jn_map_spec *spec, char *err, size_t errlen)
{
	m->spec = *spec;
	m->spec.name = strdup(spec->name ? spec->name : "");
	m->spec.init = NULL;
	m->spec.init_len = 0;
	if (!m->spec.name)
		return jn_errf(err, errlen, ENOMEM, "maps: out of memory");
	if (!spec->init)
		return 0;
	if (spec->type != BPF_MAP_TYPE_ARRAY || spec->init_len > spec->value_size)
		return jn_map_refuse(spec, EINVAL, err, errlen,
				     "initial data of %zu bytes for a %s map of value_size %u",
				     spec->init_len, jn_map_type_name(spec->type), spec->value_size);
	void *init = malloc(spec->init_len ? spec->init_len : 1);
	if (!init)
		return jn_errf(err, errlen, ENOMEM, "maps: out of memory");
	memcpy(init, spec->init, spec->init_len);
	m->spec.init = init;
	m->spec.init_len = spec->init_len;
	return 0;
}

/* Bring a created map to its initial state: storage, family state, initial data. */
static int map_setup(struct jn_map *m, char *err, size_t errlen)
{
	int r = alloc_storage(m, err, errlen);

	if (!r && m->ops->init) {
		r = m->ops->init(m);
		if (r)
			r = jn_map_refuse(&m->spec, -r, err, errlen, "cannot allocate %u entries",
					  m->spec.max_entries);
	}
	if (!r && m->spec.init)
		memcpy(m->values, m->spec.init, m->spec.init_len);
	return r;
}

static void map_teardown(struct jn_map *m)
{
	if (m->ops->fini)
		m->ops->fini(m);
	jn_maps_area_free(m->values, m->values_len);
	m->values = NULL;
	m->values_len = 0;
}

int jn_map_create(const struct jn_map_spec *spec, struct jn_map **out, char *err, size_t errlen)
{
	const struct jn_map_ops *ops;
	struct jn_map *m;
	const char *tn;
	int r;

	*out = NULL;
	if (!jn_map_type_supported(spec->type)) {
		tn = jn_map_type_name(spec->type);
		return jn_errf(err, errlen, EINVAL, "maps: map %s: unsupported type %u%s%s%s",
			       spec->name ? spec->name : "?", spec->type, tn ? " (" : "",
			       tn ? tn : "", tn ? ")" : "");
	}
	ops = ops_by_type[spec->type];
	r = ops->check(spec, err, errlen);
	if (r)
		return r;
	if (ops->percpu && spec->ncpus > MAX_NCPUS)
		return jn_map_refuse(spec, EINVAL, err, errlen, "%u CPUs (at most %d)", spec->ncpus,
				     MAX_NCPUS);
	m = calloc(1, sizeof(*m));
	if (!m)
		return jn_errf(err, errlen, ENOMEM, "maps: out of memory");
	m->ops = ops;
	m->ncpus = ops->percpu && spec->ncpus ? spec->ncpus : 1;
	m->readonly = spec->readonly || (spec->map_flags & BPF_F_RDONLY_PROG) || ops->readonly;
	r = copy_spec(m, spec, err, errlen);
	if (!r)
		r = map_setup(m, err, errlen);
	if (r) {
		jn_map_free(m);
		return r;
	}
	*out = m;
	return 0;
}

int jn_map_reset(struct jn_map *m, char *err, size_t errlen)
{
	map_teardown(m);
	return map_setup(m, err, errlen);
}

void jn_map_free(struct jn_map *m)
{
	if (!m)
		return;
	map_teardown(m);
	free((void *)m->spec.name);
	free((void *)m->spec.init);
	free(m);
}

const struct jn_map_spec *jn_map_spec(const struct jn_map *m)
{
	return &m->spec;
}

uint32_t jn_map_ncpus(const struct jn_map *m)
{
	return m->ncpus;
}

/* ---- program side ---- */

void *jn_map_lookup(struct jn_map *m, const void *key, uint32_t cpu)
{
	/* arrays, the common case, without the indirect call */
	if (m->ops == &jn_map_ops_array || m->ops == &jn_map_ops_percpu_array) {
		uint32_t idx = jn_map_key32(key);
		return idx < m->spec.max_entries ? jn_map_cpu_value(m, jn_map_slot(m, idx), cpu) : NULL;
	}
	return m->ops->lookup ? m->ops->lookup(m, key, cpu, false) : NULL;
}

long jn_map_update(struct jn_map *m, const void *key, const void *value, uint64_t flags,
		   uint32_t cpu)
{
	if (m->readonly)
		return -EACCES;
	if (m->ops->percpu && cpu >= m->ncpus)
		return -EINVAL;
	return m->ops->update(m, key, value, flags, m->ops->percpu ? cpu : 0);
}

long jn_map_delete(struct jn_map *m, const void *key)
{
	if (m->readonly)
		return -EACCES;
	return m->ops->delete(m, key);
}

long jn_map_push(struct jn_map *m, const void *value, uint64_t flags)
{
	if (!m->ops->push)
		return -EINVAL;
	if (m->readonly)
		return -EACCES;
	return m->ops->push(m, value, flags);
}

long jn_map_pop(struct jn_map *m, void *value)
{
	return m->ops->pop ? m->ops->pop(m, value, true) : -EINVAL;
}

long jn_map_peek(struct jn_map *m, void *value)
{
	return m->ops->pop ? m->ops->pop(m, value, false) : -EINVAL;
}

int jn_map_redirect_target(struct jn_map *m, uint32_t key, uint32_t *target)
{
	return m->ops->target ? m->ops->target(m, key, target) : -EINVAL;
}

int jn_map_prog_at(struct jn_map *m, uint32_t key, uint32_t *prog)
{
	if (m->spec.type != BPF_MAP_TYPE_PROG_ARRAY)
		return -EINVAL;
	if (key >= m->spec.max_entries || !m->present[key])
		return -ENOENT;
	memcpy(prog, jn_map_slot(m, key), 4);
	return 0;
}

bool jn_map_array_layout(const struct jn_map *m, uint8_t *const **values, uint32_t *stride)
{
	if (m->ops != &jn_map_ops_array && m->ops != &jn_map_ops_percpu_array)
		return false;
	*values = &m->values;
	*stride = (uint32_t)m->stride;
	return true;
}

bool jn_map_prog_writable(const struct jn_map *m)
{
	return !m->readonly;
}

int jn_map_check_ptr(const struct jn_map *m, uint64_t addr, uint32_t size, bool write)
{
	uint64_t base = (uintptr_t)m->values, off;

	if (addr < base || addr - base >= m->values_len)
		return -EFAULT;
	off = addr - base;
	if (size > m->values_len - off || off % m->unit + size > m->spec.value_size)
		return -EFAULT;
	if (write && m->readonly)
		return -EACCES;
	return 0;
}

/* ---- user side ---- */

int jn_map_sys_lookup(struct jn_map *m, const void *key, void *value)
{
	const void *p;

	if (m->ops->sys_lookup_err)
		return m->ops->sys_lookup_err;
	if (m->ops->pop)
		return (int)m->ops->pop(m, value, false);
	p = m->ops->lookup(m, key, 0, true);
	if (!p)
		return -ENOENT;
	memcpy(value, p, m->ops->percpu ? m->stride : m->spec.value_size);
	return 0;
}

int jn_map_sys_update(struct jn_map *m, const void *key, const void *value, uint64_t flags)
{
	if (flags & BPF_F_LOCK)
		return -EINVAL;   /* bpf(): no value here holds a bpf_spin_lock */
	if (m->ops->push)
		return (int)m->ops->push(m, value, flags);
	return (int)m->ops->update(m, key, value, flags, JN_CPU_ALL);
}

int jn_map_sys_delete(struct jn_map *m, const void *key)
{
	return (int)m->ops->delete(m, key);
}

int jn_map_sys_next_key(struct jn_map *m, const void *key, void *next)
{
	return m->ops->next_key ? m->ops->next_key(m, key, next) : -EINVAL;
}

size_t jn_map_sys_value_size(const struct jn_map *m)
{
	return m->ops->percpu ? m->stride : m->spec.value_size;
}
