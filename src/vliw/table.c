/* table.c - hXDP's Table 3 redone: for the shipped programs that stand for
 * the paper's, eBPF instructions, VLIW rows, IPC, cycles per packet and
 * Mpps, beside the paper's instruction and row counts.  Traffic: 1000
 * packets of the generator's "datacenter" profile (cycles min/median/max,
 * Mpps at the median) and 1000 of "linerate" (64-byte UDP, one flow: the
 * paper's throughput setting).  Every packet is also checked against the
 * interpreter. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "pkt/pkt.h"
#include "vliw_internal.h"

static const struct paper_row {
	const char *prog, *paper;
	int insns, rows;
} paper[] = {
	{ "xdp1_count", "xdp1", 61, 36 },
	{ "xdp2_reflect", "xdp2", 78, 43 },
	{ "adjust_tail", "xdp_adjust_tail", 117, 43 },
	{ "router_ipv4", "router_ipv4", 119, 50 },
	{ "rxq_info", "rxq_info", 81, 46 },
	{ "tx_ip_tunnel", "tx_ip_tunnel", 283, 100 },
	{ "simple_firewall", "simple_firewall", 72, 27 },
	{ "lb_katran", "Katran", 268, 102 },
};

struct measured {
	const struct jn_vliw_stats *st;
	uint64_t packets, mismatches, cmin, cmed, cmax;
	double mpps, mpps64;
	char why[400];
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Run a generated profile through both engines; cycles and Mpps at the median. */
static int measure(struct jn_vliw_pair *pr, const char *profile, struct measured *m)
{
	struct jn_gen_cfg cfg;
	struct jn_gen *g;
	struct jn_pkt p;
	uint64_t *cyc = NULL;
	size_t n = 0;
	char err[256];
	int rc = jn_pkt_gen_profile(&cfg, profile, err, sizeof(err));

	cfg.count = 1000;
	cfg.seed = 7;
	if (rc || (rc = jn_pkt_gen_new(&cfg, &g, err, sizeof(err))))
		return rc;
	if (!(cyc = malloc(cfg.count * sizeof(*cyc)))) {
		jn_pkt_gen_free(g);
		return -ENOMEM;
	}
	while (jn_pkt_gen_next(g, &p, NULL) == 1) {
		struct jn_vliw_timing t;
		int r = jn_vliw_pair_run(pr, p.data, p.caplen, p.ts_ns, &t, NULL, err, sizeof(err));
		if (r < 0)
			continue;
		if (r > 0 && m->mismatches++ == 0)
			snprintf(m->why, sizeof(m->why), "packet %llu: %s", (unsigned long long)p.index, err);
		cyc[n++] = t.cycles > t.frames ? t.cycles : t.frames;
	}
	if (jn_vliw_pair_maps(pr, err, sizeof(err)) && m->mismatches++ == 0)
		snprintf(m->why, sizeof(m->why), "%s", err);
	jn_pkt_gen_free(g);
	m->packets = n;
	if (n) {
		qsort(cyc, n, sizeof(*cyc), cmp_u64);
		m->cmin = cyc[0];
		m->cmed = cyc[n / 2];
		m->cmax = cyc[n - 1];
		m->mpps = jn_vliw_sim_clock(jn_vliw_pair_sim(pr)) / (double)m->cmed;
	}
	free(cyc);
	return 0;
}

static void print_row(FILE *out, const struct paper_row *r, const struct measured *m,
		      struct json_object *arr)
{
	double pr = (double)r->rows / r->insns;
	double ours = m->st ? (double)m->st->rows / (double)m->st->ebpf_ops : 0;

	if (!m->st) {
		fprintf(out, "%-16s %4d/%-4d  %s\n", r->prog, r->insns, r->rows, m->why);
		return;
	}
	if (arr) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "program", json_object_new_string(r->prog));
		json_object_object_add(o, "paper_insns", json_object_new_int(r->insns));
		json_object_object_add(o, "paper_rows", json_object_new_int(r->rows));
		json_object_object_add(o, "ebpf_insns", json_object_new_int64((int64_t)m->st->ebpf_ops));
		json_object_object_add(o, "rows", json_object_new_int64((int64_t)m->st->rows));
		json_object_object_add(o, "ipc", json_object_new_double(m->st->ipc));
		json_object_object_add(o, "cycles_median", json_object_new_int64((int64_t)m->cmed));
		json_object_object_add(o, "mpps", json_object_new_double(m->mpps));
		json_object_object_add(o, "mpps_64b", json_object_new_double(m->mpps64));
		json_object_object_add(o, "mismatches", json_object_new_int64((int64_t)m->mismatches));
		json_object_array_add(arr, o);
		return;
	}
	fprintf(out, "%-16s %4d/%-4d %5.2f  %4zu/%-4zu %5.2f %5s %5.2f %4llu/%llu/%-4llu %6.2f %6.2f %s\n",
		r->prog, r->insns, r->rows, pr, m->st->ebpf_ops, m->st->rows, ours,
		ours <= 0.8 * pr ? "yes" : "no", m->st->ipc, (unsigned long long)m->cmin,
		(unsigned long long)m->cmed, (unsigned long long)m->cmax, m->mpps, m->mpps64,
		m->mismatches ? m->why : "all equal");
}

int jn_vliw_bench_table(FILE *out, bool json)
{
	struct json_object *arr = json ? json_object_new_array() : NULL;
	int ret = 0;

	if (!json)
		fprintf(out, "%-16s %-9s %5s  %-9s %5s %5s %5s %-14s %6s %6s %s\n", "program", "paper", "ratio",
			"ours", "ratio", "<=.8x", "IPC", "cyc min/med/max", "Mpps", "@64B", "vs interpreter");
	for (size_t i = 0; i < sizeof(paper) / sizeof(paper[0]); i++) {
		char obj[256], maps[256], err[256];
		struct jn_vliw_pair *pr = NULL;
		struct measured m = {0};
		struct jn_vliw_opts vo = { .passes = JN_VLIW_ALL_PASSES };
		int rc;

		snprintf(obj, sizeof(obj), "build/progs/%s.o", paper[i].prog);
		snprintf(maps, sizeof(maps), "progs/%s.maps.json", paper[i].prog);
		rc = jn_vliw_pair_open(obj, NULL, maps, &vo, NULL, &pr, err, sizeof(err));
		if (!rc) {
			struct measured m64 = {0};
			m.st = jn_vliw_stats(jn_vliw_pair_prog(pr));
			rc = measure(pr, "datacenter", &m);
			if (!rc)
				rc = measure(pr, "linerate", &m64);
			m.mpps64 = m64.mpps;
			m.mismatches += m64.mismatches;
			if (m64.mismatches && !m.why[0])
				snprintf(m.why, sizeof(m.why), "%s", m64.why);
		} else {
			snprintf(m.why, sizeof(m.why), "%s", err);
		}
		if (rc || m.mismatches)
			ret = rc ? rc : -EDOM;
		print_row(out, &paper[i], &m, arr);
		jn_vliw_pair_close(pr);
	}
	if (json) {
		fprintf(out, "%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY));
		json_object_put(arr);
	}
	return ret;
}
