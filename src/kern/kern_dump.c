/* kern_dump.c - read the kernel's maps back as JSON (jn_map_dump_json's format). */
#define _GNU_SOURCE
#include "kern/kern_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <json-c/json.h>
#include <linux/bpf.h>

#include "base/base.h"

static bool dumpable(uint32_t type)
{
	switch (type) {
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_ARRAY:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
	case BPF_MAP_TYPE_LRU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
	case BPF_MAP_TYPE_LPM_TRIE:
	case BPF_MAP_TYPE_DEVMAP:
	case BPF_MAP_TYPE_DEVMAP_HASH:
	case BPF_MAP_TYPE_CPUMAP:
	case BPF_MAP_TYPE_PROG_ARRAY:
	case BPF_MAP_TYPE_QUEUE:
	case BPF_MAP_TYPE_STACK:
		return true;
	default:
		return false;
	}
}

static struct json_object *hex_str(const uint8_t *p, size_t n)
{
	struct json_object *s;
	char *buf = malloc(2 * n + 1);

	if (!buf)
		return NULL;
	kern_hex(p, n, buf);
	s = json_object_new_string(buf);
	free(buf);
	return s;
}

/* Every key of the map, key_size bytes each, in *keys (malloc'd). */
static int collect_keys(const struct kern_map *m, uint8_t **keys, size_t *n)
{
	size_t ks = m->spec.key_size, cap = 0, cnt = 0;
	uint8_t *buf = NULL;

	for (;;) {
		if (cnt == cap) {
			size_t bytes, ncap = cap ? 2 * cap : 64;
			uint8_t *nb;
			if (jn_size_mul(ncap + 1, ks, &bytes) || !(nb = realloc(buf, bytes))) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap = ncap;
		}
		if (bpf_map_get_next_key(m->fd, cnt ? buf + (cnt - 1) * ks : NULL, buf + cnt * ks)) {
			if (errno == ENOENT)
				break;
			free(buf);
			return -errno;
		}
		if (++cnt > (size_t)m->spec.max_entries + 1) {
			free(buf);   /* hash changing under us: should not happen */
			return -ELOOP;
		}
	}
	*keys = buf;
	*n = cnt;
	return 0;
}

static int cmp_keys(const void *a, const void *b, void *size)
{
	return memcmp(a, b, *(size_t *)size);
}

/* prog_array lookups give the kernel's prog id: store the program's index. */
static void prog_id_to_index(const struct jn_kern *k, uint8_t *val)
{
	uint32_t id;

	memcpy(&id, val, 4);
	for (size_t i = 0; i < k->n_progs; i++) {
		if (k->progs[i].fd >= 0 && k->progs[i].id == id) {
			uint32_t idx = (uint32_t)i;
			memcpy(val, &idx, 4);
			return;
		}
	}
}

static struct json_object *dump_header(const struct kern_map *m)
{
	struct json_object *o = json_object_new_object();
	const char *type = jn_map_type_name(m->spec.type);

	json_object_object_add(o, "name", json_object_new_string(m->name));
	json_object_object_add(o, "type", type ? json_object_new_string(type) : json_object_new_int64(m->spec.type));
	json_object_object_add(o, "key_size", json_object_new_int64(m->spec.key_size));
	json_object_object_add(o, "value_size", json_object_new_int64(m->spec.value_size));
	json_object_object_add(o, "max_entries", json_object_new_int64(m->spec.max_entries));
	return o;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static void add_entry(struct json_object *arr, const uint8_t *key, size_t ks, const uint8_t *val, size_t vs)
{
	struct json_object *e = json_object_new_object();

	if (key)
		json_object_object_add(e, "key", hex_str(key, ks));
	json_object_object_add(e, "value", hex_str(val, vs));
	json_object_array_add(arr, e);
}

/* Queue and stack: pop every value, list them in pop order, push them back
 * so the map ends as it was (a stack in reverse). */
static int dump_queue(const struct kern_map *m, struct json_object *arr)
{
	size_t vs = m->spec.value_size, n = 0, bytes;
	uint8_t *vals;
	int ret = 0;

	if (jn_size_mul((size_t)m->spec.max_entries + 1, vs, &bytes) || !(vals = malloc(bytes)))
		return -ENOMEM;
	while (n <= m->spec.max_entries) {
		if (bpf_map_lookup_and_delete_elem(m->fd, NULL, vals + n * vs)) {
			if (errno != ENOENT)
				ret = -errno;
			break;
		}
		n++;
	}
	for (size_t i = 0; i < n; i++) {
		size_t at = m->spec.type == BPF_MAP_TYPE_STACK ? n - 1 - i : i;
		if (bpf_map_update_elem(m->fd, NULL, vals + at * vs, BPF_ANY) && !ret)
			ret = -errno;
		add_entry(arr, NULL, 0, vals + i * vs, vs);
	}
	free(vals);
	return ret;
}

static int dump_entries(const struct jn_kern *k, const struct kern_map *m, struct json_object *arr,
			uint8_t *keys, size_t n)
{
	size_t vs = kern_sys_value_size(m), ks = m->spec.key_size;
	uint8_t *val = malloc(vs ? vs : 1);
	/* like jn_map_dump_json: arrays leave out all-zero values, except global data */
	bool skip_zero = (m->spec.type == BPF_MAP_TYPE_ARRAY || m->spec.type == BPF_MAP_TYPE_PERCPU_ARRAY) &&
			 !m->global;

	if (!val)
		return -ENOMEM;
	qsort_r(keys, n, ks, cmp_keys, &ks);
	for (size_t i = 0; i < n; i++) {
		if (bpf_map_lookup_elem(m->fd, keys + i * ks, val)) {
			if (errno == ENOENT)
				continue;   /* empty prog_array/devmap slot */
			free(val);
			return -errno;
		}
		if (skip_zero && all_zero(val, vs))
			continue;
		if (m->spec.type == BPF_MAP_TYPE_PROG_ARRAY && vs == 4)
			prog_id_to_index(k, val);
		add_entry(arr, keys + i * ks, ks, val, vs);
	}
	free(val);
	return 0;
}

int jn_kern_map_dump(struct jn_kern *k, const char *name, struct json_object **out,
		     char *err, size_t errlen)
{
	struct kern_map *m = kern_find_map(k, name);
	struct json_object *o, *arr;
	uint8_t *keys = NULL;
	size_t n = 0;
	int ret;

	*out = NULL;
	if (!m)
		return jn_errf(err, errlen, ENOENT, "kern: %s: no map called %s", k->base, name);
	if (!k->loaded)
		return jn_errf(err, errlen, EINVAL, "kern: %s: not loaded", k->base);
	if (!dumpable(m->spec.type))
		return jn_errf(err, errlen, EOPNOTSUPP, "kern: %s: map %s: a %s map cannot be dumped",
			       k->base, name, jn_map_type_name(m->spec.type) ? jn_map_type_name(m->spec.type) : "such");
	ret = m->spec.type == BPF_MAP_TYPE_QUEUE || m->spec.type == BPF_MAP_TYPE_STACK ? 0 :
	      collect_keys(m, &keys, &n);
	if (ret)
		return jn_errf(err, errlen, -ret, "kern: %s: map %s: cannot list keys: %s", k->base, name,
			       strerror(-ret));
	o = dump_header(m);
	arr = json_object_new_array();
	json_object_object_add(o, "entries", arr);
	if (m->spec.type == BPF_MAP_TYPE_QUEUE || m->spec.type == BPF_MAP_TYPE_STACK)
		ret = dump_queue(m, arr);
	else
		ret = dump_entries(k, m, arr, keys, n);
	free(keys);
	if (ret) {
		json_object_put(o);
		return jn_errf(err, errlen, -ret, "kern: %s: map %s: lookup failed: %s", k->base, name,
			       strerror(-ret));
	}
	*out = o;
	return 0;
}

int jn_kern_dump_maps(struct jn_kern *k, struct json_object **out, char *err, size_t errlen)
{
	struct json_object *all = json_object_new_object();

	*out = NULL;
	for (size_t i = 0; i < k->n_maps; i++) {
		struct json_object *one;
		int ret;

		if (!dumpable(k->maps[i].spec.type))
			continue;
		ret = jn_kern_map_dump(k, k->maps[i].name, &one, err, errlen);
		if (ret) {
			json_object_put(all);
			return ret;
		}
		json_object_object_add(all, k->maps[i].name, one);
	}
	*out = all;
	return 0;
}
