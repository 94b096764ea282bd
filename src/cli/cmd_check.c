/* cmd_check.c - `jitnic check prog.o traffic.pcap`: the kernel oracle.  The
 * same object is loaded into the kernel (libbpf) and into the interpreter,
 * both get the same maps file; every packet runs through both and the
 * action and output bytes are compared, then every map.  The first
 * divergence is shown with both results and a hex diff. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <linux/bpf.h>

#include "cli.h"
#include "kern/kern.h"
#include "pkt/pkt.h"
#include "session.h"

struct check_cfg {
	const char *prog, *maps;
	bool json;
};

static const struct jn_opt check_opts[] = {
	JN_OPT(struct check_cfg, prog, "prog", JN_OPT_STR, "NAME", "program to check (function or section name)"),
	JN_OPT(struct check_cfg, maps, "maps", JN_OPT_STR, "FILE", "fill maps (both sides) from FILE"),
	JN_OPT(struct check_cfg, json, "json", JN_OPT_FLAG, NULL, "print the report as JSON"),
	{ NULL }
};

struct check_state {
	uint64_t packets, agree, diverge, refused, faults;
	unsigned nondet;
	char first[4096];           /* the first divergence, rendered */
	int map_diffs;
	char first_map[512];
	char refused_why[256];
};

static void hex_rows(char *out, size_t cap, const char *who, const uint8_t *p, size_t n,
		     const uint8_t *other, size_t on)
{
	size_t used = strlen(out);

	for (size_t off = 0; off < n && used + 80 < cap; off += 16) {
		used += (size_t)snprintf(out + used, cap - used, "    %-6s %04zx:", who, off);
		for (size_t i = off; i < off + 16 && i < n && used + 8 < cap; i++) {
			bool diff = i >= on || other[i] != p[i];
			used += (size_t)snprintf(out + used, cap - used, "%c%02x", diff ? '*' : ' ', p[i]);
		}
		used += (size_t)snprintf(out + used, cap - used, "\n");
	}
}

static void record_divergence(struct check_state *st, const struct jn_pkt *p,
			      const struct jn_xdp_result *a, const uint8_t *kbytes, size_t klen,
			      uint32_t kaction)
{
	if (st->diverge++)
		return;
	snprintf(st->first, sizeof(st->first),
		 "packet %llu (%u bytes): interpreter %s, %u bytes%s%s; kernel %s, %zu bytes\n",
		 (unsigned long long)p->index, p->caplen, jn_xdp_action_name(a->action), a->len,
		 a->err ? ", fault: " : "", a->err ? a->errmsg : "", jn_xdp_action_name((int)kaction), klen);
	if (a->len != klen || memcmp(a->data, kbytes, klen)) {
		hex_rows(st->first, sizeof(st->first), "jitnic", a->data, a->len, kbytes, klen);
		hex_rows(st->first, sizeof(st->first), "kernel", kbytes, klen, a->data, a->len);
	}
}

/* Programs that read the time see, in the kernel, CLOCK_MONOTONIC at the
 * moment of the run: the interpreter's virtual clock follows the same clock,
 * read just after the kernel's run, so time-driven decisions agree. */
static uint64_t clock_for(struct jn_session *s, const struct jn_pkt *p)
{
	struct timespec t;

	if (!(jn_xdp_nondet_helpers(s->xdp) & JN_ND_TIME))
		return p->ts_ns;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static int check_packet(struct jn_session *s, struct jn_kern *k, const struct jn_pkt *p,
			struct check_state *st, char *err, size_t errlen)
{
	struct jn_xdp_result a;
	struct jn_kern_result kr;
	uint8_t kbytes[JN_XDP_FRAME_SZ];
	size_t klen;
	int rc;

	st->packets++;
	rc = jn_kern_run(k, p->data, p->caplen, &kr, err, errlen);
	if (rc == JN_KERN_EREFUSED) {
		/* the interpreter must refuse it too */
		if (jn_xdp_run(s->xdp, p->data, p->caplen, p->ts_ns, &a, false) == 0) {
			st->diverge++;
			return 0;
		}
		if (!st->refused++)
			snprintf(st->refused_why, sizeof(st->refused_why), "%.200s", err);
		return 0;
	}
	if (rc)
		return rc;
	if (jn_xdp_run(s->xdp, p->data, p->caplen, clock_for(s, p), &a, false)) {
		st->diverge++;
		return 0;
	}
	st->nondet |= a.nondet;
	if (a.err)
		st->faults++;
	klen = kr.meta_len + kr.len;
	memcpy(kbytes, kr.meta, kr.meta_len);
	memcpy(kbytes + kr.meta_len, kr.data, kr.len);
	if (!a.err && (uint32_t)a.retval == kr.action && a.len == klen && !memcmp(a.data, kbytes, klen))
		st->agree++;
	else
		record_divergence(st, p, &a, kbytes, klen, kr.action);
	return 0;
}

/* The first entry where two map dumps differ, or their sizes. */
static void describe_map_diff(char *out, size_t cap, const char *name, struct json_object *ours,
			      struct json_object *theirs)
{
	struct json_object *oe = NULL, *te = NULL;
	size_t on, tn;

	if (!ours || !json_object_object_get_ex(ours, "entries", &oe) ||
	    !json_object_object_get_ex(theirs, "entries", &te)) {
		snprintf(out, cap, "map %s: missing in the interpreter's dump", name);
		return;
	}
	on = json_object_array_length(oe);
	tn = json_object_array_length(te);
	for (size_t i = 0; i < on && i < tn; i++) {
		struct json_object *a = json_object_array_get_idx(oe, i), *b = json_object_array_get_idx(te, i);
		if (!json_object_equal(a, b)) {
			snprintf(out, cap, "map %s entry %zu differs:\n  jitnic %.220s\n  kernel %.220s", name, i,
				 json_object_to_json_string(a), json_object_to_json_string(b));
			return;
		}
	}
	snprintf(out, cap, "map %s: jitnic has %zu entries, the kernel %zu", name, on, tn);
}

static void compare_maps(struct jn_session *s, struct jn_kern *k, struct check_state *st)
{
	struct json_object *ours = jn_xdp_dump_maps(s->xdp), *theirs = NULL;
	char err[256];

	if (jn_kern_dump_maps(k, &theirs, err, sizeof(err))) {
		snprintf(st->first_map, sizeof(st->first_map), "kernel maps unreadable: %s", err);
		st->map_diffs++;
		json_object_put(ours);
		return;
	}
	json_object_object_foreach(theirs, name, kv) {
		struct json_object *ov = NULL;
		if (!json_object_object_get_ex(ours, name, &ov) || !json_object_equal(ov, kv)) {
			if (!st->map_diffs++)
				describe_map_diff(st->first_map, sizeof(st->first_map), name, ov, kv);
		}
	}
	json_object_put(ours);
	json_object_put(theirs);
}

static const char *nondet_names(unsigned nd)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "%s%s%s", nd & JN_ND_TIME ? "ktime_get_ns/jiffies64 " : "",
		 nd & JN_ND_RANDOM ? "get_prandom_u32 " : "", nd & JN_ND_CPU ? "cpu " : "");
	return buf;
}

static void report(const struct check_cfg *c, const struct check_state *st, const char *prog, bool ok)
{
	if (c->json) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "program", json_object_new_string(prog));
		json_object_object_add(o, "packets", json_object_new_int64((int64_t)st->packets));
		json_object_object_add(o, "agree", json_object_new_int64((int64_t)st->agree));
		json_object_object_add(o, "diverge", json_object_new_int64((int64_t)st->diverge));
		json_object_object_add(o, "refused_by_kernel", json_object_new_int64((int64_t)st->refused));
		json_object_object_add(o, "map_diffs", json_object_new_int(st->map_diffs));
		json_object_object_add(o, "nondeterministic_helpers", json_object_new_string(nondet_names(st->nondet)));
		if (st->diverge)
			json_object_object_add(o, "first_divergence", json_object_new_string(st->first));
		if (st->map_diffs)
			json_object_object_add(o, "first_map_difference", json_object_new_string(st->first_map));
		json_object_object_add(o, "ok", json_object_new_boolean(ok));
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
		json_object_put(o);
		return;
	}
	printf("check %s: %llu packets, %llu agree, %llu diverge, %llu refused by the kernel "
	       "(and by jitnic)%s%s\n", prog, (unsigned long long)st->packets,
	       (unsigned long long)st->agree, (unsigned long long)st->diverge,
	       (unsigned long long)st->refused, st->refused ? ": " : "", st->refused ? st->refused_why : "");
	if (st->diverge)
		printf("first divergence: %s", st->first);
	printf("maps: %s\n", st->map_diffs ? st->first_map : "identical");
	if (st->nondet)
		printf("note: the program calls %s- the interpreter's clock followed the kernel's "
		       "CLOCK_MONOTONIC; differences are reported, not failed\n", nondet_names(st->nondet));
	printf("%s\n", ok ? "OK: jitnic agrees with the kernel" : "FAIL: jitnic diverges from the kernel");
}

static int open_kernel(const struct check_cfg *c, const char *path, struct jn_kern **k, char *err, size_t errlen)
{
	struct jn_maps_init *init = NULL;
	struct jn_maps_init_env env;
	int rc = jn_kern_open(path, c->prog, k, err, errlen);

	if (rc)
		return rc;
	if (c->maps) {
		env = jn_kern_maps_env(*k);
		rc = jn_maps_init_load(c->maps, &env, &init, err, errlen);
	}
	if (!rc)
		rc = jn_kern_load(*k, init, err, errlen);
	if (init)
		jn_maps_init_free(init);
	return rc;
}

static int check_main(void *cfgp, int npos, char **pos)
{
	struct check_cfg *c = cfgp;
	struct jn_session s;
	struct jn_session_opts so = { .obj_path = pos[0], .prog = c->prog, .maps_path = c->maps,
				      .xdp = { .sz = sizeof(so.xdp) } };
	struct jn_kern *k = NULL;
	struct jn_pkt_reader *rd = NULL;
	struct check_state st = {0};
	struct jn_pkt p;
	char err[1024];
	int rc, got = 0, status = 0;

	if (jn_session_open(&s, &so, err, sizeof(err))) {
		fprintf(stderr, "jitnic check: %s\n", err);
		return 1;
	}
	rc = open_kernel(c, pos[0], &k, err, sizeof(err));
	if (rc == JN_KERN_EUNAVAIL) {
		printf("jitnic check: %s: skipped\n", err);
		goto out;
	}
	if (rc || jn_pkt_reader_open(pos[1], &rd, err, sizeof(err))) {
		fprintf(stderr, "jitnic check: %s\n", err);
		status = 1;
		goto out;
	}
	while ((got = jn_pkt_reader_next(rd, &p, err, sizeof(err))) == 1) {
		if ((rc = check_packet(&s, k, &p, &st, err, sizeof(err)))) {
			got = rc;
			break;
		}
		if (!c->json)
			jn_cli_progress("check: packets", st.packets, 0);
	}
	if (!c->json)
		jn_cli_progress_end();
	if (got < 0) {
		fprintf(stderr, "jitnic check: %s\n", err);
		status = 1;
	}
	compare_maps(&s, k, &st);
	bool ok = st.nondet || (st.diverge == 0 && st.map_diffs == 0);
	report(c, &st, jn_session_prog_name(&s, c->prog), ok);
	if (!ok)
		status = 1;
out:
	jn_pkt_reader_close(rd);
	jn_kern_close(k);
	jn_session_close(&s);
	return status;
}

const struct jn_cmd jn_cmd_check = {
	.name = "check", .args = "prog.o traffic.pcap",
	.summary = "run every packet through the interpreter and the kernel, compare everything",
	.opts = check_opts, .cfg_size = sizeof(struct check_cfg), .min_pos = 2, .max_pos = 2,
	.run = check_main,
};
