/* test_progs.c - the XDP programs in progs/ do what their header comments
 * say: each object in build/progs/ is opened and loaded with libbpf (so the
 * kernel verifier accepts it), its maps get the entries of its maps file,
 * and hand-built packets go through BPF_PROG_TEST_RUN; the tests check the
 * action, the output bytes and the counters.  Where bpf() is refused, every
 * kernel test is skipped after one line saying so.  The maps files are
 * checked to be JSON that names only maps the object has.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>
#include <linux/bpf.h>

#define PROGS_OBJ_DIR "build/progs/"
#define PROGS_SRC_DIR "progs/"

enum { AF_INET_BPF = 2, AF_INET6_BPF = 10 };

static const uint8_t MAC_PEER[6] = { 0x02, 0, 0, 0, 0, 0xaa };  /* sender */
static const uint8_t MAC_SELF[6] = { 0x02, 0, 0, 0, 0, 0xbb };  /* us */

/* ---- loading and running ------------------------------------------------ */

static struct bpf_object *cur_obj;
static int cur_fd = -1;
static bool kern_refused;

/* libbpf's warnings (the verifier log among them) are kept here and shown
 * only when a load fails for a reason other than bpf() being refused. */
static char libbpf_log[16384];
static size_t libbpf_log_len;

static int libbpf_keep_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	int n;

	if (level == LIBBPF_DEBUG || level == LIBBPF_INFO)
		return 0;
	if (libbpf_log_len >= sizeof(libbpf_log) - 1)
		return 0;
	n = vsnprintf(libbpf_log + libbpf_log_len, sizeof(libbpf_log) - libbpf_log_len, fmt, ap);
	if (n > 0)
		libbpf_log_len += (size_t)n;
	if (libbpf_log_len > sizeof(libbpf_log) - 1)
		libbpf_log_len = sizeof(libbpf_log) - 1;
	return n;
}

static int close_obj(void **state)
{
	(void)state;
	bpf_object__close(cur_obj);
	cur_obj = NULL;
	cur_fd = -1;
	return 0;
}

/* Open and load build/progs/<name>.o; skips the test if bpf() is refused. */
static void load(const char *name)
{
	char path[256];
	int err;

	if (kern_refused)
		skip();
	snprintf(path, sizeof(path), PROGS_OBJ_DIR "%s.o", name);
	libbpf_log_len = 0;
	libbpf_log[0] = '\0';
	cur_obj = bpf_object__open_file(path, NULL);
	if (!cur_obj)
		fail_msg("%s: cannot open (errno %d); run `make progs` first", path, errno);
	err = bpf_object__load(cur_obj);
	if (err == -EPERM || err == -ENOSYS) {
		printf("kernel oracle unavailable: bpf() refused: %s\n", strerror(-err));
		kern_refused = true;
		skip();
	}
	if (err) {
		fputs(libbpf_log, stderr);
		fail_msg("%s: load failed: %s", path, strerror(-err));
	}
	cur_fd = bpf_program__fd(bpf_object__next_program(cur_obj, NULL));
	assert_true(cur_fd >= 0);
}

static struct bpf_map *map(const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(cur_obj, name);

	if (!m)
		fail_msg("no map %s", name);
	return m;
}

static void map_put(const char *name, const void *key, size_t ksz, const void *val, size_t vsz)
{
	int err = bpf_map__update_elem(map(name), key, ksz, val, vsz, BPF_ANY);

	if (err)
		fail_msg("update %s: %s", name, strerror(-err));
}

static void map_put_u32(const char *name, uint32_t key, uint32_t val)
{
	map_put(name, &key, sizeof(key), &val, sizeof(val));
}

/* Sum over CPUs of the u64 at off in the per-CPU record at key. */
static uint64_t percpu_u64(const char *name, const void *key, size_t ksz, size_t off)
{
	struct bpf_map *m = map(name);
	size_t rec = (bpf_map__value_size(m) + 7) & ~(size_t)7;
	int ncpu = libbpf_num_possible_cpus();
	uint8_t *vals;
	uint64_t sum = 0, v;

	assert_true(ncpu > 0);
	vals = calloc((size_t)ncpu, rec);
	assert_non_null(vals);
	if (bpf_map__lookup_elem(m, key, ksz, vals, rec * (size_t)ncpu, 0) == 0)
		for (int i = 0; i < ncpu; i++) {
			memcpy(&v, vals + (size_t)i * rec + off, sizeof(v));
			sum += v;
		}
	free(vals);
	return sum;
}

static uint64_t percpu_u64_at(const char *name, uint32_t key, size_t off)
{
	return percpu_u64(name, &key, sizeof(key), off);
}

/* A __u64 global of the .bss section, found through the object's BTF. */
static uint64_t bss_u64(const char *var)
{
	struct btf *btf = bpf_object__btf(cur_obj);
	struct bpf_map *m = map(".bss");
	const struct btf_var_secinfo *vsi;
	const struct btf_type *sec;
	uint8_t buf[256];
	uint32_t zero = 0;
	uint64_t v;
	int id;

	assert_non_null(btf);
	id = btf__find_by_name_kind(btf, ".bss", BTF_KIND_DATASEC);
	assert_true(id > 0);
	assert_true(bpf_map__value_size(m) <= sizeof(buf));
	assert_int_equal(bpf_map__lookup_elem(m, &zero, sizeof(zero), buf,
					      bpf_map__value_size(m), 0), 0);
	sec = btf__type_by_id(btf, id);
	vsi = btf_var_secinfos(sec);
	for (int i = 0; i < btf_vlen(sec); i++, vsi++) {
		const struct btf_type *t = btf__type_by_id(btf, vsi->type);

		if (strcmp(btf__name_by_offset(btf, t->name_off), var) == 0) {
			memcpy(&v, buf + vsi->offset, sizeof(v));
			return v;
		}
	}
	fail_msg("no .bss variable %s", var);
	return 0;
}

struct run_out {
	uint32_t ret;
	uint32_t len;
	uint8_t data[2048];
};

/* One packet through BPF_PROG_TEST_RUN on the loopback device (ifindex 1,
 * queue 0, what the kernel oracle can use).  Returns the action. */
static uint32_t run(const void *pkt, size_t len, struct run_out *o)
{
	struct xdp_md ctx = { .data_end = (uint32_t)len, .ingress_ifindex = 1 };
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		    .data_in = pkt, .data_size_in = (uint32_t)len,
		    .data_out = o->data, .data_size_out = sizeof(o->data),
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1);
	int err = bpf_prog_test_run_opts(cur_fd, &opts);

	if (err)
		fail_msg("test_run: %s", strerror(-err));
	o->ret = opts.retval;
	o->len = opts.data_size_out;
	return o->ret;
}

/* ---- packet building ---------------------------------------------------- */

struct pb {
	uint8_t b[1600];
	size_t n;
};

static void put(struct pb *p, const void *d, size_t n)
{
	assert_true(p->n + n <= sizeof(p->b));
	memcpy(p->b + p->n, d, n);
	p->n += n;
}

static void put8(struct pb *p, uint8_t v)
{
	put(p, &v, 1);
}

static void put16(struct pb *p, uint16_t v)
{
	uint16_t be = htons(v);

	put(p, &be, 2);
}

static void put32(struct pb *p, uint32_t v)
{
	uint32_t be = htonl(v);

	put(p, &be, 4);
}

static void put_addr(struct pb *p, const char *addr)
{
	uint8_t a[16];

	if (strchr(addr, ':')) {
		assert_int_equal(inet_pton(AF_INET6, addr, a), 1);
		put(p, a, 16);
	} else {
		assert_int_equal(inet_pton(AF_INET, addr, a), 1);
		put(p, a, 4);
	}
}

static void put_fill(struct pb *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put8(p, (uint8_t)(i * 7 + 1));
}

/* Ethernet header from MAC_PEER to MAC_SELF; proto may be a VLAN TPID. */
static void put_eth(struct pb *p, uint16_t proto)
{
	put(p, MAC_SELF, 6);
	put(p, MAC_PEER, 6);
	put16(p, proto);
}

static void put_tag(struct pb *p, uint16_t vid, uint16_t next_proto)
{
	put16(p, vid);
	put16(p, next_proto);
}

static uint16_t csum(const uint8_t *d, size_t n)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(d[i] << 8 | d[i + 1]);
	if (n & 1)
		sum += (uint32_t)d[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put_ipv4(struct pb *p, uint8_t proto, const char *src, const char *dst,
		     uint8_t ttl, size_t l4len)
{
	size_t start = p->n;
	uint16_t c;

	put8(p, 0x45);
	put8(p, 0);
	put16(p, (uint16_t)(20 + l4len));
	put16(p, 0x1234);
	put16(p, 0);
	put8(p, ttl);
	put8(p, proto);
	put16(p, 0);
	put_addr(p, src);
	put_addr(p, dst);
	c = htons(csum(p->b + start, 20));
	memcpy(p->b + start + 10, &c, 2);
}

static void put_ipv6(struct pb *p, uint8_t nexthdr, const char *src, const char *dst,
		     size_t payload_len)
{
	put32(p, 0x60000000);
	put16(p, (uint16_t)payload_len);
	put8(p, nexthdr);
	put8(p, 64);
	put_addr(p, src);
	put_addr(p, dst);
}

/* TCP (20 bytes) or UDP (8 bytes) header and payload bytes. */
static void put_l4(struct pb *p, uint8_t proto, uint16_t sport, uint16_t dport, size_t payload)
{
	put16(p, sport);
	put16(p, dport);
	if (proto == IPPROTO_TCP) {
		put32(p, 1000);
		put32(p, 0);
		put16(p, 0x5002);  /* doff 5, SYN */
		put16(p, 0xffff);
		put32(p, 0);
	} else {
		put16(p, (uint16_t)(8 + payload));
		put16(p, 0);
	}
	put_fill(p, payload);
}

static size_t l4_hdr_len(uint8_t proto)
{
	return proto == IPPROTO_TCP ? 20 : 8;
}

/* Ethernet + IPv4 + TCP/UDP. */
static void ipv4_pkt(struct pb *p, uint8_t proto, const char *src, const char *dst,
		     uint16_t sport, uint16_t dport, size_t payload)
{
	put_eth(p, 0x0800);
	put_ipv4(p, proto, src, dst, 64, l4_hdr_len(proto) + payload);
	put_l4(p, proto, sport, dport, payload);
}

static void ipv6_pkt(struct pb *p, uint8_t proto, const char *src, const char *dst,
		     uint16_t sport, uint16_t dport, size_t payload)
{
	put_eth(p, 0x86dd);
	put_ipv6(p, proto, src, dst, l4_hdr_len(proto) + payload);
	put_l4(p, proto, sport, dport, payload);
}

static void arp_pkt(struct pb *p)
{
	put_eth(p, 0x0806);
	put_fill(p, 28);
}

static uint32_t ip4(const char *s)
{
	uint32_t a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static uint16_t get16(const uint8_t *d)
{
	return (uint16_t)(d[0] << 8 | d[1]);
}

/* ---- ipv6_filter, xdp1, xdp2 ------------------------------------------- */

static void test_ipv6_filter_passes_ipv6_drops_the_rest(void **state)
{
	struct pb v6 = { .n = 0 }, v4 = { .n = 0 }, arp = { .n = 0 };
	struct run_out o;

	(void)state;
	load("ipv6_filter");
	ipv6_pkt(&v6, IPPROTO_UDP, "2001:db8::1", "2001:db8::2", 1000, 53, 10);
	ipv4_pkt(&v4, IPPROTO_UDP, "10.0.0.1", "10.0.0.2", 1000, 53, 10);
	arp_pkt(&arp);
	assert_int_equal(run(v6.b, v6.n, &o), XDP_PASS);
	assert_int_equal(o.len, v6.n);
	assert_memory_equal(o.data, v6.b, v6.n);
	assert_int_equal(run(v4.b, v4.n, &o), XDP_DROP);
	assert_int_equal(run(arp.b, arp.n, &o), XDP_DROP);
}

static void test_xdp1_counts_by_protocol_and_drops(void **state)
{
	struct pb udp4 = { .n = 0 }, qinq6 = { .n = 0 }, arp = { .n = 0 };
	struct run_out o;

	(void)state;
	load("xdp1_count");
	ipv4_pkt(&udp4, IPPROTO_UDP, "10.0.0.1", "10.0.0.2", 1000, 53, 10);
	/* 802.1ad outer tag, 802.1Q inner tag, IPv6/TCP */
	put_eth(&qinq6, 0x88a8);
	put_tag(&qinq6, 100, 0x8100);
	put_tag(&qinq6, 200, 0x86dd);
	put_ipv6(&qinq6, IPPROTO_TCP, "2001:db8::1", "2001:db8::2", 20);
	put_l4(&qinq6, IPPROTO_TCP, 1000, 80, 0);
	arp_pkt(&arp);

	assert_int_equal(run(udp4.b, udp4.n, &o), XDP_DROP);
	assert_int_equal(run(udp4.b, udp4.n, &o), XDP_DROP);
	assert_int_equal(run(qinq6.b, qinq6.n, &o), XDP_DROP);
	assert_int_equal(run(arp.b, arp.n, &o), XDP_DROP);
	assert_int_equal(percpu_u64_at("rxcnt", IPPROTO_UDP, 0), 2);
	assert_int_equal(percpu_u64_at("rxcnt", IPPROTO_TCP, 0), 1);
	assert_int_equal(percpu_u64_at("rxcnt", 0, 0), 1);
	assert_int_equal(percpu_u64_at("rxcnt", IPPROTO_ICMP, 0), 0);
}

static void test_xdp2_reflects_udp_with_swapped_macs(void **state)
{
	struct pb udp4 = { .n = 0 }, vlan6 = { .n = 0 }, tcp4 = { .n = 0 };
	struct run_out o;

	(void)state;
	load("xdp2_reflect");
	ipv4_pkt(&udp4, IPPROTO_UDP, "10.0.0.1", "10.0.0.2", 1000, 53, 10);
	put_eth(&vlan6, 0x8100);
	put_tag(&vlan6, 7, 0x86dd);
	put_ipv6(&vlan6, IPPROTO_UDP, "2001:db8::1", "2001:db8::2", 8);
	put_l4(&vlan6, IPPROTO_UDP, 1000, 53, 0);
	ipv4_pkt(&tcp4, IPPROTO_TCP, "10.0.0.1", "10.0.0.2", 1000, 80, 0);

	assert_int_equal(run(udp4.b, udp4.n, &o), XDP_TX);
	assert_int_equal(o.len, udp4.n);
	assert_memory_equal(o.data, MAC_PEER, 6);
	assert_memory_equal(o.data + 6, MAC_SELF, 6);
	assert_memory_equal(o.data + 12, udp4.b + 12, udp4.n - 12);

	assert_int_equal(run(vlan6.b, vlan6.n, &o), XDP_TX);
	assert_memory_equal(o.data, MAC_PEER, 6);
	assert_memory_equal(o.data + 6, MAC_SELF, 6);

	assert_int_equal(run(tcp4.b, tcp4.n, &o), XDP_DROP);
	assert_memory_equal(o.data, tcp4.b, tcp4.n);
	assert_int_equal(percpu_u64_at("rxcnt", IPPROTO_UDP, 0), 2);
	assert_int_equal(percpu_u64_at("rxcnt", IPPROTO_TCP, 0), 1);
}

/* ---- adjust_tail -------------------------------------------------------- */

static void test_adjust_tail_answers_big_ipv4_with_icmp_frag_needed(void **state)
{
	struct pb big = { .n = 0 };
	struct run_out o;
	const uint8_t *ip, *icmp;
	uint32_t zero = 0;
	uint64_t sent = 0;

	(void)state;
	load("adjust_tail");
	ipv4_pkt(&big, IPPROTO_UDP, "10.0.0.1", "10.0.0.2", 1000, 53, 700 - 14 - 20 - 8);
	assert_int_equal(big.n, 700);

	assert_int_equal(run(big.b, big.n, &o), XDP_TX);
	assert_int_equal(o.len, 14 + 20 + 8 + 64);
	assert_memory_equal(o.data, MAC_PEER, 6);       /* back to the sender */
	assert_memory_equal(o.data + 6, MAC_SELF, 6);
	assert_int_equal(get16(o.data + 12), 0x0800);
	ip = o.data + 14;
	assert_int_equal(ip[0], 0x45);
	assert_int_equal(get16(ip + 2), 20 + 8 + 64);
	assert_int_equal(ip[9], IPPROTO_ICMP);
	assert_memory_equal(ip + 12, big.b + 14 + 16, 4);  /* src = old dst */
	assert_memory_equal(ip + 16, big.b + 14 + 12, 4);  /* dst = old src */
	assert_int_equal(csum(ip, 20), 0);
	icmp = ip + 20;
	assert_int_equal(icmp[0], 3);                      /* unreachable */
	assert_int_equal(icmp[1], 4);                      /* frag needed */
	assert_int_equal(get16(icmp + 6), 600 - 14);       /* next-hop MTU */
	assert_int_equal(csum(icmp, 8 + 64), 0);
	assert_memory_equal(icmp + 8, big.b + 14, 64);     /* the quote */

	assert_int_equal(bpf_map__lookup_elem(map("icmpcnt"), &zero, 4, &sent, 8, 0), 0);
	assert_int_equal(sent, 1);
}

static void test_adjust_tail_passes_small_and_non_ipv4(void **state)
{
	struct pb small = { .n = 0 }, v6 = { .n = 0 };
	struct run_out o;

	(void)state;
	load("adjust_tail");
	ipv4_pkt(&small, IPPROTO_UDP, "10.0.0.1", "10.0.0.2", 1000, 53, 600 - 42);
	ipv6_pkt(&v6, IPPROTO_UDP, "2001:db8::1", "2001:db8::2", 1000, 53, 800);
	assert_int_equal(small.n, 600);
	assert_int_equal(run(small.b, small.n, &o), XDP_PASS);
	assert_int_equal(o.len, small.n);
	assert_memory_equal(o.data, small.b, small.n);
	assert_int_equal(run(v6.b, v6.n, &o), XDP_PASS);
	assert_int_equal(o.len, v6.n);
}

/* ---- router_ipv4 -------------------------------------------------------- */

struct route_key_t {
	uint32_t prefixlen;
	uint32_t addr;
};

struct route_t {
	uint32_t port;
	uint8_t dmac[6], smac[6];
};

static void router_setup(void)
{
	static const struct {
		uint32_t plen;
		const char *net;
		struct route_t rt;
	} routes[] = {  /* as in progs/router_ipv4.maps.json */
		{ 16, "10.1.0.0", { 0, { 2, 0, 0, 0, 1, 2 }, { 2, 0, 0, 0, 1, 1 } } },
		{ 24, "10.1.2.0", { 1, { 2, 0, 0, 0, 2, 2 }, { 2, 0, 0, 0, 2, 1 } } },
		{ 8, "172.0.0.0", { 5, { 2, 0, 0, 0, 5, 2 }, { 2, 0, 0, 0, 5, 1 } } },
	};

	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		struct route_key_t k = { routes[i].plen, ip4(routes[i].net) };

		map_put("routes", &k, sizeof(k), &routes[i].rt, sizeof(routes[i].rt));
	}
	map_put_u32("tx_ports", 0, 1);
	map_put_u32("tx_ports", 1, 1);
}

static void check_routed(const struct pb *in, const struct run_out *o, uint8_t last_mac_byte)
{
	const uint8_t dmac[6] = { 2, 0, 0, 0, last_mac_byte, 2 };
	const uint8_t smac[6] = { 2, 0, 0, 0, last_mac_byte, 1 };

	assert_int_equal(o->ret, XDP_REDIRECT);
	assert_int_equal(o->len, in->n);
	assert_memory_equal(o->data, dmac, 6);
	assert_memory_equal(o->data + 6, smac, 6);
	assert_int_equal(o->data[14 + 8], in->b[14 + 8] - 1);     /* TTL */
	assert_int_equal(csum(o->data + 14, 20), 0);              /* checksum */
	assert_memory_equal(o->data + 34, in->b + 34, in->n - 34);
}

static void test_router_forwards_longest_prefix_with_ttl_and_csum(void **state)
{
	struct pb to24 = { .n = 0 }, to16 = { .n = 0 };
	struct run_out o;

	(void)state;
	load("router_ipv4");
	router_setup();
	ipv4_pkt(&to24, IPPROTO_UDP, "192.168.0.1", "10.1.2.7", 1000, 53, 10);
	ipv4_pkt(&to16, IPPROTO_TCP, "192.168.0.1", "10.1.9.9", 1000, 80, 0);
	run(to24.b, to24.n, &o);
	check_routed(&to24, &o, 2);
	run(to16.b, to16.n, &o);
	check_routed(&to16, &o, 1);
	assert_int_equal(percpu_u64_at("stats", 0, 0), 2);
	assert_int_equal(percpu_u64_at("stats", 1, 0), 0);
}

static void test_router_passes_what_it_cannot_route(void **state)
{
	struct pb noroute = { .n = 0 }, ttl1 = { .n = 0 }, noport = { .n = 0 }, v6 = { .n = 0 };
	struct run_out o;

	(void)state;
	load("router_ipv4");
	router_setup();
	ipv4_pkt(&noroute, IPPROTO_UDP, "10.1.2.7", "192.168.5.5", 1000, 53, 10);
	put_eth(&ttl1, 0x0800);
	put_ipv4(&ttl1, IPPROTO_UDP, "192.168.0.1", "10.1.2.7", 1, 8);
	put_l4(&ttl1, IPPROTO_UDP, 1000, 53, 0);
	ipv4_pkt(&noport, IPPROTO_UDP, "192.168.0.1", "172.16.0.1", 1000, 53, 10);
	ipv6_pkt(&v6, IPPROTO_UDP, "2001:db8::1", "2001:db8::2", 1000, 53, 10);

	assert_int_equal(run(noroute.b, noroute.n, &o), XDP_PASS);
	assert_memory_equal(o.data, noroute.b, noroute.n);
	assert_int_equal(run(ttl1.b, ttl1.n, &o), XDP_PASS);
	assert_memory_equal(o.data, ttl1.b, ttl1.n);
	/* route to port 5, which has no device: unchanged, to the stack */
	assert_int_equal(run(noport.b, noport.n, &o), XDP_PASS);
	assert_memory_equal(o.data, noport.b, noport.n);
	assert_int_equal(run(v6.b, v6.n, &o), XDP_PASS);
	assert_int_equal(percpu_u64_at("stats", 1, 0), 4);
}

/* ---- rxq_info ----------------------------------------------------------- */

struct rxq_config_t {
	uint32_t action, ifindex, options;
};

static void test_rxq_info_counts_queue_and_applies_config(void **state)
{
	struct rxq_config_t pass = { XDP_PASS, 1, 0 };         /* the maps file's */
	struct rxq_config_t tx_swap = { XDP_TX, 1, 0x2 };
	struct rxq_config_t other_dev = { XDP_DROP, 7, 0x1 };
	struct pb p = { .n = 0 };
	struct run_out o;
	uint32_t zero = 0;

	(void)state;
	load("rxq_info");
	ipv4_pkt(&p, IPPROTO_UDP, "10.0.0.1", "10.0.0.2", 1000, 53, 10);

	assert_int_equal(run(p.b, p.n, &o), XDP_ABORTED);  /* zeroed config: action 0 */
	map_put("config", &zero, 4, &pass, sizeof(pass));
	assert_int_equal(run(p.b, p.n, &o), XDP_PASS);
	assert_memory_equal(o.data, p.b, p.n);
	assert_int_equal(percpu_u64_at("rx_queue_index_map", 0, 0), 2);
	assert_int_equal(percpu_u64_at("rx_queue_index_map", 0, 8), 0);

	map_put("config", &zero, 4, &tx_swap, sizeof(tx_swap));
	assert_int_equal(run(p.b, p.n, &o), XDP_TX);
	assert_memory_equal(o.data, MAC_PEER, 6);
	assert_memory_equal(o.data + 6, MAC_SELF, 6);

	map_put("config", &zero, 4, &other_dev, sizeof(other_dev));
	assert_int_equal(run(p.b, p.n, &o), XDP_DROP);
	assert_int_equal(percpu_u64_at("rx_queue_index_map", 0, 0), 4);
	assert_int_equal(percpu_u64_at("rx_queue_index_map", 0, 8), 1);  /* issue */
	assert_int_equal(percpu_u64_at("stats_global", 0, 0), 4);
	assert_int_equal(percpu_u64_at("stats_global", 0, 8), 1);
}

/* ---- tx_ip_tunnel ------------------------------------------------------- */

struct vip_t {
	uint32_t daddr[4];
	uint16_t dport;
	uint8_t family, protocol;
};

struct iptnl_t {
	uint32_t saddr[4], daddr[4];
	uint8_t family, pad;
	uint8_t dmac[6];
};

static void tunnel_setup(void)
{
	struct vip_t v4 = { .dport = htons(80), .family = AF_INET_BPF, .protocol = IPPROTO_TCP };
	struct iptnl_t t4 = { .family = AF_INET_BPF, .dmac = { 2, 0, 0, 0, 0, 0x0b } };
	struct vip_t v6 = { .dport = htons(80), .family = AF_INET6_BPF, .protocol = IPPROTO_TCP };
	struct iptnl_t t6 = { .family = AF_INET6_BPF, .dmac = { 2, 0, 0, 0, 0, 0x0d } };

	v4.daddr[0] = ip4("10.0.0.10");
	t4.saddr[0] = ip4("192.168.0.1");
	t4.daddr[0] = ip4("192.168.0.2");
	map_put("vip2tnl", &v4, sizeof(v4), &t4, sizeof(t4));
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::10", v6.daddr), 1);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:1::1", t6.saddr), 1);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:1::2", t6.daddr), 1);
	map_put("vip2tnl", &v6, sizeof(v6), &t6, sizeof(t6));
}

/* Outer Ethernet + IPv4 (IPIP) header in front of the unchanged packet. */
static void check_ipip(const struct run_out *o, const struct pb *in, const uint8_t dmac[6],
		       const char *src, const char *dst)
{
	const uint8_t *outer = o->data + 14;
	uint32_t s = ip4(src), d = ip4(dst);

	assert_int_equal(o->len, in->n + 20);
	assert_memory_equal(o->data, dmac, 6);
	assert_memory_equal(o->data + 6, MAC_SELF, 6);
	assert_int_equal(get16(o->data + 12), 0x0800);
	assert_int_equal(outer[0], 0x45);
	assert_int_equal(get16(outer + 2), in->n - 14 + 20);
	assert_int_equal(outer[9], IPPROTO_IPIP);
	assert_memory_equal(outer + 12, &s, 4);
	assert_memory_equal(outer + 16, &d, 4);
	assert_int_equal(csum(outer, 20), 0);
	assert_memory_equal(outer + 20, in->b + 14, in->n - 14);
}

static void test_tx_ip_tunnel_encapsulates_ipv4_vip(void **state)
{
	const uint8_t dmac[6] = { 2, 0, 0, 0, 0, 0x0b };
	struct pb vip = { .n = 0 }, other_port = { .n = 0 };
	struct run_out o;

	(void)state;
	load("tx_ip_tunnel");
	tunnel_setup();
	ipv4_pkt(&vip, IPPROTO_TCP, "10.9.9.9", "10.0.0.10", 40000, 80, 30);
	ipv4_pkt(&other_port, IPPROTO_TCP, "10.9.9.9", "10.0.0.10", 40000, 81, 30);
	assert_int_equal(run(vip.b, vip.n, &o), XDP_TX);
	check_ipip(&o, &vip, dmac, "192.168.0.1", "192.168.0.2");
	assert_int_equal(run(other_port.b, other_port.n, &o), XDP_PASS);
	assert_memory_equal(o.data, other_port.b, other_port.n);
	assert_int_equal(percpu_u64_at("rxcnt", IPPROTO_TCP, 0), 2);
}

static void test_tx_ip_tunnel_encapsulates_ipv6_vip_and_passes_others(void **state)
{
	const uint8_t dmac[6] = { 2, 0, 0, 0, 0, 0x0d };
	struct pb vip = { .n = 0 }, udp = { .n = 0 }, arp = { .n = 0 };
	uint8_t s6[16], d6[16];
	struct run_out o;
	const uint8_t *outer;

	(void)state;
	load("tx_ip_tunnel");
	tunnel_setup();
	ipv6_pkt(&vip, IPPROTO_TCP, "2001:db8::99", "2001:db8::10", 40000, 80, 12);
	ipv6_pkt(&udp, IPPROTO_UDP, "2001:db8::99", "2001:db8::10", 40000, 80, 12);
	arp_pkt(&arp);

	assert_int_equal(run(vip.b, vip.n, &o), XDP_TX);
	outer = o.data + 14;
	assert_int_equal(o.len, vip.n + 40);
	assert_memory_equal(o.data, dmac, 6);
	assert_memory_equal(o.data + 6, MAC_SELF, 6);
	assert_int_equal(get16(o.data + 12), 0x86dd);
	assert_int_equal(outer[0] >> 4, 6);
	assert_int_equal(get16(outer + 4), vip.n - 14);     /* payload = inner packet */
	assert_int_equal(outer[6], 41);                     /* IPv6-in-IPv6 */
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:1::1", s6), 1);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:1::2", d6), 1);
	assert_memory_equal(outer + 8, s6, 16);
	assert_memory_equal(outer + 24, d6, 16);
	assert_memory_equal(outer + 40, vip.b + 14, vip.n - 14);

	assert_int_equal(run(udp.b, udp.n, &o), XDP_PASS);  /* VIP is TCP only */
	assert_int_equal(run(arp.b, arp.n, &o), XDP_PASS);
}

/* ---- simple_firewall ---------------------------------------------------- */

struct flow4_t {
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	uint8_t proto, pad[3];
};

static void test_firewall_allows_inside_flows_and_their_replies_only(void **state)
{
	struct pb in = { .n = 0 }, reply = { .n = 0 }, probe = { .n = 0 }, icmp_in = { .n = 0 };
	struct flow4_t k = { .proto = IPPROTO_TCP, .sport = htons(40000), .dport = htons(443) };
	uint32_t cfg[2] = { ip4("10.0.0.0"), ip4("255.0.0.0") }, zero = 0;
	uint64_t pkts = 0;
	struct run_out o;

	(void)state;
	load("simple_firewall");
	map_put("fw_config", &zero, 4, cfg, sizeof(cfg));
	ipv4_pkt(&in, IPPROTO_TCP, "10.0.0.5", "93.184.216.34", 40000, 443, 0);
	ipv4_pkt(&reply, IPPROTO_TCP, "93.184.216.34", "10.0.0.5", 443, 40000, 0);
	ipv4_pkt(&probe, IPPROTO_TCP, "93.184.216.34", "10.0.0.5", 443, 40001, 0);
	put_eth(&icmp_in, 0x0800);
	put_ipv4(&icmp_in, IPPROTO_ICMP, "93.184.216.34", "10.0.0.5", 64, 8);
	put_fill(&icmp_in, 8);

	assert_int_equal(run(reply.b, reply.n, &o), XDP_DROP);  /* no state yet */
	assert_int_equal(run(in.b, in.n, &o), XDP_PASS);
	assert_int_equal(run(in.b, in.n, &o), XDP_PASS);
	k.saddr = ip4("10.0.0.5");
	k.daddr = ip4("93.184.216.34");
	assert_int_equal(bpf_map__lookup_elem(map("flows"), &k, sizeof(k), &pkts, 8, 0), 0);
	assert_int_equal(pkts, 2);
	assert_int_equal(run(reply.b, reply.n, &o), XDP_PASS);
	assert_int_equal(run(probe.b, probe.n, &o), XDP_DROP);  /* other port */
	assert_int_equal(run(icmp_in.b, icmp_in.n, &o), XDP_DROP);
}

/* ---- lb_katran ---------------------------------------------------------- */

#define KATRAN_RING 61

struct vip_key_t {
	uint32_t addr;
	uint16_t port;
	uint8_t proto, pad;
};

static void katran_setup(void)
{
	struct vip_key_t v0 = { ip4("10.0.0.100"), htons(80), IPPROTO_TCP, 0 };
	struct vip_key_t v1 = { ip4("10.0.0.101"), 0, IPPROTO_UDP, 0 };
	uint32_t meta0[2] = { 0, 0 }, meta1[2] = { 1, 1 };  /* {flags, vip_num} */
	uint8_t gw[8] = { 2, 0, 0, 0, 0, 0xfe };
	uint32_t zero = 0;
	char addr[32];

	map_put("vips", &v0, sizeof(v0), meta0, sizeof(meta0));
	map_put("vips", &v1, sizeof(v1), meta1, sizeof(meta1));
	for (uint32_t i = 0; i < 5; i++) {
		uint32_t real[2] = { 0, 0 };

		snprintf(addr, sizeof(addr), "192.168.1.%u", i + 1);
		real[0] = ip4(addr);
		map_put("reals", &i, 4, real, sizeof(real));
	}
	for (uint32_t i = 0; i < KATRAN_RING; i++) {
		map_put_u32("ch_rings", i, i % 3);
		map_put_u32("ch_rings", KATRAN_RING + i, 3 + i % 2);
	}
	map_put("ctl_array", &zero, 4, gw, sizeof(gw));
}

static uint32_t mix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/* The program's flow hash, over the key's bytes as the BPF target (little
 * endian, like this host) loads them. */
static uint32_t katran_hash(const struct flow4_t *f, int with_sport)
{
	uint32_t ports = ((uint32_t)(with_sport ? f->sport : 0) << 16) | f->dport;
	uint32_t h = mix32(f->saddr);

	h = mix32(h ^ f->daddr);
	h = mix32(h ^ ports);
	return mix32(h ^ f->proto);
}

static void check_katran_encap(const struct run_out *o, const struct pb *in,
			       const struct flow4_t *f, uint32_t real)
{
	const uint8_t gw[6] = { 2, 0, 0, 0, 0, 0xfe };
	char src[32], dst[32];
	uint32_t suffix = (ntohs(f->sport) ^ ntohl(f->saddr)) & 0xffff;

	snprintf(src, sizeof(src), "172.16.%u.%u", suffix >> 8, suffix & 0xff);
	snprintf(dst, sizeof(dst), "192.168.1.%u", real + 1);
	assert_int_equal(o->ret, XDP_TX);
	check_ipip(o, in, gw, src, dst);
}

static void test_katran_picks_ring_real_and_encapsulates(void **state)
{
	struct pb tcp = { .n = 0 }, udp_a = { .n = 0 }, udp_b = { .n = 0 };
	struct flow4_t f = { ip4("10.9.8.7"), ip4("10.0.0.100"), htons(40000), htons(80),
			     IPPROTO_TCP, { 0 } };
	struct flow4_t fa = { ip4("10.9.8.7"), ip4("10.0.0.101"), htons(5000), htons(53),
			      IPPROTO_UDP, { 0 } };
	struct flow4_t fb = fa;
	uint32_t real = 99, expect;
	struct run_out o;

	(void)state;
	load("lb_katran");
	katran_setup();
	ipv4_pkt(&tcp, IPPROTO_TCP, "10.9.8.7", "10.0.0.100", 40000, 80, 20);
	run(tcp.b, tcp.n, &o);
	expect = (katran_hash(&f, 1) % KATRAN_RING) % 3;
	check_katran_encap(&o, &tcp, &f, expect);
	assert_int_equal(bpf_map__lookup_elem(map("conn_table"), &f, sizeof(f), &real, 4, 0), 0);
	assert_int_equal(real, expect);

	/* VIP 1 (any port, hash without source port): both flows of the
	 * source land on the same real. */
	fb.sport = htons(5001);
	ipv4_pkt(&udp_a, IPPROTO_UDP, "10.9.8.7", "10.0.0.101", 5000, 53, 4);
	ipv4_pkt(&udp_b, IPPROTO_UDP, "10.9.8.7", "10.0.0.101", 5001, 53, 4);
	expect = 3 + (katran_hash(&fa, 0) % KATRAN_RING) % 2;
	run(udp_a.b, udp_a.n, &o);
	check_katran_encap(&o, &udp_a, &fa, expect);
	run(udp_b.b, udp_b.n, &o);
	check_katran_encap(&o, &udp_b, &fb, expect);

	assert_int_equal(percpu_u64_at("stats", 0, 0), 1);             /* VIP 0 packets */
	assert_int_equal(percpu_u64_at("stats", 0, 8), tcp.n);         /* VIP 0 bytes */
	assert_int_equal(percpu_u64_at("stats", 1, 0), 2);
	assert_int_equal(percpu_u64_at("stats", 16, 0), 3);            /* table misses */
}

static void test_katran_sticks_to_connection_table_and_filters(void **state)
{
	struct pb tcp = { .n = 0 }, novip = { .n = 0 }, frag = { .n = 0 };
	struct flow4_t f = { ip4("10.9.8.7"), ip4("10.0.0.100"), htons(40000), htons(80),
			     IPPROTO_TCP, { 0 } };
	uint32_t pinned = 4;
	uint16_t mf = htons(0x2000);
	struct run_out o;

	(void)state;
	load("lb_katran");
	katran_setup();
	map_put("conn_table", &f, sizeof(f), &pinned, 4);
	ipv4_pkt(&tcp, IPPROTO_TCP, "10.9.8.7", "10.0.0.100", 40000, 80, 20);
	run(tcp.b, tcp.n, &o);
	check_katran_encap(&o, &tcp, &f, pinned);   /* not the ring's choice (0..2) */
	assert_int_equal(percpu_u64_at("stats", 16, 0), 0);

	ipv4_pkt(&novip, IPPROTO_TCP, "10.9.8.7", "10.0.0.100", 40000, 81, 20);
	assert_int_equal(run(novip.b, novip.n, &o), XDP_PASS);
	assert_memory_equal(o.data, novip.b, novip.n);
	frag = tcp;
	memcpy(frag.b + 14 + 6, &mf, 2);             /* more fragments */
	assert_int_equal(run(frag.b, frag.n, &o), XDP_DROP);
}

/* ---- ddos_ratelimit ----------------------------------------------------- */

static void test_ratelimit_drops_after_burst_per_source(void **state)
{
	uint64_t cfg[2] = { 1, 3 };  /* 1 packet/s, burst 3 */
	struct pb a = { .n = 0 }, b = { .n = 0 }, v6 = { .n = 0 };
	uint32_t zero = 0, src = ip4("10.0.0.1");
	uint64_t bucket[2];
	struct run_out o;

	(void)state;
	load("ddos_ratelimit");
	map_put("rl_config", &zero, 4, cfg, sizeof(cfg));
	ipv4_pkt(&a, IPPROTO_UDP, "10.0.0.1", "10.0.0.9", 1000, 53, 10);
	ipv4_pkt(&b, IPPROTO_UDP, "10.0.0.2", "10.0.0.9", 1000, 53, 10);
	ipv6_pkt(&v6, IPPROTO_UDP, "2001:db8::1", "2001:db8::2", 1000, 53, 10);

	/* The whole test takes far less than the second a token needs. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(run(a.b, a.n, &o), XDP_PASS);
	assert_int_equal(run(a.b, a.n, &o), XDP_DROP);
	assert_int_equal(run(a.b, a.n, &o), XDP_DROP);
	assert_int_equal(run(b.b, b.n, &o), XDP_PASS);   /* its own bucket */
	assert_int_equal(run(v6.b, v6.n, &o), XDP_PASS); /* not limited */
	assert_int_equal(percpu_u64_at("rl_stats", 0, 0), 4);
	assert_int_equal(percpu_u64_at("rl_stats", 1, 0), 2);
	assert_int_equal(bpf_map__lookup_elem(map("buckets"), &src, 4, bucket, 16, 0), 0);
	assert_true(bucket[0] < 1000000000ull);          /* less than one token */
}

/* ---- vlan_classifier ---------------------------------------------------- */

static void vlan_policy_put(uint16_t outer, uint16_t inner, uint32_t action, uint32_t flags)
{
	uint16_t key[2] = { outer, inner };
	uint32_t pol[3] = { action, 0, flags };

	map_put("vlan_policy", key, sizeof(key), pol, sizeof(pol));
}

static void tagged_pkt(struct pb *p, uint16_t tpid, uint16_t outer, int inner)
{
	put_eth(p, tpid);
	if (inner >= 0) {
		put_tag(p, outer, 0x8100);
		put_tag(p, (uint16_t)inner, 0x0800);
	} else {
		put_tag(p, outer, 0x0800);
	}
	put_ipv4(p, IPPROTO_UDP, "10.0.0.1", "10.0.0.2", 64, 8 + 6);
	put_l4(p, IPPROTO_UDP, 1000, 53, 6);
}

static void test_vlan_classifier_steers_by_tags(void **state)
{
	struct pb v10 = { .n = 0 }, v20 = { .n = 0 }, v30 = { .n = 0 }, q200 = { .n = 0 };
	struct pb q300 = { .n = 0 }, untagged = { .n = 0 };
	struct run_out o;

	(void)state;
	load("vlan_classifier");
	vlan_policy_put(10, 0, XDP_DROP, 0);
	vlan_policy_put(20, 0, XDP_TX, 0);
	vlan_policy_put(30, 0, XDP_REDIRECT, 1);  /* pop the tag */
	vlan_policy_put(100, 200, XDP_PASS, 0);
	vlan_policy_put(100, 0, XDP_DROP, 0);
	map_put_u32("vlan_ports", 0, 1);
	tagged_pkt(&v10, 0x8100, 10, -1);
	tagged_pkt(&v20, 0x8100, 20 | 0x6000, -1);   /* priority bits ignored */
	tagged_pkt(&v30, 0x8100, 30, -1);
	tagged_pkt(&q200, 0x88a8, 100, 200);
	tagged_pkt(&q300, 0x88a8, 100, 300);
	ipv4_pkt(&untagged, IPPROTO_UDP, "10.0.0.1", "10.0.0.2", 1000, 53, 6);

	assert_int_equal(run(v10.b, v10.n, &o), XDP_DROP);
	assert_int_equal(run(v20.b, v20.n, &o), XDP_TX);
	assert_memory_equal(o.data, v20.b, v20.n);
	assert_int_equal(run(v30.b, v30.n, &o), XDP_REDIRECT);
	assert_int_equal(o.len, v30.n - 4);
	assert_memory_equal(o.data, v30.b, 12);            /* MACs kept */
	assert_memory_equal(o.data + 12, v30.b + 16, v30.n - 16);
	assert_int_equal(run(q200.b, q200.n, &o), XDP_PASS);
	assert_int_equal(run(q300.b, q300.n, &o), XDP_DROP);  /* {100, any} */
	assert_int_equal(run(untagged.b, untagged.n, &o), XDP_PASS);

	assert_int_equal(percpu_u64_at("vlan_stats", 10, 0), 1);
	assert_int_equal(percpu_u64_at("vlan_stats", 10, 8), v10.n);
	assert_int_equal(percpu_u64_at("vlan_stats", 100, 0), 2);
	assert_int_equal(percpu_u64_at("vlan_stats", 0, 0), 1);
}

/* ---- ipv6_exthdr -------------------------------------------------------- */

/* An 8-byte options header (hop-by-hop or destination) with PadN. */
static void put_opts8(struct pb *p, uint8_t next)
{
	put8(p, next);
	put8(p, 0);
	put8(p, 1);
	put8(p, 4);
	put32(p, 0);
}

/* A routing header of the given type with one address. */
static void put_rthdr(struct pb *p, uint8_t next, uint8_t type)
{
	put8(p, next);
	put8(p, 2);
	put8(p, type);
	put8(p, 1);
	put32(p, 0);
	put_addr(p, "2001:db8::77");
}

static void put_v6_head(struct pb *p, uint8_t first, size_t payload)
{
	put_eth(p, 0x86dd);
	put_ipv6(p, first, "2001:db8::1", "2001:db8::2", payload);
}

static void test_ipv6_exthdr_walks_chain_and_drops_rh0(void **state)
{
	struct pb opts = { .n = 0 }, rh0 = { .n = 0 }, rh2 = { .n = 0 }, v4 = { .n = 0 };
	struct run_out o;

	(void)state;
	load("ipv6_exthdr");
	put_v6_head(&opts, 0, 8 + 8 + 8);              /* HBH, DSTOPTS, UDP */
	put_opts8(&opts, 60);
	put_opts8(&opts, IPPROTO_UDP);
	put_l4(&opts, IPPROTO_UDP, 1000, 53, 0);
	put_v6_head(&rh0, 0, 8 + 24 + 8);              /* HBH, RH type 0, UDP */
	put_opts8(&rh0, 43);
	put_rthdr(&rh0, IPPROTO_UDP, 0);
	put_l4(&rh0, IPPROTO_UDP, 1000, 53, 0);
	put_v6_head(&rh2, 43, 24 + 20);                /* RH type 2, TCP */
	put_rthdr(&rh2, IPPROTO_TCP, 2);
	put_l4(&rh2, IPPROTO_TCP, 1000, 80, 0);
	ipv4_pkt(&v4, IPPROTO_UDP, "10.0.0.1", "10.0.0.2", 1000, 53, 10);

	assert_int_equal(run(opts.b, opts.n, &o), XDP_PASS);
	assert_int_equal(run(rh0.b, rh0.n, &o), XDP_DROP);
	assert_int_equal(run(rh2.b, rh2.n, &o), XDP_PASS);
	assert_int_equal(run(v4.b, v4.n, &o), XDP_PASS);
	assert_int_equal(percpu_u64_at("l4_count", IPPROTO_UDP, 0), 1);
	assert_int_equal(percpu_u64_at("l4_count", IPPROTO_TCP, 0), 1);
	assert_int_equal(bss_u64("rh0_dropped"), 1);
	assert_int_equal(bss_u64("truncated"), 0);
}

static void test_ipv6_exthdr_counts_fragments_truncation_and_depth(void **state)
{
	struct pb frag = { .n = 0 }, trunc = { .n = 0 }, deep = { .n = 0 };
	struct run_out o;

	(void)state;
	load("ipv6_exthdr");
	put_v6_head(&frag, 44, 8 + 16);                /* non-first fragment */
	put8(&frag, IPPROTO_UDP);
	put8(&frag, 0);
	put16(&frag, 185 << 3);
	put32(&frag, 0xabcd);
	put_fill(&frag, 16);
	put_v6_head(&trunc, 0, 8);                     /* HBH claims 88 bytes */
	put8(&trunc, 60);
	put8(&trunc, 10);
	put8(&trunc, 1);
	put8(&trunc, 4);
	put32(&trunc, 0);
	put_v6_head(&deep, 60, 9 * 8 + 8);             /* 9 DSTOPTS headers */
	for (int i = 0; i < 9; i++)
		put_opts8(&deep, i < 8 ? 60 : IPPROTO_UDP);
	put_l4(&deep, IPPROTO_UDP, 1000, 53, 0);

	assert_int_equal(run(frag.b, frag.n, &o), XDP_PASS);
	assert_int_equal(run(trunc.b, trunc.n, &o), XDP_PASS);
	assert_int_equal(run(deep.b, deep.n, &o), XDP_PASS);
	assert_int_equal(percpu_u64_at("l4_count", 44, 0), 1);
	assert_int_equal(percpu_u64_at("l4_count", IPPROTO_UDP, 0), 0);
	assert_int_equal(bss_u64("truncated"), 1);
	assert_int_equal(bss_u64("too_long"), 1);
	assert_int_equal(bss_u64("rh0_dropped"), 0);
}

/* ---- maps files --------------------------------------------------------- */

static const char *const prog_names[] = {
	"ipv6_filter", "xdp1_count", "xdp2_reflect", "adjust_tail", "router_ipv4",
	"rxq_info", "tx_ip_tunnel", "simple_firewall", "lb_katran", "ddos_ratelimit",
	"vlan_classifier", "ipv6_exthdr",
};

/* Every program has a maps file: JSON whose "maps" names only maps the
 * object defines. Needs no kernel (open, not load). */
static void test_maps_files_name_existing_maps(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(prog_names) / sizeof(prog_names[0]); i++) {
		char obj_path[256], json_path[256];
		struct json_object *root, *maps;
		struct bpf_object *obj;

		snprintf(obj_path, sizeof(obj_path), PROGS_OBJ_DIR "%s.o", prog_names[i]);
		snprintf(json_path, sizeof(json_path), PROGS_SRC_DIR "%s.maps.json", prog_names[i]);
		root = json_object_from_file(json_path);
		if (!root)
			fail_msg("%s: not JSON", json_path);
		assert_true(json_object_object_get_ex(root, "maps", &maps));
		assert_true(json_object_is_type(maps, json_type_object));
		obj = bpf_object__open_file(obj_path, NULL);
		if (!obj)
			fail_msg("%s: cannot open", obj_path);
		json_object_object_foreach(maps, name, entries) {
			if (!bpf_object__find_map_by_name(obj, name))
				fail_msg("%s: map %s not in %s", json_path, name, obj_path);
			assert_true(json_object_is_type(entries, json_type_array));
		}
		bpf_object__close(obj);
		json_object_put(root);
	}
}

#define T(f) cmocka_unit_test_teardown(f, close_obj)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_maps_files_name_existing_maps),
		T(test_ipv6_filter_passes_ipv6_drops_the_rest),
		T(test_xdp1_counts_by_protocol_and_drops),
		T(test_xdp2_reflects_udp_with_swapped_macs),
		T(test_adjust_tail_answers_big_ipv4_with_icmp_frag_needed),
		T(test_adjust_tail_passes_small_and_non_ipv4),
		T(test_router_forwards_longest_prefix_with_ttl_and_csum),
		T(test_router_passes_what_it_cannot_route),
		T(test_rxq_info_counts_queue_and_applies_config),
		T(test_tx_ip_tunnel_encapsulates_ipv4_vip),
		T(test_tx_ip_tunnel_encapsulates_ipv6_vip_and_passes_others),
		T(test_firewall_allows_inside_flows_and_their_replies_only),
		T(test_katran_picks_ring_real_and_encapsulates),
		T(test_katran_sticks_to_connection_table_and_filters),
		T(test_ratelimit_drops_after_burst_per_source),
		T(test_vlan_classifier_steers_by_tags),
		T(test_ipv6_exthdr_walks_chain_and_drops_rh0),
		T(test_ipv6_exthdr_counts_fragments_truncation_and_depth),
	};

	libbpf_set_print(libbpf_keep_log);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
