/* cmd_check.c - `jitnic check prog.o traffic.pcap`: the kernel oracle.  The
 * same object is loaded into the kernel (libbpf) and into the interpreter,
 * both get the same maps file; every packet runs through both and the
 * action and output bytes are compared, then every map.  With --engine nic
 * (or all) a third instance runs the packets through the JITNIC NIC model
 * (trace cache, host tracer on a miss) and is held to the same standard;
 * the kernel's test run does not report a redirect target, so the NIC's is
 * compared with the interpreter's.  The first divergence of each engine is
 * shown with both results and a hex diff. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <linux/bpf.h>

#include "base/base.h"
#include "cli.h"
#include "kern/kern.h"
#include "nic_run.h"
#include "pkt/pkt.h"
#include "session.h"

struct check_cfg {
	const char *prog, *maps, *engine, *policy;
	long cache;
	uint64_t seed;
	bool json;
};

static const struct jn_opt check_opts[] = {
	JN_OPT(struct check_cfg, prog, "prog", JN_OPT_STR, "NAME", "program to check (function or section name)"),
	JN_OPT(struct check_cfg, maps, "maps", JN_OPT_STR, "FILE", "fill maps (both sides) from FILE"),
	JN_OPT(struct check_cfg, engine, "engine", JN_OPT_STR, "E", "vm (the interpreter, default), nic (the JITNIC NIC model) or all"),
	JN_OPT(struct check_cfg, cache, "cache", JN_OPT_INT, "N", "NIC engine: traces the NIC holds (default 16)"),
	JN_OPT(struct check_cfg, policy, "policy", JN_OPT_STR, "P", "NIC engine: lru, lfu, fifo, random, clock, belady (default lru)"),
	JN_OPT(struct check_cfg, seed, "seed", JN_OPT_U64, "N", "NIC engine: seed of the random policy"),
	JN_OPT(struct check_cfg, json, "json", JN_OPT_FLAG, NULL, "print the report as JSON"),
	{ NULL }
};

/* One engine's standing against the kernel. */
struct eng {
	const char *name;           /* "interpreter", "nic" */
	bool on;                    /* checked and reported */
	uint64_t agree, diverge;
	char first[4096];           /* the first divergence, rendered */
	int map_diffs;
	char first_map[512];
};

struct check_state {
	uint64_t packets, refused, faults;
	unsigned nondet;
	char refused_why[256];
	struct eng vm, nic;
	struct jn_session ns;       /* the NIC engine's instance */
	struct jn_nic *n;
	struct jn_nic_opts nopts;
	uint64_t *future;           /* belady */
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

static void record_divergence(struct eng *e, const struct jn_pkt *p, const struct jn_xdp_result *a,
			      const uint8_t *kbytes, size_t klen, uint32_t kaction, const char *note)
{
	if (e->diverge++)
		return;
	snprintf(e->first, sizeof(e->first),
		 "packet %llu (%u bytes): %s %s, %u bytes%s%s; kernel %s, %zu bytes%s\n",
		 (unsigned long long)p->index, p->caplen, e->name, jn_xdp_action_name(a->action), a->len,
		 a->err ? ", fault: " : "", a->err ? a->errmsg : "", jn_xdp_action_name((int)kaction), klen,
		 note);
	if (a->len != klen || memcmp(a->data, kbytes, klen)) {
		hex_rows(e->first, sizeof(e->first), "jitnic", a->data, a->len, kbytes, klen);
		hex_rows(e->first, sizeof(e->first), "kernel", kbytes, klen, a->data, a->len);
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

static bool same_as_kernel(const struct jn_xdp_result *a, const uint8_t *kbytes, size_t klen,
			   uint32_t kaction)
{
	return !a->err && (uint32_t)a->retval == kaction && a->len == klen && !memcmp(a->data, kbytes, klen);
}

/* The packet through the NIC model, held to the kernel's result and to the
 * interpreter's redirect target (ref).  *refused: the NIC refused it. */
static int nic_packet(struct check_state *st, const struct jn_pkt *p, uint64_t ts,
		      struct jn_xdp_result *r, bool *refused)
{
	struct jn_pkt q = *p;
	bool hit;
	int rc;

	q.ts_ns = ts;
	rc = jn_nic_packet(st->n, &q, r, &hit);
	*refused = rc == -EINVAL;
	return rc == -EINVAL ? 0 : rc;
}

static void check_nic(struct check_state *st, const struct jn_pkt *p, const struct jn_xdp_result *r,
		      const struct jn_xdp_result *ref, const uint8_t *kbytes, size_t klen, uint32_t kaction)
{
	static const char *const kinds[] = {"none", "ifindex", "devmap", "cpumap", "xskmap"};
	char note[160] = "";

	if (r->redirect_kind != ref->redirect_kind || r->redirect_target != ref->redirect_target)
		snprintf(note, sizeof(note), "; redirect target %s:%u, the interpreter's %s:%u",
			 kinds[r->redirect_kind], r->redirect_target, kinds[ref->redirect_kind],
			 ref->redirect_target);
	if (!note[0] && same_as_kernel(r, kbytes, klen, kaction))
		st->nic.agree++;
	else
		record_divergence(&st->nic, p, r, kbytes, klen, kaction, note);
}

static int check_packet(struct jn_session *s, struct jn_kern *k, const struct jn_pkt *p,
			struct check_state *st, char *err, size_t errlen)
{
	struct jn_xdp_result a, nr;
	struct jn_kern_result kr;
	uint8_t kbytes[JN_XDP_FRAME_SZ];
	size_t klen;
	uint64_t ts;
	bool nref = false;
	int rc;

	st->packets++;
	rc = jn_kern_run(k, p->data, p->caplen, &kr, err, errlen);
	if (rc == JN_KERN_EREFUSED) {
		/* the engines must refuse it too */
		if (jn_xdp_run(s->xdp, p->data, p->caplen, p->ts_ns, &a, false) == 0)
			st->vm.diverge++;
		if (st->n && (rc = nic_packet(st, p, p->ts_ns, &nr, &nref)))
			return jn_errf(err, errlen, -rc, "nic: packet %llu: %s",
				       (unsigned long long)p->index, strerror(-rc));
		if (st->n && !nref)
			st->nic.diverge++;
		if (!st->refused++)
			snprintf(st->refused_why, sizeof(st->refused_why), "%.200s", err);
		return 0;
	}
	if (rc)
		return rc;
	ts = clock_for(s, p);
	if (jn_xdp_run(s->xdp, p->data, p->caplen, ts, &a, false)) {
		st->vm.diverge++;
		return 0;
	}
	st->nondet |= a.nondet;
	if (a.err)
		st->faults++;
	klen = kr.meta_len + kr.len;
	memcpy(kbytes, kr.meta, kr.meta_len);
	memcpy(kbytes + kr.meta_len, kr.data, kr.len);
	if (same_as_kernel(&a, kbytes, klen, kr.action))
		st->vm.agree++;
	else
		record_divergence(&st->vm, p, &a, kbytes, klen, kr.action, "");
	if (!st->n)
		return 0;
	if ((rc = nic_packet(st, p, ts, &nr, &nref)))
		return jn_errf(err, errlen, -rc, "nic: packet %llu: %s", (unsigned long long)p->index,
			       strerror(-rc));
	if (nref)
		st->nic.diverge++;
	else
		check_nic(st, p, &nr, &a, kbytes, klen, kr.action);
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
		snprintf(out, cap, "map %s: missing in jitnic's dump", name);
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

static void compare_maps(struct jn_xdp *x, struct json_object *theirs, struct eng *e)
{
	struct json_object *ours = jn_xdp_dump_maps(x);

	json_object_object_foreach(theirs, name, kv) {
		struct json_object *ov = NULL;
		if (!json_object_object_get_ex(ours, name, &ov) || !json_object_equal(ov, kv)) {
			if (!e->map_diffs++)
				describe_map_diff(e->first_map, sizeof(e->first_map), name, ov, kv);
		}
	}
	json_object_put(ours);
}

static void compare_all_maps(struct jn_session *s, struct jn_kern *k, struct check_state *st)
{
	struct json_object *theirs = NULL;
	char err[256];

	if (jn_kern_dump_maps(k, &theirs, err, sizeof(err))) {
		struct eng *es[] = { &st->vm, &st->nic };
		for (int i = 0; i < 2; i++) {
			snprintf(es[i]->first_map, sizeof(es[i]->first_map), "kernel maps unreadable: %s", err);
			es[i]->map_diffs++;
		}
		return;
	}
	compare_maps(s->xdp, theirs, &st->vm);
	if (st->n)
		compare_maps(st->ns.xdp, theirs, &st->nic);
	json_object_put(theirs);
}

static const char *nondet_names(unsigned nd)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "%s%s%s", nd & JN_ND_TIME ? "ktime_get_ns/jiffies64 " : "",
		 nd & JN_ND_RANDOM ? "get_prandom_u32 " : "", nd & JN_ND_CPU ? "cpu " : "");
	return buf;
}

static struct json_object *eng_json(const struct check_state *st, const struct eng *e)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "agree", json_object_new_int64((int64_t)e->agree));
	json_object_object_add(o, "diverge", json_object_new_int64((int64_t)e->diverge));
	json_object_object_add(o, "map_diffs", json_object_new_int(e->map_diffs));
	if (e->diverge)
		json_object_object_add(o, "first_divergence", json_object_new_string(e->first));
	if (e->map_diffs)
		json_object_object_add(o, "first_map_difference", json_object_new_string(e->first_map));
	if (e == &st->nic) {
		const struct jn_nic_stats *ns = jn_nic_stats(st->n);
		json_object_object_add(o, "cache", json_object_new_int64(st->nopts.capacity));
		json_object_object_add(o, "policy", json_object_new_string(jn_nic_policy_name(st->nopts.policy)));
		json_object_object_add(o, "hits", json_object_new_int64((int64_t)ns->hits));
		json_object_object_add(o, "misses", json_object_new_int64((int64_t)ns->misses));
		json_object_object_add(o, "aborts", json_object_new_int64((int64_t)ns->aborts));
	}
	return o;
}

static void report_json(const struct check_state *st, const char *prog, bool ok)
{
	struct json_object *o = json_object_new_object(), *engines = json_object_new_object();
	const struct eng *first = st->vm.on ? &st->vm : &st->nic;

	json_object_object_add(o, "program", json_object_new_string(prog));
	json_object_object_add(o, "packets", json_object_new_int64((int64_t)st->packets));
	/* the first engine's figures at the top, as before engines existed */
	json_object_object_add(o, "agree", json_object_new_int64((int64_t)first->agree));
	json_object_object_add(o, "diverge", json_object_new_int64((int64_t)first->diverge));
	json_object_object_add(o, "refused_by_kernel", json_object_new_int64((int64_t)st->refused));
	json_object_object_add(o, "map_diffs", json_object_new_int(first->map_diffs));
	json_object_object_add(o, "nondeterministic_helpers", json_object_new_string(nondet_names(st->nondet)));
	if (first->diverge)
		json_object_object_add(o, "first_divergence", json_object_new_string(first->first));
	if (first->map_diffs)
		json_object_object_add(o, "first_map_difference", json_object_new_string(first->first_map));
	if (st->vm.on)
		json_object_object_add(engines, "interpreter", eng_json(st, &st->vm));
	if (st->nic.on)
		json_object_object_add(engines, "nic", eng_json(st, &st->nic));
	json_object_object_add(o, "engines", engines);
	json_object_object_add(o, "ok", json_object_new_boolean(ok));
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
	json_object_put(o);
}

static void report(const struct check_cfg *c, const struct check_state *st, const char *prog, bool ok)
{
	const struct eng *es[] = { &st->vm, &st->nic };

	if (c->json) {
		report_json(st, prog, ok);
		return;
	}
	for (int i = 0; i < 2; i++) {
		const struct eng *e = es[i];
		if (!e->on)
			continue;
		printf("check %s", prog);
		if (e == &st->nic)
			printf(" on the NIC model (cache %u, %s: %llu hits, %llu misses)", st->nopts.capacity,
			       jn_nic_policy_name(st->nopts.policy),
			       (unsigned long long)jn_nic_stats(st->n)->hits,
			       (unsigned long long)jn_nic_stats(st->n)->misses);
		printf(": %llu packets, %llu agree, %llu diverge, %llu refused by the kernel (and by jitnic)%s%s\n",
		       (unsigned long long)st->packets, (unsigned long long)e->agree,
		       (unsigned long long)e->diverge, (unsigned long long)st->refused,
		       st->refused ? ": " : "", st->refused ? st->refused_why : "");
		if (e->diverge)
			printf("first divergence: %s", e->first);
		printf("maps: %s\n", e->map_diffs ? e->first_map : "identical");
	}
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

/* --engine, --cache, --policy: which engines run; 1 (message printed) if bad. */
static int parse_engines(const struct check_cfg *c, struct check_state *st)
{
	const char *e = c->engine ? c->engine : "vm";

	st->vm.name = "interpreter";
	st->nic.name = "nic";
	st->vm.on = !strcmp(e, "vm") || !strcmp(e, "all");
	st->nic.on = !strcmp(e, "nic") || !strcmp(e, "all");
	if (!st->vm.on && !st->nic.on) {
		fprintf(stderr, "jitnic check: --engine: unknown engine '%s' (vm nic all)\n", e);
		return 1;
	}
	if (nic_cfg_opts("check", c->policy, c->cache ? c->cache : 16, 0, 0, 0, 0, &st->nopts))
		return 1;
	st->nopts.seed = c->seed;
	return 0;
}

/* The NIC engine's own instance of the object (and, for Belady, the path
 * of every packet, recorded on yet another instance). */
static int open_nic(const struct check_cfg *c, const char *obj, const char *pcap, struct check_state *st,
		    char *err, size_t errlen)
{
	struct jn_session_opts so = { .obj_path = obj, .prog = c->prog, .maps_path = c->maps,
				      .xdp = { .sz = sizeof(so.xdp) } };
	int rc;

	if (st->nopts.policy == JN_POL_BELADY) {
		struct jn_pkt_set *set = NULL;
		struct jn_session fs;
		if ((rc = jn_pkt_load(pcap, &set, err, errlen))) {
			jn_pkt_set_free(set);
			return rc;
		}
		if (!(rc = jn_session_open(&fs, &so, err, errlen))) {
			rc = jn_nic_future(fs.xdp, set, &st->future, err, errlen);
			st->nopts.future = st->future;
			st->nopts.n_future = set->n;
			jn_session_close(&fs);
		}
		jn_pkt_set_free(set);
		if (rc)
			return rc;
	}
	if ((rc = jn_session_open(&st->ns, &so, err, errlen)))
		return rc;
	return jn_nic_new(st->ns.xdp, &st->nopts, &st->n, err, errlen);
}

static int run_packets(struct jn_session *s, struct jn_kern *k, struct jn_pkt_reader *rd,
		       struct check_state *st, bool quiet, char *err, size_t errlen)
{
	struct jn_pkt p;
	int got, rc;

	while ((got = jn_pkt_reader_next(rd, &p, err, errlen)) == 1) {
		if ((rc = check_packet(s, k, &p, st, err, errlen)))
			return rc;
		if (!quiet)
			jn_cli_progress("check: packets", st->packets, 0);
	}
	if (!quiet)
		jn_cli_progress_end();
	return got;
}

static int check_main(void *cfgp, int npos, char **pos)
{
	struct check_cfg *c = cfgp;
	struct jn_session s;
	struct jn_session_opts so = { .obj_path = pos[0], .prog = c->prog, .maps_path = c->maps,
				      .xdp = { .sz = sizeof(so.xdp) } };
	struct jn_kern *k = NULL;
	struct jn_pkt_reader *rd = NULL;
	struct check_state *st = calloc(1, sizeof(*st));
	char err[1024];
	int rc, status = 0;
	bool ok;

	(void)npos;
	if (!st || parse_engines(c, st)) {
		free(st);
		return 1;
	}
	if (jn_session_open(&s, &so, err, sizeof(err))) {
		fprintf(stderr, "jitnic check: %s\n", err);
		free(st);
		return 1;
	}
	rc = open_kernel(c, pos[0], &k, err, sizeof(err));
	if (rc == JN_KERN_EUNAVAIL) {
		printf("jitnic check: %s: skipped\n", err);
		goto out;
	}
	if (rc || (st->nic.on && open_nic(c, pos[0], pos[1], st, err, sizeof(err))) ||
	    jn_pkt_reader_open(pos[1], &rd, err, sizeof(err))) {
		fprintf(stderr, "jitnic check: %s\n", err);
		status = 1;
		goto out;
	}
	if (run_packets(&s, k, rd, st, c->json, err, sizeof(err)) < 0) {
		fprintf(stderr, "jitnic check: %s\n", err);
		status = 1;
	}
	compare_all_maps(&s, k, st);
	ok = st->nondet || ((!st->vm.on || (st->vm.diverge == 0 && st->vm.map_diffs == 0)) &&
			    (!st->nic.on || (st->nic.diverge == 0 && st->nic.map_diffs == 0)));
	report(c, st, jn_session_prog_name(&s, c->prog), ok);
	if (!ok)
		status = 1;
out:
	jn_pkt_reader_close(rd);
	jn_kern_close(k);
	jn_nic_free(st->n);
	if (st->ns.obj)
		jn_session_close(&st->ns);
	free(st->future);
	free(st);
	jn_session_close(&s);
	return status;
}

const struct jn_cmd jn_cmd_check = {
	.name = "check", .args = "prog.o traffic.pcap",
	.summary = "run every packet through the interpreter (and the NIC model) and the kernel, compare everything",
	.opts = check_opts, .cfg_size = sizeof(struct check_cfg), .min_pos = 2, .max_pos = 2,
	.run = check_main,
};
