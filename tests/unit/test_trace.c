/* test_trace.c - the JITNIC engine against the interpreter: for the
 * programs in build/progs/ (with their maps files) and Debian's libxdp
 * objects, over the shared captures, every packet through the NIC model
 * (traces on hits, host on misses) gives exactly the interpreter's action,
 * output bytes, redirect target and fault state, and the maps end equal;
 * at several cache sizes and every policy.  Also: path conditions print as
 * documented, two packets on one path share one condition, and recording
 * aborts name their reason.
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

#include "obj/obj.h"
#include "pkt/pkt.h"
#include "trace/trace.h"
#include "vm/xdp.h"

#define PCAPS "../shared/data/pcaps/"

/* The sanitizer build runs a sample: every SAMPLE-th packet of the captures
 * and fewer generated packets. */
#if defined(__SANITIZE_ADDRESS__)
enum { SAMPLE = 12, GEN = 300 };
#else
enum { SAMPLE = 1, GEN = 1000 };
#endif
#define LIBXDP "/usr/lib/x86_64-linux-gnu/bpf/"

#include "trace_test.h"

/* ---- traffic: every shared capture, then generated malformed and
 * adversarial packets; built once ---- */
static struct jn_pkt_set traffic;
static struct jn_pkt_set *loaded[64];
static int nloaded;
static uint8_t *gen_arena;

static void push(const struct jn_pkt *p, size_t *cap)
{
	if (traffic.n == *cap) {
		*cap = *cap ? 2 * *cap : 1024;
		traffic.pkts = realloc(traffic.pkts, *cap * sizeof(*traffic.pkts));
		assert_non_null(traffic.pkts);
	}
	traffic.pkts[traffic.n] = *p;
	traffic.pkts[traffic.n].index = traffic.n;
	traffic.n++;
}

static void gen(const char *profile, uint64_t count, uint64_t seed, size_t *cap, size_t *arena_used)
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
		if (*arena_used + p.caplen > 16u << 20)
			break;
		memcpy(gen_arena + *arena_used, p.data, p.caplen);
		p.data = gen_arena + *arena_used;
		*arena_used += p.caplen;
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
	if (!d)
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
	gen_arena = malloc(16u << 20);
	if (!gen_arena)
		return -1;
	gen("malformed", 3 * GEN, 1, &cap, &used);
	gen("adversarial", 2 * GEN, 2, &cap, &used);
	gen("datacenter", 2 * GEN, 3, &cap, &used);
	return 0;
}

static int traffic_teardown(void **state)
{
	(void)state;
	for (int i = 0; i < nloaded; i++)
		jn_pkt_set_free(loaded[i]);
	free(traffic.pkts);
	free(gen_arena);
	return 0;
}

/* The first n packets of the traffic, every stride-th one. */
static struct jn_pkt_set subset(uint64_t n, uint64_t stride, struct jn_pkt **buf)
{
	struct jn_pkt_set s = {0};

	*buf = malloc(n * sizeof(**buf));
	assert_non_null(*buf);
	for (uint64_t i = 0; i < traffic.n && s.n < n; i += stride)
		(*buf)[s.n++] = traffic.pkts[i];
	s.pkts = *buf;
	return s;
}

static const char *const progs[] = {
	"adjust_tail", "ddos_ratelimit", "ipv6_exthdr", "ipv6_filter", "lb_katran", "router_ipv4",
	"rxq_info", "simple_firewall", "tx_ip_tunnel", "vlan_classifier", "xdp1_count", "xdp2_reflect",
};

static void prog_paths(const char *name, char *obj, char *maps, size_t len)
{
	snprintf(obj, len, "build/progs/%s.o", name);
	snprintf(maps, len, "progs/%s.maps.json", name);
}

/* Every program, all the traffic, one cache configuration. */
static void test_nic_equals_interpreter_on_all_traffic(void **state)
{
	char obj[256], maps[256];
	(void)state;

	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		struct eq_stats es = {0};
		prog_paths(progs[i], obj, maps, sizeof(obj));
		equiv(obj, NULL, maps, &traffic, 4, JN_POL_LRU, &es);
		fprintf(stderr, "  %-16s %llu packets, %llu hits\n", progs[i],
			(unsigned long long)es.packets, (unsigned long long)es.hits);
		assert_int_equal(es.mismatches, 0);
		assert_int_equal(es.maps_differ, 0);
	}
}

/* Every trace, run at once on the packet it was recorded from (state as
 * it arrived), holds and gives the interpreter's result; aborts are rare. */
static void replay(const char *objpath, const char *maps, const struct jn_pkt_set *set,
		   uint64_t *recorded, uint64_t *aborted)
{
	struct inst a, b;
	struct jn_tracer *tr;
	char err[256], msg[160];

	assert_int_equal(inst_open(&a, objpath, NULL, maps), 0);
	assert_int_equal(inst_open(&b, objpath, NULL, maps), 0);
	assert_int_equal(jn_tracer_new(a.x, &tr, err, sizeof(err)), 0);
	for (uint64_t i = 0; i < set->n; i++) {
		const struct jn_pkt *p = &set->pkts[i];
		struct jn_xdp_result ra, rb;
		struct jn_trace *t = NULL;
		int rc = jn_trace_record(tr, p->data, p->caplen, p->ts_ns, &t, msg, sizeof(msg));
		int rcb = jn_xdp_run(b.x, p->data, p->caplen, p->ts_ns, &rb, false);
		if (rc < 0) {
			assert_int_equal(rc, rcb);
			continue;
		}
		if (rc > 0) {
			(*aborted)++;
			jn_xdp_run(a.x, p->data, p->caplen, p->ts_ns, &ra, false);
			continue;
		}
		(*recorded)++;
		assert_int_equal(jn_xdp_begin(a.x, p->data, p->caplen, p->ts_ns, &ra), 0);
		if (jn_trace_exec(t, a.x, &ra, NULL) != 1) {
			fprintf(stderr, "%s: packet %llu: trace fails on its own packet: %s\n", objpath,
				(unsigned long long)i, jn_trace_cond(t));
			jn_trace_dump(t, stderr);
			fail();
		}
		if (!same_result(&ra, &rb)) {
			fprintf(stderr, "%s: packet %llu: trace gives %s len %u, interpreter %s len %u\n",
				objpath, (unsigned long long)i, jn_xdp_action_name(ra.action), ra.len,
				jn_xdp_action_name(rb.action), rb.len);
			jn_trace_dump(t, stderr);
			fail();
		}
		jn_trace_free(t);
	}
	jn_tracer_free(tr);
	inst_close(&a);
	inst_close(&b);
}

static void test_every_trace_holds_on_its_own_packet(void **state)
{
	char obj[256], maps[256];
	(void)state;

	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		uint64_t rec = 0, ab = 0;
		prog_paths(progs[i], obj, maps, sizeof(obj));
		replay(obj, maps, &traffic, &rec, &ab);
		fprintf(stderr, "  %-16s %llu traced, %llu aborted\n", progs[i], (unsigned long long)rec,
			(unsigned long long)ab);
		assert_true(rec > 0);
	}
}

/* Several cache sizes and every policy on a subset of the traffic. */
static void test_nic_equals_interpreter_every_policy_and_size(void **state)
{
	static const uint32_t caps[] = { 1, 2, 3, 8 };
	char obj[256], maps[256];
	struct jn_pkt *buf;
	struct jn_pkt_set s = subset(3000 / SAMPLE, 7, &buf);
	(void)state;

	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		prog_paths(progs[i], obj, maps, sizeof(obj));
		for (int pol = 0; pol < JN_POL__COUNT; pol++)
			for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
				struct eq_stats es = {0};
				equiv(obj, NULL, maps, &s, caps[c], pol, &es);
				assert_int_equal(es.mismatches, 0);
				assert_int_equal(es.maps_differ, 0);
			}
	}
	free(buf);
}

/* Debian's libxdp objects (xdp-filter with and without rules, the
 * dispatcher, xdpdump, the AF_XDP default program). */
static void test_nic_equals_interpreter_on_libxdp_objects(void **state)
{
	DIR *d = opendir(LIBXDP);
	struct dirent *de;
	int n = 0;
	(void)state;

	if (!d) {
		fprintf(stderr, "  (no %s: skipped)\n", LIBXDP);
		return;
	}
	while ((de = readdir(d))) {
		char obj[512], maps[512];
		size_t l = strlen(de->d_name);
		if (l < 3 || strcmp(de->d_name + l - 2, ".o") || !strcmp(de->d_name, "xdpdump_bpf.o"))
			continue;
		snprintf(obj, sizeof(obj), LIBXDP "%s", de->d_name);
		for (int with = 0; with < 2; with++) {
			struct eq_stats es = {0};
			uint64_t rec = 0, ab = 0;
			if (with && strncmp(de->d_name, "xdpfilt_", 8))
				break;
			snprintf(maps, sizeof(maps), "tests/maps/xdpfilt_%.*s.maps.json", (int)(l - 14),
				 de->d_name + 12);
			equiv(obj, NULL, with ? maps : NULL, &traffic, 3, JN_POL_CLOCK, &es);
			replay(obj, with ? maps : NULL, &traffic, &rec, &ab);
			fprintf(stderr, "  %-24s %s %llu hits, %llu traced, %llu aborted\n", de->d_name,
				with ? "rules" : "empty", (unsigned long long)es.hits,
				(unsigned long long)rec, (unsigned long long)ab);
			assert_int_equal(es.mismatches, 0);
			assert_int_equal(es.maps_differ, 0);
			n++;
		}
	}
	closedir(d);
	assert_true(n >= 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nic_equals_interpreter_on_all_traffic),
		cmocka_unit_test(test_every_trace_holds_on_its_own_packet),
		cmocka_unit_test(test_nic_equals_interpreter_every_policy_and_size),
		cmocka_unit_test(test_nic_equals_interpreter_on_libxdp_objects),
	};
	return cmocka_run_group_tests(tests, traffic_setup, traffic_teardown);
}
