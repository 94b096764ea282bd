/* progarray.c - fd arrays: BPF_MAP_TYPE_PROG_ARRAY (tail-call targets, stored
 * as the program's index as the maps file gives it) and the output maps
 * PERF_EVENT_ARRAY and RINGBUF, which have no storage here: programs' output
 * goes to a file, lookups find nothing (kernel/bpf/arraymap.c fd_array_*,
 * kernel/bpf/ringbuf.c semantics). */
#include "maps/maps_internal.h"

#include <errno.h>
#include <linux/bpf.h>
#include <string.h>

#define FD_ARRAY_FLAGS (BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_PRESERVE_ELEMS)
enum { PAGE_SIZE = 4096, RINGBUF_MAX = 1u << 31 };

static int fd_array_check(const struct jn_map_spec *s, char *err, size_t errlen)
{
	int r = jn_map_check_common(s, FD_ARRAY_FLAGS, err, errlen);

	if (r)
		return r;
	if (s->key_size != 4 || s->value_size != 4)
		return jn_map_refuse(s, EINVAL, err, errlen, "key_size %u, value_size %u, %s needs 4, 4",
				     s->key_size, s->value_size, jn_map_type_name(s->type));
	if ((s->map_flags & BPF_F_PRESERVE_ELEMS) && s->type != BPF_MAP_TYPE_PERF_EVENT_ARRAY)
		return jn_map_refuse(s, EINVAL, err, errlen,
				     "BPF_F_PRESERVE_ELEMS is for perf_event_array");
	return 0;
}

/* fd arrays take BPF_ANY only */
static long fd_array_check_update(struct jn_map *m, const void *key, uint64_t flags)
{
	if (flags != BPF_ANY)
		return -EINVAL;
	if (jn_map_key32(key) >= m->spec.max_entries)
		return -E2BIG;
	return 0;
}

static int prog_array_init(struct jn_map *m)
{
	return jn_map_present_init(m);
}

static void *prog_array_lookup(struct jn_map *m, const void *key, uint32_t cpu, bool sys)
{
	uint32_t idx = jn_map_key32(key);

	if (!sys || idx >= m->spec.max_entries || !m->present[idx])
		return NULL;   /* programs cannot look into a prog_array */
	return jn_map_slot(m, idx);
}

static long prog_array_update(struct jn_map *m, const void *key, const void *value,
			      uint64_t flags, uint32_t cpu)
{
	uint32_t idx = jn_map_key32(key);
	long r = fd_array_check_update(m, key, flags);

	if (r)
		return r;
	memcpy(jn_map_slot(m, idx), value, 4);
	m->present[idx] = 1;
	return 0;
}

static long prog_array_delete(struct jn_map *m, const void *key)
{
	uint32_t idx = jn_map_key32(key);

	if (idx >= m->spec.max_entries)
		return -E2BIG;
	if (!m->present[idx])
		return -ENOENT;
	m->present[idx] = 0;
	memset(jn_map_slot(m, idx), 0, 4);
	return 0;
}

const struct jn_map_ops jn_map_ops_prog_array = {
	.name = "prog_array",
	.readonly = true,
	.check = fd_array_check,
	.init = prog_array_init,
	.fini = jn_map_present_fini,
	.lookup = prog_array_lookup,
	.update = prog_array_update,
	.delete = prog_array_delete,
	.next_key = jn_map_array_next_key,
};

/* ---- output maps ---- */

static uint32_t no_slots(const struct jn_map_spec *s)
{
	return 0;
}

static void *output_lookup(struct jn_map *m, const void *key, uint32_t cpu, bool sys)
{
	return NULL;
}

static long perf_update(struct jn_map *m, const void *key, const void *value, uint64_t flags,
			uint32_t cpu)
{
	long r = fd_array_check_update(m, key, flags);

	return r ? r : -EOPNOTSUPP;   /* needs a perf event fd */
}

static long perf_delete(struct jn_map *m, const void *key)
{
	return jn_map_key32(key) >= m->spec.max_entries ? -E2BIG : -ENOENT;
}

const struct jn_map_ops jn_map_ops_perf_event_array = {
	.name = "perf_event_array",
	.readonly = true,
	.sys_lookup_err = -JN_ENOTSUPP,
	.check = fd_array_check,
	.nslots = no_slots,
	.lookup = output_lookup,
	.update = perf_update,
	.delete = perf_delete,
	.next_key = jn_map_array_next_key,
};

static int ringbuf_check(const struct jn_map_spec *s, char *err, size_t errlen)
{
	int r = jn_map_check_common(s, BPF_F_NUMA_NODE, err, errlen);

	if (r)
		return r;
	if (s->key_size || s->value_size || (s->max_entries & (s->max_entries - 1)) ||
	    s->max_entries % PAGE_SIZE)
		return jn_map_refuse(s, EINVAL, err, errlen,
				     "ringbuf needs key_size 0, value_size 0 and a power-of-2 "
				     "multiple of %d bytes as max_entries", PAGE_SIZE);
	if (s->max_entries > RINGBUF_MAX)
		return jn_map_refuse(s, E2BIG, err, errlen, "max_entries %u", s->max_entries);
	return 0;
}

static int ringbuf_init(struct jn_map *m)
{
	m->rb_prod = 0;
	return 0;
}

/* kernel/bpf/ringbuf.c __bpf_ringbuf_reserve with consumer_pos 0: the new
 * producer position may not pass the ring's mask. */
uint64_t jn_map_ringbuf_len(uint64_t size)
{
	return (size + 8 + 7) & ~(uint64_t)7;   /* 8-byte header, 8-byte aligned */
}

bool jn_map_ringbuf_fits(const struct jn_map *m, uint64_t pos, uint64_t size)
{
	uint64_t len = jn_map_ringbuf_len(size);

	return size <= UINT32_MAX / 4 && len <= m->spec.max_entries &&
	       pos + len <= (uint64_t)m->spec.max_entries - 1;
}

long jn_map_ringbuf_produce(struct jn_map *m, uint64_t size)
{
	if (m->spec.type != BPF_MAP_TYPE_RINGBUF || !jn_map_ringbuf_fits(m, m->rb_prod, size))
		return -EAGAIN;
	m->rb_prod += jn_map_ringbuf_len(size);
	return 0;
}

uint64_t jn_map_ringbuf_pos(const struct jn_map *m)
{
	return m->spec.type == BPF_MAP_TYPE_RINGBUF ? m->rb_prod : 0;
}

static long ringbuf_update(struct jn_map *m, const void *key, const void *value, uint64_t flags,
			   uint32_t cpu)
{
	return -JN_ENOTSUPP;
}

static long ringbuf_delete(struct jn_map *m, const void *key)
{
	return -JN_ENOTSUPP;
}

static int ringbuf_next_key(struct jn_map *m, const void *key, void *next)
{
	return -JN_ENOTSUPP;
}

const struct jn_map_ops jn_map_ops_ringbuf = {
	.name = "ringbuf",
	.readonly = true,
	.sys_lookup_err = -JN_ENOTSUPP,
	.check = ringbuf_check,
	.init = ringbuf_init,
	.nslots = no_slots,
	.lookup = output_lookup,
	.update = ringbuf_update,
	.delete = ringbuf_delete,
	.next_key = ringbuf_next_key,
};
