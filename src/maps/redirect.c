/* redirect.c - redirect maps: BPF_MAP_TYPE_DEVMAP, DEVMAP_HASH, CPUMAP,
 * XSKMAP (kernel/bpf/devmap.c, cpumap.c, net/xdp/xskmap.c semantics).
 *
 * Values: devmap/devmap_hash struct bpf_devmap_val (u32 ifindex, then the
 * program id if value_size is 8); cpumap struct bpf_cpumap_val (u32 qsize,
 * then the program id); xskmap a u32 socket id.  Programs attached to
 * entries (bpf_prog.fd > 0) are refused with -EINVAL; interfaces are not
 * checked (any non-zero ifindex is accepted); xskmap accepts any value as a
 * socket, where the kernel needs an AF_XDP socket fd. */
#include "maps/maps_internal.h"

#include <errno.h>
#include <linux/bpf.h>
#include <string.h>

#define DEV_FLAGS (BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY)
enum { NR_CPUS = 8192, CPUMAP_MAX_QSIZE = 16384 };

/* value_size is 4 (first field only) or 8 (first field + program fd) */
static int check_redirect(const struct jn_map_spec *s, uint32_t flags, bool allow8, char *err,
			  size_t errlen)
{
	int r = jn_map_check_common(s, flags, err, errlen);

	if (r)
		return r;
	if (s->key_size != 4)
		return jn_map_refuse(s, EINVAL, err, errlen, "key_size %u, %s needs 4", s->key_size,
				     jn_map_type_name(s->type));
	if (s->value_size != 4 && !(allow8 && s->value_size == 8))
		return jn_map_refuse(s, EINVAL, err, errlen, "value_size %u, %s needs 4%s",
				     s->value_size, jn_map_type_name(s->type), allow8 ? " or 8" : "");
	return 0;
}

static int dev_check(const struct jn_map_spec *s, char *err, size_t errlen)
{
	return check_redirect(s, DEV_FLAGS, true, err, errlen);
}

static int cpu_check(const struct jn_map_spec *s, char *err, size_t errlen)
{
	int r = check_redirect(s, BPF_F_NUMA_NODE, true, err, errlen);

	if (!r && s->max_entries > NR_CPUS)
		r = jn_map_refuse(s, E2BIG, err, errlen, "max_entries %u > %d CPUs", s->max_entries,
				  NR_CPUS);
	return r;
}

static int xsk_check(const struct jn_map_spec *s, char *err, size_t errlen)
{
	return check_redirect(s, DEV_FLAGS, false, err, errlen);
}

/* First u32 of the value and the program fd (value_size 8), -1 if none. */
static void split_value(const struct jn_map *m, const void *value, uint32_t *first, int32_t *fd)
{
	memcpy(first, value, 4);
	*fd = -1;
	if (m->spec.value_size == 8)
		memcpy(fd, (const uint8_t *)value + 4, 4);
}

/* Set or clear array slot idx; a stored value's program id is 0. */
static void array_set(struct jn_map *m, uint32_t idx, uint32_t first, bool set)
{
	uint8_t *slot = jn_map_slot(m, idx);

	memset(slot, 0, m->spec.value_size);
	memcpy(slot, &first, 4);
	m->present[idx] = set;
}

static void *array_lookup(struct jn_map *m, const void *key, uint32_t cpu, bool sys)
{
	uint32_t idx = jn_map_key32(key);

	if (idx >= m->spec.max_entries || !m->present[idx])
		return NULL;
	return jn_map_slot(m, idx);
}

/* devmap, cpumap, xskmap: out of range is -EINVAL, an empty slot is fine */
static long array_delete(struct jn_map *m, const void *key)
{
	uint32_t idx = jn_map_key32(key);

	if (idx >= m->spec.max_entries)
		return -EINVAL;
	array_set(m, idx, 0, false);
	return 0;
}

static int array_init(struct jn_map *m)
{
	return jn_map_present_init(m);
}

/* devmap and cpumap updates: unknown flags, out of range, then any
 * BPF_NOEXIST (an entry always "exists") are refused, in that order */
static long array_update_check(struct jn_map *m, uint32_t idx, uint64_t flags)
{
	if (flags > BPF_EXIST)
		return -EINVAL;
	if (idx >= m->spec.max_entries)
		return -E2BIG;
	return flags == BPF_NOEXIST ? -EEXIST : 0;
}

static long dev_update(struct jn_map *m, const void *key, const void *value, uint64_t flags,
		       uint32_t cpu)
{
	uint32_t idx = jn_map_key32(key), ifindex;
	int32_t fd;

	long r = array_update_check(m, idx, flags);

	if (r)
		return r;
	split_value(m, value, &ifindex, &fd);
	if (fd > 0)
		return -EINVAL;
	array_set(m, idx, ifindex, ifindex != 0);
	return 0;
}

/* devmap, devmap_hash: the ifindex stored at key */
static int dev_target(struct jn_map *m, uint32_t key, uint32_t *target)
{
	const void *v = m->ops->lookup(m, &key, 0, true);

	if (!v)
		return -ENOENT;
	memcpy(target, v, 4);
	return 0;
}

const struct jn_map_ops jn_map_ops_devmap = {
	.name = "devmap",
	.readonly = true,
	.check = dev_check,
	.init = array_init,
	.fini = jn_map_present_fini,
	.lookup = array_lookup,
	.update = dev_update,
	.delete = array_delete,
	.next_key = jn_map_array_next_key,
	.target = dev_target,
};

/* ---- devmap_hash ---- */

static long devhash_update(struct jn_map *m, const void *key, const void *value, uint64_t flags,
			   uint32_t cpu)
{
	uint32_t hash = jn_htab_hash(key, 4), ifindex;
	int64_t s, evicted;
	int32_t fd;

	split_value(m, value, &ifindex, &fd);
	if (flags > BPF_EXIST || ifindex == 0)
		return -EINVAL;
	s = jn_htab_find(&m->ht, key, hash);
	if (s >= 0 && (flags & BPF_NOEXIST))
		return -EEXIST;
	if (fd > 0)
		return -EINVAL;   /* no programs in entries */
	if (s < 0) {
		s = jn_htab_insert(&m->ht, key, hash, &evicted);
		if (s < 0)
			return (long)s;
	}
	memset(jn_map_slot(m, (uint32_t)s), 0, m->spec.value_size);
	memcpy(jn_map_slot(m, (uint32_t)s), &ifindex, 4);
	return 0;
}

const struct jn_map_ops jn_map_ops_devmap_hash = {
	.name = "devmap_hash",
	.readonly = true,
	.check = dev_check,
	.init = jn_map_htab_init,
	.fini = jn_map_htab_fini,
	.lookup = jn_map_htab_lookup,
	.update = devhash_update,
	.delete = jn_map_htab_delete,
	.next_key = jn_map_htab_next_key,
	.target = dev_target,
};

/* ---- cpumap and xskmap: the target is the key (a CPU, a queue) ---- */

static long cpu_update(struct jn_map *m, const void *key, const void *value, uint64_t flags,
		       uint32_t cpu)
{
	uint32_t idx = jn_map_key32(key), qsize;
	int32_t fd;

	long r = array_update_check(m, idx, flags);

	if (r)
		return r;
	split_value(m, value, &qsize, &fd);
	if (qsize > CPUMAP_MAX_QSIZE)
		return -EOVERFLOW;
	if (m->spec.ncpus && idx >= m->spec.ncpus)
		return -ENODEV;
	if (qsize && fd > 0)
		return -EINVAL;
	array_set(m, idx, qsize, qsize != 0);
	return 0;
}

static int key_target(struct jn_map *m, uint32_t key, uint32_t *target)
{
	if (!array_lookup(m, &key, 0, true))
		return -ENOENT;
	*target = key;
	return 0;
}

const struct jn_map_ops jn_map_ops_cpumap = {
	.name = "cpumap",
	.readonly = true,
	.check = cpu_check,
	.init = array_init,
	.fini = jn_map_present_fini,
	.lookup = array_lookup,
	.update = cpu_update,
	.delete = array_delete,
	.next_key = jn_map_array_next_key,
	.target = key_target,
};

static long xsk_update(struct jn_map *m, const void *key, const void *value, uint64_t flags,
		       uint32_t cpu)
{
	uint32_t idx = jn_map_key32(key), sock;

	if (flags > BPF_EXIST)
		return -EINVAL;
	if (idx >= m->spec.max_entries)
		return -E2BIG;
	if (m->present[idx] && flags == BPF_NOEXIST)
		return -EEXIST;
	if (!m->present[idx] && flags == BPF_EXIST)
		return -ENOENT;
	memcpy(&sock, value, 4);
	array_set(m, idx, sock, true);
	return 0;
}

const struct jn_map_ops jn_map_ops_xskmap = {
	.name = "xskmap",
	.readonly = true,
	.sys_lookup_err = -EOPNOTSUPP,
	.check = xsk_check,
	.init = array_init,
	.fini = jn_map_present_fini,
	.lookup = array_lookup,
	.update = xsk_update,
	.delete = array_delete,
	.next_key = jn_map_array_next_key,
	.target = key_target,
};
