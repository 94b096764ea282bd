/* array.c - BPF_MAP_TYPE_ARRAY and PERCPU_ARRAY (kernel/bpf/arraymap.c):
 * every index exists, delete is refused, updates never fail for a valid
 * index unless BPF_NOEXIST asks for a new element. */
#include "maps/maps_internal.h"

#include <errno.h>
#include <limits.h>
#include <linux/bpf.h>
#include <string.h>

#define ARRAY_FLAGS (BPF_F_NUMA_NODE | BPF_F_MMAPABLE | BPF_F_RDONLY | BPF_F_WRONLY | \
		     BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG | BPF_F_PRESERVE_ELEMS | BPF_F_INNER_MAP)
enum { PCPU_MIN_UNIT_SIZE = 32768 };

static int array_check(const struct jn_map_spec *s, char *err, size_t errlen)
{
	bool percpu = s->type == BPF_MAP_TYPE_PERCPU_ARRAY;
	int r = jn_map_check_common(s, ARRAY_FLAGS, err, errlen);

	if (r)
		return r;
	if (s->key_size != 4)
		return jn_map_refuse(s, EINVAL, err, errlen, "key_size %u, array maps need 4",
				     s->key_size);
	if (s->value_size == 0)
		return jn_map_refuse(s, EINVAL, err, errlen, "value_size is 0");
	if (percpu && (s->map_flags & (BPF_F_MMAPABLE | BPF_F_INNER_MAP)))
		return jn_map_refuse(s, EINVAL, err, errlen, "per-CPU arrays cannot be mmapable");
	if (s->map_flags & BPF_F_PRESERVE_ELEMS)
		return jn_map_refuse(s, EINVAL, err, errlen,
				     "BPF_F_PRESERVE_ELEMS is for perf_event_array");
	if (s->value_size > INT_MAX ||
	    (percpu && ((s->value_size + 7ULL) & ~7ULL) > PCPU_MIN_UNIT_SIZE))
		return jn_map_refuse(s, E2BIG, err, errlen, "value_size %u too big", s->value_size);
	return 0;
}

static void *array_lookup(struct jn_map *m, const void *key, uint32_t cpu, bool sys)
{
	uint32_t idx;

	memcpy(&idx, key, 4);
	if (idx >= m->spec.max_entries)
		return NULL;
	return jn_map_cpu_value(m, jn_map_slot(m, idx), cpu);
}

static long array_update(struct jn_map *m, const void *key, const void *value, uint64_t flags,
			 uint32_t cpu)
{
	bool percpu = m->ops->percpu;
	uint32_t idx;

	memcpy(&idx, key, 4);
	if ((percpu ? flags : flags & ~(uint64_t)BPF_F_LOCK) > BPF_EXIST)
		return -EINVAL;
	if (idx >= m->spec.max_entries)
		return -E2BIG;
	if (flags & BPF_NOEXIST)
		return -EEXIST;
	if (flags & BPF_F_LOCK)
		return -EINVAL;   /* no value here holds a bpf_spin_lock */
	jn_map_store(m, jn_map_slot(m, idx), value, cpu, false);
	return 0;
}

static long array_delete(struct jn_map *m, const void *key)
{
	return -EINVAL;
}

const struct jn_map_ops jn_map_ops_array = {
	.name = "array",
	.check = array_check,
	.lookup = array_lookup,
	.update = array_update,
	.delete = array_delete,
	.next_key = jn_map_array_next_key,
};

const struct jn_map_ops jn_map_ops_percpu_array = {
	.name = "percpu_array",
	.percpu = true,
	.check = array_check,
	.lookup = array_lookup,
	.update = array_update,
	.delete = array_delete,
	.next_key = jn_map_array_next_key,
};
