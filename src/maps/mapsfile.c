/* mapsfile.c - the maps file (docs/maps-file.md): map entries, fib routes,
 * interfaces and packet context, parsed with json-c; and applying the
 * entries to created maps. */
#include "maps/maps_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"

struct jn_maps_init *jn_maps_init_empty(void)
{
	struct jn_maps_init *init = calloc(1, sizeof(*init));

	if (!init)
		return NULL;
	init->ingress_ifindex = 1;
	init->ifaces = calloc(1, sizeof(*init->ifaces));
	if (!init->ifaces) {
		free(init);
		return NULL;
	}
	init->ifaces[0] = (struct jn_iface){ .ifindex = 1, .mtu = 65536 };   /* lo, where the oracle runs */
	init->n_ifaces = 1;
	return init;
}

void jn_maps_init_free(struct jn_maps_init *init)
{
	if (!init)
		return;
	for (size_t i = 0; i < init->n_entries; i++) {
		free(init->entries[i].map);
		free(init->entries[i].key);
		free(init->entries[i].value);
	}
	free(init->entries);
	free(init->routes);
	free(init->ifaces);
	free(init);
}

/* Refuse members of obj not in allowed (NULL-terminated). */
static int check_keys(const struct jn_mf *c, const char *path, struct json_object *obj,
		      const char *const *allowed)
{
	json_object_object_foreach(obj, k, v) {
		(void)v;
		size_t i = 0;
		while (allowed[i] && strcmp(allowed[i], k))
			i++;
		if (!allowed[i])
			return jn_mf_fail(c, path, EINVAL, "unknown member \"%s\"", k);
	}
	return 0;
}

static int need_type(const struct jn_mf *c, const char *path, struct json_object *j,
		     enum json_type type, const char *what)
{
	if (json_object_is_type(j, type))
		return 0;
	return jn_mf_fail(c, path, EINVAL, "expected %s", what);
}

static int get_u32(const struct jn_mf *c, const char *path, struct json_object *j, uint32_t *out)
{
	uint64_t v;
	int r = jn_mf_uint(c, path, j, UINT32_MAX, &v);

	if (!r)
		*out = (uint32_t)v;
	return r;
}

static bool is_percpu(uint32_t type)
{
	return type == BPF_MAP_TYPE_PERCPU_ARRAY || type == BPF_MAP_TYPE_PERCPU_HASH ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static bool is_queue(uint32_t type)
{
	return type == BPF_MAP_TYPE_QUEUE || type == BPF_MAP_TYPE_STACK;
}

/* "value" (same on every CPU) or "values" (one per CPU) of a per-CPU map */
static int percpu_value(const struct jn_mf *c, const char *path, struct json_object *e,
			const struct jn_map_spec *s, uint8_t *out)
{
	uint32_t ncpus = s->ncpus ? s->ncpus : 1, unit = (s->value_size + 7) & ~7u;
	struct json_object *v, *vs;
	char sub[JN_MF_PATH];
	int r = 0;

	if (json_object_object_get_ex(e, "value", &v)) {
		jn_mf_path(sub, "%s.value", path);
		r = jn_mf_fixed(c, sub, v, s->value_size, "value_size", s->btf,
				s->btf_value_type_id, out);
		for (uint32_t i = 1; i < ncpus && !r; i++)
			memcpy(out + (size_t)i * unit, out, s->value_size);
		return r;
	}
	json_object_object_get_ex(e, "values", &vs);
	jn_mf_path(sub, "%s.values", path);
	r = need_type(c, sub, vs, json_type_array, "a list of values, one per CPU");
	if (!r && json_object_array_length(vs) > ncpus)
		r = jn_mf_fail(c, sub, EINVAL, "%zu values, the map has %u CPUs",
			       json_object_array_length(vs), ncpus);
	for (size_t i = 0; !r && i < json_object_array_length(vs); i++) {
		jn_mf_path(sub, "%s.values[%zu]", path, i);
		r = jn_mf_fixed(c, sub, json_object_array_get_idx(vs, i), s->value_size,
				"value_size", s->btf, s->btf_value_type_id, out + i * unit);
	}
	return r;
}

static int entry_shape(const struct jn_mf *c, const char *path, struct json_object *e,
		       const struct jn_map_spec *s)
{
	static const char *const allowed[] = { "key", "value", "values", NULL };
	bool has_key = json_object_object_get_ex(e, "key", NULL);
	bool has_value = json_object_object_get_ex(e, "value", NULL);
	bool has_values = json_object_object_get_ex(e, "values", NULL);
	int r = need_type(c, path, e, json_type_object, "an entry {\"key\": ..., \"value\": ...}");

	r = r ? r : check_keys(c, path, e, allowed);
	if (r)
		return r;
	if (s->type == BPF_MAP_TYPE_RINGBUF || s->type == BPF_MAP_TYPE_PERF_EVENT_ARRAY)
		return jn_mf_fail(c, path, EINVAL, "%s is an output map, it takes no entries",
				  jn_map_type_name(s->type));
	if (is_queue(s->type) && (has_key || has_values || !has_value))
		return jn_mf_fail(c, path, EINVAL, "%s entries have only a \"value\"",
				  jn_map_type_name(s->type));
	if (!is_queue(s->type) && !has_key)
		return jn_mf_fail(c, path, EINVAL, "entry has no \"key\"");
	if (has_value == has_values || (has_values && !is_percpu(s->type)))
		return jn_mf_fail(c, path, EINVAL, "entry needs one \"value\"%s",
				  is_percpu(s->type) ? " or \"values\" (one per CPU)" : "");
	return 0;
}

static int parse_entry(const struct jn_mf *c, const char *path, struct json_object *e,
		       const char *name, const struct jn_map_spec *s, struct jn_maps_entry *out)
{
	uint32_t ncpus = is_percpu(s->type) && s->ncpus ? s->ncpus : 1;
	size_t vlen = is_percpu(s->type) ? (size_t)((s->value_size + 7) & ~7u) * ncpus
					 : s->value_size;
	struct json_object *k, *v;
	char sub[JN_MF_PATH];
	int r = entry_shape(c, path, e, s);

	if (r)
		return r;
	out->map = strdup(name);
	out->value = calloc(1, vlen + 1);
	out->value_len = (uint32_t)vlen;
	if (!is_queue(s->type)) {
		out->key = calloc(1, (size_t)s->key_size + 1);
		out->key_len = s->key_size;
	}
	if (!out->map || !out->value || (!is_queue(s->type) && !out->key))
		return jn_mf_fail(c, path, ENOMEM, "out of memory");
	if (json_object_object_get_ex(e, "key", &k)) {
		jn_mf_path(sub, "%s.key", path);
		r = jn_mf_fixed(c, sub, k, s->key_size, "key_size", s->btf, s->btf_key_type_id,
				out->key);
	}
	if (!r && is_percpu(s->type))
		return percpu_value(c, path, e, s, out->value);
	if (!r && json_object_object_get_ex(e, "value", &v)) {
		jn_mf_path(sub, "%s.value", path);
		r = jn_mf_fixed(c, sub, v, s->value_size, "value_size", s->btf,
				s->btf_value_type_id, out->value);
	}
	return r;
}

static int grow(const struct jn_mf *c, void **arr, size_t n, size_t add, size_t elem)
{
	size_t bytes;
	void *p;

	if (jn_size_add(n, add, &bytes) || jn_size_mul(bytes, elem, &bytes) ||
	    !(p = realloc(*arr, bytes ? bytes : 1)))
		return jn_mf_fail(c, NULL, ENOMEM, "out of memory");
	memset((uint8_t *)p + n * elem, 0, add * elem);
	*arr = p;
	return 0;
}

static int parse_maps(const struct jn_mf *c, struct json_object *maps, struct jn_maps_init *init)
{
	char path[JN_MF_PATH];
	int r = need_type(c, "maps", maps, json_type_object, "an object of map names");

	if (r)
		return r;
	json_object_object_foreach(maps, name, list) {
		const struct jn_map_spec *s = NULL;
		size_t n;

		if (r)
			break;
		jn_mf_path(path, "maps.%s", name);
		if (c->env && c->env->map_by_name)
			s = c->env->map_by_name(c->env->user, name);
		if (!s)
			return jn_mf_fail(c, path, ENOENT, "the object has no map called %s", name);
		r = need_type(c, path, list, json_type_array, "a list of entries");
		n = r ? 0 : json_object_array_length(list);
		r = r ? r : grow(c, (void **)&init->entries, init->n_entries, n,
				 sizeof(*init->entries));
		for (size_t i = 0; !r && i < n; i++) {
			struct jn_maps_entry *out = &init->entries[init->n_entries++];
			jn_mf_path(path, "maps.%s[%zu]", name, i);
			out->index = i;
			r = parse_entry(c, path, json_object_array_get_idx(list, i), name, s, out);
		}
	}
	return r;
}

/* "10.1.0.0/16", "fe80::/64" or a bare address (full length) */
static int parse_prefix(const struct jn_mf *c, const char *path, const char *s,
			struct jn_fib_route *rt)
{
	char addr[64], *end;
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long plen;

	if (n >= sizeof(addr))
		return jn_mf_fail(c, path, EINVAL, "bad prefix \"%s\"", s);
	memcpy(addr, s, n);
	addr[n] = 0;
	if (inet_pton(AF_INET, addr, rt->dst) == 1)
		rt->family = AF_INET;
	else if (inet_pton(AF_INET6, addr, rt->dst) == 1)
		rt->family = AF_INET6;
	else
		return jn_mf_fail(c, path, EINVAL, "bad prefix \"%s\"", s);
	rt->plen = rt->family == AF_INET ? 32 : 128;
	if (!slash)
		return 0;
	errno = 0;
	plen = strtoul(slash + 1, &end, 10);
	if (!slash[1] || *end || errno || plen > (unsigned long)rt->plen)
		return jn_mf_fail(c, path, EINVAL, "bad prefix length in \"%s\"", s);
	rt->plen = (int)plen;
	return 0;
}

static int get_mac(const struct jn_mf *c, const char *path, struct json_object *j, uint8_t *mac)
{
	if (json_object_is_type(j, json_type_string) &&
	    jn_mf_parse_mac(json_object_get_string(j), mac))
		return 0;
	return jn_mf_fail(c, path, EINVAL, "expected a MAC address \"02:00:00:00:00:01\"");
}

static int parse_route(const struct jn_mf *c, const char *path, struct json_object *e,
		       struct jn_fib_route *rt)
{
	static const char *const allowed[] = { "dst", "ifindex", "smac", "dmac", "gateway", NULL };
	struct json_object *v = NULL;
	char sub[JN_MF_PATH];
	int r = need_type(c, path, e, json_type_object, "a route object");

	r = r ? r : check_keys(c, path, e, allowed);
	if (!r && (!json_object_object_get_ex(e, "dst", &v) ||
		   !json_object_is_type(v, json_type_string)))
		r = jn_mf_fail(c, path, EINVAL, "route needs \"dst\": \"10.1.0.0/16\"");
	r = r ? r : parse_prefix(c, path, json_object_get_string(v), rt);
	jn_mf_path(sub, "%s.ifindex", path);
	if (!r && !json_object_object_get_ex(e, "ifindex", &v))
		r = jn_mf_fail(c, path, EINVAL, "route needs \"ifindex\"");
	r = r ? r : get_u32(c, sub, v, &rt->ifindex);
	jn_mf_path(sub, "%s.smac", path);
	if (!r && json_object_object_get_ex(e, "smac", &v))
		r = get_mac(c, sub, v, rt->smac);
	jn_mf_path(sub, "%s.dmac", path);
	if (!r && json_object_object_get_ex(e, "dmac", &v))
		r = get_mac(c, sub, v, rt->dmac);
	jn_mf_path(sub, "%s.gateway", path);
	if (!r && json_object_object_get_ex(e, "gateway", &v)) {
		rt->has_gw = true;
		if (!json_object_is_type(v, json_type_string) ||
		    inet_pton(rt->family, json_object_get_string(v), rt->gw) != 1)
			r = jn_mf_fail(c, sub, EINVAL, "expected an IPv%d address",
				       rt->family == AF_INET ? 4 : 6);
	}
	return r;
}

static int parse_iface(const struct jn_mf *c, const char *path, struct json_object *e,
		       struct jn_iface *ifc)
{
	static const char *const allowed[] = { "ifindex", "mtu", NULL };
	struct json_object *v = NULL;
	char sub[JN_MF_PATH];
	int r = need_type(c, path, e, json_type_object, "an interface {\"ifindex\": 2, \"mtu\": 1500}");

	r = r ? r : check_keys(c, path, e, allowed);
	if (!r && !json_object_object_get_ex(e, "ifindex", &v))
		r = jn_mf_fail(c, path, EINVAL, "interface needs \"ifindex\"");
	jn_mf_path(sub, "%s.ifindex", path);
	r = r ? r : get_u32(c, sub, v, &ifc->ifindex);
	ifc->mtu = 1500;
	jn_mf_path(sub, "%s.mtu", path);
	if (!r && json_object_object_get_ex(e, "mtu", &v))
		r = get_u32(c, sub, v, &ifc->mtu);
	return r;
}

/* "fib" and "ifaces": lists of routes / interfaces */
static int parse_list(const struct jn_mf *c, const char *name, struct json_object *list,
		      struct jn_maps_init *init)
{
	bool fib = !strcmp(name, "fib");
	char path[JN_MF_PATH];
	size_t n;
	int r = need_type(c, name, list, json_type_array, fib ? "a list of routes"
							       : "a list of interfaces");

	n = r ? 0 : json_object_array_length(list);
	if (!r && fib)
		r = grow(c, (void **)&init->routes, 0, n, sizeof(*init->routes));
	if (!r && !fib) {
		free(init->ifaces);
		init->ifaces = NULL;
		init->n_ifaces = 0;
		r = grow(c, (void **)&init->ifaces, 0, n, sizeof(*init->ifaces));
	}
	for (size_t i = 0; !r && i < n; i++) {
		struct json_object *e = json_object_array_get_idx(list, i);
		jn_mf_path(path, "%s[%zu]", name, i);
		if (fib)
			r = parse_route(c, path, e, &init->routes[init->n_routes++]);
		else
			r = parse_iface(c, path, e, &init->ifaces[init->n_ifaces++]);
	}
	return r;
}

static int parse_ctx(const struct jn_mf *c, struct json_object *ctx, struct jn_maps_init *init)
{
	static const char *const allowed[] = { "ingress_ifindex", "rx_queue_index", NULL };
	struct json_object *v;
	int r = need_type(c, "ctx", ctx, json_type_object, "an object");

	r = r ? r : check_keys(c, "ctx", ctx, allowed);
	if (!r && json_object_object_get_ex(ctx, "ingress_ifindex", &v))
		r = get_u32(c, "ctx.ingress_ifindex", v, &init->ingress_ifindex);
	if (!r && json_object_object_get_ex(ctx, "rx_queue_index", &v))
		r = get_u32(c, "ctx.rx_queue_index", v, &init->rx_queue_index);
	return r;
}

static int parse_top(const struct jn_mf *c, struct json_object *top, struct jn_maps_init *init)
{
	static const char *const allowed[] = { "maps", "fib", "ifaces", "ctx", NULL };
	int r = need_type(c, NULL, top, json_type_object, "a JSON object at the top level");

	r = r ? r : check_keys(c, NULL, top, allowed);
	if (r)
		return r;
	json_object_object_foreach(top, k, v) {
		if (r)
			break;
		if (!strcmp(k, "maps"))
			r = parse_maps(c, v, init);
		else if (!strcmp(k, "ctx"))
			r = parse_ctx(c, v, init);
		else
			r = parse_list(c, k, v, init);
	}
	return r;
}

/* Parse JSON text with the line of a syntax error in the message. */
static int parse_json(const struct jn_mf *c, const char *text, size_t len, struct json_object **out)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *j;
	enum json_tokener_error e;
	size_t end, line = 1;

	if (!tok)
		return jn_mf_fail(c, NULL, ENOMEM, "out of memory");
	if (len > INT32_MAX) {
		json_tokener_free(tok);
		return jn_mf_fail(c, NULL, EFBIG, "file too big");
	}
	j = json_tokener_parse_ex(tok, text, (int)len);
	e = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (e == json_tokener_success)
		while (end < len && strchr(" \t\r\n", text[end]))
			end++;
	for (size_t i = 0; i < end && i < len; i++)
		line += text[i] == '\n';
	json_tokener_free(tok);
	if (e != json_tokener_success || !j || end < len) {
		json_object_put(j);
		return jn_mf_fail(c, NULL, EINVAL, "line %zu: %s", line,
				  e == json_tokener_continue ? "unexpected end of file"
				  : e != json_tokener_success ? json_tokener_error_desc(e)
							     : "text after the JSON value");
	}
	*out = j;
	return 0;
}

int jn_maps_init_load(const char *path, const struct jn_maps_init_env *env,
		      struct jn_maps_init **out, char *err, size_t errlen)
{
	struct jn_mf c = { .file = path, .env = env, .err = err, .errlen = errlen };
	struct jn_maps_init *init;
	struct json_object *top = NULL;
	uint8_t *text;
	size_t len;
	int r;

	*out = NULL;
	r = jn_read_file(path, &text, &len);
	if (r)
		return jn_errf(err, errlen, -r, "maps: %s: %s", path, strerror(-r));
	r = parse_json(&c, (const char *)text, len, &top);
	free(text);
	if (r)
		return r;
	init = jn_maps_init_empty();
	r = init ? parse_top(&c, top, init) : jn_mf_fail(&c, NULL, ENOMEM, "out of memory");
	json_object_put(top);
	if (r) {
		jn_maps_init_free(init);
		return r;
	}
	*out = init;
	return 0;
}

static const char *errname(int e)
{
	return e == JN_MAP_ENOTSUPP ? "operation not supported (ENOTSUPP)" : strerror(e);
}

int jn_maps_init_apply(const struct jn_maps_init *init, struct jn_map *const *maps, size_t n_maps,
		       char *err, size_t errlen)
{
	for (size_t i = 0; i < init->n_entries; i++) {
		const struct jn_maps_entry *e = &init->entries[i];
		struct jn_map *m = NULL;
		int r;

		for (size_t j = 0; j < n_maps && !m; j++)
			if (maps[j] && !strcmp(jn_map_spec(maps[j])->name, e->map))
				m = maps[j];
		if (!m)
			return jn_errf(err, errlen, ENOENT, "maps: map %s: no such map", e->map);
		if (e->value_len != jn_map_sys_value_size(m) ||
		    (e->key && e->key_len != jn_map_spec(m)->key_size))
			return jn_errf(err, errlen, EINVAL, "maps: map %s: entry %zu: sizes differ "
				       "from the map's", e->map, e->index);
		r = jn_map_sys_update(m, e->key, e->value, BPF_ANY);
		if (r)
			return jn_errf(err, errlen, -r, "maps: map %s: entry %zu: %s", e->map,
				       e->index, errname(-r));
	}
	return 0;
}
