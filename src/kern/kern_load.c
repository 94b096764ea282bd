/* kern_load.c - load the object into the kernel and fill its maps. */
#define _GNU_SOURCE
#include "kern/kern_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "base/base.h"

enum { LOG_SIZE = 1 << 20 };

static bool errno_is_refusal(int e)
{
	return e == EPERM || e == EACCES || e == ENOSYS;
}

static int unavailable(int e, char *err, size_t errlen)
{
	jn_errf(err, errlen, 0, "kernel oracle unavailable: bpf() refused (%s)", strerror(e));
	return JN_KERN_EUNAVAIL;
}

/* Can we load anything at all?  A two-instruction XDP program. */
static int probe_bpf(char *err, size_t errlen)
{
	const struct bpf_insn insns[2] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "jn_probe", "GPL", insns, 2, NULL);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (errno_is_refusal(errno))
		return unavailable(errno, err, errlen);
	return jn_errf(err, errlen, errno, "kern: bpf() probe failed: %s", strerror(errno));
}

/* The line of the verifier log that says why, and the instruction before. */
static void log_tail(const char *log, char *out, size_t outlen)
{
	const char *why = NULL, *insn = NULL;
	size_t why_len = 0, insn_len = 0;

	out[0] = 0;
	for (const char *p = log; p && *p;) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		const char *q = p;

		while (q < p + len && isdigit((unsigned char)*q))
			q++;
		if (q > p && q < p + len && *q == ':') {
			insn = p;
			insn_len = len;
		} else if (len && strncmp(p, "processed ", 10) && strncmp(p, "verification time", 17) &&
			   strncmp(p, "stack depth", 11) && p[0] != ';' && strncmp(p, "func#", 5)) {
			why = p;
			why_len = len;
		}
		p = e ? e + 1 : NULL;
	}
	if (why)
		snprintf(out, outlen, ": %.*s", (int)why_len, why);
	if (insn && insn < why) {
		size_t n = strlen(out);
		snprintf(out + n, outlen - n, " (at %.*s)", (int)(insn_len > 80 ? 80 : insn_len), insn);
	}
}

/* Name of the program a libbpf message "prog 'NAME': ..." is about. */
static const char *failed_prog(const struct jn_kern *k, const char *warn)
{
	const char *p = strstr(warn, "prog '");

	if (!p)
		return NULL;
	p += 6;
	for (size_t i = 0; i < k->n_progs; i++) {
		const char *name = bpf_program__name(k->progs[i].prog);
		size_t n = strlen(name);
		if (!strncmp(p, name, n) && p[n] == '\'')
			return name;
	}
	return NULL;
}

static int load_object(struct jn_kern *k, char *err, size_t errlen)
{
	char tail[384];
	const char *who;
	int ret;

	k->log = calloc(1, LOG_SIZE);
	if (!k->log)
		return jn_errf(err, errlen, ENOMEM, "kern: %s: out of memory", k->base);
	for (size_t i = 0; i < k->n_progs; i++)
		if (bpf_program__autoload(k->progs[i].prog))
			bpf_program__set_log_buf(k->progs[i].prog, k->log, LOG_SIZE);
	/* The oracle's maps are private to the run: never pin or reuse pinned
	 * maps (xdp-filter's objects ask for LIBBPF_PIN_BY_NAME). */
	struct bpf_map *map;
	bpf_object__for_each_map(map, k->obj)
		bpf_map__set_pin_path(map, NULL);
	kern_warn_reset();
	ret = bpf_object__load(k->obj);
	if (!ret)
		return 0;
	if (errno_is_refusal(-ret) && !k->log[0])
		return unavailable(-ret, err, errlen);
	who = failed_prog(k, kern_prog_warn());
	log_tail(k->log, tail, sizeof(tail));
	if (who && k->log[0])
		return jn_errf(err, errlen, -ret, "kern: %s: program %s: verifier rejected it (%s)%s",
			       k->base, who, strerror(-ret), tail);
	return jn_errf(err, errlen, -ret, "kern: %s: load failed (%s): %s", k->base, strerror(-ret),
		       kern_prog_warn()[0] ? kern_prog_warn() :
		       kern_last_warn()[0] ? kern_last_warn() : "no message from libbpf");
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Global data entries become the maps' initial contents (before the load). */
static int set_globals(struct jn_kern *k, const struct jn_maps_init *init, char *err, size_t errlen)
{
	for (size_t i = 0; init && i < init->n_entries; i++) {
		const struct jn_maps_entry *e = &init->entries[i];
		struct kern_map *m = kern_find_map(k, e->map);

		if (!m || !m->global)
			continue;
		if (!e->key || e->key_len != 4 || !all_zero(e->key, 4))
			return jn_errf(err, errlen, EINVAL, "kern: %s: map %s: global data has one entry, key 0",
				       k->base, e->map);
		if (e->value_len != m->spec.value_size)
			return jn_errf(err, errlen, EINVAL, "kern: %s: map %s: value of %u bytes, value_size is %u",
				       k->base, e->map, e->value_len, m->spec.value_size);
		if (bpf_map__set_initial_value(m->map, e->value, e->value_len))
			return jn_errf(err, errlen, EINVAL, "kern: %s: map %s: libbpf refused the initial value: %s",
				       k->base, e->map, kern_last_warn());
	}
	return 0;
}

/* prog_array values in the init are program indexes (jn_kern_maps_env). */
static int prog_value(struct jn_kern *k, const struct jn_maps_entry *e, uint32_t *fd,
		      char *err, size_t errlen)
{
	uint32_t idx;

	if (e->value_len != 4)
		return jn_errf(err, errlen, EINVAL, "kern: %s: map %s: prog_array value of %u bytes",
			       k->base, e->map, e->value_len);
	memcpy(&idx, e->value, 4);
	if (idx >= k->n_progs || k->progs[idx].fd < 0)
		return jn_errf(err, errlen, EINVAL, "kern: %s: map %s: value %u is not a loaded XDP program",
			       k->base, e->map, idx);
	*fd = (uint32_t)k->progs[idx].fd;
	return 0;
}

static int apply_entries(struct jn_kern *k, const struct jn_maps_init *init, char *err, size_t errlen)
{
	for (size_t i = 0; init && i < init->n_entries; i++) {
		const struct jn_maps_entry *e = &init->entries[i];
		struct kern_map *m = kern_find_map(k, e->map);
		const void *val = e->value;
		uint32_t fd;
		char key[40];
		int ret;

		if (!m)
			return jn_errf(err, errlen, ENOENT, "kern: %s: no map called %s", k->base, e->map);
		if (m->global)
			continue;
		if (m->spec.type == BPF_MAP_TYPE_PROG_ARRAY) {
			ret = prog_value(k, e, &fd, err, errlen);
			if (ret)
				return ret;
			val = &fd;
		}
		if (m->spec.type == BPF_MAP_TYPE_QUEUE || m->spec.type == BPF_MAP_TYPE_STACK)
			ret = bpf_map_update_elem(m->fd, NULL, val, BPF_ANY);
		else
			ret = bpf_map_update_elem(m->fd, e->key, val, BPF_ANY);
		if (ret) {
			kern_hex(e->key, e->key ? (e->key_len > 16 ? 16 : e->key_len) : 0, key);
			if (e->key && e->key_len > 16)
				strcat(key, "...");
			jn_errf(err, errlen, 0, "kernel refused: map %s key %s: %s", e->map,
				key[0] ? key : "(none)", strerror(errno));
			return JN_KERN_EREFUSED;
		}
	}
	return 0;
}

static int collect_fds(struct jn_kern *k, char *err, size_t errlen)
{
	for (size_t i = 0; i < k->n_maps; i++)
		k->maps[i].fd = bpf_map__fd(k->maps[i].map);
	for (size_t i = 0; i < k->n_progs; i++) {
		struct bpf_prog_info info;
		uint32_t len = sizeof(info);

		k->progs[i].fd = bpf_program__autoload(k->progs[i].prog) ? bpf_program__fd(k->progs[i].prog) : -1;
		if (k->progs[i].fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(k->progs[i].fd, &info, &len))
			return jn_errf(err, errlen, errno, "kern: %s: program %s: no info: %s", k->base,
				       bpf_program__name(k->progs[i].prog), strerror(errno));
		k->progs[i].id = info.id;
	}
	return 0;
}

static int pin_cpu0(struct jn_kern *k, char *err, size_t errlen)
{
	cpu_set_t set;

	if (k->pinned)
		return 0;
	if (sched_getaffinity(0, sizeof(k->old_cpus), &k->old_cpus))
		return jn_errf(err, errlen, errno, "kern: sched_getaffinity: %s", strerror(errno));
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		return jn_errf(err, errlen, errno, "kern: cannot run on CPU 0: %s", strerror(errno));
	k->pinned = true;
	return 0;
}

int jn_kern_load(struct jn_kern *k, const struct jn_maps_init *init, char *err, size_t errlen)
{
	int ret;

	if (k->loaded)
		return jn_errf(err, errlen, EALREADY, "kern: %s: already loaded", k->base);
	ret = probe_bpf(err, errlen);
	if (!ret)
		ret = set_globals(k, init, err, errlen);
	if (!ret)
		ret = load_object(k, err, errlen);
	if (ret)
		return ret;
	k->loaded = true;
	ret = collect_fds(k, err, errlen);
	if (!ret)
		ret = pin_cpu0(k, err, errlen);
	if (!ret)
		ret = apply_entries(k, init, err, errlen);
	if (!ret && init) {
		k->ifindex = init->ingress_ifindex;
		k->rxq = init->rx_queue_index;
	}
	return ret;
}
