/* cmd_hxdp.c - `jitnic hxdp prog.o [traffic.pcap]`: the program compiled
 * for hXDP (docs/hxdp.md): the VLIW rows, instruction and row counts after
 * each pass, static IPC; with traffic, every packet through the Sephirot
 * simulator and the interpreter side by side, cycles per packet and Mpps.
 * --sweep-lanes: rows for 1..8 lanes; --table: the paper's Table 3. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "pkt/pkt.h"
#include "vliw/vliw.h"

struct hxdp_cfg {
	const char *prog, *maps, *emit, *plot;
	long lanes;
	double clock;
	long helper_cycles;
	bool no_pass[JN_VLIW_NPASSES], no_motion, json, sweep, table, quiet;
};

static const struct jn_opt hxdp_opts[] = {
	JN_OPT(struct hxdp_cfg, prog, "prog", JN_OPT_STR, "NAME", "program to compile (function or section name)"),
	JN_OPT(struct hxdp_cfg, maps, "maps", JN_OPT_STR, "FILE", "fill maps from FILE (docs/maps-file.md)"),
	JN_OPT(struct hxdp_cfg, lanes, "lanes", JN_OPT_INT, "N", "VLIW lanes, 1..8 (default 4)"),
#define P_(id, name, help) \
	JN_OPT(struct hxdp_cfg, no_pass[JN_VLIW_PASS_##id], "no-" name, JN_OPT_FLAG, NULL, "pass off: " help),
	JN_VLIW_PASSES(P_)
#undef P_
	JN_OPT(struct hxdp_cfg, no_motion, "no-motion", JN_OPT_FLAG, NULL, "no code motion above branches"),
	JN_OPT(struct hxdp_cfg, clock, "clock", JN_OPT_DOUBLE, "MHZ", "core clock (default 156.25)"),
	JN_OPT(struct hxdp_cfg, helper_cycles, "helper-cycles", JN_OPT_INT, "N", "cycles a helper call stalls (default 2)"),
	JN_OPT(struct hxdp_cfg, emit, "emit", JN_OPT_STR, "FILE", "write the instruction memory image to FILE (also: --emit imem FILE)"),
	JN_OPT(struct hxdp_cfg, sweep, "sweep-lanes", JN_OPT_FLAG, NULL, "rows and IPC for 1..8 lanes"),
	JN_OPT(struct hxdp_cfg, plot, "plot", JN_OPT_STR, "FILE", "with --sweep-lanes: write a gnuplot script to FILE"),
	JN_OPT(struct hxdp_cfg, table, "table", JN_OPT_FLAG, NULL, "the paper's Table 3 for the shipped programs (run from the repo root)"),
	JN_OPT(struct hxdp_cfg, quiet, "quiet", JN_OPT_FLAG, NULL, "no VLIW listing"),
	JN_OPT(struct hxdp_cfg, json, "json", JN_OPT_FLAG, NULL, "print the summary as JSON"),
	{ NULL }
};

static struct jn_vliw_opts vopts(const struct hxdp_cfg *c, int lanes)
{
	struct jn_vliw_opts o = { .lanes = lanes, .passes = JN_VLIW_ALL_PASSES, .no_motion = c->no_motion };
	for (int k = 0; k < JN_VLIW_NPASSES; k++)
		if (c->no_pass[k])
			o.passes &= ~(1u << k);
	return o;
}

struct traffic {
	uint64_t packets, skipped, mismatches, sum_insns, sum_cycles, cmin, cmed, cmax;
	double mpps;
	bool bad_record;    /* the capture ended in a bad record: the packets before it ran */
	char first[400];
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int run_traffic(struct jn_vliw_pair *pr, const char *path, struct traffic *tr, bool tty)
{
	struct jn_pkt_set *set = NULL;
	uint64_t *cyc;
	char err[300];
	int rc = jn_pkt_load(path, &set, err, sizeof(err));

	if (rc && !set) {
		fprintf(stderr, "jitnic hxdp: %s\n", err);
		return rc;
	}
	if (rc) {
		fprintf(stderr, "jitnic hxdp: %s (running the packets before it)\n", err);
		tr->bad_record = true;
	}
	cyc = malloc((set->n ? set->n : 1) * sizeof(*cyc));
	for (uint64_t i = 0; cyc && i < set->n; i++) {
		const struct jn_pkt *p = &set->pkts[i];
		struct jn_vliw_timing t;
		int r = jn_vliw_pair_run(pr, p->data, p->caplen, p->ts_ns, &t, NULL, err, sizeof(err));
		if (r < 0) {
			tr->skipped++;
			continue;
		}
		if (r > 0 && tr->mismatches++ == 0)
			snprintf(tr->first, sizeof(tr->first), "packet %llu: %s", (unsigned long long)i, err);
		tr->sum_insns += t.insns;
		tr->sum_cycles += t.cycles;
		cyc[tr->packets++] = t.cycles > t.frames ? t.cycles : t.frames;
		if (tty)
			jn_cli_progress("hxdp: packets", i + 1, set->n);
	}
	if (tty)
		jn_cli_progress_end();
	if (jn_vliw_pair_maps(pr, err, sizeof(err)) && tr->mismatches++ == 0)
		snprintf(tr->first, sizeof(tr->first), "%s", err);
	if (tr->packets) {
		qsort(cyc, tr->packets, sizeof(*cyc), cmp_u64);
		tr->cmin = cyc[0];
		tr->cmed = cyc[tr->packets / 2];
		tr->cmax = cyc[tr->packets - 1];
		tr->mpps = jn_vliw_sim_clock(jn_vliw_pair_sim(pr)) / (double)tr->cmed;
	}
	free(cyc);
	jn_pkt_set_free(set);
	return cyc ? 0 : -ENOMEM;
}

static struct json_object *summary_json(const struct jn_vliw_stats *st, int lanes,
					const struct traffic *tr, bool traffic)
{
	struct json_object *o = json_object_new_object(), *pa = json_object_new_object();

	json_object_object_add(o, "lanes", json_object_new_int(lanes));
	json_object_object_add(o, "ebpf_insns", json_object_new_int64((int64_t)st->ebpf_ops));
	json_object_object_add(o, "ebpf_slots", json_object_new_int64((int64_t)st->ebpf_insns));
	json_object_object_add(o, "insns", json_object_new_int64((int64_t)st->insns));
	json_object_object_add(o, "rows", json_object_new_int64((int64_t)st->rows));
	json_object_object_add(o, "rows_no_pass", json_object_new_int64((int64_t)st->rows_base));
	for (int k = 0; k < JN_VLIW_NPASSES; k++)
		json_object_object_add(pa, jn_vliw_pass_names[k], json_object_new_int64((int64_t)st->rows_after[k]));
	json_object_object_add(o, "rows_after_pass", pa);
	json_object_object_add(o, "ipc", json_object_new_double(st->ipc));
	json_object_object_add(o, "compile_us", json_object_new_double(st->compile_us));
	if (traffic) {
		json_object_object_add(o, "packets", json_object_new_int64((int64_t)tr->packets));
		json_object_object_add(o, "skipped", json_object_new_int64((int64_t)tr->skipped));
		json_object_object_add(o, "mismatches", json_object_new_int64((int64_t)tr->mismatches));
		if (tr->mismatches)
			json_object_object_add(o, "first_mismatch", json_object_new_string(tr->first));
		json_object_object_add(o, "cycles_min", json_object_new_int64((int64_t)tr->cmin));
		json_object_object_add(o, "cycles_median", json_object_new_int64((int64_t)tr->cmed));
		json_object_object_add(o, "cycles_max", json_object_new_int64((int64_t)tr->cmax));
		json_object_object_add(o, "ipc_dynamic", json_object_new_double(
			tr->sum_cycles ? (double)tr->sum_insns / (double)tr->sum_cycles : 0));
		json_object_object_add(o, "mpps", json_object_new_double(tr->mpps));
	}
	return o;
}

static void summary_text(const struct jn_vliw_stats *st, int lanes, const struct traffic *tr,
			 bool traffic)
{
	printf("eBPF instructions %zu (%zu slots), after lowering %zu, %d lanes: %zu rows, IPC %.2f, "
	       "compiled in %.0f us\n", st->ebpf_ops, st->ebpf_insns, st->insns, lanes, st->rows,
	       st->ipc, st->compile_us);
	printf("rows: no pass %zu", st->rows_base);
	for (int k = 0; k < JN_VLIW_NPASSES; k++)
		printf(", +%s %zu", jn_vliw_pass_names[k], st->rows_after[k]);
	printf("\n");
	if (!traffic)
		return;
	printf("packets %llu (skipped %llu): %s\n", (unsigned long long)tr->packets,
	       (unsigned long long)tr->skipped,
	       tr->mismatches ? tr->first : "simulator equals interpreter on every packet and map");
	if (tr->mismatches)
		printf("mismatches %llu\n", (unsigned long long)tr->mismatches);
	printf("cycles/packet min %llu median %llu max %llu (core cycles, or the packet's 32-byte "
	       "frames if more), IPC %.2f, %.2f Mpps\n",
	       (unsigned long long)tr->cmin, (unsigned long long)tr->cmed, (unsigned long long)tr->cmax,
	       tr->sum_cycles ? (double)tr->sum_insns / (double)tr->sum_cycles : 0, tr->mpps);
}

static int sweep(const struct hxdp_cfg *c, const char *obj)
{
	FILE *gp = NULL;

	if (c->plot && !(gp = fopen(c->plot, "w"))) {
		fprintf(stderr, "jitnic hxdp: --plot %s: %s\n", c->plot, strerror(errno));
		return 1;
	}
	if (gp)
		fprintf(gp, "set title 'VLIW rows per lane count: %s'\nset xlabel 'lanes'\n"
			"set ylabel 'rows'\nset grid\nplot '-' using 1:2 with linespoints title 'rows'\n", obj);
	printf("%5s %6s %5s\n", "lanes", "rows", "IPC");
	for (int l = 1; l <= JN_VLIW_MAX_LANES; l++) {
		struct jn_vliw_opts o = vopts(c, l);
		struct jn_vliw_pair *pr;
		char err[300];
		if (jn_vliw_pair_open(obj, c->prog, c->maps, &o, NULL, &pr, err, sizeof(err))) {
			fprintf(stderr, "jitnic hxdp: %s\n", err);
			if (gp)
				fclose(gp);
			return 1;
		}
		const struct jn_vliw_stats *st = jn_vliw_stats(jn_vliw_pair_prog(pr));
		printf("%5d %6zu %5.2f\n", l, st->rows, st->ipc);
		if (gp)
			fprintf(gp, "%d %zu\n", l, st->rows);
		jn_vliw_pair_close(pr);
	}
	if (gp) {
		fprintf(gp, "e\n");
		fclose(gp);
	}
	return 0;
}

static int emit(const char *path, const struct jn_vliw_prog *p)
{
	FILE *f = fopen(path, "wb");
	int rc;

	if (!f) {
		fprintf(stderr, "jitnic hxdp: --emit %s: %s\n", path, strerror(errno));
		return 1;
	}
	rc = jn_vliw_emit_imem(f, p);
	if (fclose(f) || rc) {
		fprintf(stderr, "jitnic hxdp: --emit %s: write failed\n", path);
		return 1;
	}
	return 0;
}

static int hxdp_main(void *cfgp, int npos, char **pos)
{
	struct hxdp_cfg *c = cfgp;
	struct jn_vliw_opts o = vopts(c, (int)c->lanes);
	struct jn_vliw_sim_opts so = { .clock_mhz = c->clock, .helper_cycles = (unsigned)c->helper_cycles };
	struct jn_vliw_pair *pr;
	struct traffic tr = {0};
	char err[300];
	int rc = 0;

	if (c->table)
		return jn_vliw_bench_table(stdout, c->json) ? 1 : 0;
	if (c->emit && !strcmp(c->emit, "imem")) {   /* --emit imem FILE: FILE came as a positional */
		if (npos < 2) {
			fprintf(stderr, "jitnic hxdp: --emit imem needs a FILE\n");
			return 2;
		}
		c->emit = pos[--npos];
	}
	if (npos > 2) {
		fprintf(stderr, "jitnic hxdp: expected prog.o [traffic.pcap], got %d arguments\n", npos);
		return 2;
	}
	if (npos < 1) {
		fprintf(stderr, "jitnic hxdp: needs prog.o (or --table)\n");
		return 2;
	}
	if (c->sweep)
		return sweep(c, pos[0]);
	if (jn_vliw_pair_open(pos[0], c->prog, c->maps, &o, &so, &pr, err, sizeof(err))) {
		fprintf(stderr, "jitnic hxdp: %s\n", err);
		return 1;
	}
	const struct jn_vliw_prog *p = jn_vliw_pair_prog(pr);
	if (c->emit)
		rc = emit(c->emit, p);
	if (!rc && npos > 1 && run_traffic(pr, pos[1], &tr, !c->json && jn_cli_tty()))
		rc = 1;
	if (!rc && c->json) {
		struct json_object *j = summary_json(jn_vliw_stats(p), jn_vliw_lanes(p), &tr, npos > 1);
		printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY));
		json_object_put(j);
	} else if (!rc) {
		if (!c->quiet)
			jn_vliw_listing(stdout, p);
		summary_text(jn_vliw_stats(p), jn_vliw_lanes(p), &tr, npos > 1);
	}
	if (!rc && tr.mismatches)
		rc = 3;
	if (!rc && tr.bad_record)
		rc = 1;
	jn_vliw_pair_close(pr);
	return rc;
}

const struct jn_cmd jn_cmd_hxdp = {
	.name = "hxdp",
	.args = "prog.o [traffic.pcap]",
	.summary = "compile for hXDP (VLIW) and run on the Sephirot simulator against the interpreter",
	.opts = hxdp_opts,
	.cfg_size = sizeof(struct hxdp_cfg),
	.min_pos = 0,
	.max_pos = 3,
	.run = hxdp_main,
};
