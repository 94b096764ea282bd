/* kern.c - the kernel oracle: open an object with libbpf, pick the program,
 * describe its maps, load it with the maps file applied. */
#define _GNU_SOURCE
#include "kern/kern_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "base/base.h"

/* ---- libbpf's messages: keep the last warning for our errors ---- */

static __thread char last_warn[256];
static __thread char prog_warn[256];   /* the first "prog 'NAME': ..." since the reset */

static int print_cb(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[256];
	size_t n;

	if (level != LIBBPF_WARN)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == ' '))
		line[--n] = 0;
	/* the verifier log is reported separately, keep libbpf's own words */
	if (!n || strstr(line, "-- BEGIN PROG LOAD LOG --") || strstr(line, "-- END PROG LOAD LOG --"))
		return 0;
	snprintf(last_warn, sizeof(last_warn), "%s", strncmp(line, "libbpf: ", 8) ? line : line + 8);
	if (!prog_warn[0] && !strncmp(last_warn, "prog '", 6))
		snprintf(prog_warn, sizeof(prog_warn), "%s", last_warn);
	return 0;
}

const char *kern_last_warn(void)
{
	return last_warn;
}

const char *kern_prog_warn(void)
{
	return prog_warn;
}

void kern_warn_reset(void)
{
	last_warn[0] = 0;
	prog_warn[0] = 0;
}

/* ---- maps ---- */

void kern_hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = 0;
}

bool kern_is_percpu(uint32_t type)
{
	return type == BPF_MAP_TYPE_PERCPU_ARRAY || type == BPF_MAP_TYPE_PERCPU_HASH ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

size_t kern_sys_value_size(const struct kern_map *m)
{
	size_t vs = m->spec.value_size;

	if (!kern_is_percpu(m->spec.type))
		return vs;
	return ((vs + 7) & ~(size_t)7) * (m->spec.ncpus ? m->spec.ncpus : 1);
}

struct kern_map *kern_find_map(struct jn_kern *k, const char *name)
{
	for (size_t i = 0; i < k->n_maps; i++)
		if (!strcmp(k->maps[i].name, name))
			return &k->maps[i];
	return NULL;
}

/* Section name of a global data map: the name of its BTF DATASEC, or the
 * part of libbpf's "<obj>.rodata" name from the first dot. */
static const char *global_map_section(const struct btf *btf, const struct bpf_map *map)
{
	const char *name = bpf_map__name(map);
	uint32_t id = bpf_map__btf_value_type_id(map);

	if (btf && id) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		if (t && btf_is_datasec(t)) {
			const char *s = btf__name_by_offset(btf, t->name_off);
			if (s && s[0] == '.')
				return s;
		}
	}
	return strchr(name, '.') ? strchr(name, '.') : name;
}

static int describe_map(struct jn_kern *k, struct bpf_map *map, char *err, size_t errlen)
{
	const struct btf *btf = bpf_object__btf(k->obj);
	struct kern_map *m = &k->maps[k->n_maps];
	size_t init_len = 0;

	memset(m, 0, sizeof(*m));
	m->map = map;
	m->fd = -1;
	m->global = bpf_map__is_internal(map);
	m->name = strdup(m->global ? global_map_section(btf, map) : bpf_map__name(map));
	if (!m->name)
		return jn_errf(err, errlen, ENOMEM, "kern: %s: out of memory", k->base);
	if (m->global && (!strcmp(m->name, ".kconfig") || !strcmp(m->name, ".ksyms"))) {
		free(m->name);   /* libbpf's own, not the program's data */
		return 0;
	}
	m->spec.name = m->name;
	m->spec.type = bpf_map__type(map);
	m->spec.key_size = bpf_map__key_size(map);
	m->spec.value_size = bpf_map__value_size(map);
	m->spec.max_entries = bpf_map__max_entries(map);
	m->spec.map_flags = bpf_map__map_flags(map);
	m->spec.readonly = (m->spec.map_flags & BPF_F_RDONLY_PROG) ||
			   (m->global && !strncmp(m->name, ".rodata", 7));
	if (m->global) {
		m->spec.init = bpf_map__initial_value(map, &init_len);
		m->spec.init_len = init_len;
	}
	m->spec.btf = btf;
	m->spec.btf_key_type_id = bpf_map__btf_key_type_id(map);
	m->spec.btf_value_type_id = bpf_map__btf_value_type_id(map);
	m->spec.ncpus = kern_is_percpu(m->spec.type) ? k->ncpus : 0;
	k->n_maps++;
	return 0;
}

/* ---- programs ---- */

static bool sec_is_xdp(const char *sec)
{
	return sec && !strncmp(sec, "xdp", 3);
}

static int collect_progs(struct jn_kern *k, const char *want, char *err, size_t errlen)
{
	struct bpf_program *p;
	size_t n = 0, by_sec = SIZE_MAX, first_xdp = SIZE_MAX;

	bpf_object__for_each_program(p, k->obj)
		n++;
	k->progs = calloc(n ? n : 1, sizeof(*k->progs));
	if (!k->progs)
		return jn_errf(err, errlen, ENOMEM, "kern: %s: out of memory", k->base);
	k->pick = SIZE_MAX;
	bpf_object__for_each_program(p, k->obj) {
		const char *sec = bpf_program__section_name(p);
		size_t i;

		if (bpf_program__type(p) == BPF_PROG_TYPE_UNSPEC && sec_is_xdp(sec))
			bpf_program__set_type(p, BPF_PROG_TYPE_XDP);
		if (bpf_program__type(p) != BPF_PROG_TYPE_XDP) {
			bpf_program__set_autoload(p, false);
			continue;
		}
		i = k->n_progs++;
		k->progs[i].prog = p;
		k->progs[i].fd = -1;
		if (first_xdp == SIZE_MAX)
			first_xdp = i;
		if (want && !strcmp(bpf_program__name(p), want))
			k->pick = i;
		if (want && by_sec == SIZE_MAX && sec && !strcmp(sec, want))
			by_sec = i;
	}
	if (k->pick == SIZE_MAX)
		k->pick = want ? by_sec : first_xdp;
	if (k->pick != SIZE_MAX)
		return 0;
	if (want)
		return jn_errf(err, errlen, ENOENT, "kern: %s: no XDP program called %s", k->base, want);
	return jn_errf(err, errlen, ENOENT, "kern: %s: no XDP program", k->base);
}

int jn_kern_open(const char *path, const char *prog, struct jn_kern **out,
		 char *err, size_t errlen)
{
	struct jn_kern *k;
	struct bpf_map *map;
	size_t n = 0;
	int ret;

	*out = NULL;
	libbpf_set_print(print_cb);
	kern_warn_reset();
	k = calloc(1, sizeof(*k));
	if (!k || !(k->path = strdup(path))) {
		free(k);
		return jn_errf(err, errlen, ENOMEM, "kern: %s: out of memory", path);
	}
	k->base = strrchr(k->path, '/') ? strrchr(k->path, '/') + 1 : k->path;
	k->ifindex = 1;
	k->obj = bpf_object__open_file(path, NULL);
	if (!k->obj) {
		ret = -errno;
		jn_errf(err, errlen, -ret, "kern: %s: libbpf cannot open it: %s", k->base,
			kern_last_warn()[0] ? kern_last_warn() : strerror(-ret));
		k->obj = NULL;
		jn_kern_close(k);
		return ret;
	}
	ret = libbpf_num_possible_cpus();
	k->ncpus = ret > 0 ? (uint32_t)ret : 1;
	bpf_object__for_each_map(map, k->obj)
		n++;
	k->maps = calloc(n ? n : 1, sizeof(*k->maps));
	ret = k->maps ? 0 : jn_errf(err, errlen, ENOMEM, "kern: %s: out of memory", k->base);
	bpf_object__for_each_map(map, k->obj) {
		if (ret)
			break;
		ret = describe_map(k, map, err, errlen);
	}
	if (!ret)
		ret = collect_progs(k, prog, err, errlen);
	if (ret) {
		jn_kern_close(k);
		return ret;
	}
	*out = k;
	return 0;
}

void jn_kern_close(struct jn_kern *k)
{
	if (!k)
		return;
	if (k->pinned)
		sched_setaffinity(0, sizeof(k->old_cpus), &k->old_cpus);
	for (size_t i = 0; i < k->n_maps; i++)
		free(k->maps[i].name);
	free(k->maps);
	free(k->progs);
	bpf_object__close(k->obj);
	free(k->log);
	free(k->path);
	free(k);
}

const char *jn_kern_prog_name(const struct jn_kern *k)
{
	return bpf_program__name(k->progs[k->pick].prog);
}

const char *jn_kern_prog_sec(const struct jn_kern *k)
{
	return bpf_program__section_name(k->progs[k->pick].prog);
}

size_t jn_kern_n_maps(const struct jn_kern *k)
{
	return k->n_maps;
}

const struct jn_map_spec *jn_kern_map_spec(const struct jn_kern *k, size_t i)
{
	return i < k->n_maps ? &k->maps[i].spec : NULL;
}

/* ---- the maps file env ---- */

static const struct jn_map_spec *env_map(void *user, const char *name)
{
	struct kern_map *m = kern_find_map(user, name);

	return m ? &m->spec : NULL;
}

static long env_prog(void *user, const char *name)
{
	struct jn_kern *k = user;

	for (size_t i = 0; i < k->n_progs; i++)
		if (!strcmp(bpf_program__name(k->progs[i].prog), name))
			return (long)i;
	for (size_t i = 0; i < k->n_progs; i++)
		if (!strcmp(bpf_program__section_name(k->progs[i].prog), name))
			return (long)i;
	return -ENOENT;
}

struct jn_maps_init_env jn_kern_maps_env(struct jn_kern *k)
{
	struct jn_maps_init_env env = { .map_by_name = env_map, .prog_by_name = env_prog, .user = k };

	return env;
}
