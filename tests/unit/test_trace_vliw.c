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
 * executor (none here: tail calls are lowered too). */
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
		if (!strcmp(cases[i], "t_tail"))   /* lowered since the slots are compiled in */
			assert_true(q.vs.traces > 0 && !q.vs.refused && q.vs.hits == q.hits);
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

/* ---- one recorded trace, lowered and run on the core ---- */
struct lowered {
	struct jn_tracer *tr;
	struct jn_trace *t;
	struct jn_insn *code;      /* the lowered program */
	size_t len;
	struct jn_vliw_map *maps;
	struct jn_vliw_prog *vp;
	struct jn_vliw_sim *sim;
};

/* Lower l->t with the maps as they are now, compile it, load it. */
static void lowered_build(struct lowered *l, struct inst *in)
{
	struct jn_vliw_opts vo = { .passes = JN_VLIW_ALL_PASSES };
	char err[200];

	jn_vliw_sim_free(l->sim);
	jn_vliw_free(l->vp);
	free(l->code);
	free(l->maps);
	vo.maps = l->maps = jn_vliw_maps(in->x, &vo.n_maps);
	assert_int_equal(jn_trace_to_ebpf(l->t, &l->code, &l->len, err, sizeof(err)), 0);
	assert_int_equal(jn_vliw_compile(l->code, l->len, &vo, &l->vp, err, sizeof(err)), 0);
	assert_int_equal(jn_vliw_sim_new(l->vp, in->x, NULL, &l->sim, err, sizeof(err)), 0);
}

/* The trace of pkt in instance in, built. */
static void lowered_open(struct lowered *l, struct inst *in, const uint8_t *pkt, size_t n)
{
	char err[200];

	memset(l, 0, sizeof(*l));
	assert_int_equal(jn_tracer_new(in->x, &l->tr, err, sizeof(err)), 0);
	assert_int_equal(jn_trace_record(l->tr, pkt, (uint32_t)n, 0, &l->t, err, sizeof(err)), 0);
	lowered_build(l, in);
}

/* r0 of one run on the core (res: the result). */
static uint64_t lowered_run(struct lowered *l, const uint8_t *pkt, size_t n, struct jn_xdp_result *res)
{
	assert_int_equal(jn_vliw_sim_run(l->sim, pkt, (uint32_t)n, 0, res, NULL), 0);
	return res->retval;
}

static void lowered_close(struct lowered *l)
{
	jn_vliw_sim_free(l->sim);
	jn_vliw_free(l->vp);
	free(l->code);
	free(l->maps);
	jn_trace_free(l->t);
	jn_tracer_free(l->tr);
}

/* ---- tail calls (tests/objs/trace_tail.bpf.c): the prog_arrays set
 * by the test and changed between packets ---- */
#define TOBJ "build/tests/objs/trace_tail.o"
enum { A = -2, B = -3, C = -4, EMPTY = -1 };   /* tt_a, tt_b, tt_const */

static int prog_index(struct inst *in, int which)
{
	const char *name = which == A ? "tt_a" : which == B ? "tt_b" : "tt_const";
	const struct jn_obj_prog *p = jn_obj_find_prog(in->obj, name, NULL, 0);

	assert_non_null(p);
	return (int)(p - in->obj->progs);
}

static struct jn_map *map_named(struct inst *in, const char *name)
{
	for (size_t i = 0; i < jn_xdp_nmaps(in->x); i++)
		if (!strcmp(jn_map_spec(jn_xdp_map(in->x, i))->name, name))
			return jn_xdp_map(in->x, i);
	fail_msg("no map %s", name);
	return NULL;
}

/* jv's 8 slots and jk's slot 1 as phase ph gives them (A, B, C or EMPTY),
 * in instance in, as user space would set them. */
static void set_slots(struct inst *in, int ph)
{
	static const int jv[4][8] = {
		{ A, B, A, EMPTY, A, C, EMPTY, B },   /* A in 3 slots, C tail-calls again */
		{ B, B, EMPTY, A, EMPTY, EMPTY, A, EMPTY },
		{ EMPTY, EMPTY, EMPTY, EMPTY, EMPTY, EMPTY, EMPTY, EMPTY },
		{ C, A, C, C, B, A, C, EMPTY },
	};
	static const int jk[4] = { A, B, EMPTY, A };
	struct jn_map *mv = map_named(in, "jv"), *mk = map_named(in, "jk");

	for (uint32_t s = 0; s < 9; s++) {
		struct jn_map *m = s < 8 ? mv : mk;
		uint32_t key = s < 8 ? s : 1, val;
		int want = s < 8 ? jv[ph][s] : jk[ph];
		if (want == EMPTY) {
			int rc = jn_map_sys_delete(m, &key);
			assert_true(rc == 0 || rc == -ENOENT);
			continue;
		}
		val = (uint32_t)prog_index(in, want);
		assert_int_equal(jn_map_sys_update(m, &key, &val, BPF_ANY), 0);
	}
}

/* Both entries over all the traffic, the prog_arrays changed every 300
 * packets (phases 0, 1, 2, 3, 0, ...) in both instances: equal on every
 * packet and map, every trace lowered (none refused as PROG), every hit on
 * the core. */
static void test_tail_calls_lowered_and_equal_across_prog_array_updates(void **state)
{
	static const char *const entries[] = { "tt_var", "tt_const" };

	(void)state;
	for (size_t k = 0; k < 2; k++) {
		struct inst a, b;
		struct jn_nic *nic;
		struct jn_nic_vliw *v;
		struct jn_nic_opts o = { .sz = sizeof(o), .capacity = 16, .policy = JN_POL_LRU, .seed = 7,
					 .run = jn_nic_vliw_run };
		struct vq q = {0};
		uint64_t n = 0, changes = 0;
		char err[256];
		int ph = 0;

		assert_int_equal(inst_open(&a, TOBJ, entries[k], NULL), 0);
		assert_int_equal(inst_open(&b, TOBJ, entries[k], NULL), 0);
		set_slots(&a, 0);
		set_slots(&b, 0);
		assert_int_equal(jn_nic_vliw_new(a.x, NULL, &v, err, sizeof(err)), 0);
		o.run_arg = v;
		assert_int_equal(jn_nic_new(a.x, &o, &nic, err, sizeof(err)), 0);
		for (int s = 0; s < nsets; s++)
			for (uint64_t i = 0; i < sets[s]->n; i += stride[s]) {
				if (++n % 300 == 0) {
					ph = (ph + 1) % 4;
					set_slots(&a, ph);
					set_slots(&b, ph);
					jn_nic_maps_changed(nic);
					changes++;
				}
				q.mismatches += (uint64_t)one_packet(entries[k], nic, b.x, &sets[s]->pkts[i], &q);
			}
		struct json_object *ma = jn_xdp_dump_maps(a.x), *mb = jn_xdp_dump_maps(b.x);
		assert_string_equal(json_object_to_json_string(ma), json_object_to_json_string(mb));
		json_object_put(ma);
		json_object_put(mb);
		assert_int_equal(jn_nic_vliw_stats(v, &q.vs), 0);
		fprintf(stderr, "  %-9s %llu packets, %llu hits (%llu on the core), %llu prog_array changes, "
			"%llu paths lowered, %llu refused\n", entries[k], (unsigned long long)q.packets,
			(unsigned long long)q.hits, (unsigned long long)q.vs.hits, (unsigned long long)changes,
			(unsigned long long)q.vs.traces, (unsigned long long)q.vs.refused);
		assert_int_equal(q.mismatches, 0);
		assert_int_equal(q.vs.mismatches + q.vs.faults, 0);
		assert_int_equal(q.vs.refused, 0);
		assert_int_equal(q.vs.fallback_hits, 0);
		assert_true(q.hits > q.packets / 2);
		assert_int_equal(q.vs.hits, q.hits);
		assert_true(changes > 4);
		jn_nic_free(nic);
		jn_nic_vliw_free(v);
		inst_close(&a);
		inst_close(&b);
	}
}

/* One trace of tt_var, recorded with slots 0, 2 and 4 holding tt_a: its
 * guard on the target is a test of the index (<= 4, bit set in 0b10101),
 * the core hits for exactly those indexes (8..15 are past the end), and
 * the slots it compiled in no longer hold once slot 2 changes. */
static void test_tail_call_target_guard_is_a_test_of_the_index(void **state)
{
	struct inst in;
	struct lowered l;
	struct jn_trace_slot *sl;
	struct jn_xdp_result res;
	size_t ns;
	uint8_t pkt[64] = { [12] = 0x08, [14] = 0x45, [23] = 6, [25] = 2 };
	bool range = false, mask = false;

	(void)state;
	assert_int_equal(inst_open(&in, TOBJ, "tt_var", NULL), 0);
	set_slots(&in, 0);
	lowered_open(&l, &in, pkt, sizeof(pkt));
	for (size_t i = 0; i < l.len; i++) {
		range |= l.code[i].code == 0x26 && l.code[i].imm == 4;   /* if w(idx) > 4 goto miss */
		mask |= l.code[i].code == 0x7f;   /* rsh64 by a register */
	}
	assert_true(range && mask);
	for (int idx = 0; idx < 256; idx += idx < 16 ? 1 : 37) {
		bool hit = (idx & 15) == 0 || (idx & 15) == 2 || (idx & 15) == 4;   /* slot pkt[25] & 15 */
		pkt[25] = (uint8_t)idx;
		pkt[0] = 0x11;
		assert_int_equal(lowered_run(&l, pkt, sizeof(pkt), &res), hit ? XDP_TX : JN_TRACE_MISS_CODE);
		if (hit)
			assert_int_equal(res.data[0], 0xee);   /* tt_a flipped it */
	}
	assert_int_equal(jn_trace_ebpf_slots(l.t, &sl, &ns), 0);
	assert_int_equal(ns, 8);   /* the index is not constant: every slot */
	assert_int_equal(sl[2].slot, 2);
	assert_int_equal(sl[2].prog, (uint64_t)prog_index(&in, A));
	assert_int_equal(sl[3].prog, (uint64_t)-1);
	assert_true(jn_trace_ebpf_slots_hold(l.t, sl, ns));
	uint32_t key = 2, val = (uint32_t)prog_index(&in, B);
	assert_int_equal(jn_map_sys_update(map_named(&in, "jv"), &key, &val, BPF_ANY), 0);
	assert_false(jn_trace_ebpf_slots_hold(l.t, sl, ns));
	free(sl);
	lowered_close(&l);
	inst_close(&in);
}

/* tt_const through jk's slot 1 (a constant): the guard is decided when the
 * trace is lowered, against that one slot; with the slot emptied the
 * lowered trace is a jump to the miss exit, and still compiles. */
static void test_tail_call_by_constant_slot_is_decided_when_lowered(void **state)
{
	struct inst in;
	struct lowered l;
	struct jn_trace_slot *sl;
	struct jn_xdp_result res;
	uint8_t pkt[64] = { [12] = 0x08, [14] = 0x45, [23] = 17 };
	uint32_t key = 1;
	size_t ns;

	(void)state;
	assert_int_equal(inst_open(&in, TOBJ, "tt_const", NULL), 0);
	set_slots(&in, 0);   /* jk[1]: tt_a */
	lowered_open(&l, &in, pkt, sizeof(pkt));
	assert_int_equal(lowered_run(&l, pkt, sizeof(pkt), &res), XDP_TX);
	assert_int_equal(jn_trace_ebpf_slots(l.t, &sl, &ns), 0);
	assert_true(ns == 1 && sl[0].slot == 1 && sl[0].prog == (uint64_t)prog_index(&in, A));
	assert_int_equal(jn_map_sys_delete(map_named(&in, "jk"), &key), 0);
	assert_false(jn_trace_ebpf_slots_hold(l.t, sl, ns));
	lowered_build(&l, &in);
	assert_int_equal(lowered_run(&l, pkt, sizeof(pkt), &res), JN_TRACE_MISS_CODE);
	free(sl);
	lowered_close(&l);
	inst_close(&in);
}

/* tt_big: an index from the packet into a prog_array of 128 slots (slot
 * 5 filled) is what stays refused, as PROG: those traces run on the
 * executor, still equal to the interpreter on every packet. */
static void test_tail_call_into_over_64_slots_is_refused_as_prog(void **state)
{
	struct inst a, b;
	struct jn_nic *nic;
	struct jn_nic_vliw *v;
	struct jn_nic_opts o = { .sz = sizeof(o), .capacity = 16, .policy = JN_POL_LRU, .run = jn_nic_vliw_run };
	struct vq q = {0};
	uint32_t key = 5, val;
	char err[256];

	(void)state;
	assert_int_equal(inst_open(&a, TOBJ, "tt_big", NULL), 0);
	assert_int_equal(inst_open(&b, TOBJ, "tt_big", NULL), 0);
	val = (uint32_t)prog_index(&a, A);
	assert_int_equal(jn_map_sys_update(map_named(&a, "jb"), &key, &val, BPF_ANY), 0);
	assert_int_equal(jn_map_sys_update(map_named(&b, "jb"), &key, &val, BPF_ANY), 0);
	assert_int_equal(jn_nic_vliw_new(a.x, NULL, &v, err, sizeof(err)), 0);
	o.run_arg = v;
	assert_int_equal(jn_nic_new(a.x, &o, &nic, err, sizeof(err)), 0);
	for (int s = 0; s < nsets; s++)
		for (uint64_t i = 0; i < sets[s]->n; i += stride[s])
			q.mismatches += (uint64_t)one_packet("tt_big", nic, b.x, &sets[s]->pkts[i], &q);
	assert_int_equal(jn_nic_vliw_stats(v, &q.vs), 0);
	assert_int_equal(q.mismatches, 0);
	assert_true(q.vs.refused_by[JN_TVLIW_PROG] > 0);
	assert_int_equal(q.vs.refused, q.vs.refused_by[JN_TVLIW_PROG]);
	assert_non_null(strstr(jn_nic_vliw_note(v), "of 128 slots"));
	/* the tail call's paths on the executor, the short frames' on the core */
	assert_true(q.vs.fallback_hits > q.hits / 2);
	assert_int_equal(q.vs.fallback_hits + q.vs.hits, q.hits);
	jn_nic_free(nic);
	jn_nic_vliw_free(v);
	inst_close(&a);
	inst_close(&b);
}

/* ---- queue and stack pops (tests/objs/trace_helpers.bpf.c h_pop) ---- */
#define HOBJ "build/tests/objs/trace_helpers.o"
#define HMAPS "tests/maps/trace_helpers.maps.json"

/* h_pop with 0x50 queued: the trace peeks in phase 1 (the value read back
 * from the stack bytes the helper wrote: IR "out") and pops at commit; it
 * is lowered, and on the core it pops 0x50, adds it to stats[0] and
 * returns XDP_TX; with 0x30 queued its guard (sum > 0x40) fails and with
 * the queue empty the peek fails: misses that change nothing. */
static void test_queue_pop_trace_lowered_reads_the_peeked_value(void **state)
{
	struct inst in;
	struct lowered l;
	struct jn_xdp_result res;
	struct jn_map *q, *stats;
	uint8_t pkt[64] = { [12] = 0x08, [14] = 0x45 };
	uint32_t v = 0x50, key = 0, got;
	bool out = false;

	(void)state;
	assert_int_equal(inst_open(&in, HOBJ, "h_pop", HMAPS), 0);
	q = map_named(&in, "q");
	stats = map_named(&in, "stats");
	assert_int_equal(jn_map_sys_update(q, NULL, &v, BPF_ANY), 0);
	lowered_open(&l, &in, pkt, sizeof(pkt));
	for (uint32_t i = 0; i < l.t->n; i++)
		out |= l.t->ir[i].op == JN_TIR_OUT;
	assert_true(out);
	assert_int_equal(lowered_run(&l, pkt, sizeof(pkt), &res), XDP_TX);
	assert_int_equal(jn_map_sys_lookup(q, NULL, &got), -ENOENT);   /* popped */
	assert_int_equal(*(uint64_t *)jn_map_lookup(stats, &key, 0), 0x50);
	v = 0x30;
	assert_int_equal(jn_map_sys_update(q, NULL, &v, BPF_ANY), 0);
	assert_int_equal(lowered_run(&l, pkt, sizeof(pkt), &res), JN_TRACE_MISS_CODE);
	assert_int_equal(jn_map_sys_lookup(q, NULL, &got), 0);   /* still queued */
	assert_int_equal(got, 0x30);
	assert_int_equal(jn_map_pop(q, &got), 0);
	assert_int_equal(lowered_run(&l, pkt, sizeof(pkt), &res), JN_TRACE_MISS_CODE);   /* empty */
	assert_int_equal(*(uint64_t *)jn_map_lookup(stats, &key, 0), 0x50);
	lowered_close(&l);
	inst_close(&in);
}

/* The helpers' objects with pops and tail calls from a subprogram (a
 * constant slot, and one from the packet): equal everywhere, nothing
 * refused, every hit on the core. */
static void test_vliw_engine_on_pops_and_subprogram_tail_calls(void **state)
{
	static const char *const cases[] = { "h_pop", "h_subtail", "h_subtail_call" };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vq q = {0};
		vliw_equiv_obj(HOBJ, cases[i], HMAPS, 8, 4, &q);
		fprintf(stderr, "  %-16s %llu hits (%llu on the core), %llu traces lowered, %llu refused\n",
			cases[i], (unsigned long long)q.hits, (unsigned long long)q.vs.hits,
			(unsigned long long)q.vs.traces, (unsigned long long)q.vs.refused);
		assert_int_equal(q.mismatches, 0);
		assert_int_equal(q.maps_differ, 0);
		assert_int_equal(q.vs.mismatches + q.vs.faults + q.vs.refused, 0);
		assert_true(q.hits > 0);
		assert_int_equal(q.vs.hits, q.hits);
	}
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
		cmocka_unit_test(test_queue_pop_trace_lowered_reads_the_peeked_value),
		cmocka_unit_test(test_vliw_engine_on_pops_and_subprogram_tail_calls),
		cmocka_unit_test(test_tail_call_target_guard_is_a_test_of_the_index),
		cmocka_unit_test(test_tail_call_by_constant_slot_is_decided_when_lowered),
		cmocka_unit_test(test_tail_call_into_over_64_slots_is_refused_as_prog),
		cmocka_unit_test(test_tail_calls_lowered_and_equal_across_prog_array_updates),
	};
	return cmocka_run_group_tests(tests, traffic_setup, traffic_teardown);
}
