/* test_trace_lower.c - what the NIC resolves when it installs a trace
 * (lower_fuse.c) and what a hit then executes: the router's routed path is
 * a lookup keyed straight from the packet, its statistics counter one
 * read-modify-write and its constant-key array lookup no op at all;
 * xdp2_reflect's byte-wise MAC swap is two packet moves; instructions per
 * hit on generated traffic stay at or below the Warp paper's match-action
 * router (13.0); and each lowered trace gives the interpreter's result on
 * its own packet.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "pkt/pkt.h"
#include "trace/trace_internal.h"
#include "trace_test.h"

enum { NPKT = 2048, FRAME = 1600 };
static uint8_t arena[NPKT][FRAME];
static struct jn_pkt pkts[NPKT];
static struct jn_pkt_set traffic = { .pkts = pkts };

static int traffic_setup(void **state)
{
	struct jn_gen_cfg cfg;
	struct jn_gen *g;
	struct jn_pkt p;
	char err[256];

	(void)state;
	if (jn_pkt_gen_profile(&cfg, "internet", err, sizeof(err)))
		return -1;
	cfg.count = NPKT;
	cfg.seed = 42;
	if (jn_pkt_gen_new(&cfg, &g, err, sizeof(err)))
		return -1;
	while (traffic.n < NPKT && jn_pkt_gen_next(g, &p, NULL) == 1) {
		uint32_t len = p.caplen < FRAME ? p.caplen : FRAME;
		memcpy(arena[traffic.n], p.data, len);
		pkts[traffic.n] = p;
		pkts[traffic.n].data = arena[traffic.n];
		pkts[traffic.n].caplen = len;
		traffic.n++;
	}
	jn_pkt_gen_free(g);
	return 0;
}

/* An Ethernet + IPv4 frame (ihl 5, ttl 64, protocol proto) to 10.9.9.9,
 * which the router's maps file has no route for. */
static uint32_t ipv4(uint8_t *f, uint8_t proto)
{
	memset(f, 0, 64);
	f[0] = 2; f[5] = 0xbb; f[6] = 2; f[11] = 0xaa;
	f[12] = 0x08;
	f[14] = 0x45;
	f[17] = 50;
	f[22] = 64;
	f[23] = proto;
	f[26] = 10; f[29] = 1;
	f[30] = 10; f[31] = 9; f[32] = 9; f[33] = 9;
	return 64;
}

static const struct jn_txop *find(const struct jn_txop *x, uint32_t n, uint8_t op, uint32_t from)
{
	for (uint32_t i = from; i < n; i++)
		if (x[i].op == op)
			return &x[i];
	return NULL;
}

/* Record f on obj, check the trace against the interpreter on f; the
 * trace (caller frees) and the instance a (caller closes). */
static struct jn_trace *record(const char *obj, const char *maps, const uint8_t *f, uint32_t len,
			       struct inst *a)
{
	struct inst b;
	struct jn_tracer *tr;
	struct jn_trace *t = NULL;
	struct jn_xdp_result ra, rb;
	char err[256];

	assert_int_equal(inst_open(a, obj, NULL, maps), 0);
	assert_int_equal(inst_open(&b, obj, NULL, maps), 0);
	assert_int_equal(jn_tracer_new(a->x, &tr, err, sizeof(err)), 0);
	assert_int_equal(jn_trace_record(tr, f, len, 0, &t, NULL, 0), 0);
	assert_non_null(t);
	assert_int_equal(jn_xdp_begin(a->x, f, len, 0, &ra), 0);
	assert_int_equal(jn_trace_exec(t, a->x, &ra, NULL), 1);
	assert_int_equal(jn_xdp_run(b.x, f, len, 0, &rb, false), 0);
	assert_true(same_result(&ra, &rb));
	jn_tracer_free(tr);
	inst_close(&b);
	return t;
}

static void test_router_lookup_keyed_from_the_packet_and_counter_in_place(void **state)
{
	uint8_t f[64];
	uint32_t len = ipv4(f, 17);
	struct inst a;
	struct jn_trace *t = record("build/progs/router_ipv4.o", "progs/router_ipv4.maps.json", f, len, &a);
	const struct jn_txop *lk = find(t->x1, t->nx1, JN_TX_LOOKUP_T, 0);

	(void)state;
	/* routes[32, pkt[30:4]] == 0: the key's constant prefix length and the
	 * destination address copied from the packet, the miss tested by the
	 * lookup itself */
	assert_non_null(lk);
	assert_int_equal(lk->b, 2);
	assert_int_equal(lk[1].op, JN_TX_KEYPART);
	assert_int_equal(lk[1].b, -1);
	assert_int_equal(lk[1].k, 32);
	assert_int_equal(lk[2].op, JN_TX_KEYPART);
	assert_int_equal(lk[2].a, 4);
	assert_int_equal(lk[2].b, 30);
	assert_int_equal(lk[2].sz, 4);
	assert_int_equal(lk->cond, JN_LK_NULL);
	/* stats[1]: preset, no lookup and no guard on it are executed */
	assert_null(find(t->x1, t->nx1, JN_TX_LOOKUP, 0));
	assert_null(find(t->x1, t->nx1, JN_TX_LOOKUP_T, (uint32_t)(lk - t->x1) + 3));
	/* the counter: one read-modify-write, then the return */
	assert_int_equal(t->nx2, 2);
	assert_int_equal(t->x2[0].op, JN_TX_MADD);
	assert_int_equal(t->x2[0].sz, 8);
	assert_int_equal(t->x2[1].op, JN_TX_RET);
	/* 19 IR instructions before lowering, 12 executed: the length guard,
	 * the EtherType, the header length (load, mask, guard), the TTL (load,
	 * guard), the lookup with its packet range, the counter, the return */
	assert_int_equal(t->info.ops, 19);
	assert_int_equal(t->ord1 + t->ord2, 12);
	assert_true(t->direct);
	assert_false(t->frame_fx);
	jn_trace_free(t);
	inst_close(&a);
}

static void test_mac_swap_is_two_packet_moves_on_a_copy(void **state)
{
	uint8_t f[64];
	uint32_t len = ipv4(f, 17);
	struct inst a;
	struct jn_trace *t = record("build/progs/xdp2_reflect.o", "progs/xdp2_reflect.maps.json", f, len, &a);
	uint32_t moves = 0;

	(void)state;
	for (uint32_t i = 0; i < t->nx2; i++) {
		const struct jn_txop *o = &t->x2[i];
		if (o->op != JN_TX_PSTORE)
			continue;
		/* bytes 0..5 from 6..11 and back, each one load and one store */
		assert_int_equal(o->sz, 6);
		assert_true(o->k == 0 || o->k == 6);
		moves++;
	}
	assert_int_equal(moves, 2);
	assert_non_null(find(t->x1, t->nx1, JN_TX_PLOAD, 0));
	assert_true(t->frame_fx);
	assert_true(t->copy_fx);   /* no helper call: the packet's copy, no frame set-up */
	jn_trace_free(t);
	inst_close(&a);
}

/* Instructions per hit over the generated traffic, and no mismatch. */
static double ops_per_hit(const char *obj, const char *maps)
{
	struct eq_stats es;

	memset(&es, 0, sizeof(es));
	equiv(obj, NULL, maps, &traffic, 16, JN_POL_LRU, &es);
	assert_int_equal(es.mismatches, 0);
	assert_int_equal(es.maps_differ, 0);
	assert_true(es.nic.hits > es.packets * 9 / 10);
	return (double)es.nic.ops_hit / (double)es.nic.hits;
}

static void test_instructions_per_hit_at_most_the_warp_router(void **state)
{
	(void)state;
	/* Warp's match-action tables: router 40.7 -> 13.0 instructions */
	assert_true(ops_per_hit("build/progs/router_ipv4.o", "progs/router_ipv4.maps.json") <= 13.0);
	assert_true(ops_per_hit("build/progs/xdp2_reflect.o", "progs/xdp2_reflect.maps.json") <= 13.0);
	assert_true(ops_per_hit("build/progs/xdp1_count.o", "progs/xdp1_count.maps.json") <= 12.0);
	assert_true(ops_per_hit("build/progs/vlan_classifier.o", "progs/vlan_classifier.maps.json") <= 8.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_router_lookup_keyed_from_the_packet_and_counter_in_place),
		cmocka_unit_test(test_mac_swap_is_two_packet_moves_on_a_copy),
		cmocka_unit_test(test_instructions_per_hit_at_most_the_warp_router),
	};
	return cmocka_run_group_tests(tests, traffic_setup, NULL);
}
