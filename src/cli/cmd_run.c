/* cmd_run.c - `jitnic run prog.o traffic.pcap`: every packet through the
 * interpreter; counts per action and redirect target, faults, one output
 * capture per verdict, the maps after the run. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <linux/bpf.h>

#include "cli.h"
#include "pkt/pkt.h"
#include "session.h"

struct run_cfg {
	const char *prog, *maps, *out, *log, *events;
	bool json, raw, dump_maps;
	uint64_t seed;
};

static const struct jn_opt run_opts[] = {
	JN_OPT(struct run_cfg, prog, "prog", JN_OPT_STR, "NAME", "program to run (function or section name)"),
	JN_OPT(struct run_cfg, maps, "maps", JN_OPT_STR, "FILE", "fill maps from FILE (docs/maps-file.md)"),
	JN_OPT(struct run_cfg, out, "out", JN_OPT_STR, "DIR", "write one pcap per verdict into DIR"),
	JN_OPT(struct run_cfg, log, "log", JN_OPT_STR, "FILE", "write bpf_trace_printk lines to FILE"),
	JN_OPT(struct run_cfg, events, "events", JN_OPT_STR, "FILE", "write perf/ringbuf records to FILE"),
	JN_OPT(struct run_cfg, seed, "seed", JN_OPT_U64, "N", "seed of bpf_get_prandom_u32"),
	JN_OPT(struct run_cfg, dump_maps, "dump-maps", JN_OPT_FLAG, NULL, "print every map after the run"),
	JN_OPT(struct run_cfg, raw, "raw", JN_OPT_FLAG, NULL, "prog.o is raw bytecode, not ELF"),
	JN_OPT(struct run_cfg, json, "json", JN_OPT_FLAG, NULL, "print the summary as JSON"),
	{ NULL }
};

struct run_stats {
	uint64_t packets, actions[XDP_REDIRECT + 1], faults, skipped, snap_truncated, insns;
	char first_fault[256];
	struct json_object *targets;   /* "devmap:3" -> count */
};

static void count_target(struct run_stats *st, const struct jn_xdp_result *r)
{
	static const char *const kinds[] = {"none", "ifindex", "devmap", "cpumap", "xskmap"};
	char key[48];
	struct json_object *v;

	snprintf(key, sizeof(key), "%s:%u", kinds[r->redirect_kind], r->redirect_target);
	if (json_object_object_get_ex(st->targets, key, &v))
		json_object_set_int64(v, json_object_get_int64(v) + 1);
	else
		json_object_object_add(st->targets, key, json_object_new_int64(1));
}

static int one_packet(struct jn_session *s, struct jn_pkt_verdicts *vd, const struct jn_pkt *p,
		      struct run_stats *st, char *err, size_t errlen)
{
	struct jn_xdp_result r;

	st->packets++;
	if (jn_pkt_snap_truncated(p))
		st->snap_truncated++;
	if (jn_xdp_run(s->xdp, p->data, p->caplen, p->ts_ns, &r, false)) {
		st->skipped++;
		return 0;
	}
	if (r.err && st->faults++ == 0)
		snprintf(st->first_fault, sizeof(st->first_fault), "packet %llu: %s",
			 (unsigned long long)p->index, r.errmsg);
	st->actions[r.action]++;
	if (r.action == XDP_REDIRECT)
		count_target(st, &r);
	if (vd) {
		struct jn_pkt out = *p;
		out.data = r.data;
		out.caplen = out.len = r.len;
		return jn_pkt_verdicts_write(vd, (uint32_t)r.action, &out, err, errlen);
	}
	return 0;
}

static struct json_object *summary_json(struct jn_session *s, const struct run_cfg *c,
					const struct run_stats *st, double secs)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_object();

	json_object_object_add(o, "program", json_object_new_string(jn_session_prog_name(s, c->prog)));
	json_object_object_add(o, "packets", json_object_new_int64((int64_t)st->packets));
	for (int i = 0; i <= XDP_REDIRECT; i++)
		json_object_object_add(a, jn_xdp_action_name(i), json_object_new_int64((int64_t)st->actions[i]));
	json_object_object_add(o, "actions", a);
	json_object_object_add(o, "redirect_targets", json_object_get(st->targets));
	json_object_object_add(o, "faults", json_object_new_int64((int64_t)st->faults));
	if (st->faults)
		json_object_object_add(o, "first_fault", json_object_new_string(st->first_fault));
	json_object_object_add(o, "skipped", json_object_new_int64((int64_t)st->skipped));
	json_object_object_add(o, "snaplen_truncated", json_object_new_int64((int64_t)st->snap_truncated));
	json_object_object_add(o, "seconds", json_object_new_double(secs));
	json_object_object_add(o, "maps", jn_xdp_dump_maps(s->xdp));
	return o;
}

static void summary_text(struct jn_session *s, const struct run_cfg *c, const struct run_stats *st,
			 double secs)
{
	printf("program %s: %llu packets in %.3f s\n", jn_session_prog_name(s, c->prog),
	       (unsigned long long)st->packets, secs);
	for (int i = 0; i <= XDP_REDIRECT; i++)
		printf("  %-9s %llu\n", jn_xdp_action_name(i), (unsigned long long)st->actions[i]);
	json_object_object_foreach(st->targets, key, val)
		printf("  redirect to %s: %lld\n", key, (long long)json_object_get_int64(val));
	if (st->faults)
		printf("  faults    %llu (first: %s)\n", (unsigned long long)st->faults, st->first_fault);
	if (st->skipped)
		printf("  skipped   %llu (shorter than 14 or longer than %d bytes: XDP never sees them)\n",
		       (unsigned long long)st->skipped, JN_XDP_MAX_DATA);
	if (st->snap_truncated)
		printf("  snaplen-truncated %llu (run as captured)\n", (unsigned long long)st->snap_truncated);
	if (!c->dump_maps) {
		for (size_t i = 0; i < jn_xdp_nmaps(s->xdp); i++)
			printf("  map %s\n", jn_map_spec(jn_xdp_map(s->xdp, i))->name);
		return;
	}
	struct json_object *m = jn_xdp_dump_maps(s->xdp);
	printf("%s\n", json_object_to_json_string_ext(m, JSON_C_TO_STRING_PRETTY));
	json_object_put(m);
}

static FILE *open_or_null(const char *path, const char *what, int *rc)
{
	FILE *f;

	if (!path)
		return NULL;
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "jitnic run: %s %s: %s\n", what, path, strerror(errno));
		*rc = 1;
	}
	return f;
}

static int run_main(void *cfgp, int npos, char **pos)
{
	struct run_cfg *c = cfgp;
	struct jn_session s;
	struct jn_session_opts so = { .obj_path = pos[0], .raw = c->raw, .prog = c->prog,
				      .maps_path = c->maps };
	struct jn_pkt_reader *rd = NULL;
	struct jn_pkt_verdicts *vd = NULL;
	struct run_stats st = { .targets = json_object_new_object() };
	struct jn_pkt p;
	struct timespec t0, t1;
	char err[512];
	int rc = 0, got;

	so.xdp.sz = sizeof(so.xdp);
	so.xdp.seed = c->seed;
	so.xdp.log = open_or_null(c->log, "--log", &rc);
	so.xdp.events = open_or_null(c->events, "--events", &rc);
	if (rc || jn_session_open(&s, &so, err, sizeof(err))) {
		if (!rc)
			fprintf(stderr, "jitnic run: %s\n", err);
		rc = 1;
		goto out_files;
	}
	if (jn_pkt_reader_open(pos[1], &rd, err, sizeof(err)) ||
	    (c->out && jn_pkt_verdicts_open(c->out, &vd, err, sizeof(err)))) {
		fprintf(stderr, "jitnic run: %s\n", err);
		rc = 1;
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((got = jn_pkt_reader_next(rd, &p, err, sizeof(err))) == 1) {
		if (one_packet(&s, vd, &p, &st, err, sizeof(err)) < 0) {
			got = -EIO;
			break;
		}
		if (!c->json)
			jn_cli_progress("run: packets", st.packets, 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!c->json)
		jn_cli_progress_end();
	if (got < 0) {
		fprintf(stderr, "jitnic run: %s\n", err);
		rc = 1;
	}
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (c->json) {
		struct json_object *o = summary_json(&s, c, &st, secs);
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
		json_object_put(o);
	} else {
		summary_text(&s, c, &st, secs);
	}
out:
	if (vd && jn_pkt_verdicts_close(vd, err, sizeof(err))) {
		fprintf(stderr, "jitnic run: %s\n", err);
		rc = 1;
	}
	jn_pkt_reader_close(rd);
	if (s.obj)
		jn_session_close(&s);
out_files:
	if (so.xdp.log)
		fclose(so.xdp.log);
	if (so.xdp.events)
		fclose(so.xdp.events);
	json_object_put(st.targets);
	return rc;
}

const struct jn_cmd jn_cmd_run = {
	.name = "run", .args = "prog.o traffic.pcap",
	.summary = "run every packet through the interpreter: verdicts, output pcaps, maps",
	.opts = run_opts, .cfg_size = sizeof(struct run_cfg), .min_pos = 2, .max_pos = 2,
	.run = run_main,
};
