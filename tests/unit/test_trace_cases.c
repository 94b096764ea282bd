/* test_trace_cases.c - the recorder on programs written to corner it
 * (tests/objs/trace_cases.bpf.c): for each, generated traffic through the
 * NIC model gives exactly the interpreter's results and maps, the programs
 * that traces can express are traced (hits), and those they cannot abort
 * with the documented reason on every packet; tail calls are followed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/bpf.h>

#include "pkt/pkt.h"
#include "trace/trace.h"
#include "trace_test.h"

#define OBJ "build/tests/objs/trace_cases.o"
#define MAPS "tests/maps/trace_cases.maps.json"

static struct jn_pkt_set traffic;
static uint8_t *arena;

static int setup(void **state)
{
	struct jn_gen_cfg cfg;
	struct jn_gen *g;
	struct jn_pkt p;
	size_t used = 0;
	char err[256];
	(void)state;

	if (jn_pkt_gen_profile(&cfg, "malformed", err, sizeof(err)))
		return -1;
	cfg.count = 1500;
	cfg.seed = 17;
	cfg.flows = 40;
	traffic.pkts = calloc(cfg.count, sizeof(*traffic.pkts));
	arena = malloc(cfg.count * 9216);
	if (!traffic.pkts || !arena || jn_pkt_gen_new(&cfg, &g, err, sizeof(err)))
		return -1;
	while (jn_pkt_gen_next(g, &p, NULL) == 1) {
		memcpy(arena + used, p.data, p.caplen);
		p.data = arena + used;
		used += p.caplen;
		traffic.pkts[traffic.n++] = p;
	}
	jn_pkt_gen_free(g);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(traffic.pkts);
	free(arena);
	return 0;
}

/* NIC equals interpreter at two sizes; returns the LRU run's statistics. */
static struct jn_nic_stats check_in(const char *obj, const char *maps, const char *entry)
{
	struct eq_stats es = {0}, es2 = {0};

	equiv(obj, entry, maps, &traffic, 2, JN_POL_LRU, &es);
	equiv(obj, entry, maps, &traffic, 5, JN_POL_RANDOM, &es2);
	assert_int_equal(es.mismatches + es2.mismatches, 0);
	assert_int_equal(es.maps_differ + es2.maps_differ, 0);
	return es.nic;
}

static struct jn_nic_stats check(const char *entry)
{
	return check_in(OBJ, MAPS, entry);
}

static void expect_traced_in(const char *obj, const char *maps, const char *entry, uint64_t min_hits)
{
	struct jn_nic_stats st = check_in(obj, maps, entry);

	print_message("%-16s %llu hits, %llu paths, %llu aborts\n", entry, (unsigned long long)st.hits,
		      (unsigned long long)st.distinct_paths, (unsigned long long)st.aborts);
	assert_int_equal(st.aborts, 0);
	assert_true(st.hits > 0);
	assert_true(st.hits >= min_hits);
}

static void expect_traced(const char *entry, uint64_t min_hits)
{
	struct jn_nic_stats st = check(entry);

	print_message("%-16s %llu hits, %llu paths, %llu aborts\n", entry, (unsigned long long)st.hits,
		      (unsigned long long)st.distinct_paths, (unsigned long long)st.aborts);
	assert_int_equal(st.aborts, 0);
	assert_true(st.hits >= min_hits);
}

static void expect_abort(const char *entry, int reason)
{
	struct jn_nic_stats st = check(entry);

	assert_int_equal(st.hits, 0);
	assert_int_equal(st.abort_by[reason], st.packets - st.skipped);
}

/* packets % every: the guard reads the counter in .bss alone, so a trace
 * whose guard fails is invalidated until the counter moves on (the state
 * comes back, and so do its hits: both traces stay in a 2-entry cache). */
static void test_global_data_is_state_guards_read(void **state)
{
	struct jn_nic_stats st = check("t_global");
	(void)state;

	assert_int_equal(st.aborts, 0);
	assert_int_equal(st.distinct_paths, 2);
	assert_true(st.invalidations > traffic.n / 3);
	assert_int_equal(st.misses, 2);
}

static void test_atomics_and_cmpxchg_on_map_values(void **state)
{
	(void)state;
	expect_traced("t_atomic", traffic.n / 2);
}

static void test_random_numbers_run_in_the_trace(void **state)
{
	(void)state;
	expect_traced("t_random", traffic.n / 2);
}

static void test_variable_header_offsets_are_specialised(void **state)
{
	(void)state;
	expect_traced("t_varoff", traffic.n / 2);
}

static void test_calls_writing_the_callers_stack(void **state)
{
	(void)state;
	expect_traced("t_call", 0);
}

static void test_adjust_head_and_stores_in_front_of_the_packet(void **state)
{
	(void)state;
	expect_traced("t_push_eth", traffic.n / 2);
}

/* The NIC run and the interpreter write the same log (trace_printk) or
 * events (perf_event_output) file, byte for byte. */
static void same_output(const char *objpath, const char *entry, const char *maps, bool events,
			const struct jn_pkt_set *set)
{
	struct jn_obj *obj;
	struct jn_xdp *x[2];
	struct jn_nic *nic;
	struct jn_nic_opts o = { .sz = sizeof(o), .capacity = 2, .policy = JN_POL_LRU };
	char *out[2] = {0};
	size_t lens[2];
	FILE *f[2];
	char err[256];

	assert_int_equal(jn_obj_open(objpath, &obj, err, sizeof(err)), 0);
	for (int k = 0; k < 2; k++) {
		struct jn_xdp_opts xo = { .sz = sizeof(xo) };
		assert_non_null(f[k] = open_memstream(&out[k], &lens[k]));
		if (events)
			xo.events = f[k];
		else
			xo.log = f[k];
		assert_int_equal(jn_xdp_open(obj, entry, &xo, &x[k], err, sizeof(err)), 0);
		if (maps) {
			struct jn_maps_init_env env;
			struct jn_maps_init *init;
			jn_xdp_init_env(x[k], &env);
			assert_int_equal(jn_maps_init_load(maps, &env, &init, err, sizeof(err)), 0);
			assert_int_equal(jn_xdp_apply_init(x[k], init, err, sizeof(err)), 0);
			jn_maps_init_free(init);
		}
	}
	assert_int_equal(jn_nic_new(x[0], &o, &nic, err, sizeof(err)), 0);
	for (uint64_t i = 0; i < set->n; i++) {
		struct jn_xdp_result r;
		bool hit;
		jn_nic_packet(nic, &set->pkts[i], &r, &hit);
		jn_xdp_run(x[1], set->pkts[i].data, set->pkts[i].caplen, set->pkts[i].ts_ns, &r, false);
	}
	assert_true(jn_nic_stats(nic)->hits > set->n / 2);
	jn_nic_free(nic);
	for (int k = 0; k < 2; k++) {
		jn_xdp_close(x[k]);
		fclose(f[k]);
	}
	assert_true(lens[0] > 1000);
	assert_int_equal(lens[0], lens[1]);
	assert_memory_equal(out[0], out[1], lens[0]);
	free(out[0]);
	free(out[1]);
	jn_obj_close(obj);
}

/* bpf_printk: the format string in .rodata, the line written at commit. */
static void test_trace_printk_runs_in_the_trace(void **state)
{
	(void)state;
	expect_traced("t_printk", traffic.n / 2);
	same_output(OBJ, "t_printk", NULL, false, &traffic);
}

/* xdpdump's perf_event_output of the packet, from libxdp (its .data set
 * to capture on ifindex 1, where the packets arrive). */
static void test_perf_event_output_runs_in_the_trace(void **state)
{
	(void)state;
	if (access("/usr/lib/x86_64-linux-gnu/bpf/xdpdump_xdp.o", R_OK)) {
		print_message("(no libxdp xdpdump_xdp.o: skipped)\n");
		return;
	}
	same_output("/usr/lib/x86_64-linux-gnu/bpf/xdpdump_xdp.o", NULL,
		    "tests/maps/xdpdump_ifindex1.maps.json", true, &traffic);
}

static void test_adjust_tail_to_a_constant_end(void **state)
{
	(void)state;
	expect_traced("t_pad", traffic.n / 2);
}

static void test_branch_on_random_number_aborts(void **state)
{
	(void)state;
	expect_abort("t_random_branch", JN_TRERR_POST_GUARD);
}

static void test_lookup_after_update_aborts(void **state)
{
	struct jn_nic_stats st = check("t_update_lookup");
	(void)state;
	/* frames too short for an IPv4 header never update: those are traced */
	assert_true(st.hits < traffic.n / 10);
	assert_true(st.abort_by[JN_TRERR_MAP_RAW] > traffic.n / 2);
}

/* The trace follows the tail call into the target (slot 0) and falls
 * through for the empty slots; which one is guarded on the prog_array. */
static void test_tail_calls_are_followed(void **state)
{
	struct inst in;
	struct jn_tracer *tr;
	struct jn_trace *t;
	uint8_t pkt[60] = {0};
	char err[256], want[64];
	(void)state;

	expect_traced("t_tail", traffic.n / 2);
	assert_int_equal(inst_open(&in, OBJ, "t_tail", MAPS), 0);
	assert_int_equal(jn_tracer_new(in.x, &tr, err, sizeof(err)), 0);
	pkt[14] = 0x45;
	int target = (int)(jn_obj_find_prog(in.obj, "t_tail_target", NULL, 0) - in.obj->progs);
	snprintf(want, sizeof(want), target < 10 ? "jump.prog[(pkt[15] & 3)] == %d"
						 : "jump.prog[(pkt[15] & 3)] == 0x%x", target);
	assert_int_equal(jn_trace_record(tr, pkt, sizeof(pkt), 0, &t, err, sizeof(err)), 0);
	assert_non_null(strstr(jn_trace_cond(t), want));
	jn_trace_free(t);
	pkt[15] = 2;
	assert_int_equal(jn_trace_record(tr, pkt, sizeof(pkt), 0, &t, err, sizeof(err)), 0);
	assert_non_null(strstr(jn_trace_cond(t), "jump.prog[(pkt[15] & 3)] == -1"));
	jn_trace_free(t);
	jn_tracer_free(tr);
	inst_close(&in);
}

/* ---- helpers the recorder expresses (tests/objs/trace_helpers.bpf.c) ---- */
#define HOBJ "build/tests/objs/trace_helpers.o"
#define HMAPS "tests/maps/trace_helpers.maps.json"

/* The path condition of one packet through entry of HOBJ (caller frees). */
static char *cond_of(const char *entry, const uint8_t *pkt, uint32_t len)
{
	struct inst in;
	struct jn_tracer *tr;
	struct jn_trace *t;
	char err[256], *cond;

	assert_int_equal(inst_open(&in, HOBJ, entry, HMAPS), 0);
	assert_int_equal(jn_tracer_new(in.x, &tr, err, sizeof(err)), 0);
	assert_int_equal(jn_trace_record(tr, pkt, len, 0, &t, err, sizeof(err)), 0);
	assert_non_null(cond = strdup(jn_trace_cond(t)));
	jn_trace_free(t);
	jn_tracer_free(tr);
	inst_close(&in);
	return cond;
}

/* Unrolled for the count the packet gives, each callback's return guarded. */
static void test_bpf_loop_is_unrolled(void **state)
{
	(void)state;
	expect_traced_in(HOBJ, HMAPS, "h_loop", traffic.n / 2);
}

/* The MTU is configuration: the outcome is a guard on the length. */
static void test_check_mtu_is_a_length_guard(void **state)
{
	(void)state;
	expect_traced_in(HOBJ, HMAPS, "h_mtu", traffic.n / 4);
}

/* The chosen route (and every route that would beat it not matching) is
 * guarded; the results are constants. */
static void test_fib_lookup_guards_the_route(void **state)
{
	uint8_t pkt[60] = {0};
	char *cond;
	(void)state;

	expect_traced_in(HOBJ, HMAPS, "h_fib", traffic.n / 4);
	pkt[12] = 0x08;
	pkt[14] = 0x45;
	memcpy(pkt + 30, "\xc0\xa8\x02\x90", 4);   /* 192.168.2.144: the /25 beats the /22 */
	cond = cond_of("h_fib", pkt, sizeof(pkt));
	assert_non_null(strstr(cond, "(le(pkt[30:4]) & 0x80ffffff) == 0x8002a8c0"));
	assert_null(strstr(cond, "0xfcffff"));   /* the /22 cannot beat it: no guard */
	free(cond);
}

static void test_queue_stack_pushes_and_spin_locks(void **state)
{
	(void)state;
	expect_traced_in(HOBJ, HMAPS, "h_queue", traffic.n / 2);
}

/* A pop or peek is a guard-phase peek (its result guarded, the value read
 * back from the buffer it wrote) plus, for a pop, the pop at commit. */
static void test_queue_pops_and_stack_peeks(void **state)
{
	uint8_t pkt[60] = {0};
	char *cond;
	(void)state;

	expect_traced_in(HOBJ, HMAPS, "h_pop", traffic.n / 4);
	cond = cond_of("h_pop", pkt, sizeof(pkt));
	assert_non_null(strstr(cond, "map_peek_elem(q, &stack["));   /* empty: -ENOENT */
	free(cond);
}

/* Reservations written, submitted or discarded, and ringbuf_output: the
 * same events as the interpreter's, byte for byte. */
static void test_ringbuf_reservations_are_effects(void **state)
{
	(void)state;
	expect_traced_in(HOBJ, HMAPS, "h_ringbuf", traffic.n / 2);
	same_output(HOBJ, "h_ringbuf", HMAPS, true, &traffic);
}

/* Nothing consumes the ring (4096 bytes): reservations and outputs fit
 * while the producer position as the packet arrived is low enough -- a
 * guard on a guard-phase bpf_ringbuf_query -- and fail after; the fill
 * level the program reads back is that position plus what the path took.
 * 1500 packets fill the ring many times over. */
static void test_ringbuf_fill_level_is_guarded(void **state)
{
	uint8_t pkt[60] = {0};
	char *cond;
	(void)state;

	expect_traced_in(HOBJ, HMAPS, "h_ringq", traffic.n / 2);
	same_output(HOBJ, "h_ringq", HMAPS, true, &traffic);
	/* an empty ring: a 24-byte record (8 + 8 bytes of data, rounded) fits
	 * from any position up to 4095 - 24 = 0xfe7 */
	pkt[0] = 1;
	cond = cond_of("h_ringq", pkt, sizeof(pkt));
	assert_non_null(strstr(cond, "ringbuf_query(rb, 3) <= 0xfe7"));
	free(cond);
	cond = cond_of("h_ringbuf", pkt, sizeof(pkt));
	assert_non_null(strstr(cond, "ringbuf_query(rb, 3) <= 0xfcf"));   /* 24 + 24 bytes */
	assert_null(strstr(cond, "<= 0xfe7"));   /* the first record's looser bound went (implied.c) */
	free(cond);
}

static void test_tail_call_from_a_subprogram_returns_to_its_caller(void **state)
{
	(void)state;
	expect_traced_in(HOBJ, HMAPS, "h_subtail", traffic.n / 2);
}

/* After the subprogram's tail call its caller goes on in its own program
 * (a bpf-to-bpf call there runs the caller's subprogram). */
static void test_calls_after_a_subprograms_tail_call(void **state)
{
	(void)state;
	expect_traced_in(HOBJ, HMAPS, "h_subtail_call", traffic.n / 2);
}

/* tests/objs/helpers.bpf.c: bpf_loop, csum_diff, check_mtu, a queue push,
 * ring buffer and perf output, adjust_meta with metadata written, spin
 * locks, a tail call into a program using xdp_load/store_bytes and
 * get_buff_len: every path traced, the same events as the interpreter's. */
static void test_every_helper_of_the_helpers_object(void **state)
{
	const char *obj = "build/tests/objs/helpers.o", *maps = "tests/maps/helpers.maps.json";
	struct jn_pkt_set set = { .pkts = calloc(traffic.n, sizeof(*set.pkts)) };
	uint8_t *bytes = malloc(traffic.n * 2048);
	struct eq_stats es = {0};
	(void)state;

	/* the program's path is chosen by the last byte of the destination MAC */
	assert_non_null(set.pkts);
	assert_non_null(bytes);
	for (uint64_t i = 0; i < traffic.n; i++) {
		set.pkts[set.n] = traffic.pkts[i];
		if (traffic.pkts[i].caplen < 14 || traffic.pkts[i].caplen > 2048)
			continue;
		memcpy(bytes + 2048 * set.n, traffic.pkts[i].data, traffic.pkts[i].caplen);
		bytes[2048 * set.n + 5] = (uint8_t)(i / 16);   /* runs of 16 packets per path */
		set.pkts[set.n].data = bytes + 2048 * set.n;
		set.n++;
	}
	equiv(obj, "xdp_helpers", maps, &set, 3, JN_POL_LRU, &es);
	print_message("xdp_helpers      %llu of %llu packets hit, %llu paths, %llu aborts\n",
		      (unsigned long long)es.nic.hits, (unsigned long long)set.n,
		      (unsigned long long)es.nic.distinct_paths, (unsigned long long)es.nic.aborts);
	assert_int_equal(es.mismatches, 0);
	assert_int_equal(es.maps_differ, 0);
	assert_int_equal(es.nic.aborts, 0);
	assert_true(es.nic.distinct_paths >= 4);
	assert_true(es.nic.hits > set.n / 2);
	same_output(obj, "xdp_helpers", maps, true, &set);
	free(set.pkts);
	free(bytes);
}

/* ---- invalidation (src/trace/inval.c): h_cfg reads cfg[pkt[14] & 3], the
 * key pinned by an equality guard for keys 0 and 1; pkt[15] == 0xee sets
 * cfg[pkt[14] & 3] = pkt[13] ---- */
struct cfg_pkt { uint8_t key, ctl, val; bool hit; };

static void test_a_map_update_invalidates_exactly_the_traces_reading_the_entry(void **state)
{
	static const struct cfg_pkt seq[] = {
		{0, 0, 0, false}, {1, 0, 0, false}, {2, 0, 0, false},   /* three traces; 2 is unpinned */
		{0, 1, 9, false},   /* the host sets cfg[0] = 9: the key-0 trace is invalid (1) */
		{1, 1, 9, true},    /* the control trace sets cfg[1] = 9: the key-1 trace too (2) */
		{1, 1, 3, true},    /* cfg[1] = 3: the key-1 trace holds again (revalidated) */
		{3, 1, 9, true},    /* cfg[3]: no trace's guards read it through a pinned key */
		{0, 0, 0, false},   /* the invalid key-0 trace is not tried: a new path */
		{1, 0, 0, true}, {2, 0, 0, true},
		{0, 1, 9, true},    /* the same value again: nothing changes */
		{0, 0, 0, true},
	};
	struct inst a, b;
	struct jn_nic *nic;
	struct jn_nic_opts o = { .sz = sizeof(o), .capacity = 8, .policy = JN_POL_LRU };
	const struct jn_nic_stats *st;
	char err[256];
	(void)state;

	assert_int_equal(inst_open(&a, HOBJ, "h_cfg", HMAPS), 0);
	assert_int_equal(inst_open(&b, HOBJ, "h_cfg", HMAPS), 0);
	assert_int_equal(jn_nic_new(a.x, &o, &nic, err, sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		uint8_t buf[60] = {0};
		struct jn_pkt p = { .data = buf, .caplen = sizeof(buf), .len = sizeof(buf), .index = i };
		struct jn_xdp_result ra, rb;
		bool hit;
		buf[12] = 8;
		buf[13] = seq[i].val;
		buf[14] = seq[i].key;
		buf[15] = seq[i].ctl ? 0xee : 0;
		assert_int_equal(jn_nic_packet(nic, &p, &ra, &hit), 0);
		assert_int_equal(jn_xdp_run(b.x, buf, sizeof(buf), 0, &rb, false), 0);
		assert_true(same_result(&ra, &rb));
		if (hit != seq[i].hit)
			fail_msg("packet %zu: %s, expected a %s", i, hit ? "hit" : "miss", seq[i].hit ? "hit" : "miss");
	}
	st = jn_nic_stats(nic);
	assert_int_equal(st->invalidations, 2);
	assert_int_equal(st->revalidations, 1);
	assert_int_equal(st->hits, 7);
	jn_nic_free(nic);
	inst_close(&a);
	inst_close(&b);
}

/* A change made outside the packets is announced: the trace that read it
 * is invalid, and valid again once the entry is back. */
static void test_an_announced_update_invalidates_and_revalidates(void **state)
{
	struct inst a;
	struct jn_nic *nic;
	struct jn_nic_opts o = { .sz = sizeof(o), .capacity = 8, .policy = JN_POL_LRU };
	uint8_t buf[60] = {0};
	struct jn_pkt p = { .data = buf, .caplen = sizeof(buf), .len = sizeof(buf) };
	struct jn_xdp_result r;
	struct jn_map *cfg = NULL;
	uint32_t k = 1;
	uint64_t v = 7;
	char err[256];
	bool hit;
	(void)state;

	assert_int_equal(inst_open(&a, HOBJ, "h_cfg", HMAPS), 0);
	for (size_t i = 0; i < jn_xdp_nmaps(a.x); i++)
		if (!strcmp(jn_map_spec(jn_xdp_map(a.x, i))->name, "cfg"))
			cfg = jn_xdp_map(a.x, i);
	assert_non_null(cfg);
	assert_int_equal(jn_nic_new(a.x, &o, &nic, err, sizeof(err)), 0);
	buf[14] = 1;
	assert_int_equal(jn_nic_packet(nic, &p, &r, &hit), 0);
	assert_false(hit);
	assert_int_equal(jn_map_update(cfg, &k, &v, 0, 0), 0);
	jn_nic_maps_changed(nic);
	assert_int_equal(jn_nic_stats(nic)->invalidations, 1);
	assert_int_equal(jn_nic_packet(nic, &p, &r, &hit), 0);   /* a new path: cfg[1] > 5 */
	assert_false(hit);
	assert_int_equal(r.action, XDP_TX);
	v = 0;
	assert_int_equal(jn_map_update(cfg, &k, &v, 0, 0), 0);
	jn_nic_maps_changed(nic);
	assert_int_equal(jn_nic_stats(nic)->revalidations, 1);
	assert_int_equal(jn_nic_stats(nic)->invalidations, 2);   /* and the cfg[1] > 5 trace */
	assert_int_equal(jn_nic_packet(nic, &p, &r, &hit), 0);
	assert_true(hit);
	assert_int_equal(r.action, XDP_PASS);
	jn_nic_free(nic);
	inst_close(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_global_data_is_state_guards_read),
		cmocka_unit_test(test_atomics_and_cmpxchg_on_map_values),
		cmocka_unit_test(test_random_numbers_run_in_the_trace),
		cmocka_unit_test(test_variable_header_offsets_are_specialised),
		cmocka_unit_test(test_calls_writing_the_callers_stack),
		cmocka_unit_test(test_adjust_head_and_stores_in_front_of_the_packet),
		cmocka_unit_test(test_adjust_tail_to_a_constant_end),
		cmocka_unit_test(test_trace_printk_runs_in_the_trace),
		cmocka_unit_test(test_perf_event_output_runs_in_the_trace),
		cmocka_unit_test(test_branch_on_random_number_aborts),
		cmocka_unit_test(test_lookup_after_update_aborts),
		cmocka_unit_test(test_tail_calls_are_followed),
		cmocka_unit_test(test_bpf_loop_is_unrolled),
		cmocka_unit_test(test_check_mtu_is_a_length_guard),
		cmocka_unit_test(test_fib_lookup_guards_the_route),
		cmocka_unit_test(test_queue_stack_pushes_and_spin_locks),
		cmocka_unit_test(test_queue_pops_and_stack_peeks),
		cmocka_unit_test(test_ringbuf_reservations_are_effects),
		cmocka_unit_test(test_ringbuf_fill_level_is_guarded),
		cmocka_unit_test(test_tail_call_from_a_subprogram_returns_to_its_caller),
		cmocka_unit_test(test_calls_after_a_subprograms_tail_call),
		cmocka_unit_test(test_every_helper_of_the_helpers_object),
		cmocka_unit_test(test_a_map_update_invalidates_exactly_the_traces_reading_the_entry),
		cmocka_unit_test(test_an_announced_update_invalidates_and_revalidates),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
