/* queue.c - BPF_MAP_TYPE_QUEUE (FIFO) and STACK (LIFO)
 * (kernel/bpf/queue_stack_maps.c): a ring of max_entries + 1 slots; push
 * with BPF_EXIST on a full map drops the oldest element; pop/peek on an
 * empty map give -ENOENT; key-based operations are -EINVAL. */
#include "maps/maps_internal.h"

#include <errno.h>
#include <linux/bpf.h>
#include <string.h>

#define QUEUE_FLAGS (BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_RDONLY_PROG | \
		     BPF_F_WRONLY_PROG)
enum { KMALLOC_MAX = 4 << 20 };

static int queue_check(const struct jn_map_spec *s, char *err, size_t errlen)
{
	int r = jn_map_check_common(s, QUEUE_FLAGS, err, errlen);

	if (r)
		return r;
	if (s->key_size != 0 || s->value_size == 0)
		return jn_map_refuse(s, EINVAL, err, errlen, "key_size %u, value_size %u, %s needs "
				     "key_size 0", s->key_size, s->value_size, jn_map_type_name(s->type));
	if (s->value_size > KMALLOC_MAX)
		return jn_map_refuse(s, E2BIG, err, errlen, "value_size %u too big", s->value_size);
	if (s->max_entries == UINT32_MAX)
		return jn_map_refuse(s, ENOMEM, err, errlen, "max_entries %u too big", s->max_entries);
	return 0;
}

static uint32_t queue_slots(const struct jn_map_spec *s)
{
	return s->max_entries + 1;
}

static int queue_init(struct jn_map *m)
{
	m->q_head = m->q_tail = 0;
	return 0;
}

static uint32_t ring_next(const struct jn_map *m, uint32_t i)
{
	return i + 1 >= m->slots ? 0 : i + 1;
}

static uint32_t ring_count(const struct jn_map *m)
{
	return m->q_head >= m->q_tail ? m->q_head - m->q_tail : m->slots - m->q_tail + m->q_head;
}

static long queue_push(struct jn_map *m, const void *value, uint64_t flags)
{
	if ((flags & BPF_NOEXIST) || flags > BPF_EXIST)
		return -EINVAL;
	if (ring_next(m, m->q_head) == m->q_tail) {
		if (!(flags & BPF_EXIST))
			return -E2BIG;
		m->q_tail = ring_next(m, m->q_tail);   /* overwrite the oldest */
	}
	memcpy(jn_map_slot(m, m->q_head), value, m->spec.value_size);
	m->q_head = ring_next(m, m->q_head);
	return 0;
}

const void *jn_map_queue_at(const struct jn_map *m, uint32_t i)
{
	uint64_t idx;

	if (i >= ring_count(m))
		return NULL;
	if (m->spec.type == BPF_MAP_TYPE_QUEUE)
		idx = ((uint64_t)m->q_tail + i) % m->slots;
	else
		idx = ((uint64_t)m->q_head + m->slots - 1 - i) % m->slots;
	return jn_map_slot(m, (uint32_t)idx);
}

static long queue_pop(struct jn_map *m, void *value, bool remove)
{
	const void *v = jn_map_queue_at(m, 0);

	if (!v)
		return -ENOENT;
	memcpy(value, v, m->spec.value_size);
	if (remove && m->spec.type == BPF_MAP_TYPE_QUEUE)
		m->q_tail = ring_next(m, m->q_tail);
	else if (remove)
		m->q_head = m->q_head ? m->q_head - 1 : m->slots - 1;
	return 0;
}

static void *queue_lookup(struct jn_map *m, const void *key, uint32_t cpu, bool sys)
{
	return NULL;
}

static long queue_update(struct jn_map *m, const void *key, const void *value, uint64_t flags,
			 uint32_t cpu)
{
	return -EINVAL;
}

static long queue_delete(struct jn_map *m, const void *key)
{
	return -EINVAL;
}

#define QUEUE_OPS(type_name) {                                                  \
	.name = type_name, .check = queue_check, .nslots = queue_slots,         \
	.init = queue_init, .lookup = queue_lookup, .update = queue_update,     \
	.delete = queue_delete, .push = queue_push, .pop = queue_pop,           \
}
const struct jn_map_ops jn_map_ops_queue = QUEUE_OPS("queue");
const struct jn_map_ops jn_map_ops_stack = QUEUE_OPS("stack");
#undef QUEUE_OPS
