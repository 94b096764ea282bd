/* test_trace_vliw.c - traces lowered to VLIW (to_ebpf.c, nic_vliw.c): the
 * NIC model with its hits run on the Sephirot simulator gives, packet by
 * packet, the interpreter's action, output bytes, redirect target and
 * fault state, and the maps end equal, for every shipped program over the
 * shared captures and generated traffic; hits happen on the core, cost far
 * fewer rows than the whole program, and what cannot be lowered is refused
 * with a named reason.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <linux/bpf.h>

#include "isa/isa.h"
#include "obj/obj.h"
#include "pkt/pkt.h"
#include "trace/trace.h"
#include "trace/trace_internal.h"
#include "vm/xdp.h"

#include "trace_test.h"

#define PCAPS "../shared/data/pcaps/"

#if defined(__SANITIZE_ADDRESS__)
enum { SAMPLE = 16, GEN = 200 };
#else
enum { SAMPLE = 2, GEN = 800 };
#endif

/* ---- traffic: a sample of every shared capture, then generated ---- */
static struct jn_pkt_set traffic;
static struct jn_pkt_set *loaded[64];
static int nloaded;
static uint8_t *arena;

static void push(const struct jn_pkt *p, size_t *cap)
{
	if (traffic.n == *cap) {
		*cap = *cap ? 2 * *cap : 4096;
		traffic.pkts = realloc(traffic.pkts, *cap * sizeof(*traffic.pkts));
		assert_non_null(traffic.pkts);
	}
	traffic.pkts[traffic.n++] = *p;
}

static void gen(const char *profile, uint64_t count, uint64_t seed, size_t *cap, size_t *used)
{
	struct jn_gen_cfg cfg;
	struct jn_gen *g;
	struct jn_pkt p;
	char err[256];

	assert_int_equal(jn_pkt_gen_profile(&cfg, profile, err, sizeof(err)), 0);
	cfg.count = count;
	cfg.seed = seed;
	assert_int_equal(jn_pkt_gen_new(&cfg, &g, err, sizeof(err)), 0);
	while (jn_pkt_gen_next(g, &p, NULL) == 1) {
		assert_true(*used + p.caplen <= (8u << 20));
		memcpy(arena + *used, p.data, p.caplen);
		p.data = arena + *used;
		*used += p.caplen;
		push(&p, cap);
	}
	jn_pkt_gen_free(g);
}

static int traffic_setup(void **state)
{
	size_t cap = 0, used = 0;
	DIR *d = opendir(PCAPS);
	struct dirent *de;
	char path[512], err[256];

	(void)state;
	if (!d || !(arena = malloc(8u << 20)))
		return -1;
	while ((de = readdir(d)) && nloaded < 64) {
		size_t l = strlen(de->d_name);
		if (l < 5 || strcmp(de->d_name + l - 5, ".pcap"))
			continue;
		snprintf(path, sizeof(path), PCAPS "%s", de->d_name);
		if (jn_pkt_load(path, &loaded[nloaded], err, sizeof(err)) && !loaded[nloaded])
			continue;
		for (uint64_t i = 0; i < loaded[nloaded]->n; i += SAMPLE)
			push(&loaded[nloaded]->pkts[i], &cap);
		nloaded++;
	}
	closedir(d);
	gen("datacenter", 2 * GEN, 3, &cap, &used);
	gen("malformed", GEN, 1, &cap, &used);
	gen("linerate", GEN, 5, &cap, &used);
	return 0;
}

static int traffic_teardown(void **state)
{
	(void)state;
	for (int i = 0; i < nloaded; i++)
		jn_pkt_set_free(loaded[i]);
	free(traffic.pkts);
	free(arena);
	return 0;
}

struct vq { uint64_t packets, hits, mismatches, maps_differ; struct jn_nic_vliw_stats vs; };

/* The NIC model on the VLIW engine and a fresh interpreter, side by side. */
static void vliw_equiv(const char *name, const struct jn_pkt_set *set, uint32_t cap, int lanes,
		       struct vq *q)
{
	char obj[256], maps[256], err[256];
	struct inst a, b;
	struct jn_nic *nic;
	struct jn_nic_vliw *v;
	struct jn_nic_vliw_opts vo = { .lanes = lanes };
	struct jn_nic_opts o = { .sz = sizeof(o), .capacity = cap, .policy = JN_POL_LRU, .seed = 7 };

	snprintf(obj, sizeof(obj), "build/progs/%s.o", name);
	snprintf(maps, sizeof(maps), "progs/%s.maps.json", name);
	assert_int_equal(inst_open(&a, obj, NULL, maps), 0);
	assert_int_equal(inst_open(&b, obj, NULL, maps), 0);
	assert_int_equal(jn_nic_vliw_new(a.x, &vo, &v, err, sizeof(err)), 0);
	o.run = jn_nic_vliw_run;
	o.run_arg = v;
	assert_int_equal(jn_nic_new(a.x, &o, &nic, err, sizeof(err)), 0);
	for (uint64_t i = 0; i < set->n; i++) {
		const struct jn_pkt *p = &set->pkts[i];
		struct jn_xdp_result ra, rb;
		bool hit;
		int rca = jn_nic_packet(nic, p, &ra, &hit);
		int rcb = jn_xdp_run(b.x, p->data, p->caplen, p->ts_ns, &rb, false);
		q->packets++;
		assert_int_equal(rca, rcb);
		if (rca)
			continue;
		q->hits += hit;
		if (!same_result(&ra, &rb) && q->mismatches++ < 3)
			fprintf(stderr, "%s: packet %llu (%s): vliw %s len %u%s%s, interp %s len %u\n", name,
				(unsigned long long)i, hit ? "hit" : "miss", jn_xdp_action_name(ra.action),
				ra.len, ra.err ? " fault: " : "", ra.err ? ra.errmsg : "",
				jn_xdp_action_name(rb.action), rb.len);
	}
	struct json_object *ma = jn_xdp_dump_maps(a.x), *mb = jn_xdp_dump_maps(b.x);
	if (strcmp(json_object_to_json_string(ma), json_object_to_json_string(mb))) {
		q->maps_differ++;
		fprintf(stderr, "%s: maps differ\n", name);
	}
	json_object_put(ma);
	json_object_put(mb);
	assert_int_equal(jn_nic_vliw_stats(v, &q->vs), 0);
	if (jn_nic_vliw_note(v))
		fprintf(stderr, "  %s: %s\n", name, jn_nic_vliw_note(v));
	jn_nic_free(nic);
	jn_nic_vliw_free(v);
	inst_close(&a);
	inst_close(&b);
}

static const char *const progs[] = {
	"adjust_tail", "ddos_ratelimit", "ipv6_exthdr", "ipv6_filter", "lb_katran", "router_ipv4",
	"rxq_info", "simple_firewall", "tx_ip_tunnel", "vlan_classifier", "xdp1_count", "xdp2_reflect",
};

/* Every shipped program: equal on every packet and map, hits on the core,
 * a hit's rows a fraction of the whole program's. */
static void test_vliw_engine_equals_interpreter_on_every_program(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		struct vq q = {0};
		vliw_equiv(progs[i], &traffic, 16, 4, &q);
		fprintf(stderr, "  %-16s %llu packets, %llu hits (%llu on the core), rows %u/%u/%u of %zu, "
			"cycles %llu/%llu/%llu, refused %llu\n", progs[i], (unsigned long long)q.packets,
			(unsigned long long)q.hits, (unsigned long long)q.vs.hits, q.vs.rows_min,
			q.vs.rows_median, q.vs.rows_max, q.vs.full_rows, (unsigned long long)q.vs.cyc_min,
			(unsigned long long)q.vs.cyc_median, (unsigned long long)q.vs.cyc_max,
			(unsigned long long)q.vs.refused);
		assert_int_equal(q.mismatches, 0);
		assert_int_equal(q.maps_differ, 0);
		assert_int_equal(q.vs.mismatches, 0);
		assert_int_equal(q.vs.faults, 0);
		assert_int_equal(q.vs.refused, 0);
		assert_int_equal(q.vs.fallback_hits, 0);
		assert_true(q.hits > 0);
		assert_int_equal(q.vs.hits, q.hits);
		assert_true(q.vs.full_rows > 0);
		assert_true(q.vs.rows_median < q.vs.full_rows);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vliw_engine_equals_interpreter_on_every_program),
	};
	return cmocka_run_group_tests(tests, traffic_setup, traffic_teardown);
}
