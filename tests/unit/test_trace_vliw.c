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

#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <linux/bpf.h>

#include "isa/isa.h"
#include "obj/obj.h"
#include "pkt/pkt.h"
#include "trace/trace.h"
#include "trace/trace_internal.h"
#include "vliw/vliw.h"
#include "vm/xdp.h"

#include "trace_test.h"

#define PCAPS "../shared/data/pcaps/"

#if defined(__SANITIZE_ADDRESS__)
enum { SAMPLE = 16, GEN = 200 };
#else
enum { SAMPLE = 2, GEN = 800 };
#endif

/* ---- traffic: every shared capture (every SAMPLE-th packet), and
 * generated profiles written to a temporary capture and read back ---- */
static struct jn_pkt_set *sets[64];
static uint64_t stride[64];
static int nsets;

static int add_generated(const char *profile, uint64_t count, uint64_t seed)
{
	char path[] = "/tmp/test_trace_vliw_XXXXXX", err[256];
	struct jn_gen_cfg cfg;
	struct jn_gen *g = NULL;
	struct jn_pkt_writer *wr = NULL;
	struct jn_pkt p;
	int fd = mkstemp(path), rc;

	if (fd < 0)
		return -1;
	close(fd);
	rc = jn_pkt_gen_profile(&cfg, profile, err, sizeof(err));
	cfg.count = count;
	cfg.seed = seed;
	rc = rc ? rc : jn_pkt_gen_new(&cfg, &g, err, sizeof(err));
	rc = rc ? rc : jn_pkt_writer_open(path, &wr, err, sizeof(err));
	while (!rc && jn_pkt_gen_next(g, &p, NULL) == 1)
		rc = jn_pkt_writer_write(wr, &p, err, sizeof(err));
	if (wr && jn_pkt_writer_close(wr, err, sizeof(err)) && !rc)
		rc = -1;
	jn_pkt_gen_free(g);
	if (!rc && !(rc = jn_pkt_load(path, &sets[nsets], err, sizeof(err))))
		stride[nsets++] = 1;
	unlink(path);
	return rc;
}

static int traffic_setup(void **state)
{
	glob_t g;
	char err[256];

	(void)state;
	if (glob(PCAPS "*.pcap", 0, NULL, &g))
		return -1;
	for (size_t i = 0; i < g.gl_pathc && nsets < 60; i++)
		if (!jn_pkt_load(g.gl_pathv[i], &sets[nsets], err, sizeof(err)) || sets[nsets])
			stride[nsets++] = SAMPLE;
	globfree(&g);
	return add_generated("datacenter", 2 * GEN, 3) || add_generated("malformed", GEN, 1) ||
	       add_generated("linerate", GEN, 5) ? -1 : 0;
}

static int traffic_teardown(void **state)
{
	(void)state;
	for (int i = 0; i < nsets; i++)
		jn_pkt_set_free(sets[i]);
	return 0;
}

struct vq { uint64_t packets, hits, mismatches, maps_differ; struct jn_nic_vliw_stats vs; };

/* One packet through the NIC (hits on the core) and the interpreter: 1 if
 * the results differ. */
static int one_packet(const char *name, struct jn_nic *nic, struct jn_xdp *ref, const struct jn_pkt *p,
		      struct vq *q)
{
	struct jn_xdp_result ra, rb;
	bool hit;
	int rca = jn_nic_packet(nic, p, &ra, &hit), rcb = jn_xdp_run(ref, p->data, p->caplen, p->ts_ns, &rb, false);

	assert_int_equal(rca, rcb);
	q->packets++;
	if (rca)
		return 0;
	q->hits += hit;
	if (same_result(&ra, &rb))
		return 0;
	if (q->mismatches < 3)
		fprintf(stderr, "%s: packet %llu (%s): vliw %s len %u%s%s, interp %s len %u\n", name,
			(unsigned long long)p->index, hit ? "hit" : "miss", jn_xdp_action_name(ra.action),
			ra.len, ra.err ? " fault: " : "", ra.err ? ra.errmsg : "",
			jn_xdp_action_name(rb.action), rb.len);
	return 1;
}

/* The NIC model on the VLIW engine and a fresh interpreter, side by side,
 * over all the traffic; then the maps. */
static void vliw_equiv_obj(const char *obj, const char *entry, const char *maps, uint32_t cap,
			   int lanes, struct vq *q)
{
	const char *name = entry ? entry : obj;
	char err[256];
	struct inst a, b;
	struct jn_nic *nic;
	struct jn_nic_vliw *v;
	struct jn_nic_vliw_opts vo = { .lanes = lanes };
	struct jn_nic_opts o = { .sz = sizeof(o), .capacity = cap, .policy = JN_POL_LRU, .seed = 7 };

	assert_int_equal(inst_open(&a, obj, entry, maps), 0);
	assert_int_equal(inst_open(&b, obj, entry, maps), 0);
	assert_int_equal(jn_nic_vliw_new(a.x, &vo, &v, err, sizeof(err)), 0);
	o.run = jn_nic_vliw_run;
	o.run_arg = v;
	assert_int_equal(jn_nic_new(a.x, &o, &nic, err, sizeof(err)), 0);
	for (int s = 0; s < nsets; s++)
		for (uint64_t i = 0; i < sets[s]->n; i += stride[s])
			q->mismatches += (uint64_t)one_packet(name, nic, b.x, &sets[s]->pkts[i], q);
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

/* A shipped program (build/progs/<name>.o, progs/<name>.maps.json). */
static void vliw_equiv(const char *name, uint32_t cap, int lanes, struct vq *q)
{
	char obj[256], maps[256];

	snprintf(obj, sizeof(obj), "build/progs/%s.o", name);
	snprintf(maps, sizeof(maps), "progs/%s.maps.json", name);
	vliw_equiv_obj(obj, NULL, maps, cap, lanes, q);
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
		vliw_equiv(progs[i], 16, 4, &q);
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
		/* a hit costs a fraction of the whole program's rows (ipv6_filter
		 * is 6 rows in all) */
		if (strcmp(progs[i], "ipv6_filter"))
			assert_true(2 * q.vs.rows_median <= q.vs.full_rows);
		else
			assert_true(q.vs.rows_median < q.vs.full_rows);
		assert_true(q.vs.cyc_median > 0 && q.vs.ipc > 0.5);
	}
}

/* A cache of 2 (misses, evictions, paths traced again) on 1 lane, and of
 * 4 on 8 lanes: still equal everywhere, every hit on the core. */
static void test_vliw_engine_small_cache_and_lane_counts(void **state)
{
	static const struct { uint32_t cap; int lanes; } conf[] = { { 2, 1 }, { 4, 8 } };

	(void)state;
	for (size_t c = 0; c < 2; c++)
		for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
			struct vq q = {0};
			vliw_equiv(progs[i], conf[c].cap, conf[c].lanes, &q);
			assert_int_equal(q.mismatches, 0);
			assert_int_equal(q.maps_differ, 0);
			assert_int_equal(q.vs.mismatches + q.vs.faults + q.vs.refused, 0);
			assert_int_equal(q.vs.hits, q.hits);
			assert_true(q.hits > 0);
		}
}

/* The recorder's corner cases (tests/objs/trace_cases.bpf.c: global data,
 * atomics, random numbers, printk, update then lookup, variable offsets, a
 * path per length byte, bpf-to-bpf calls, adjust_head/tail, tail calls):
 * equal everywhere; what is refused is counted by name and runs on the
 * executor (tail calls: PROG). */
static void test_vliw_engine_on_the_recorders_corner_cases(void **state)
{
	static const char *const cases[] = {
		"t_global", "t_atomic", "t_random", "t_printk", "t_random_branch", "t_update_lookup",
		"t_varoff", "t_skip", "t_call", "t_push_eth", "t_pad", "t_tail",
	};
	uint64_t lowered = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vq q = {0};
		vliw_equiv_obj("build/tests/objs/trace_cases.o", cases[i], "tests/maps/trace_cases.maps.json",
			       8, 4, &q);
		fprintf(stderr, "  %-16s %llu hits (%llu on the core), %llu traces lowered, %llu refused (%s%s)\n",
			cases[i], (unsigned long long)q.hits, (unsigned long long)q.vs.hits,
			(unsigned long long)q.vs.traces, (unsigned long long)q.vs.refused,
			q.vs.refused_by[JN_TVLIW_PROG] ? "PROG " : "", q.vs.refused ? "" : "-");
		assert_int_equal(q.mismatches, 0);
		assert_int_equal(q.maps_differ, 0);
		assert_int_equal(q.vs.mismatches + q.vs.faults, 0);
		assert_int_equal(q.vs.hits + q.vs.fallback_hits, q.hits);
		if (!strcmp(cases[i], "t_tail"))
			assert_true(q.vs.refused_by[JN_TVLIW_PROG] > 0);
		if (!strcmp(cases[i], "t_skip"))
			assert_true(q.vs.traces > 64);   /* one path per length byte: the index grows */
		lowered += q.vs.traces;
	}
	assert_true(lowered > 100);
}

/* Debian's libxdp objects (the dispatcher, xdpdump, every xdp-filter
 * variant, the AF_XDP default programs): equal to the interpreter on every
 * packet and map, every hit on the core (the xdp-filter traces compare two
 * lookups' pointers: a branch on a call's r0 next to a copy of the
 * previous call's r0 was once scheduled into the call's own row). */
static void test_vliw_engine_on_libxdp_objects(void **state)
{
	glob_t g;
	uint64_t hits = 0;

	(void)state;
	if (glob("/usr/lib/x86_64-linux-gnu/bpf/*.o", 0, NULL, &g)) {
		fprintf(stderr, "  no libxdp objects: skipped\n");
		return;
	}
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct jn_obj *o = NULL;
		char err[256];
		bool xdp = false;
		if (jn_obj_open(g.gl_pathv[i], &o, err, sizeof(err)) == 0) {
			xdp = jn_obj_find_prog(o, NULL, err, sizeof(err)) != NULL;
			jn_obj_close(o);
		}
		if (!xdp)
			continue;   /* xdpdump_bpf.o: fentry/fexit only */
		struct vq q = {0};
		vliw_equiv_obj(g.gl_pathv[i], NULL, NULL, 16, 4, &q);
		fprintf(stderr, "  %-28s %llu hits (%llu on the core), %llu lowered, %llu retired (WRONG)\n",
			strrchr(g.gl_pathv[i], '/') + 1, (unsigned long long)q.hits,
			(unsigned long long)q.vs.hits, (unsigned long long)q.vs.traces,
			(unsigned long long)q.vs.refused_by[JN_TVLIW_WRONG]);
		assert_int_equal(q.mismatches, 0);
		assert_int_equal(q.maps_differ, 0);
		assert_int_equal(q.vs.faults, 0);
		assert_int_equal(q.vs.mismatches, 0);   /* none WRONG (the scheduler once made 92) */
		assert_int_equal(q.vs.refused, 0);
		assert_int_equal(q.vs.hits, q.hits);
		hits += q.vs.hits;
	}
	globfree(&g);
	assert_true(hits > 0);
}

/* ---- hand-made traces ---- */

#define K(v) { .op = JN_TIR_KINT, .k = (v), .width = 8 }
static struct jn_trace *mk(const struct jn_tins *ir, uint32_t n)
{
	struct jn_trace *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	t->ir = malloc(n * sizeof(*ir));
	assert_non_null(t->ir);
	memcpy(t->ir, ir, n * sizeof(*ir));
	t->n = n;
	return t;
}

static int lower(const struct jn_tins *ir, uint32_t n, struct jn_insn **code, size_t *len, char *err)
{
	struct jn_trace *t = mk(ir, n);
	int rc = jn_trace_to_ebpf(t, code, len, err, 200);

	jn_trace_free(t);
	return rc;
}

static void test_constant_trace_is_return_and_miss_exit(void **state)
{
	const struct jn_tins ir[] = { K(2), { .op = JN_TIR_RET, .a = 0 } };
	struct jn_insn *c;
	size_t n;
	char err[200];

	(void)state;
	assert_int_equal(lower(ir, 2, &c, &n, err), 0);
	assert_int_equal(n, 4);   /* r0 = 2; exit; r0 = miss; exit */
	assert_int_equal(c[0].code, 0xb7);
	assert_int_equal(c[0].imm, 2);
	assert_int_equal(c[1].code, 0x95);
	assert_int_equal(c[2].imm, JN_TRACE_MISS_CODE);
	free(c);
}

static void expect_refusal(const struct jn_tins *ir, uint32_t n, int reason, const char *name)
{
	struct jn_insn *c = (struct jn_insn *)1;
	size_t len = 1;
	char err[200];

	assert_int_equal(lower(ir, n, &c, &len, err), reason);
	assert_null(c);
	assert_int_equal(len, 0);
	assert_non_null(strstr(err, name));
	assert_string_equal(jn_trace_vliw_refusal_name(reason), name);
}

static void test_what_cannot_be_lowered_is_refused_by_name(void **state)
{
	const struct jn_tins unknown[] = { K(2), { .op = JN_TIR__COUNT + 3 }, { .op = JN_TIR_RET, .a = 0 } };
	const struct jn_tins prog[] = { K(0), { .op = JN_TIR_PROG, .a = 0, .k = 0 },
					{ .op = JN_TIR_GUARD, .a = 1, .b = 0, .k = JN_TC_EQ, .sz = 8 },
					{ .op = JN_TIR_RET, .a = 0 } };
	const struct jn_tins miss[] = { K(JN_TRACE_MISS_CODE), { .op = JN_TIR_RET, .a = 0 } };
	const struct jn_tins post[] = { K(0), { .op = JN_TIR_PLOAD, .k = 0, .sz = 1, .flags = JN_TF_POST },
					{ .op = JN_TIR_GUARD, .a = 1, .b = 0, .k = JN_TC_EQ, .sz = 8,
					  .flags = JN_TF_POST },
					{ .op = JN_TIR_RET, .a = 0 } };
	const struct jn_tins far[] = { K(0), { .op = JN_TIR_PLOAD, .k = 40, .sz = 2 },
				       { .op = JN_TIR_GUARD, .a = 1, .b = 0, .k = JN_TC_EQ, .sz = 8 },
				       { .op = JN_TIR_RET, .a = 0 } };
	(void)state;
	expect_refusal(unknown, 3, JN_TVLIW_OP, "OP");
	expect_refusal(prog, 4, JN_TVLIW_PROG, "PROG");
	expect_refusal(miss, 2, JN_TVLIW_RET, "RET");
	expect_refusal(post, 4, JN_TVLIW_POST_GUARD, "POST_GUARD");
	expect_refusal(far, 4, JN_TVLIW_PKT_RANGE, "PKT_RANGE");   /* no length guard: 14 bytes */
}

/* Twelve packet bytes live at once, twice (a sum, then an xor in the
 * other order): more values than registers, so some go to the stack and
 * come back; the core still computes both right, and a packet shorter
 * than the length guard misses. */
static void test_more_live_values_than_registers(void **state)
{
	struct jn_tins ir[64];
	uint32_t n = 0;
	int32_t ld[12], sum, x;
	struct inst in;
	struct jn_vliw_prog *vp;
	struct jn_vliw_sim *sim;
	struct jn_vliw_opts vo = { .passes = JN_VLIW_ALL_PASSES };
	struct jn_xdp_result res;
	struct jn_insn *c;
	size_t len;
	uint8_t pkt[64];
	char err[200];
	bool spilled = false;

	(void)state;
	ir[n++] = (struct jn_tins){ .op = JN_TIR_LEN };
	ir[n++] = (struct jn_tins)K(34);
	ir[n++] = (struct jn_tins){ .op = JN_TIR_GUARD, .a = 0, .b = 1, .k = JN_TC_GE, .sz = 8 };
	for (int i = 0; i < 12; i++) {
		ld[i] = (int32_t)n;
		ir[n++] = (struct jn_tins){ .op = JN_TIR_PLOAD, .k = i, .sz = 1, .width = 1 };
	}
	sum = ld[0];
	for (int i = 1; i < 12; i++) {
		ir[n] = (struct jn_tins){ .op = JN_TIR_ALU, .a = sum, .b = ld[i], .k = JN_OP_ADD64_X };
		sum = (int32_t)n++;
	}
	x = ld[11];
	for (int i = 10; i >= 0; i--) {
		ir[n] = (struct jn_tins){ .op = JN_TIR_ALU, .a = x, .b = ld[i], .k = JN_OP_XOR64_X };
		x = (int32_t)n++;
	}
	ir[n++] = (struct jn_tins){ .op = JN_TIR_PSTORE, .a = sum, .k = 12, .sz = 1 };
	ir[n++] = (struct jn_tins){ .op = JN_TIR_PSTORE, .a = x, .k = 13, .sz = 1 };
	ir[n] = (struct jn_tins)K(3);
	ir[n + 1] = (struct jn_tins){ .op = JN_TIR_RET, .a = (int32_t)n };
	n += 2;
	assert_int_equal(lower(ir, n, &c, &len, err), 0);
	for (size_t i = 0; i < len; i++)
		spilled |= c[i].code == 0x7b && c[i].dst == 10;
	assert_true(spilled);
	assert_int_equal(jn_vliw_compile(c, len, &vo, &vp, err, sizeof(err)), 0);
	free(c);
	assert_int_equal(inst_open(&in, "build/progs/ipv6_filter.o", NULL, NULL), 0);
	assert_int_equal(jn_vliw_sim_new(vp, in.x, NULL, &sim, err, sizeof(err)), 0);
	uint8_t s = 0, xo = 0;
	for (int i = 0; i < 64; i++)
		pkt[i] = (uint8_t)(7 * i + 3);
	for (int i = 0; i < 12; i++) {
		s = (uint8_t)(s + pkt[i]);
		xo ^= pkt[i];
	}
	assert_int_equal(jn_vliw_sim_run(sim, pkt, 64, 0, &res, NULL), 0);
	assert_int_equal(res.retval, 3);
	assert_int_equal(res.len, 64);
	assert_int_equal(res.data[12], s);
	assert_int_equal(res.data[13], xo);
	assert_int_equal(res.data[14], pkt[14]);
	assert_int_equal(jn_vliw_sim_run(sim, pkt, 30, 0, &res, NULL), 0);
	assert_int_equal(res.retval, JN_TRACE_MISS_CODE);
	jn_vliw_sim_free(sim);
	jn_vliw_free(vp);
	inst_close(&in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_constant_trace_is_return_and_miss_exit),
		cmocka_unit_test(test_what_cannot_be_lowered_is_refused_by_name),
		cmocka_unit_test(test_more_live_values_than_registers),
		cmocka_unit_test(test_vliw_engine_equals_interpreter_on_every_program),
		cmocka_unit_test(test_vliw_engine_small_cache_and_lane_counts),
		cmocka_unit_test(test_vliw_engine_on_the_recorders_corner_cases),
		cmocka_unit_test(test_vliw_engine_on_libxdp_objects),
	};
	return cmocka_run_group_tests(tests, traffic_setup, traffic_teardown);
}
