/* test_trace_cache.c - the trace cache and the path conditions on
 * hand-built traffic: the JITNIC report's IPv6 filter needs two traces for
 * well-formed traffic; an unlucky order thrashes a cache too small for the
 * paths (and the thrashing signal says so) while Belady's policy does
 * better; admission keeps good traffic's hit rate under a flood of rare
 * paths; path conditions print as documented and are shared by packets on
 * one path; replacement policies evict what they should.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "pkt/pkt.h"
#include "trace/trace.h"
#include "trace_test.h"

enum { MAXPK = 4096, FRAME = 1600 };
static uint8_t frames[MAXPK][FRAME];
static struct jn_pkt pkts[MAXPK];

static void eth(uint8_t *f, uint16_t type)
{
	static const uint8_t dst[6] = {2, 0, 0, 0, 0, 0xbb}, src[6] = {2, 0, 0, 0, 0, 0xaa};
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = (uint8_t)(type >> 8);
	f[13] = (uint8_t)type;
}

/* An IPv4 TCP frame of len bytes (len >= 54). */
static uint32_t ipv4_tcp(uint8_t *f, uint32_t len, uint16_t sport)
{
	memset(f, 0, len);
	eth(f, 0x0800);
	f[14] = 0x45;
	f[16] = (uint8_t)((len - 14) >> 8);
	f[17] = (uint8_t)(len - 14);
	f[22] = 64;
	f[23] = 6;
	f[26] = 10; f[29] = 1;
	f[30] = 10; f[33] = 2;
	f[34] = (uint8_t)(sport >> 8);
	f[35] = (uint8_t)sport;
	f[37] = 80;
	f[46] = 0x50;
	return len;
}

static uint32_t ipv6_udp(uint8_t *f, uint32_t len)
{
	memset(f, 0, len);
	eth(f, 0x86dd);
	f[14] = 0x60;
	f[18] = (uint8_t)((len - 54) >> 8);
	f[19] = (uint8_t)(len - 54);
	f[20] = 17;
	f[21] = 64;
	return len;
}

static void set_pkt(size_t i, uint32_t len)
{
	pkts[i].data = frames[i];
	pkts[i].caplen = pkts[i].len = len;
	pkts[i].ts_ns = 1000000000ULL + i * 1000;
	pkts[i].index = i;
}

struct outcome { uint64_t hits, good, good_hits; const struct jn_nic_stats *st; };

/* Run pkts[0..n) through a NIC on a fresh instance of obj; good[i] marks
 * the packets whose hit rate matters.  Stats are copied out. */
static void run_any(const char *obj, const char *entry, const char *maps, size_t n,
		    const struct jn_nic_opts *o, const bool *good, struct outcome *out,
		    struct jn_nic_stats *st)
{
	struct inst in, f;
	struct jn_nic *nic;
	struct jn_nic_opts oo = *o;
	uint64_t *future = NULL;
	char err[256];

	memset(out, 0, sizeof(*out));
	assert_int_equal(inst_open(&in, obj, entry, maps), 0);
	if (o->policy == JN_POL_BELADY) {
		struct jn_pkt_set s = { .pkts = pkts, .n = n };
		assert_int_equal(inst_open(&f, obj, entry, maps), 0);
		assert_int_equal(jn_nic_future(f.x, &s, &future, err, sizeof(err)), 0);
		inst_close(&f);
		oo.future = future;
		oo.n_future = n;
	}
	assert_int_equal(jn_nic_new(in.x, &oo, &nic, err, sizeof(err)), 0);
	for (size_t i = 0; i < n; i++) {
		struct jn_xdp_result r;
		bool hit;
		int rc = jn_nic_packet(nic, &pkts[i], &r, &hit);
		if (rc == -EINVAL)   /* shorter than 14 bytes: XDP never sees it */
			continue;
		assert_int_equal(rc, 0);
		out->hits += hit;
		if (good && good[i]) {
			out->good++;
			out->good_hits += hit;
		}
	}
	*st = *jn_nic_stats(nic);
	jn_nic_free(nic);
	free(future);
	inst_close(&in);
}

static void run(const char *obj, const char *maps, size_t n, const struct jn_nic_opts *o,
		const bool *good, struct outcome *out, struct jn_nic_stats *st)
{
	run_any(obj, NULL, maps, n, o, good, out, st);
}

static void run_prog(const char *obj, const char *entry, size_t n, const struct jn_nic_opts *o,
		     const bool *good, struct outcome *out, struct jn_nic_stats *st)
{
	run_any(obj, entry, "tests/maps/trace_cases.maps.json", n, o, good, out, st);
}

static void test_ipv6_filter_needs_two_traces_for_well_formed_traffic(void **state)
{
	struct jn_nic_opts o = { .sz = sizeof(o), .capacity = 2, .policy = JN_POL_LRU };
	struct outcome out;
	struct jn_nic_stats st;
	size_t n = 1000;
	(void)state;

	for (size_t i = 0; i < n; i++)
		set_pkt(i, i % 7 == 3 ? ipv6_udp(frames[i], 62 + (uint32_t)(i % 50))
				      : ipv4_tcp(frames[i], 54 + (uint32_t)(i % 900), (uint16_t)i));
	run("build/progs/ipv6_filter.o", NULL, n, &o, NULL, &out, &st);
	assert_int_equal(st.distinct_paths, 2);
	assert_int_equal(st.misses, 2);
	assert_int_equal(st.cold_misses, 2);
	assert_int_equal(st.evictions, 0);
	assert_int_equal(out.hits, n - 2);
}

/* Three paths (TCP, IPv6, truncated IPv4) in round-robin order through a
 * two-trace cache (the firewall's first TCP packet creates its flow: one
 * more path, seen once): LRU and FIFO miss every packet and the thrashing
 * signal (60% misses over a sliding window of 30) is on from the 30th
 * packet to the end; Belady
 * keeps one of the three and hits every other packet. */
static void test_unlucky_order_thrashes_a_small_cache(void **state)
{
	struct jn_nic_opts o = { .sz = sizeof(o), .capacity = 2, .thrash_window = 30, .thrash_level = 0.6 };
	struct outcome out;
	struct jn_nic_stats st;
	size_t n = 300;
	(void)state;

	for (size_t i = 0; i < n; i++)
		set_pkt(i, i % 3 == 0 ? ipv4_tcp(frames[i], 60, 1000) : i % 3 == 1 ? ipv6_udp(frames[i], 70)
				      : ipv4_tcp(frames[i], 30, 0));
	for (int p = JN_POL_LRU; p <= JN_POL_FIFO; p += JN_POL_FIFO - JN_POL_LRU) {
		o.policy = p;
		run("build/progs/simple_firewall.o", "progs/simple_firewall.maps.json", n, &o, NULL, &out, &st);
		assert_int_equal(st.distinct_paths, 4);
		assert_int_equal(out.hits, 0);
		assert_int_equal(st.retraces, n - 4);
		assert_int_equal(st.thrash_packets, n - 30 + 1);
		assert_int_equal(st.thrash_onsets, 1);
	}
	o.policy = JN_POL_BELADY;
	run("build/progs/simple_firewall.o", "progs/simple_firewall.maps.json", n, &o, NULL, &out, &st);
	assert_true(out.hits >= n / 3);
	assert_int_equal(st.thrash_packets, 0);
	assert_true(st.max_window_miss < 0.6);
}

/* A TLV walk specialises each length into its own path
 * (tests/objs/trace_cases.bpf.c, t_skip): a flood of frames with random
 * lengths is a flood of rare paths.  Good traffic (length 0, two paths)
 * keeps its hit rate in a two-trace cache with admission on. */
static void test_admission_keeps_good_hit_rate_under_a_flood(void **state)
{
	static const char *obj = "build/tests/objs/trace_cases.o";
	struct jn_nic_opts o = { .sz = sizeof(o), .capacity = 2, .policy = JN_POL_LRU };
	struct outcome plain, admit;
	struct jn_nic_stats st;
	static bool good[MAXPK];
	size_t n = 4000;
	uint32_t r = 12345;
	(void)state;

	for (size_t i = 0; i < n; i++) {
		r = r * 1103515245u + 12345u;
		good[i] = i % 2 == 0;
		set_pkt(i, ipv4_tcp(frames[i], 300, 7));
		frames[i][14] = good[i] ? 0 : (uint8_t)(1 + (r >> 8) % 255);
		frames[i][15 + frames[i][14]] = (uint8_t)(i % 4 == 0);
	}
	run_prog(obj, "t_skip", n, &o, good, &plain, &st);
	o.admit = 2;
	o.admit_window = 16;
	run_prog(obj, "t_skip", n, &o, good, &admit, &st);
	print_message("good traffic hit rate: %.3f without admission, %.3f with (installs %llu, held back %llu)\n",
		      (double)plain.good_hits / (double)plain.good, (double)admit.good_hits / (double)admit.good,
		      (unsigned long long)st.installs, (unsigned long long)st.not_admitted);
	assert_true((double)plain.good_hits / (double)plain.good < 0.5);
	assert_true((double)admit.good_hits / (double)admit.good > 0.9);
	assert_true(st.not_admitted > 1000);
}

/* adjust_tail(K - len) cuts every oversized frame to K bytes: the end is a
 * constant, not specialised per length, so all lengths share one path. */
static void test_adjust_tail_to_a_constant_length_is_one_path(void **state)
{
	struct jn_nic_opts o = { .sz = sizeof(o), .capacity = 4, .policy = JN_POL_LRU };
	struct outcome out;
	struct jn_nic_stats st;
	size_t n = 0;
	(void)state;

	for (uint32_t len = 601; len <= 1500; len += 9, n++)
		set_pkt(n, ipv4_tcp(frames[n], len, (uint16_t)len));
	run("build/progs/adjust_tail.o", "progs/adjust_tail.maps.json", n, &o, NULL, &out, &st);
	assert_int_equal(st.distinct_paths, 1);
	assert_int_equal(out.hits, n - 1);
}

/* Packets on one path share one condition string and hash; the condition
 * reads as documented. */
static void test_path_condition_is_canonical_and_readable(void **state)
{
	struct inst in;
	struct jn_tracer *tr;
	struct jn_trace *a, *b, *c;
	char err[256];
	(void)state;

	assert_int_equal(inst_open(&in, "build/progs/ipv6_filter.o", NULL, NULL), 0);
	assert_int_equal(jn_tracer_new(in.x, &tr, err, sizeof(err)), 0);
	set_pkt(0, ipv4_tcp(frames[0], 60, 1));
	set_pkt(1, ipv4_tcp(frames[1], 1400, 2));
	set_pkt(2, ipv6_udp(frames[2], 80));
	assert_int_equal(jn_trace_record(tr, pkts[0].data, pkts[0].caplen, 0, &a, err, sizeof(err)), 0);
	assert_int_equal(jn_trace_record(tr, pkts[1].data, pkts[1].caplen, 0, &b, err, sizeof(err)), 0);
	assert_int_equal(jn_trace_record(tr, pkts[2].data, pkts[2].caplen, 0, &c, err, sizeof(err)), 0);
	assert_string_equal(jn_trace_cond(a), "pkt[12:2] != 0x86dd");
	assert_string_equal(jn_trace_cond(b), jn_trace_cond(a));
	assert_true(jn_trace_hash(a) == jn_trace_hash(b));
	assert_string_equal(jn_trace_cond(c), "pkt[12:2] == 0x86dd");
	assert_true(jn_trace_hash(a) != jn_trace_hash(c));
	jn_trace_free(a);
	jn_trace_free(b);
	jn_trace_free(c);
	jn_tracer_free(tr);
	inst_close(&in);
}

/* The trace of a 60-byte TCP frame through obj (only its condition and
 * sizes may be used: the instance is gone). */
static struct jn_trace *record_tcp(const char *obj, const char *maps)
{
	struct inst in;
	struct jn_tracer *tr;
	struct jn_trace *t = NULL;
	char err[256];

	assert_int_equal(inst_open(&in, obj, NULL, maps), 0);
	assert_int_equal(jn_tracer_new(in.x, &tr, err, sizeof(err)), 0);
	set_pkt(0, ipv4_tcp(frames[0], 60, 1));
	assert_int_equal(jn_trace_record(tr, pkts[0].data, pkts[0].caplen, 0, &t, err, sizeof(err)), 0);
	jn_tracer_free(tr);
	inst_close(&in);
	return t;
}

/* Length guards fold into one interval: the firewall's TCP path needs the
 * IPv4 and TCP headers (len >= 54) and nothing weaker is printed or kept;
 * the trace is shorter than the path it replaces. */
static void test_implied_length_guards_are_dropped(void **state)
{
	struct jn_trace_info info;
	struct jn_trace *t = record_tcp("build/progs/simple_firewall.o", "progs/simple_firewall.maps.json");
	(void)state;

	assert_non_null(strstr(jn_trace_cond(t), "len >= 54 && "));
	assert_null(strstr(jn_trace_cond(t), "len >= 34"));
	assert_null(strstr(jn_trace_cond(t), "len >= 14"));
	jn_trace_info(t, &info);
	assert_true(info.conds <= info.guards);
	assert_true(info.ops < info.path_insns);
	assert_true(info.body < info.ops);
	jn_trace_free(t);
}

/* An equality guard decides the other guards on the same field: the
 * router's "not 802.1Q, not 802.1ad" before "IPv4" leaves only "IPv4". */
static void test_guards_implied_by_an_equality_are_dropped(void **state)
{
	struct jn_trace *t = record_tcp("build/progs/router_ipv4.o", "progs/router_ipv4.maps.json");
	(void)state;

	assert_non_null(strstr(jn_trace_cond(t), "pkt[12:2] == 0x800"));
	assert_null(strstr(jn_trace_cond(t), "0x8100"));
	assert_null(strstr(jn_trace_cond(t), "0x88a8"));
	jn_trace_free(t);
}

static void test_error_table_names_and_parses_every_reason(void **state)
{
	(void)state;
	assert_string_equal(jn_trace_err_name(JN_TRERR_NYI_HELPER), "NYI_HELPER");
	assert_string_equal(jn_trace_err_msg(JN_TRERR_NYI_TAIL), "tail call in a bpf_loop callback");
	for (int e = 0; e < JN_TRERR__COUNT; e++)
		assert_int_equal(jn_trace_err_parse(jn_trace_err_name(e)), e);
	assert_int_equal(jn_trace_err_parse("NOPE"), -1);
	for (int p = 0; p < JN_POL__COUNT; p++)
		assert_int_equal(jn_nic_policy_parse(jn_nic_policy_name(p)), p);
	assert_int_equal(jn_nic_policy_parse("mru"), -1);
}

/* LFU keeps the frequent path; FIFO evicts the oldest even if it is hot. */
static void test_lfu_keeps_the_frequent_path_fifo_does_not(void **state)
{
	struct jn_nic_opts o = { .sz = sizeof(o), .capacity = 1 };
	struct outcome lfu, fifo;
	struct jn_nic_stats st;
	size_t n = 200;
	(void)state;

	/* path A 9 times in 10, path B every tenth packet */
	for (size_t i = 0; i < n; i++)
		set_pkt(i, i % 10 == 9 ? ipv6_udp(frames[i], 80) : ipv4_tcp(frames[i], 60, 3));
	o.policy = JN_POL_LFU;
	run("build/progs/ipv6_filter.o", NULL, n, &o, NULL, &lfu, &st);
	o.policy = JN_POL_FIFO;
	run("build/progs/ipv6_filter.o", NULL, n, &o, NULL, &fifo, &st);
	assert_true(lfu.hits >= fifo.hits);
	assert_int_equal(fifo.hits, n - 2 * (n / 10));   /* A misses once after every B */
}

/* The future of pkts[0..n) on a fresh instance (flips too). */
static void record_future(const char *obj, const char *entry, const char *maps, size_t n,
			  struct jn_nic_future *f)
{
	struct jn_pkt_set set = { .pkts = pkts, .n = n };
	struct inst in;
	char err[256];

	assert_int_equal(inst_open(&in, obj, entry, maps), 0);
	assert_int_equal(jn_nic_future_record(in.x, &set, f, err, sizeof(err)), 0);
	inst_close(&in);
	assert_int_equal(f->n, n);
}

/* jn_nic_simulate equals the NIC's hits for every policy and capacity
 * 1..maxcap under o's admission and delay, and the LRU curve the LRU
 * column; returns LRU's hits at capacity 2. */
static uint64_t simulation_matches(const char *obj, const char *entry, const char *maps, size_t n,
				   const struct jn_nic_future *f, const struct jn_nic_opts *base,
				   uint32_t maxcap)
{
	uint64_t curve[8], sim;

	assert_true(maxcap >= 2 && maxcap <= 8);
	assert_int_equal(jn_nic_lru_curve(f, base, maxcap, curve), 0);
	for (uint32_t cap = 1; cap <= maxcap; cap++) {
		for (int pol = 0; pol < JN_POL__COUNT; pol++) {
			struct jn_nic_opts o = *base;
			struct outcome out;
			struct jn_nic_stats st;
			o.capacity = cap;
			o.policy = pol;
			run_any(obj, entry, maps, n, &o, NULL, &out, &st);
			assert_int_equal(jn_nic_simulate(f, &o, &sim), 0);
			if (sim != out.hits)
				fail_msg("%s cache %u: simulated %llu hits, the NIC %llu", jn_nic_policy_name(pol),
					 cap, (unsigned long long)sim, (unsigned long long)out.hits);
			if (pol == JN_POL_LRU)
				assert_int_equal(curve[cap - 1], sim);
		}
	}
	return curve[1];
}

/* Adversarial traffic (many paths) for the firewall in pkts; its count. */
static size_t adversarial(uint64_t seed)
{
	struct jn_gen_cfg cfg;
	struct jn_gen *g;
	struct jn_pkt p;
	size_t n = 0;
	char err[256];

	assert_int_equal(jn_pkt_gen_profile(&cfg, "adversarial", err, sizeof(err)), 0);
	cfg.count = 1500;
	cfg.seed = seed;
	assert_int_equal(jn_pkt_gen_new(&cfg, &g, err, sizeof(err)), 0);
	while (n < MAXPK && jn_pkt_gen_next(g, &p, NULL) == 1 && p.caplen <= FRAME) {
		memcpy(frames[n], p.data, p.caplen);
		set_pkt(n++, p.caplen);
	}
	jn_pkt_gen_free(g);
	return n;
}

#define FW "build/progs/simple_firewall.o", NULL, "progs/simple_firewall.maps.json"

/* The cache simulation over the recorded paths gives the NIC's own hit
 * counts for every policy and size, and the one-pass LRU curve gives the
 * LRU simulation's. */
static void test_simulation_and_lru_curve_match_the_nic(void **state)
{
	struct jn_nic_opts o = { .sz = sizeof(o), .seed = 3 };
	struct jn_nic_future f;
	uint64_t curve[6];
	size_t n = adversarial(5);
	(void)state;

	record_future(FW, n, &f);
	assert_int_equal(f.nflips, 0);   /* the firewall's guards read no map through a pinned key */
	simulation_matches(FW, n, &f, &o, 6);
	assert_int_equal(jn_nic_lru_curve(&f, &o, 6, curve), 0);
	assert_true(curve[5] > curve[0]);
	/* what needs trace sizes or timestamps, and no policy, is refused */
	o.cap_ops = 100;
	assert_int_equal(jn_nic_simulate(&f, &o, &curve[0]), -EINVAL);
	assert_int_equal(jn_nic_lru_curve(&f, &o, 6, curve), -EINVAL);
	o.cap_ops = 0;
	o.host_cost_ns = 1000;
	free(f.ts);   /* without the timestamps */
	f.ts = NULL;
	assert_int_equal(jn_nic_simulate(&f, &o, &curve[0]), -EINVAL);
	o.host_cost_ns = 0;
	o.policy = JN_POL__COUNT;
	assert_int_equal(jn_nic_simulate(&f, &o, &curve[0]), -EINVAL);
	jn_nic_future_free(&f);
}

/* Admission (a path installed at its second miss within 64 packets), an
 * install delay of 3 packets and one of 4 us (packets 1 us apart): the
 * simulation applies the NIC's own rules, so the hit counts stay equal
 * (the paths-only simulation's differ: here each keeps one-off paths from
 * evicting, LRU at 2 entries hits more). */
static void test_simulation_models_admission_and_install_delay(void **state)
{
	struct jn_nic_opts adm = { .sz = sizeof(adm), .seed = 3, .admit = 2, .admit_window = 64 };
	struct jn_nic_opts del = { .sz = sizeof(del), .seed = 3, .install_delay = 3 };
	struct jn_nic_opts hc = { .sz = sizeof(hc), .seed = 3, .host_cost_ns = 4000 };
	struct jn_nic_opts none = { .sz = sizeof(none), .capacity = 2 };
	struct jn_nic_future f;
	uint64_t plain;
	size_t n = adversarial(6);
	(void)state;

	record_future(FW, n, &f);
	assert_int_equal(jn_nic_simulate(&f, &none, &plain), 0);
	assert_true(simulation_matches(FW, n, &f, &adm, 4) > plain);
	assert_true(simulation_matches(FW, n, &f, &del, 4) > plain);
	assert_true(simulation_matches(FW, n, &f, &hc, 4) > plain);
	jn_nic_future_free(&f);
}

#define HCFG "build/tests/objs/trace_helpers.o", "h_cfg", "tests/maps/trace_helpers.maps.json"

/* h_cfg (tests/objs/trace_helpers.bpf.c): pkt[14] is the key k of
 * cfg[k], pinned for 0 and 1; a packet with pkt[15] == 0xee sets cfg[k] =
 * pkt[13]. */
static size_t h_cfg_traffic(const uint8_t (*seq)[3], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		memset(frames[i], 0, 60);
		frames[i][12] = 8;
		frames[i][13] = seq[i][2];
		frames[i][14] = seq[i][0];
		frames[i][15] = seq[i][1] ? 0xee : 0;
		set_pkt(i, 60);
	}
	return n;
}

/* Setting cfg[0] to 9 makes the key-0 trace (cfg[0] <= 5) invalid: the
 * future says so after that packet, and back when cfg[0] is 0 again; the
 * NIC evicts the invalid trace first, and so does the simulation. */
static void test_simulation_models_invalidation(void **state)
{
	static const uint8_t seq[][3] = {   /* key, sets, value */
		{1, 0, 0}, {0, 0, 0}, {0, 1, 9}, {1, 0, 0}, {0, 1, 0}, {0, 0, 0}, {2, 0, 0}, {1, 0, 0},
		{1, 1, 9}, {0, 0, 0}, {2, 0, 0}, {0, 0, 0}, {1, 1, 0}, {1, 0, 0},
	};
	struct jn_nic_opts o = { .sz = sizeof(o), .seed = 3 };
	struct jn_nic_future f;
	uint64_t lru2, plain;
	size_t n = h_cfg_traffic(seq, sizeof(seq) / sizeof(seq[0]));
	(void)state;

	record_future(HCFG, n, &f);
	static const uint64_t after[] = { 2, 4, 8, 12 };
	assert_int_equal(f.nflips, 4);   /* cfg[0] to 9 and back, then cfg[1] */
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(f.flips[i].after, after[i]);
		assert_int_equal(f.flips[i].path, f.paths[i < 2 ? 1 : 0]);
		assert_int_equal(f.flips[i].invalid, i % 2 == 0);
	}
	lru2 = simulation_matches(HCFG, n, &f, &o, 3);
	f.nflips = 0;   /* the paths alone: the LRU trace goes, not the invalid one */
	o.capacity = 2;
	assert_int_equal(jn_nic_simulate(&f, &o, &plain), 0);
	assert_int_equal(lru2, 3);
	assert_int_equal(plain, 2);
	jn_nic_future_free(&f);
}

/* One path, 50 packets 1 us apart (backwards: each 1 us before the one
 * before it), through a NIC with opts o: misses. */
static uint64_t misses_one_path(struct jn_nic_opts *o, bool backwards)
{
	struct outcome out;
	struct jn_nic_stats st;

	o->sz = sizeof(*o);
	o->capacity = 4;
	for (size_t i = 0; i < 50; i++) {
		set_pkt(i, ipv4_tcp(frames[i], 60, 1));
		if (backwards)
			pkts[i].ts_ns = 1000000000ULL - i * 1000;
	}
	run("build/progs/ipv6_filter.o", NULL, 50, o, NULL, &out, &st);
	assert_int_equal(st.installs, 1);
	assert_int_equal(out.hits + st.misses, 50);
	return st.misses;
}

/* A trace installed with a delay of d packets: the path misses d times. */
static void test_install_delay_costs_that_many_misses(void **state)
{
	struct jn_nic_opts o = { .install_delay = 5 };
	(void)state;
	assert_int_equal(misses_one_path(&o, false), 5);
}

/* ... whatever the packets' clock does when there is no host cost (a
 * concatenated capture's timestamps go back: the trace waited for them) */
static void test_install_delay_ignores_a_clock_going_back(void **state)
{
	struct jn_nic_opts o = { .install_delay = 5 };
	(void)state;
	assert_int_equal(misses_one_path(&o, true), 5);
}

/* With a modelled host cost, a trace is usable once the packets' clock
 * passed it: packets 1 us apart, 10 us per miss: 10 misses. */
static void test_host_cost_delays_the_install_by_time(void **state)
{
	struct jn_nic_opts o = { .host_cost_ns = 10000 };
	(void)state;
	assert_int_equal(misses_one_path(&o, false), 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv6_filter_needs_two_traces_for_well_formed_traffic),
		cmocka_unit_test(test_unlucky_order_thrashes_a_small_cache),
		cmocka_unit_test(test_admission_keeps_good_hit_rate_under_a_flood),
		cmocka_unit_test(test_adjust_tail_to_a_constant_length_is_one_path),
		cmocka_unit_test(test_path_condition_is_canonical_and_readable),
		cmocka_unit_test(test_implied_length_guards_are_dropped),
		cmocka_unit_test(test_guards_implied_by_an_equality_are_dropped),
		cmocka_unit_test(test_error_table_names_and_parses_every_reason),
		cmocka_unit_test(test_lfu_keeps_the_frequent_path_fifo_does_not),
		cmocka_unit_test(test_simulation_and_lru_curve_match_the_nic),
		cmocka_unit_test(test_simulation_models_admission_and_install_delay),
		cmocka_unit_test(test_simulation_models_invalidation),
		cmocka_unit_test(test_install_delay_costs_that_many_misses),
		cmocka_unit_test(test_install_delay_ignores_a_clock_going_back),
		cmocka_unit_test(test_host_cost_delays_the_install_by_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
