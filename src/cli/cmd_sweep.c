/* cmd_sweep.c - `jitnic sweep prog.o traffic.pcap`: hit rate of the trace
 * cache for every size 1..N and every policy.  The path of every packet,
 * and when map changes make a path's trace invalid or valid, are recorded
 * once (jn_nic_future_record); the cache simulation over them, with the
 * same admission and install delays, gives exactly `jitnic nic`'s hit
 * counts (LRU for all sizes in one pass by stack distances when nothing
 * is invalidated, admitted late or delayed).  --plot draws the curves with
 * gnuplot (PNG and SVG). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "nic_run.h"

struct sweep_cfg {
	const char *prog, *maps, *plot;
	long max, admit, admit_window, install_delay;
	double host_cost;
	uint64_t seed;
	bool json;
};

static const struct jn_opt sweep_opts[] = {
	JN_OPT(struct sweep_cfg, max, "max", JN_OPT_INT, "N", "largest cache size (default: distinct paths, at most 64)"),
	JN_OPT(struct sweep_cfg, prog, "prog", JN_OPT_STR, "NAME", "program to run (function or section name)"),
	JN_OPT(struct sweep_cfg, maps, "maps", JN_OPT_STR, "FILE", "fill maps from FILE (docs/maps-file.md)"),
	JN_OPT(struct sweep_cfg, admit, "admit", JN_OPT_INT, "K", "install a path only when seen K times in the admission window (as jitnic nic)"),
	JN_OPT(struct sweep_cfg, admit_window, "admit-window", JN_OPT_INT, "N", "admission window in packets (default 1024)"),
	JN_OPT(struct sweep_cfg, install_delay, "install-delay", JN_OPT_INT, "N", "packets before an installed trace is usable"),
	JN_OPT(struct sweep_cfg, host_cost, "host-cost", JN_OPT_DOUBLE, "US", "modelled host time per miss: a trace is usable once packet timestamps advanced this much"),
	JN_OPT(struct sweep_cfg, seed, "seed", JN_OPT_U64, "N", "seed of bpf_get_prandom_u32 and the random policy"),
	JN_OPT(struct sweep_cfg, plot, "plot", JN_OPT_STR, "PREFIX", "write PREFIX.dat and draw PREFIX.png, PREFIX.svg with gnuplot"),
	JN_OPT(struct sweep_cfg, json, "json", JN_OPT_FLAG, NULL, "print the table as JSON"),
	{ NULL }
};

static size_t distinct(const uint64_t *paths, size_t n, size_t *cacheable)
{
	uint64_t *s = malloc((n ? n : 1) * sizeof(*s));
	size_t k = 0;

	*cacheable = 0;
	if (!s)
		return 0;
	for (size_t i = 0; i < n; i++) {
		size_t j;
		if (!paths[i])
			continue;
		(*cacheable)++;
		for (j = 0; j < k && s[j] != paths[i]; j++)
			;
		if (j == k)
			s[k++] = paths[i];
	}
	free(s);
	return k;
}

/* hits[p * max + c - 1]: policy p, capacity c. */
static int table(const struct jn_nic_future *f, struct jn_nic_opts *o, uint32_t max, uint64_t *hits)
{
	int rc = jn_nic_lru_curve(f, o, max, hits + JN_POL_LRU * max);

	for (int p = 0; p < JN_POL__COUNT && !rc; p++)
		for (uint32_t c = 1; c <= max && !rc && p != JN_POL_LRU; c++) {
			o->policy = p;
			o->capacity = c;
			rc = jn_nic_simulate(f, o, &hits[p * max + c - 1]);
		}
	return rc;
}

static int plot(const char *prefix, const char *prog, const uint64_t *hits, uint32_t max, size_t n)
{
	char path[1024], cmd[4096];
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s.dat", prefix);
	if (!(f = fopen(path, "w")))
		return -errno;
	fprintf(f, "size");
	for (int p = 0; p < JN_POL__COUNT; p++)
		fprintf(f, " %s", jn_nic_policy_name(p));
	fputc('\n', f);
	for (uint32_t c = 1; c <= max; c++) {
		fprintf(f, "%u", c);
		for (int p = 0; p < JN_POL__COUNT; p++)
			fprintf(f, " %.6f", n ? (double)hits[p * max + c - 1] / (double)n : 0.0);
		fputc('\n', f);
	}
	if (fclose(f))
		return -EIO;
	for (int k = 0; k < 2; k++) {
		snprintf(cmd, sizeof(cmd),
			 "gnuplot -e \"set terminal %s size 800,500; set output '%s.%s'; "
			 "set title 'trace cache hit rate: %s' noenhanced; set key noenhanced; set xlabel 'cache size (traces)'; "
			 "set ylabel 'hit rate'; set key bottom right; set yrange [0:1]; "
			 "plot for [i=2:%d] '%s' using 1:i with linespoints title columnhead(i)\" 2>/dev/null",
			 k ? "svg" : "pngcairo", prefix, k ? "svg" : "png", prog, JN_POL__COUNT + 1, path);
		if ((rc = system(cmd)) != 0)
			return -ENOEXEC;
	}
	return 0;
}

static void print(const char *prog, const uint64_t *hits, uint32_t max, size_t n, size_t paths,
		  bool json)
{
	if (json) {
		struct json_object *o = json_object_new_object(), *pol = json_object_new_object();
		json_object_object_add(o, "program", json_object_new_string(prog));
		json_object_object_add(o, "packets", json_object_new_int64((int64_t)n));
		json_object_object_add(o, "distinct_paths", json_object_new_int64((int64_t)paths));
		for (int p = 0; p < JN_POL__COUNT; p++) {
			struct json_object *a = json_object_new_array();
			for (uint32_t c = 1; c <= max; c++)
				json_object_array_add(a, json_object_new_double(
					n ? (double)hits[p * max + c - 1] / (double)n : 0.0));
			json_object_object_add(pol, jn_nic_policy_name(p), a);
		}
		json_object_object_add(o, "hit_rate", pol);
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
		json_object_put(o);
		return;
	}
	printf("program %s: %zu packets, %zu distinct paths; hit rate by cache size\n", prog, n, paths);
	printf("%5s", "size");
	for (int p = 0; p < JN_POL__COUNT; p++)
		printf(" %8s", jn_nic_policy_name(p));
	putchar('\n');
	for (uint32_t c = 1; c <= max; c++) {
		printf("%5u", c);
		for (int p = 0; p < JN_POL__COUNT; p++)
			printf(" %8.4f", n ? (double)hits[p * max + c - 1] / (double)n : 0.0);
		putchar('\n');
	}
}

static int sweep_main(void *cfgp, int npos, char **pos)
{
	struct sweep_cfg *c = cfgp;
	struct jn_pkt_set *set = NULL;
	struct jn_session s;
	struct jn_session_opts so = { .obj_path = pos[0], .prog = c->prog, .maps_path = c->maps };
	struct jn_nic_future f = { 0 };
	struct jn_nic_opts o;
	uint64_t *hits = NULL;
	size_t npaths, cacheable;
	uint32_t max;
	char err[512];
	int st = 1;

	(void)npos;
	memset(&s, 0, sizeof(s));
	if (c->max < 0 || c->max > 4096) {
		fprintf(stderr, "jitnic sweep: --max must be 1..4096\n");
		return 1;
	}
	if (nic_cfg_opts("sweep", NULL, 0, 0, c->admit, c->admit_window, 0, &o))
		return 1;
	if (c->install_delay < 0 || c->install_delay > UINT32_MAX) {
		fprintf(stderr, "jitnic sweep: --install-delay: %ld is out of range (0..%u)\n",
			c->install_delay, UINT32_MAX);
		return 1;
	}
	o.install_delay = (uint32_t)c->install_delay;
	if (c->host_cost < 0 || c->host_cost > 1e9) {
		fprintf(stderr, "jitnic sweep: --host-cost: %g is out of range (0..1e9)\n", c->host_cost);
		return 1;
	}
	o.host_cost_ns = (uint64_t)(c->host_cost * 1000.0);
	o.seed = c->seed;
	if (nic_load("sweep", pos[1], &set))
		return 1;
	so.xdp.sz = sizeof(so.xdp);
	so.xdp.seed = c->seed;   /* as jitnic nic: the same prandom values, the same paths */
	if (jn_session_open(&s, &so, err, sizeof(err)) ||
	    jn_nic_future_record(s.xdp, set, &f, err, sizeof(err))) {
		fprintf(stderr, "jitnic sweep: %s\n", err);
		goto out;
	}
	npaths = distinct(f.paths, f.n, &cacheable);
	max = c->max ? (uint32_t)c->max : npaths < 1 ? 1 : npaths > 64 ? 64 : (uint32_t)npaths;
	hits = calloc((size_t)max * JN_POL__COUNT, sizeof(*hits));
	if (!hits || table(&f, &o, max, hits)) {
		fprintf(stderr, "jitnic sweep: out of memory\n");
		goto out;
	}
	print(jn_session_prog_name(&s, c->prog), hits, max, set->n, npaths, c->json);
	st = 0;
	if (c->plot && plot(c->plot, jn_session_prog_name(&s, c->prog), hits, max, set->n)) {
		fprintf(stderr, "jitnic sweep: could not draw %s.png/.svg (is gnuplot installed?)\n", c->plot);
		st = 1;
	}
out:
	free(hits);
	jn_nic_future_free(&f);
	if (s.obj)
		jn_session_close(&s);
	jn_pkt_set_free(set);
	return st;
}

const struct jn_cmd jn_cmd_sweep = {
	.name = "sweep", .args = "prog.o traffic.pcap",
	.summary = "trace cache hit rate for every cache size and policy, the hits `jitnic nic` counts",
	.opts = sweep_opts, .cfg_size = sizeof(struct sweep_cfg), .min_pos = 2, .max_pos = 2,
	.run = sweep_main,
};
