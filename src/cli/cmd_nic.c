/* cmd_nic.c - `jitnic nic prog.o traffic.pcap`: every packet through the
 * JITNIC model (trace cache on the NIC, host tracer on a miss): the same
 * verdicts, output pcaps and maps as `jitnic run`, plus the cache's
 * statistics (docs/nic.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "nic_run.h"

struct nic_cfg {
	const char *prog, *maps, *out, *policy, *engine;
	long cache, cache_ops, admit, admit_window, thrash_window, install_delay, lanes;
	double host_cost;
	uint64_t seed;
	bool json, dump_maps;
};

static const struct jn_opt nic_opts[] = {
	JN_OPT(struct nic_cfg, cache, "cache", JN_OPT_INT, "N", "traces the NIC holds (default 16)"),
	JN_OPT(struct nic_cfg, cache_ops, "cache-ops", JN_OPT_INT, "N", "IR instructions the NIC holds (default: unlimited)"),
	JN_OPT(struct nic_cfg, policy, "policy", JN_OPT_STR, "P", "lru, lfu, fifo, random, clock, belady (default lru)"),
	JN_OPT(struct nic_cfg, admit, "admit", JN_OPT_INT, "K", "install a path only when seen K times in the admission window"),
	JN_OPT(struct nic_cfg, admit_window, "admit-window", JN_OPT_INT, "N", "admission window in packets (default 1024)"),
	JN_OPT(struct nic_cfg, install_delay, "install-delay", JN_OPT_INT, "N", "packets before an installed trace is usable (host-to-NIC latency)"),
	JN_OPT(struct nic_cfg, host_cost, "host-cost", JN_OPT_DOUBLE, "US", "modelled host time per miss: a trace is usable once packet timestamps advanced this much"),
	JN_OPT(struct nic_cfg, thrash_window, "thrash-window", JN_OPT_INT, "N", "sliding window of the thrashing signal, packets (default 1024)"),
	JN_OPT(struct nic_cfg, engine, "engine", JN_OPT_STR, "E", "how hits run: interp (the trace executor, default) or vliw (lowered to the hXDP VLIW core, cycles per hit)"),
	JN_OPT(struct nic_cfg, lanes, "lanes", JN_OPT_INT, "N", "--engine vliw: lanes of the VLIW core (1..8, default 4)"),
	JN_OPT(struct nic_cfg, prog, "prog", JN_OPT_STR, "NAME", "program to run (function or section name)"),
	JN_OPT(struct nic_cfg, maps, "maps", JN_OPT_STR, "FILE", "fill maps from FILE (docs/maps-file.md)"),
	JN_OPT(struct nic_cfg, out, "out", JN_OPT_STR, "DIR", "write one pcap per verdict into DIR"),
	JN_OPT(struct nic_cfg, seed, "seed", JN_OPT_U64, "N", "seed of bpf_get_prandom_u32 and the random policy"),
	JN_OPT(struct nic_cfg, dump_maps, "dump-maps", JN_OPT_FLAG, NULL, "print every map after the run"),
	JN_OPT(struct nic_cfg, json, "json", JN_OPT_FLAG, NULL, "print the summary as JSON"),
	{ NULL }
};

int nic_cfg_opts(const char *cmd, const char *policy, long cache, long cache_ops, long admit,
		 long admit_window, long thrash_window, struct jn_nic_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->sz = sizeof(*o);
	const struct { const char *name; long v; } nums[] = {
		{ "cache", cache }, { "cache-ops", cache_ops }, { "admit", admit },
		{ "admit-window", admit_window }, { "thrash-window", thrash_window },
	};

	o->policy = policy ? jn_nic_policy_parse(policy) : JN_POL_LRU;
	if (o->policy < 0) {
		fprintf(stderr, "jitnic %s: --policy: unknown policy '%s' (lru lfu fifo random clock belady)\n",
			cmd, policy);
		return 1;
	}
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		if (nums[i].v < 0 || nums[i].v > UINT32_MAX) {
			fprintf(stderr, "jitnic %s: --%s: %ld is out of range (0..%u)\n", cmd, nums[i].name,
				nums[i].v, UINT32_MAX);
			return 1;
		}
	o->capacity = (uint32_t)cache;
	o->cap_ops = (uint32_t)cache_ops;
	o->admit = (uint32_t)admit;
	o->admit_window = (uint32_t)admit_window;
	o->thrash_window = (uint32_t)thrash_window;
	return 0;
}

/* --engine vliw: hits on the core, against the host's misses and the
 * whole program compiled for the same core. */
/* The whole program on the core over the same packets (jn_trace_vliw_whole). */
struct whole { uint64_t cyc[3], differ; int rc; char err[256]; };

static void nic_vliw_print(const struct jn_nic_vliw *v, double host_us, const struct whole *w)
{
	struct jn_nic_vliw_stats st;
	const char *note = jn_nic_vliw_note(v);

	if (jn_nic_vliw_stats(v, &st))
		return;
	printf("vliw (%.2f MHz):\n", st.clock_mhz);
	printf("  hits on the core         %llu  cycles min/median/max %llu/%llu/%llu, IPC %.2f, %.2f Mpps\n",
	       (unsigned long long)st.hits, (unsigned long long)st.cyc_min,
	       (unsigned long long)st.cyc_median, (unsigned long long)st.cyc_max, st.ipc, st.mpps);
	printf("  traces lowered           %llu  rows min/median/max %u/%u/%u, eBPF instructions median %u\n",
	       (unsigned long long)st.traces, st.rows_min, st.rows_median, st.rows_max, st.insns_median);
	if (st.full_rows)
		printf("  whole program on core    %zu eBPF instructions, %zu rows\n", st.full_insns, st.full_rows);
	if (!w->rc)
		printf("    on every packet        cycles min/median/max %llu/%llu/%llu (%s)\n",
		       (unsigned long long)w->cyc[0], (unsigned long long)w->cyc[1],
		       (unsigned long long)w->cyc[2], w->differ ? "SOME DIFFER from the interpreter" :
		       "each equal to the interpreter");
	else
		printf("    not run: %s\n", w->err);
	printf("  misses (host)            median %.1f us per miss\n", host_us);
	printf("  failed tries on the core %llu (%llu cycles)\n", (unsigned long long)st.sim_misses,
	       (unsigned long long)st.check_cycles);
	if (st.refused) {
		printf("  traces refused           %llu, their hits run by the executor: %llu\n",
		       (unsigned long long)st.refused, (unsigned long long)st.fallback_hits);
		for (int i = 1; i < JN_TVLIW__COUNT; i++)
			if (st.refused_by[i])
				printf("    %-12s %llu  (%s)\n", jn_trace_vliw_refusal_name(i),
				       (unsigned long long)st.refused_by[i], jn_trace_vliw_refusal_msg(i));
	}
	if (st.mismatches || st.faults)
		printf("  DISAGREEMENTS            %llu core/executor, %llu faults\n",
		       (unsigned long long)st.mismatches, (unsigned long long)st.faults);
	if (note)
		printf("  note: %s\n", note);
}

static void print_text(const struct nic_run *r, const char *prog, bool dump_maps, const struct whole *w)
{
	struct json_object *st = jn_nic_stats_json(r->nic), *ab;

	printf("program %s: %llu packets in %.3f s on the NIC model\n", prog,
	       (unsigned long long)r->set->n, r->secs);
	for (int i = 0; i <= XDP_REDIRECT; i++)
		printf("  %-9s %llu\n", jn_xdp_action_name(i), (unsigned long long)r->actions[i]);
	json_object_object_foreach(r->targets, tk, tv)
		printf("  redirect to %s: %lld\n", tk, (long long)json_object_get_int64(tv));
	if (r->faults)
		printf("  faults    %llu (first: %s)\n", (unsigned long long)r->faults, r->first_fault);
	if (r->skipped)
		printf("  skipped   %llu (XDP never sees them)\n", (unsigned long long)r->skipped);
	printf("cache:\n");
	json_object_object_foreach(st, k, v) {
		if (!strcmp(k, "aborts"))
			continue;
		if (json_object_is_type(v, json_type_double))
			printf("  %-24s %.6g\n", k, json_object_get_double(v));
		else
			printf("  %-24s %s\n", k, json_object_to_json_string(v));
	}
	if (json_object_object_get_ex(st, "aborts", &ab) && json_object_object_length(ab)) {
		printf("  aborts by reason:\n");
		json_object_object_foreach(ab, k2, v2)
			printf("    %-20s %lld  (%s)\n", k2, (long long)json_object_get_int64(v2),
			       jn_trace_err_msg(jn_trace_err_parse(k2)));
	}
	json_object_put(st);
	if (r->vliw)
		nic_vliw_print(r->vliw, jn_nic_host_median_us(r->nic), w);
	if (dump_maps) {
		struct json_object *m = jn_xdp_dump_maps(r->s.xdp);
		printf("%s\n", json_object_to_json_string_ext(m, JSON_C_TO_STRING_PRETTY));
		json_object_put(m);
	}
}

static void print_json(const struct nic_run *r, const char *prog, const struct whole *w)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_object();

	json_object_object_add(o, "program", json_object_new_string(prog));
	json_object_object_add(o, "packets", json_object_new_int64((int64_t)r->set->n));
	for (int i = 0; i <= XDP_REDIRECT; i++)
		json_object_object_add(a, jn_xdp_action_name(i), json_object_new_int64((int64_t)r->actions[i]));
	json_object_object_add(o, "actions", a);
	json_object_object_add(o, "redirect_targets", json_object_get(r->targets));
	json_object_object_add(o, "faults", json_object_new_int64((int64_t)r->faults));
	if (r->faults)
		json_object_object_add(o, "first_fault", json_object_new_string(r->first_fault));
	json_object_object_add(o, "skipped", json_object_new_int64((int64_t)r->skipped));
	json_object_object_add(o, "snaplen_truncated", json_object_new_int64((int64_t)r->snap_truncated));
	json_object_object_add(o, "seconds", json_object_new_double(r->secs));
	json_object_object_add(o, "nic", jn_nic_stats_json(r->nic));
	if (r->vliw) {
		struct json_object *v = jn_nic_vliw_json(r->vliw);
		if (v && !w->rc) {
			json_object_object_add(v, "full_cycles_min", json_object_new_int64((int64_t)w->cyc[0]));
			json_object_object_add(v, "full_cycles_median", json_object_new_int64((int64_t)w->cyc[1]));
			json_object_object_add(v, "full_cycles_max", json_object_new_int64((int64_t)w->cyc[2]));
			json_object_object_add(v, "full_differ", json_object_new_int64((int64_t)w->differ));
		}
		json_object_object_add(o, "vliw", v);
	}
	json_object_object_add(o, "maps", jn_xdp_dump_maps(r->s.xdp));
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
	json_object_put(o);
}

static int nic_main(void *cfgp, int npos, char **pos)
{
	struct nic_cfg *c = cfgp;
	struct nic_run_cfg rc = { .obj = pos[0], .pcap = pos[1], .prog = c->prog, .maps = c->maps,
				  .out = c->out, .seed = c->seed, .quiet = c->json };
	struct jn_pkt_set *set = NULL;
	struct nic_run r;
	int st;

	(void)npos;
	if (nic_cfg_opts("nic", c->policy, c->cache ? c->cache : 16, c->cache_ops, c->admit,
			 c->admit_window, c->thrash_window, &rc.nic))
		return 1;
	rc.nic.seed = c->seed;
	if (c->install_delay < 0 || c->install_delay > UINT32_MAX) {
		fprintf(stderr, "jitnic nic: bad --install-delay\n");
		return 1;
	}
	rc.nic.install_delay = (uint32_t)c->install_delay;
	if (c->host_cost < 0 || c->host_cost > 1e9) {
		fprintf(stderr, "jitnic nic: bad --host-cost\n");
		return 1;
	}
	rc.nic.host_cost_ns = (uint64_t)(c->host_cost * 1000.0);
	if (c->engine && strcmp(c->engine, "interp") && strcmp(c->engine, "vliw")) {
		fprintf(stderr, "jitnic nic: --engine: unknown engine '%s' (interp vliw)\n", c->engine);
		return 1;
	}
	if (c->lanes < 0 || c->lanes > 8) {
		fprintf(stderr, "jitnic nic: --lanes: %ld is out of range (1..8)\n", c->lanes);
		return 1;
	}
	rc.vliw = c->engine && !strcmp(c->engine, "vliw");
	rc.lanes = (int)c->lanes;
	if (nic_load("nic", pos[1], &set))
		return 1;
	st = nic_run("nic", &rc, set, &r);
	if (!st) {
		const char *prog = jn_session_prog_name(&r.s, c->prog);
		struct whole w = { .rc = -1 };
		if (rc.vliw)
			w.rc = jn_trace_vliw_whole(pos[0], c->prog, c->maps, set, rc.lanes, w.cyc, &w.differ,
						   w.err, sizeof(w.err));
		if (c->json)
			print_json(&r, prog, &w);
		else
			print_text(&r, prog, c->dump_maps, &w);
	}
	nic_run_close(&r);
	jn_pkt_set_free(set);
	return st;
}

const struct jn_cmd jn_cmd_nic = {
	.name = "nic", .args = "prog.o traffic.pcap",
	.summary = "run every packet through the JITNIC model: trace cache on the NIC, tracer on the host",
	.opts = nic_opts, .cfg_size = sizeof(struct nic_cfg), .min_pos = 2, .max_pos = 2,
	.run = nic_main,
};
