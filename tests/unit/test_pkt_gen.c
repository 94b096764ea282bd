/* test_pkt_gen.c - the traffic generator: determinism, counts, Zipf skew,
 * checksums and malformations checked by an independent parser, orders,
 * mixes, sizes, timestamps, and the option parsers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "pkt/pkt.h"

static struct jn_gen_cfg profile(const char *name, uint64_t count, uint64_t seed)
{
	struct jn_gen_cfg c;
	char err[256];

	assert_int_equal(jn_pkt_gen_profile(&c, name, err, sizeof(err)), 0);
	c.count = count;
	c.seed = seed;
	return c;
}

static struct jn_gen *gen_new(const struct jn_gen_cfg *c)
{
	struct jn_gen *g;
	char err[256];

	assert_int_equal(jn_pkt_gen_new(c, &g, err, sizeof(err)), 0);
	return g;
}

/* ---- an independent parser: is the frame well-formed, checksums right? ---- */
static uint32_t be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint64_t words(const uint8_t *p, size_t n)
{
	uint64_t s = 0;
	for (size_t i = 0; i < n; i++)
		s += i & 1 ? p[i] : (uint32_t)p[i] << 8;
	return s;
}

static bool sum_ok(uint64_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s == 0xffff;
}

static bool l4_ok(const uint8_t *l4, size_t len, int proto, const uint8_t *addrs, size_t alen)
{
	size_t need = proto == 6 ? 20 : 8;
	uint64_t s;

	if ((proto != 6 && proto != 17 && proto != 1 && proto != 58) || len < need)
		return false;
	if (proto == 6 && (l4[12] >> 4) != 5)
		return false;
	if (proto == 17 && be16(l4 + 4) != len)
		return false;
	s = words(l4, len);
	if (proto != 1)
		s += words(addrs, 2 * alen) + (uint32_t)proto + len;
	return sum_ok(s);
}

static bool ip_ok(const uint8_t *p, size_t avail, int version, int depth)
{
	if (avail < 1 || (p[0] >> 4) != version)
		return false;
	if (version == 4) {
		size_t ihl = (p[0] & 15) * 4u, tot;
		if (avail < 20 || ihl < 20 || avail < ihl)
			return false;
		tot = be16(p + 2);
		if (tot < ihl || tot > avail || !sum_ok(words(p, ihl)))
			return false;
		if ((p[9] == 4 || p[9] == 41) && depth == 0)
			return ip_ok(p + ihl, tot - ihl, p[9] == 4 ? 4 : 6, 1);
		return l4_ok(p + ihl, tot - ihl, p[9], p + 12, 4);
	}
	if (avail < 40 || 40u + be16(p + 4) > avail)
		return false;
	return l4_ok(p + 40, be16(p + 4), p[6], p + 8, 16);
}

static bool frame_ok(const uint8_t *d, size_t n)
{
	size_t o = 12;
	uint32_t et;

	if (n < 14)
		return false;
	et = be16(d + 12);
	for (int tags = 0; et == 0x8100 || et == 0x88a8; tags++) {
		if (n < o + 6 || tags == 2)
			return false;
		o += 4;
		et = be16(d + o);
	}
	o += 2;
	if (et == 0x0806)
		return n - o >= 28;
	if (et == 0x0800 || et == 0x86dd)
		return ip_ok(d + o, n - o, et == 0x0800 ? 4 : 6, 0);
	return false;
}

/* ---- tests ---- */
static void test_gen_same_seed_gives_identical_packets(void **state)
{
	struct jn_gen_cfg c = profile("malformed", 5000, 42);
	struct jn_gen *a = gen_new(&c), *b = gen_new(&c);
	struct jn_pkt pa, pb;

	while (jn_pkt_gen_next(a, &pa, NULL) == 1) {
		assert_int_equal(jn_pkt_gen_next(b, &pb, NULL), 1);
		assert_int_equal(pa.caplen, pb.caplen);
		assert_int_equal(pa.ts_ns, pb.ts_ns);
		assert_memory_equal(pa.data, pb.data, pa.caplen);
	}
	assert_int_equal(jn_pkt_gen_next(b, &pb, NULL), 0);
	jn_pkt_gen_free(a);
	jn_pkt_gen_free(b);
}

static void test_gen_different_seeds_differ(void **state)
{
	struct jn_gen_cfg c1 = profile("internet", 1000, 1), c2 = profile("internet", 1000, 2);
	struct jn_gen *a = gen_new(&c1), *b = gen_new(&c2);
	struct jn_pkt pa, pb;
	int differ = 0;

	while (jn_pkt_gen_next(a, &pa, NULL) == 1) {
		assert_int_equal(jn_pkt_gen_next(b, &pb, NULL), 1);
		differ += pa.caplen != pb.caplen || memcmp(pa.data, pb.data, pa.caplen);
	}
	assert_true(differ > 990);
	jn_pkt_gen_free(a);
	jn_pkt_gen_free(b);
}

static void test_gen_makes_exactly_count_packets(void **state)
{
	struct jn_gen_cfg c = profile("internet", 1234, 0);
	struct jn_gen *g = gen_new(&c);
	struct jn_pkt p;
	uint64_t n = 0, bytes = 0;

	while (jn_pkt_gen_next(g, &p, NULL) == 1) {
		assert_int_equal(p.index, n);
		assert_int_equal(p.caplen, p.len);
		bytes += p.caplen;
		n++;
	}
	assert_int_equal(n, 1234);
	assert_int_equal(jn_pkt_gen_next(g, &p, NULL), 0);
	assert_int_equal(jn_pkt_gen_stats(g)->packets, 1234);
	assert_int_equal(jn_pkt_gen_stats(g)->bytes, bytes);
	jn_pkt_gen_free(g);

	c.count = 0;
	g = gen_new(&c);
	assert_int_equal(jn_pkt_gen_next(g, &p, NULL), 0);
	jn_pkt_gen_free(g);
}

/* Share of the most frequent flow, 20000 packets over 1000 flows. */
static double top_share(double skew)
{
	struct jn_gen_cfg c = profile("imix", 20000, 7);
	struct jn_gen_info in;
	struct jn_pkt p;
	uint32_t *n = calloc(1000, sizeof(*n)), top = 0;
	struct jn_gen *g;

	c.flows = 1000;
	c.zipf = skew;
	g = gen_new(&c);
	while (jn_pkt_gen_next(g, &p, &in) == 1) {
		assert_true(in.flow < 1000);
		n[in.flow]++;
	}
	for (int i = 0; i < 1000; i++)
		top = n[i] > top ? n[i] : top;
	/* the most popular flow is flow 0 once there is skew */
	if (skew >= 1)
		assert_int_equal(n[0], top);
	free(n);
	jn_pkt_gen_free(g);
	return top / 20000.0;
}

static void test_gen_zipf_skew_raises_top_flow_share(void **state)
{
	double s0 = top_share(0), s1 = top_share(1.0), s2 = top_share(1.5);
	double h1 = 0, h2 = 0;

	for (int k = 1; k <= 1000; k++) {
		h1 += 1.0 / k;
		h2 += pow(k, -1.5);
	}
	assert_true(s0 < 0.003);              /* uniform: 1/1000 expected */
	assert_true(fabs(s1 - 1 / h1) < 0.02);  /* 0.134 */
	assert_true(fabs(s2 - 1 / h2) < 0.03);  /* 0.39 */
	assert_true(s0 < s1 && s1 < s2);
}

/* Every packet: the independent parser agrees with the generator on
 * whether it is well-formed, and well-formed ones have right checksums. */
static void check_profile_wellformedness(const char *name, uint64_t count, uint64_t *mal)
{
	struct jn_gen_cfg c = profile(name, count, 3);
	struct jn_gen *g = gen_new(&c);
	struct jn_gen_info in;
	struct jn_pkt p;

	while (jn_pkt_gen_next(g, &p, &in) == 1) {
		bool ok = frame_ok(p.data, p.caplen);
		if (ok != (in.malform == JN_GEN_MAL_NONE))
			fail_msg("%s: packet %llu: parser says %s, generator made %s", name,
				 (unsigned long long)p.index, ok ? "valid" : "invalid",
				 jn_pkt_gen_malform_name(in.malform));
		if (mal)
			mal[in.malform]++;
		if (ok)
			assert_true(p.caplen >= 60);
	}
	jn_pkt_gen_free(g);
}

static void test_gen_checksums_valid_and_malformed_packets_invalid(void **state)
{
	static const char *const names[] = { "internet", "datacenter", "attack", "adversarial",
					     "churn", "imix", "linerate" };
	uint64_t mal[JN_GEN_MAL_MAX] = { 0 };

	for (size_t i = 0; i < JN_ARRAY_SIZE(names); i++)
		check_profile_wellformedness(names[i], 3000, NULL);
	check_profile_wellformedness("malformed", 20000, mal);
	/* every kind of malformation shows up */
	for (unsigned m = 0; m < JN_GEN_MAL_MAX; m++)
		if (mal[m] < 50)
			fail_msg("malformation %s: only %llu packets", jn_pkt_gen_malform_name(m),
				 (unsigned long long)mal[m]);
}

static void test_gen_malformed_fraction_within_tolerance(void **state)
{
	struct jn_gen_cfg c = profile("internet", 20000, 5);
	struct jn_gen *g;
	struct jn_gen_info in;
	struct jn_pkt p;
	uint64_t bad = 0;

	c.malformed = 0.2;
	g = gen_new(&c);
	while (jn_pkt_gen_next(g, &p, &in) == 1)
		bad += in.malform != JN_GEN_MAL_NONE;
	assert_true(fabs(bad / 20000.0 - 0.2) < 0.015);
	assert_int_equal(jn_pkt_gen_stats(g)->malformed, bad);
	jn_pkt_gen_free(g);
}

static void test_gen_roundrobin_cycles_exactly_n_distinct_kinds(void **state)
{
	struct jn_gen_cfg c = profile("adversarial", 16 * 20, 9);
	struct jn_gen_info in, first[16];
	uint8_t *bytes[16] = { 0 };
	uint32_t len[16];
	struct jn_gen *g;
	struct jn_pkt p;
	char err[256];

	assert_int_equal(jn_pkt_gen_parse_order(&c, "roundrobin:16", err, sizeof(err)), 0);
	g = gen_new(&c);
	while (jn_pkt_gen_next(g, &p, &in) == 1) {
		uint64_t i = p.index % 16;
		assert_int_equal(in.flow, i);
		if (p.index < 16) {
			first[i] = in;
			len[i] = p.caplen;
			bytes[i] = malloc(p.caplen + 1);
			memcpy(bytes[i], p.data, p.caplen);
			for (uint64_t j = 0; j < i; j++)   /* 16 distinct kinds */
				assert_false(first[j].l3 == in.l3 && first[j].l4 == in.l4 &&
					     first[j].encap == in.encap);
			continue;
		}
		/* the same packet kind, size and malformation on every cycle */
		assert_int_equal(in.l3, first[i].l3);
		assert_int_equal(in.l4, first[i].l4);
		assert_int_equal(in.encap, first[i].encap);
		assert_int_equal(in.malform, first[i].malform);
		assert_int_equal(p.caplen, len[i]);
		assert_memory_equal(p.data, bytes[i], p.caplen < 14 ? p.caplen : 14);
	}
	for (int i = 0; i < 16; i++)
		free(bytes[i]);
	jn_pkt_gen_free(g);
}

static void test_gen_newflows_bursts_are_never_seen_flows(void **state)
{
	struct jn_gen_cfg c = profile("internet", 2000, 11);
	struct jn_gen *g;
	struct jn_gen_info in;
	struct jn_pkt p;
	char err[256];
	uint64_t last_fresh = 0, fresh = 0;

	c.malformed = 0;
	assert_int_equal(jn_pkt_gen_parse_order(&c, "newflows:4:20", err, sizeof(err)), 0);
	g = gen_new(&c);
	while (jn_pkt_gen_next(g, &p, &in) == 1) {
		if (p.index % 20 < 4) {
			assert_true(in.fresh);
			assert_true(in.flow >= c.flows);
			assert_true(in.flow > last_fresh);   /* one id each, never reused */
			last_fresh = in.flow;
			fresh++;
			assert_true(frame_ok(p.data, p.caplen));
		} else {
			assert_false(in.fresh);
			assert_true(in.flow < c.flows);
		}
	}
	assert_int_equal(fresh, 400);
	assert_int_equal(jn_pkt_gen_stats(g)->fresh, 400);
	jn_pkt_gen_free(g);
}

static void test_gen_attack_floods_one_victim(void **state)
{
	struct jn_gen_cfg c = profile("attack", 10000, 13);
	struct jn_gen *g = gen_new(&c);
	struct jn_gen_info in;
	struct jn_pkt p;
	uint64_t n = 0, syn = 0;
	uint8_t victim[4] = { 0 };

	while (jn_pkt_gen_next(g, &p, &in) == 1) {
		if (!in.attack)
			continue;
		assert_int_equal(be16(p.data + 12), 0x0800);
		if (!n++)
			memcpy(victim, p.data + 30, 4);
		assert_memory_equal(p.data + 30, victim, 4);
		if (p.data[23] == 6) {
			assert_int_equal(p.data[14 + 20 + 13], 0x02);   /* SYN only */
			assert_int_equal(be16(p.data + 16), 40);         /* padded to 60 */
			assert_int_equal(p.caplen, 60);
			syn++;
		} else {
			assert_int_equal(p.data[23], 17);
		}
	}
	assert_true(fabs(n / 10000.0 - 0.8) < 0.02);
	assert_true(fabs((double)syn / n - 0.5) < 0.03);
	jn_pkt_gen_free(g);
}

static void test_gen_packet_mix_follows_weights_under_skew(void **state)
{
	struct jn_gen_cfg c = profile("internet", 30000, 17);
	struct jn_gen *g = gen_new(&c);
	struct jn_pkt p;
	const struct jn_gen_stats *st;
	uint64_t ip;

	while (jn_pkt_gen_next(g, &p, NULL) == 1)
		;
	st = jn_pkt_gen_stats(g);
	ip = st->l3[JN_GEN_IPV4] + st->l3[JN_GEN_IPV6];
	assert_true(fabs(st->l3[JN_GEN_IPV4] / 30000.0 - 0.70) < 0.03);
	assert_true(fabs(st->l3[JN_GEN_IPV6] / 30000.0 - 0.28) < 0.03);
	assert_true(fabs(st->l3[JN_GEN_ARP] / 30000.0 - 0.02) < 0.01);
	assert_true(fabs((double)st->l4[JN_GEN_TCP] / ip - 0.60) < 0.03);
	assert_true(fabs((double)st->l4[JN_GEN_UDP] / ip - 0.35) < 0.03);
	jn_pkt_gen_free(g);
}

static void test_gen_sizes_follow_distribution(void **state)
{
	struct jn_gen_cfg c = profile("imix", 12000, 19);
	struct jn_gen *g;
	struct jn_pkt p;
	uint64_t n64 = 0, n576 = 0, n1500 = 0;
	char err[256];

	g = gen_new(&c);
	while (jn_pkt_gen_next(g, &p, NULL) == 1) {
		n64 += p.caplen == 64;
		n576 += p.caplen == 576;
		n1500 += p.caplen == 1500;
	}
	assert_int_equal(n64 + n576 + n1500, 12000);
	assert_true(fabs(n64 / 12000.0 - 7 / 12.0) < 0.02);
	assert_true(fabs(n576 / 12000.0 - 4 / 12.0) < 0.02);
	jn_pkt_gen_free(g);

	assert_int_equal(jn_pkt_gen_parse_sizes(&c, "range:100:200", err, sizeof(err)), 0);
	g = gen_new(&c);
	while (jn_pkt_gen_next(g, &p, NULL) == 1)
		assert_true(p.caplen >= 100 && p.caplen <= 200);
	jn_pkt_gen_free(g);
}

static void test_gen_timestamps_advance_at_the_rate(void **state)
{
	struct jn_gen_cfg c = profile("internet", 20000, 23);
	struct jn_gen *g;
	struct jn_pkt p;
	uint64_t first = 0, last = 0;

	c.rate_pps = 2e6;
	g = gen_new(&c);
	while (jn_pkt_gen_next(g, &p, NULL) == 1) {
		if (!p.index)
			first = p.ts_ns;
		assert_true(p.ts_ns >= last);
		last = p.ts_ns;
	}
	assert_int_equal(first, c.start_ns);
	/* mean gap 500 ns */
	assert_true(fabs((double)(last - first) / 19999 - 500) < 25);
	jn_pkt_gen_free(g);
}

static void test_gen_parsers_accept_and_reject(void **state)
{
	struct jn_gen_cfg c = profile("internet", 1, 0);
	struct jn_gen *g;
	char err[256];

	assert_int_equal(jn_pkt_gen_parse_mix(&c, "ipv6:1,tcp:3,icmp:1,vlan:50", err, sizeof(err)), 0);
	assert_int_equal(c.l3_w[JN_GEN_IPV4], 0);
	assert_int_equal(c.l3_w[JN_GEN_IPV6], 1);
	assert_int_equal(c.l3_w[JN_GEN_ARP], 0);
	assert_int_equal(c.l4_w[JN_GEN_TCP], 3);
	assert_int_equal(c.l4_w[JN_GEN_UDP], 0);
	assert_true(c.vlan == 0.5 && c.qinq == 0.01);
	assert_int_equal(jn_pkt_gen_parse_sizes(&c, "dist:64:7,100-200:2", err, sizeof(err)), 0);
	assert_int_equal(c.nsizes, 2);
	assert_int_equal(c.size_hi[1], 200);
	assert_int_equal(jn_pkt_gen_parse_order(&c, "newflows:8", err, sizeof(err)), 0);
	assert_int_equal(c.order_every, 80);
	assert_int_equal(jn_pkt_gen_parse_attack(&c, "0.25:syn", err, sizeof(err)), 0);
	assert_true(c.attack == 0.25 && c.attack_kind == JN_GEN_ATTACK_SYN);

	assert_int_equal(jn_pkt_gen_parse_mix(&c, "ipv9:1", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "pkt: gen: mix 'ipv9:1'"));
	assert_int_equal(jn_pkt_gen_parse_mix(&c, "vlan:200", err, sizeof(err)), -EINVAL);
	assert_int_equal(jn_pkt_gen_parse_mix(&c, "tcp:1.5", err, sizeof(err)), -EINVAL);
	assert_int_equal(jn_pkt_gen_parse_sizes(&c, "dist:64", err, sizeof(err)), -EINVAL);
	assert_int_equal(jn_pkt_gen_parse_sizes(&c, "5", err, sizeof(err)), -EINVAL);
	assert_int_equal(jn_pkt_gen_parse_sizes(&c, "99999", err, sizeof(err)), -EINVAL);
	assert_int_equal(jn_pkt_gen_parse_order(&c, "roundrobin:0", err, sizeof(err)), -EINVAL);
	assert_int_equal(jn_pkt_gen_parse_order(&c, "newflows:10:5", err, sizeof(err)), -EINVAL);
	assert_int_equal(jn_pkt_gen_parse_attack(&c, "1.5", err, sizeof(err)), -EINVAL);
	assert_int_equal(jn_pkt_gen_profile(&c, "nope", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "unknown profile 'nope'"));

	c = profile("internet", 1, 0);
	c.flows = 0;
	assert_int_equal(jn_pkt_gen_new(&c, &g, err, sizeof(err)), -EINVAL);
	assert_null(g);
	assert_non_null(strstr(err, "flows"));
	c = profile("internet", 1, 0);
	c.l4_w[0] = c.l4_w[1] = c.l4_w[2] = 0;
	assert_int_equal(jn_pkt_gen_new(&c, &g, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "tcp, udp or icmp"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gen_same_seed_gives_identical_packets),
		cmocka_unit_test(test_gen_different_seeds_differ),
		cmocka_unit_test(test_gen_makes_exactly_count_packets),
		cmocka_unit_test(test_gen_zipf_skew_raises_top_flow_share),
		cmocka_unit_test(test_gen_checksums_valid_and_malformed_packets_invalid),
		cmocka_unit_test(test_gen_malformed_fraction_within_tolerance),
		cmocka_unit_test(test_gen_roundrobin_cycles_exactly_n_distinct_kinds),
		cmocka_unit_test(test_gen_newflows_bursts_are_never_seen_flows),
		cmocka_unit_test(test_gen_attack_floods_one_victim),
		cmocka_unit_test(test_gen_packet_mix_follows_weights_under_skew),
		cmocka_unit_test(test_gen_sizes_follow_distribution),
		cmocka_unit_test(test_gen_timestamps_advance_at_the_rate),
		cmocka_unit_test(test_gen_parsers_accept_and_reject),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
