/* nic_vliw_table.c - hXDP's Table 3 for traces lowered to VLIW: for the
 * shipped programs standing for the paper's, the whole program on the
 * Sephirot core (eBPF instructions, rows, cycles per packet, Mpps) beside
 * the NIC model with its hits on the core (the median trace's instructions
 * and rows, the hit rate, cycles per hit, IPC, Mpps of hits).  Traffic:
 * 2000 packets of the generator's "datacenter" profile (seed 7).  Every
 * packet is checked three ways: the NIC model and the whole program on the
 * core each against the interpreter (action, bytes, redirect target), and
 * the maps at the end. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "base/base.h"
#include "obj/obj.h"
#include "pkt/pkt.h"
#include "trace_internal.h"
#include "vliw/vliw.h"

static const struct paper { const char *prog; int insns, rows; } paper[] = {
	{ "xdp1_count", 61, 36 }, { "xdp2_reflect", 78, 43 }, { "adjust_tail", 117, 43 },
	{ "router_ipv4", 119, 50 }, { "rxq_info", 81, 46 }, { "tx_ip_tunnel", 283, 100 },
	{ "simple_firewall", 72, 27 }, { "lb_katran", 268, 102 },
};

enum { NPKT = 2000 };

struct inst { struct jn_obj *obj; struct jn_xdp *x; struct jn_maps_init *init; };

static void inst_close(struct inst *in)
{
	jn_xdp_close(in->x);
	if (in->init)
		jn_maps_init_free(in->init);
	jn_obj_close(in->obj);
}

static int inst_open(struct inst *in, const char *obj, const char *maps, char *err, size_t errlen)
{
	struct jn_maps_init_env env;
	int rc;

	memset(in, 0, sizeof(*in));
	if ((rc = jn_obj_open(obj, &in->obj, err, errlen)))
		return rc;
	if ((rc = jn_xdp_open(in->obj, NULL, NULL, &in->x, err, errlen)))
		return rc;
	jn_xdp_init_env(in->x, &env);
	if ((rc = jn_maps_init_load(maps, &env, &in->init, err, errlen)))
		return rc;
	return jn_xdp_apply_init(in->x, in->init, err, errlen);
}

struct row {
	struct jn_nic_vliw_stats vs;
	size_t finsns, frows;        /* whole program: eBPF instructions, rows */
	uint64_t packets, hits, bad;
	uint64_t fmin, fmed, fmax;   /* whole program: core cycles per packet */
	double fmpps;                /* clock / median of max(core cycles, arrival frames) */
	char why[300];
};

static bool same(const struct jn_xdp_result *a, const struct jn_xdp_result *b)
{
	return a->action == b->action && a->len == b->len && !memcmp(a->data, b->data, a->len) &&
	       a->redirect_kind == b->redirect_kind && a->redirect_target == b->redirect_target &&
	       !a->err == !b->err;
}

static void bad(struct row *r, const char *fmt, const char *what, uint64_t i)
{
	if (r->bad++ == 0)
		snprintf(r->why, sizeof(r->why), fmt, what, (unsigned long long)i);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Every packet through the NIC on the core, the interpreter, the whole
 * program on the core. */
static int packets(struct jn_nic *nic, struct jn_xdp *ref, struct jn_vliw_pair *pr, struct row *r,
		   uint64_t *cyc, uint64_t *fr)
{
	struct jn_gen_cfg cfg;
	struct jn_gen *g;
	struct jn_pkt p;
	char err[256];
	int rc = jn_pkt_gen_profile(&cfg, "datacenter", err, sizeof(err));

	cfg.count = NPKT;
	cfg.seed = 7;
	if (rc || (rc = jn_pkt_gen_new(&cfg, &g, err, sizeof(err))))
		return rc;
	while (jn_pkt_gen_next(g, &p, NULL) == 1) {
		struct jn_xdp_result ra, rb;
		struct jn_vliw_timing t;
		bool hit;
		int rca = jn_nic_packet(nic, &p, &ra, &hit);
		int rcb = jn_xdp_run(ref, p.data, p.caplen, p.ts_ns, &rb, false);
		if (rca != rcb || (!rca && !same(&ra, &rb)))
			bad(r, "%s: packet %llu differs from the interpreter", "nic", p.index);
		if (rca || rcb)
			continue;
		r->packets++;
		r->hits += hit;
		int f = jn_vliw_pair_run(pr, p.data, p.caplen, p.ts_ns, &t, NULL, err, sizeof(err));
		if (f > 0)
			bad(r, "%s: packet %llu differs from the interpreter", "whole program", p.index);
		if (f == 0) {
			cyc[r->fmed++] = t.cycles;
			fr[r->fmed - 1] = t.cycles > t.frames ? t.cycles : t.frames;
		}
	}
	jn_pkt_gen_free(g);
	return 0;
}

static int measure(const struct paper *pp, struct row *r, char *err, size_t errlen)
{
	char obj[256], maps[256];
	struct inst a = {0}, b = {0};
	struct jn_nic_vliw *v = NULL;
	struct jn_nic *nic = NULL;
	struct jn_vliw_pair *pr = NULL;
	struct jn_vliw_opts vo = { .passes = JN_VLIW_ALL_PASSES };
	struct jn_nic_opts o = { .sz = sizeof(o), .capacity = 16, .policy = JN_POL_LRU, .seed = 7,
				 .run = jn_nic_vliw_run };
	uint64_t *cyc = malloc(2 * NPKT * sizeof(*cyc));
	int rc = cyc ? 0 : -ENOMEM;

	snprintf(obj, sizeof(obj), "build/progs/%s.o", pp->prog);
	snprintf(maps, sizeof(maps), "progs/%s.maps.json", pp->prog);
	rc = rc ? rc : inst_open(&a, obj, maps, err, errlen);
	rc = rc ? rc : inst_open(&b, obj, maps, err, errlen);
	rc = rc ? rc : jn_nic_vliw_new(a.x, NULL, &v, err, errlen);
	o.run_arg = v;
	rc = rc ? rc : jn_nic_new(a.x, &o, &nic, err, errlen);
	rc = rc ? rc : jn_vliw_pair_open(obj, NULL, maps, &vo, NULL, &pr, err, errlen);
	rc = rc ? rc : packets(nic, b.x, pr, r, cyc, cyc + NPKT);
	if (!rc) {
		struct json_object *ma = jn_xdp_dump_maps(a.x), *mb = jn_xdp_dump_maps(b.x);
		if (strcmp(json_object_to_json_string(ma), json_object_to_json_string(mb)))
			bad(r, "%s: maps differ from the interpreter's (%llu)", "nic", 0);
		json_object_put(ma);
		json_object_put(mb);
		if (jn_vliw_pair_maps(pr, err, errlen))
			bad(r, "%s: maps differ from the interpreter's (%llu)", "whole program", 0);
		rc = jn_nic_vliw_stats(v, &r->vs);
		r->finsns = jn_vliw_stats(jn_vliw_pair_prog(pr))->ebpf_ops;
		r->frows = jn_vliw_stats(jn_vliw_pair_prog(pr))->rows;
		if (r->vs.mismatches || r->vs.faults)
			bad(r, "%s: %llu tries the core and the executor disagree on", "nic",
			    r->vs.mismatches + r->vs.faults);
	}
	if (!rc && r->fmed) {
		size_t n = r->fmed;
		qsort(cyc, n, sizeof(*cyc), cmp_u64);
		qsort(cyc + NPKT, n, sizeof(*cyc), cmp_u64);
		r->fmin = cyc[0];
		r->fmed = cyc[n / 2];
		r->fmax = cyc[n - 1];
		r->fmpps = jn_vliw_sim_clock(jn_vliw_pair_sim(pr)) / (double)cyc[NPKT + n / 2];
	}
	free(cyc);
	jn_nic_free(nic);
	jn_nic_vliw_free(v);
	jn_vliw_pair_close(pr);
	inst_close(&a);
	inst_close(&b);
	return rc;
}

/* Packets per second when the core is the bottleneck: a 64-byte packet
 * arrives in 2 frames. */
static double mpps64(double clock, uint64_t cycles)
{
	return clock / (double)(cycles > 2 ? cycles : 2);
}

static void print_json(struct json_object *arr, const struct paper *pp, const struct row *r)
{
	struct json_object *o = json_object_new_object();

#define U(name, val) json_object_object_add(o, name, json_object_new_int64((int64_t)(val)))
#define D(name, val) json_object_object_add(o, name, json_object_new_double(val))
	json_object_object_add(o, "program", json_object_new_string(pp->prog));
	U("paper_insns", pp->insns);
	U("paper_rows", pp->rows);
	U("ebpf_insns", r->finsns);
	U("rows", r->frows);
	U("cycles_median", r->fmed);
	D("mpps", r->fmpps);
	D("mpps_64b", mpps64(r->vs.clock_mhz, r->fmed));
	U("packets", r->packets);
	U("hits", r->vs.hits);
	U("traces", r->vs.traces);
	U("refused", r->vs.refused);
	U("trace_insns_median", r->vs.insns_median);
	U("trace_rows_median", r->vs.rows_median);
	U("trace_rows_max", r->vs.rows_max);
	U("hit_cycles_min", r->vs.cyc_min);
	U("hit_cycles_median", r->vs.cyc_median);
	U("hit_cycles_max", r->vs.cyc_max);
	D("hit_ipc", r->vs.ipc);
	D("hit_mpps", r->vs.mpps);
	D("hit_mpps_64b", mpps64(r->vs.clock_mhz, r->vs.cyc_median));
	U("mismatches", r->bad);
#undef U
#undef D
	if (r->bad)
		json_object_object_add(o, "first_mismatch", json_object_new_string(r->why));
	json_object_array_add(arr, o);
}

int jn_trace_vliw_table(FILE *out, bool json)
{
	struct json_object *arr = json ? json_object_new_array() : NULL;
	int ret = 0;

	if (!json)
		fprintf(out, "%-16s %-9s | %-9s %3s %5s %5s | %-7s %5s %-12s %4s %5s %5s | %s\n", "program",
			"paper", "program", "cyc", "Mpps", "@64B", "trace", "hits", "cyc hit", "IPC", "Mpps",
			"@64B", "vs interpreter");
	for (size_t i = 0; i < sizeof(paper) / sizeof(paper[0]); i++) {
		struct row r = {0};
		char err[256] = "";
		int rc = measure(&paper[i], &r, err, sizeof(err));
		if (rc || r.bad)
			ret = rc ? rc : -EDOM;
		if (rc) {
			fprintf(out, "%-16s %s\n", paper[i].prog, err);
			continue;
		}
		if (arr) {
			print_json(arr, &paper[i], &r);
			continue;
		}
		fprintf(out, "%-16s %4d/%-4d | %4zu/%-4zu %3llu %5.2f %5.2f | %3u/%-3u %4.1f%% %3llu/%llu/%-4llu %4.2f "
			"%5.2f %5.2f | %s\n", paper[i].prog, paper[i].insns, paper[i].rows, r.finsns, r.frows,
			(unsigned long long)r.fmed, r.fmpps, mpps64(r.vs.clock_mhz, r.fmed), r.vs.insns_median,
			r.vs.rows_median, r.packets ? 100.0 * (double)r.vs.hits / (double)r.packets : 0.0,
			(unsigned long long)r.vs.cyc_min, (unsigned long long)r.vs.cyc_median,
			(unsigned long long)r.vs.cyc_max, r.vs.ipc, r.vs.mpps,
			mpps64(r.vs.clock_mhz, r.vs.cyc_median),
			r.bad ? r.why : r.vs.refused ? "all equal (some traces refused)" : "all equal");
	}
	if (json) {
		fprintf(out, "%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY));
		json_object_put(arr);
	}
	return ret;
}

int jn_trace_vliw_whole(const char *obj, const char *prog, const char *maps,
			const struct jn_pkt_set *set, int lanes, uint64_t cyc[3], uint64_t *differ,
			char *err, size_t errlen)
{
	struct jn_vliw_opts vo = { .lanes = lanes, .passes = JN_VLIW_ALL_PASSES };
	struct jn_vliw_pair *pr = NULL;
	uint64_t *c = malloc((set->n ? set->n : 1) * sizeof(*c));
	size_t n = 0;
	char e[256];
	int rc = c ? jn_vliw_pair_open(obj, prog, maps, &vo, NULL, &pr, err, errlen)
		   : jn_errf(err, errlen, ENOMEM, "trace-vliw: out of memory");

	*differ = 0;
	cyc[0] = cyc[1] = cyc[2] = 0;
	for (size_t i = 0; !rc && i < set->n; i++) {
		const struct jn_pkt *p = &set->pkts[i];
		struct jn_vliw_timing t;
		int f = jn_vliw_pair_run(pr, p->data, p->caplen, p->ts_ns, &t, NULL, e, sizeof(e));
		*differ += f > 0;
		if (f >= 0)
			c[n++] = t.cycles;
	}
	if (!rc && n) {
		qsort(c, n, sizeof(*c), cmp_u64);
		cyc[0] = c[0];
		cyc[1] = c[n / 2];
		cyc[2] = c[n - 1];
	}
	free(c);
	jn_vliw_pair_close(pr);
	return rc;
}
