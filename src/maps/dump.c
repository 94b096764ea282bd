/* dump.c - a map's contents as JSON (format in maps.h), sorted by key bytes
 * so that two dumps compare equal exactly when the contents do. */
#define _GNU_SOURCE
#include "maps/maps_internal.h"

#include <json-c/json.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>

struct dump_entry {
	const uint8_t *key, *value;
};

static int cmp_keys(const void *a, const void *b, void *key_size)
{
	return memcmp(((const struct dump_entry *)a)->key, ((const struct dump_entry *)b)->key,
		      *(const uint32_t *)key_size);
}

static struct json_object *hex(const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char *s = malloc(2 * n + 1);
	struct json_object *j;

	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		s[2 * i] = digits[p[i] >> 4];
		s[2 * i + 1] = digits[p[i] & 15];
	}
	s[2 * n] = 0;
	j = json_object_new_string(s);
	free(s);
	return j;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* The value of key in syscall layout; maps whose syscall lookup is refused
 * (xskmap) still show what they hold. */
static bool dump_value(struct jn_map *m, const void *key, uint8_t *value)
{
	const void *p;

	if (!m->ops->sys_lookup_err)
		return jn_map_sys_lookup(m, key, value) == 0;
	p = m->ops->lookup(m, key, 0, true);
	if (p)
		memcpy(value, p, jn_map_sys_value_size(m));
	return p != NULL;
}

static int add_entry(struct json_object *arr, const uint8_t *key, size_t klen,
		     const uint8_t *value, size_t vlen)
{
	struct json_object *e = json_object_new_object();

	if (!e)
		return -1;
	if (key)
		json_object_object_add(e, "key", hex(key, klen));
	json_object_object_add(e, "value", hex(value, vlen));
	return json_object_array_add(arr, e);
}

static int grow(uint8_t **keys, uint8_t **vals, size_t *cap, size_t ks, size_t vs)
{
	size_t ncap = *cap ? 2 * *cap : 64;
	uint8_t *nk = realloc(*keys, ncap * ks);

	if (!nk)
		return -1;
	*keys = nk;
	uint8_t *nv = realloc(*vals, ncap * vs);
	if (!nv)
		return -1;
	*vals = nv;
	*cap = ncap;
	return 0;
}

/* Collect every entry (keys and values in two flat buffers), sort, emit. */
static int dump_keyed(struct jn_map *m, struct json_object *arr)
{
	uint32_t ks = m->spec.key_size;
	size_t vs = jn_map_sys_value_size(m), n = 0, cap = 0;
	bool skip_zero = (m->spec.type == BPF_MAP_TYPE_ARRAY ||
			  m->spec.type == BPF_MAP_TYPE_PERCPU_ARRAY) && m->spec.name[0] != '.';
	uint8_t *keys = NULL, *vals = NULL, *cur = malloc(ks + 1), *prev = malloc(ks + 1);
	uint8_t *val = malloc(vs + 1);
	struct dump_entry *ents = NULL;
	int r = cur && prev && val ? 0 : -1;

	for (bool first = true; !r && jn_map_sys_next_key(m, first ? NULL : prev, cur) == 0;
	     first = false) {
		memcpy(prev, cur, ks);
		if (!dump_value(m, cur, val) || (skip_zero && all_zero(val, vs)))
			continue;
		if (n == cap && grow(&keys, &vals, &cap, ks, vs))
			r = -1;
		else {
			memcpy(keys + n * ks, cur, ks);
			memcpy(vals + n * vs, val, vs);
			n++;
		}
	}
	ents = r ? NULL : malloc((n + 1) * sizeof(*ents));
	if (!ents)
		r = -1;
	for (size_t i = 0; !r && i < n; i++)
		ents[i] = (struct dump_entry){ keys + i * ks, vals + i * vs };
	if (!r)
		qsort_r(ents, n, sizeof(*ents), cmp_keys, &ks);
	for (size_t i = 0; !r && i < n; i++)
		r = add_entry(arr, ents[i].key, ks, ents[i].value, vs);
	free(ents);
	free(keys);
	free(vals);
	free(cur);
	free(prev);
	free(val);
	return r;
}

static int dump_queue(struct jn_map *m, struct json_object *arr)
{
	const uint8_t *v;
	int r = 0;

	for (uint32_t i = 0; !r && (v = jn_map_queue_at(m, i)); i++)
		r = add_entry(arr, NULL, 0, v, m->spec.value_size);
	return r;
}

struct json_object *jn_map_dump_json(struct jn_map *m)
{
	const struct jn_map_spec *s = &m->spec;
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
	int r;

	if (!o || !arr) {
		json_object_put(o);
		json_object_put(arr);
		return NULL;
	}
	json_object_object_add(o, "name", json_object_new_string(s->name));
	json_object_object_add(o, "type", json_object_new_string(m->ops->name));
	json_object_object_add(o, "key_size", json_object_new_int64(s->key_size));
	json_object_object_add(o, "value_size", json_object_new_int64(s->value_size));
	json_object_object_add(o, "max_entries", json_object_new_int64(s->max_entries));
	json_object_object_add(o, "entries", arr);
	r = m->ops->pop ? dump_queue(m, arr) : dump_keyed(m, arr);
	if (r) {
		json_object_put(o);
		return NULL;
	}
	return o;
}
