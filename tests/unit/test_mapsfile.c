/* test_mapsfile.c - the maps file (docs/maps-file.md): every byte-expression
 * form, BTF object keys/values (built in memory with libbpf), per-CPU
 * values, queue entries, fib/ifaces/ctx, every error message, and applying
 * a parsed file to maps. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <bpf/btf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maps/maps.h"

static char dir[] = "/tmp/jn_mapsfile_XXXXXX";
static char path[256];
static char err[512];
static struct btf *btf;
static uint32_t vip_id, val_id, u32_id, datasec_id, cfg_id;

enum { NSPECS = 13 };
static struct jn_map_spec specs[NSPECS];

static const struct jn_map_spec *by_name(void *user, const char *name)
{
	for (int i = 0; i < NSPECS; i++)
		if (specs[i].name && !strcmp(specs[i].name, name))
			return &specs[i];
	return NULL;
}

static long prog_by_name(void *user, const char *name)
{
	return !strcmp(name, "xdp_stage2") ? 1 : !strcmp(name, "xdp_main") ? 0 : -1;
}

static const struct jn_maps_init_env env = { by_name, prog_by_name, NULL };

/* struct vip { __u32 addr; __u16 port; __u8 proto; __u8 f:3, g:5; union { __u32 a; __u16 b; }; }
 * typedef struct vip vip_t;
 * struct val { struct inner { __u8 mac[6]; __u16 x; } in; __u32 ifindex; __u8 dmac[6]; };
 * struct cfg { __u32 action; };
 * .data: { __u16 port @0; __u32 count @4; } */
static void build_btf(void)
{
	int u8, u16, u32, vip, inner, arr, uni, val, v1, v2, cfg;

	btf = btf__new_empty();
	assert_non_null(btf);
	u8 = btf__add_int(btf, "unsigned char", 1, 0);
	u16 = btf__add_int(btf, "unsigned short", 2, 0);
	u32 = btf__add_int(btf, "unsigned int", 4, 0);
	uni = btf__add_union(btf, NULL, 4);
	btf__add_field(btf, "a", u32, 0, 0);
	btf__add_field(btf, "b", u16, 0, 0);
	vip = btf__add_struct(btf, "vip", 12);
	btf__add_field(btf, "addr", u32, 0, 0);
	btf__add_field(btf, "port", u16, 32, 0);
	btf__add_field(btf, "proto", u8, 48, 0);
	btf__add_field(btf, "f", u8, 56, 3);
	btf__add_field(btf, "g", u8, 59, 5);
	btf__add_field(btf, NULL, uni, 64, 0);
	vip_id = (uint32_t)btf__add_typedef(btf, "vip_t", vip);
	arr = btf__add_array(btf, u32, u8, 6);
	inner = btf__add_struct(btf, "inner", 8);
	btf__add_field(btf, "mac", arr, 0, 0);
	btf__add_field(btf, "x", u16, 48, 0);
	val = btf__add_struct(btf, "val", 20);
	btf__add_field(btf, "in", inner, 0, 0);
	btf__add_field(btf, "ifindex", u32, 64, 0);
	btf__add_field(btf, "dmac", arr, 96, 0);
	cfg = btf__add_struct(btf, "cfg", 4);
	btf__add_field(btf, "action", u32, 0, 0);
	cfg_id = (uint32_t)cfg;
	val_id = (uint32_t)btf__add_const(btf, val);
	u32_id = (uint32_t)u32;
	v1 = btf__add_var(btf, "port", BTF_VAR_GLOBAL_ALLOCATED, u16);
	v2 = btf__add_var(btf, "count", BTF_VAR_GLOBAL_ALLOCATED, u32);
	datasec_id = (uint32_t)btf__add_datasec(btf, ".data", 8);
	btf__add_datasec_var_info(btf, v1, 0, 2);
	btf__add_datasec_var_info(btf, v2, 4, 4);
	assert_true(vip_id > 0 && val_id > 0 && datasec_id > 0);
}

static void spec(int i, const char *name, uint32_t type, uint32_t ks, uint32_t vs, uint32_t kid,
		 uint32_t vid)
{
	specs[i] = (struct jn_map_spec){ .name = name, .type = type, .key_size = ks,
					 .value_size = vs, .max_entries = 4, .ncpus = 2,
					 .btf = btf, .btf_key_type_id = kid, .btf_value_type_id = vid };
	if (type == BPF_MAP_TYPE_LPM_TRIE)
		specs[i].map_flags = BPF_F_NO_PREALLOC;
}

static int setup(void **state)
{
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f.json", dir);
	build_btf();
	spec(0, "h", BPF_MAP_TYPE_HASH, 4, 8, 0, 0);
	spec(1, "small", BPF_MAP_TYPE_ARRAY, 4, 1, 0, 0);
	spec(2, "strs", BPF_MAP_TYPE_HASH, 16, 4, 0, 0);
	spec(3, "jmp", BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 0, 0);
	spec(4, "parts", BPF_MAP_TYPE_HASH, 40, 4, 0, 0);
	spec(5, "routes", BPF_MAP_TYPE_LPM_TRIE, 8, 20, 0, val_id);
	spec(6, "vips", BPF_MAP_TYPE_HASH, 12, 4, vip_id, u32_id);
	spec(7, "counts", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 4, 0, 0);
	spec(8, "q", BPF_MAP_TYPE_QUEUE, 0, 2, 0, 0);
	spec(9, ".data", BPF_MAP_TYPE_ARRAY, 4, 8, u32_id, datasec_id);
	spec(10, "events", BPF_MAP_TYPE_RINGBUF, 0, 0, 0, 0);
	spec(11, "config", BPF_MAP_TYPE_ARRAY, 4, 4, 0, cfg_id);
	spec(12, "pch", BPF_MAP_TYPE_PERCPU_HASH, 4, 8, 0, 0);
	specs[10].max_entries = 4096;
	return 0;
}

static int teardown(void **state)
{
	unlink(path);
	rmdir(dir);
	btf__free(btf);
	return 0;
}

/* Write text to the file and parse it; returns the result, init in *out. */
static int load(const char *text, struct jn_maps_init **out)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	err[0] = 0;
	return jn_maps_init_load(path, &env, out, err, sizeof(err));
}

/* Parse a file expected to fail; check the message after "maps: FILE: ". */
static void load_fails(const char *text, const char *msg)
{
	struct jn_maps_init *init = (void *)1;
	char want[600];

	assert_int_not_equal(load(text, &init), 0);
	assert_null(init);
	snprintf(want, sizeof(want), "maps: %s: %s", path, msg);
	assert_string_equal(err, want);
}

/* Hex of the n-th entry's key or value. */
static const char *hexof(const uint8_t *p, size_t n)
{
	static char buf[1024];

	for (size_t i = 0; i < n; i++)
		sprintf(buf + 2 * i, "%02x", p[i]);
	buf[2 * n] = 0;
	return buf;
}

struct bad {
	const char *json, *msg;
};

static void load_fails_all(const struct bad *cases, size_t n)
{
	for (size_t i = 0; i < n; i++)
		load_fails(cases[i].json, cases[i].msg);
}

static struct jn_maps_init *load_ok(const char *text)
{
	struct jn_maps_init *init = NULL;

	if (load(text, &init))
		fail_msg("load: %s", err);
	return init;
}

static void test_integer_forms(void **state)
{
	struct jn_maps_init *init = load_ok(
		"{\"maps\": {\"h\": [{\"key\": 5, \"value\": -1}, {\"key\": 4294967295, "
		"\"value\": 18446744073709551615}], \"small\": [{\"key\": 0, \"value\": 255}]}}");

	assert_int_equal(init->n_entries, 3);
	assert_string_equal(init->entries[0].map, "h");
	assert_string_equal(hexof(init->entries[0].key, 4), "05000000");
	assert_string_equal(hexof(init->entries[0].value, 8), "ffffffffffffffff");
	assert_string_equal(hexof(init->entries[1].key, 4), "ffffffff");
	assert_string_equal(hexof(init->entries[1].value, 8), "ffffffffffffffff");
	assert_int_equal(init->entries[1].index, 1);
	assert_string_equal(hexof(init->entries[2].value, 1), "ff");
	jn_maps_init_free(init);
	static const struct bad cases[] = {
		{ "{\"maps\": {\"small\": [{\"key\": 0, \"value\": 300}]}}",
		  "maps.small[0].value: 300 does not fit in 1 bytes" },
		{ "{\"maps\": {\"h\": [{\"key\": 4294967296, \"value\": 1}]}}",
		  "maps.h[0].key: 4294967296 does not fit in 4 bytes" },
		{ "{\"maps\": {\"h\": [{\"key\": 1.5, \"value\": 1}]}}",
		  "maps.h[0].key: expected an integer, a string, an array or an object, got 1.5" },
	};
	load_fails_all(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_string_forms(void **state)
{
	struct jn_maps_init *init = load_ok(
		"{\"maps\": {\"strs\": [{\"key\": \"10.0.0.1\", \"value\": \"0x0a0b0c\"},"
		"{\"key\": \"fe80::1\", \"value\": 1}, {\"key\": \"02:00:00:00:00:0A\", \"value\": 1}],"
		"\"jmp\": [{\"key\": 0, \"value\": \"prog:xdp_stage2\"}]}}");

	assert_string_equal(hexof(init->entries[0].key, 16), "0a000001000000000000000000000000");
	assert_string_equal(hexof(init->entries[0].value, 4), "0a0b0c00");
	assert_string_equal(hexof(init->entries[1].key, 16), "fe800000000000000000000000000001");
	assert_string_equal(hexof(init->entries[2].key, 16), "02000000000a00000000000000000000");
	assert_string_equal(hexof(init->entries[3].value, 4), "01000000");
	jn_maps_init_free(init);
	static const struct bad cases[] = {
		{ "{\"maps\": {\"jmp\": [{\"key\": 0, \"value\": \"prog:nope\"}]}}",
		  "maps.jmp[0].value: no program called \"nope\" in the object" },
		{ "{\"maps\": {\"strs\": [{\"key\": \"hello\", \"value\": 1}]}}",
		  "maps.strs[0].key: cannot parse \"hello\" (an IPv4, IPv6 or MAC address, "
		  "0x hex or prog:NAME)" },
		{ "{\"maps\": {\"strs\": [{\"key\": \"0xabc\", \"value\": 1}]}}",
		  "maps.strs[0].key: bad hex string \"0xabc\"" },
		{ "{\"maps\": {\"strs\": [{\"key\": \"10.0.0.256\", \"value\": 1}]}}",
		  "maps.strs[0].key: cannot parse \"10.0.0.256\" (an IPv4, IPv6 or MAC address, "
		  "0x hex or prog:NAME)" },
	};
	load_fails_all(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_array_parts(void **state)
{
	struct jn_maps_init *init = load_ok(
		"{\"maps\": {\"parts\": [{\"key\": [{\"u8\": 1}, {\"u16\": 515}, {\"be16\": 1029},"
		"{\"u32\": 1}, {\"be32\": 2}, {\"pad\": 2}, {\"u64\": 3}, {\"be64\": 4}, \"1.2.3.4\"],"
		"\"value\": [{\"u8\": -1}]}], \"routes\": [{\"key\": [{\"u32\": 24}, \"10.1.0.0\"],"
		"\"value\": 0}]}}");

	assert_string_equal(hexof(init->entries[0].key, 40),
			    "01" "0302" "0405" "01000000" "00000002" "0000" "0300000000000000"
			    "0000000000000004" "01020304" "0000000000");
	assert_string_equal(hexof(init->entries[0].value, 4), "ff000000");
	assert_string_equal(hexof(init->entries[1].key, 8), "180000000a010000");
	jn_maps_init_free(init);
	static const struct bad cases[] = {
		{ "{\"maps\": {\"parts\": [{\"key\": [5], \"value\": 1}]}}",
		  "maps.parts[0].key[0]: a part is a string or one of {\"u8\"|\"u16\"|\"u32\"|"
		  "\"u64\"|\"be16\"|\"be32\"|\"be64\"|\"pad\": n}" },
		{ "{\"maps\": {\"parts\": [{\"key\": [{\"u8\": 1, \"u16\": 2}], \"value\": 1}]}}",
		  "maps.parts[0].key[0]: a part is a string or one of {\"u8\"|\"u16\"|\"u32\"|"
		  "\"u64\"|\"be16\"|\"be32\"|\"be64\"|\"pad\": n}" },
		{ "{\"maps\": {\"parts\": [{\"key\": [{\"u8\": 256}], \"value\": 1}]}}",
		  "maps.parts[0].key[0]: 256 does not fit in 1 bytes" },
		{ "{\"maps\": {\"parts\": [{\"key\": [{\"pad\": -1}], \"value\": 1}]}}",
		  "maps.parts[0].key[0]: -1 is out of range 0..1048576" },
	};
	load_fails_all(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_longer_than_key_names_file_and_place(void **state)
{
	static const struct bad cases[] = {
		{ "{\"maps\": {\"routes\": [{\"key\": [{\"u32\": 8}, \"10.0.0.0\"], \"value\": 0},"
		  "{\"key\": [{\"u32\": 8}, \"11.0.0.0\"], \"value\": 0},"
		  "{\"key\": [{\"u32\": 8}, \"10.0.0.0\", {\"u8\": 1}], \"value\": 0}]}}",
		  "maps.routes[2].key: 9 bytes, key_size is 8" },
		{ "{\"maps\": {\"h\": [{\"key\": 1, \"value\": \"0x112233445566778899\"}]}}",
		  "maps.h[0].value: 9 bytes, value_size is 8" },
	};
	load_fails_all(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_btf_object_keys_and_values(void **state)
{
	struct jn_maps_init *init = load_ok(
		"{\"maps\": {\"vips\": [{\"key\": {\"addr\": \"10.0.0.10\", \"port\": {\"be16\": 80},"
		"\"proto\": 6, \"f\": 5, \"g\": 17, \"b\": 258}, \"value\": 0}],"
		"\"routes\": [{\"key\": [{\"u32\": 24}, \"10.1.0.0\"], \"value\": {\"ifindex\": 2,"
		"\"in\": {\"mac\": \"02:00:00:00:00:02\", \"x\": 772}}}],"
		"\".data\": [{\"key\": 0, \"value\": {\"count\": 7, \"port\": {\"be16\": 53}}}]}}");

	assert_string_equal(hexof(init->entries[0].key, 12), "0a00000a0050068d02010000");
	assert_string_equal(hexof(init->entries[1].value, 20),
			    "0200000000020403" "02000000" "0000000000000000");
	assert_string_equal(hexof(init->entries[2].value, 8), "0035000007000000");
	jn_maps_init_free(init);
	static const struct bad cases[] = {
		{ "{\"maps\": {\"vips\": [{\"key\": {\"nope\": 1}, \"value\": 0}]}}",
		  "maps.vips[0].key.nope: no member nope in struct vip" },
		{ "{\"maps\": {\"vips\": [{\"key\": {\"port\": \"10.0.0.1\"}, \"value\": 0}]}}",
		  "maps.vips[0].key.port: 4 bytes, member size is 2" },
		{ "{\"maps\": {\"vips\": [{\"key\": {\"f\": 8}, \"value\": 0}]}}",
		  "maps.vips[0].key.f: 8 does not fit in 3 bits" },
		{ "{\"maps\": {\"vips\": [{\"key\": 1, \"value\": {\"a\": 1}}]}}",
		  "maps.vips[0].value: an object needs a struct type, the BTF type is int" },
		{ "{\"maps\": {\"h\": [{\"key\": {\"a\": 1}, \"value\": 0}]}}",
		  "maps.h[0].key: an object needs the map's BTF type (none known)" },
		{ "{\"maps\": {\"routes\": [{\"key\": 0, \"value\": {\"in\": {\"mac\": 281474976710656}}}]}}",
		  "maps.routes[0].value.in.mac: 281474976710656 does not fit in 6 bytes" },
	};
	load_fails_all(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_percpu_value_and_values(void **state)
{
	struct jn_maps_init *init = load_ok(
		"{\"maps\": {\"counts\": [{\"key\": 0, \"value\": 7}, {\"key\": 1, \"values\": [1]}],"
		"\"pch\": [{\"key\": 3, \"values\": [1, 2]}]}}");

	assert_int_equal(init->entries[0].value_len, 16);
	assert_string_equal(hexof(init->entries[0].value, 16), "07000000000000000700000000000000");
	assert_string_equal(hexof(init->entries[1].value, 16), "01000000000000000000000000000000");
	assert_string_equal(hexof(init->entries[2].value, 16), "01000000000000000200000000000000");
	jn_maps_init_free(init);
	static const struct bad cases[] = {
		{ "{\"maps\": {\"counts\": [{\"key\": 0, \"values\": [1, 2, 3]}]}}",
		  "maps.counts[0].values: 3 values, the map has 2 CPUs" },
		{ "{\"maps\": {\"counts\": [{\"key\": 0, \"values\": 1}]}}",
		  "maps.counts[0].values: expected a list of values, one per CPU" },
		{ "{\"maps\": {\"h\": [{\"key\": 0, \"values\": [1]}]}}",
		  "maps.h[0]: entry needs one \"value\"" },
		{ "{\"maps\": {\"counts\": [{\"key\": 0, \"value\": 1, \"values\": [1]}]}}",
		  "maps.counts[0]: entry needs one \"value\" or \"values\" (one per CPU)" },
	};
	load_fails_all(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_queue_and_output_map_entries(void **state)
{
	struct jn_maps_init *init = load_ok("{\"maps\": {\"q\": [{\"value\": 5}, {\"value\": 6}]}}");

	assert_int_equal(init->n_entries, 2);
	assert_null(init->entries[0].key);
	assert_string_equal(hexof(init->entries[1].value, 2), "0600");
	jn_maps_init_free(init);
	static const struct bad cases[] = {
		{ "{\"maps\": {\"q\": [{\"key\": 0, \"value\": 5}]}}",
		  "maps.q[0]: queue entries have only a \"value\"" },
		{ "{\"maps\": {\"events\": [{\"key\": 0, \"value\": 5}]}}",
		  "maps.events[0]: ringbuf is an output map, it takes no entries" },
		{ "{\"maps\": {\"h\": [{\"value\": 5}]}}", "maps.h[0]: entry has no \"key\"" },
		{ "{\"maps\": {\"h\": [{\"key\": 1, \"value\": 5, \"vaule\": 1}]}}",
		  "maps.h[0]: unknown member \"vaule\"" },
		{ "{\"maps\": {\"h\": [7]}}",
		  "maps.h[0]: expected an entry {\"key\": ..., \"value\": ...}" },
		{ "{\"maps\": {\"h\": {\"key\": 1}}}", "maps.h: expected a list of entries" },
		{ "{\"maps\": {\"nosuch\": []}}", "maps.nosuch: the object has no map called nosuch" },
		{ "{\"maps\": []}", "maps: expected an object of map names" },
	};
	load_fails_all(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_fib_ifaces_ctx(void **state)
{
	struct jn_maps_init *init = load_ok(
		"{\"fib\": [{\"dst\": \"10.1.0.0/16\", \"ifindex\": 2, \"smac\": \"02:00:00:00:00:01\","
		"\"dmac\": \"02:00:00:00:00:02\", \"gateway\": \"10.1.0.1\"},"
		"{\"dst\": \"2001:db8::/32\", \"ifindex\": 3}, {\"dst\": \"192.168.1.1\", \"ifindex\": 4}],"
		"\"ifaces\": [{\"ifindex\": 2, \"mtu\": 9000}, {\"ifindex\": 3}],"
		"\"ctx\": {\"ingress_ifindex\": 2, \"rx_queue_index\": 1}}");
	uint8_t a[16];

	assert_int_equal(init->n_routes, 3);
	assert_int_equal(init->routes[0].family, AF_INET);
	assert_int_equal(init->routes[0].plen, 16);
	inet_pton(AF_INET, "10.1.0.0", a);
	assert_memory_equal(init->routes[0].dst, a, 4);
	assert_true(init->routes[0].has_gw);
	inet_pton(AF_INET, "10.1.0.1", a);
	assert_memory_equal(init->routes[0].gw, a, 4);
	assert_int_equal(init->routes[0].smac[5], 1);
	assert_int_equal(init->routes[0].dmac[5], 2);
	assert_int_equal(init->routes[1].family, AF_INET6);
	assert_int_equal(init->routes[1].plen, 32);
	assert_false(init->routes[1].has_gw);
	assert_int_equal(init->routes[2].plen, 32);
	assert_int_equal(init->n_ifaces, 2);
	assert_int_equal(init->ifaces[0].mtu, 9000);
	assert_int_equal(init->ifaces[1].ifindex, 3);
	assert_int_equal(init->ifaces[1].mtu, 1500);
	assert_int_equal(init->ingress_ifindex, 2);
	assert_int_equal(init->rx_queue_index, 1);
	jn_maps_init_free(init);

	init = load_ok("{}");   /* defaults */
	assert_int_equal(init->n_ifaces, 1);
	assert_int_equal(init->ifaces[0].ifindex, 1);
	assert_int_equal(init->ifaces[0].mtu, 65536);
	assert_int_equal(init->ingress_ifindex, 1);
	assert_int_equal(init->rx_queue_index, 0);
	jn_maps_init_free(init);
	init = jn_maps_init_empty();
	assert_int_equal(init->n_ifaces, 1);
	assert_int_equal(init->n_entries, 0);
	jn_maps_init_free(init);

	static const struct bad cases[] = {
		{ "{\"fib\": [{\"dst\": \"10.0.0.0/33\", \"ifindex\": 2}]}",
		  "fib[0]: bad prefix length in \"10.0.0.0/33\"" },
		{ "{\"fib\": [{\"dst\": \"10.0.0.0/8\", \"ifindex\": 2, \"gateway\": \"fe80::1\"}]}",
		  "fib[0].gateway: expected an IPv4 address" },
		{ "{\"fib\": [{\"dst\": \"10.0.0.0/8\"}]}", "fib[0]: route needs \"ifindex\"" },
		{ "{\"fib\": [{\"dst\": \"10.0.0.0/8\", \"ifindex\": 2, \"smac\": \"x\"}]}",
		  "fib[0].smac: expected a MAC address \"02:00:00:00:00:01\"" },
		{ "{\"fib\": [{\"dst\": \"10.0.0.0/8\", \"ifindex\": 2, \"via\": 1}]}",
		  "fib[0]: unknown member \"via\"" },
		{ "{\"ifaces\": [{\"mtu\": 1}]}", "ifaces[0]: interface needs \"ifindex\"" },
		{ "{\"ifaces\": [{\"ifindex\": -2}]}", "ifaces[0].ifindex: -2 is out of range 0..4294967295" },
		{ "{\"ctx\": {\"ingress\": 1}}", "ctx: unknown member \"ingress\"" },
		{ "{\"ctx\": {\"rx_queue_index\": \"x\"}}",
		  "ctx.rx_queue_index: expected an integer, got \"x\"" },
	};
	load_fails_all(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_file_level_errors(void **state)
{
	struct jn_maps_init *init = (void *)1;
	char want[300];

	static const struct bad cases[] = {
		{ "{\n\"maps\": {\n\"h\": [,]\n}}", "line 3: unexpected character" },
		{ "{\"maps\": {}", "line 1: unexpected end of file" },
		{ "{} x", "line 1: text after the JSON value" },
		{ "[1]", "expected a JSON object at the top level" },
		{ "{\"mapz\": {}}", "unknown member \"mapz\"" },
	};
	load_fails_all(cases, sizeof(cases) / sizeof(cases[0]));
	assert_int_equal(jn_maps_init_load("/nonexistent/x.json", &env, &init, err, sizeof(err)),
			 -ENOENT);
	assert_null(init);
	snprintf(want, sizeof(want), "maps: /nonexistent/x.json: %s", strerror(ENOENT));
	assert_string_equal(err, want);
}

/* The example in docs/maps-file.md parses as written. */
static void test_doc_example_parses(void **state)
{
	struct jn_maps_init *init = NULL;
	uint8_t *text = NULL;
	FILE *f = fopen("docs/maps-file.md", "r");
	char line[512];
	size_t len = 0;
	bool in = false;

	assert_non_null(f);
	text = calloc(1, 8192);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "```", 3)) {
			if (in)
				break;
			in = !strncmp(line, "```json", 7);
			continue;
		}
		if (in && len + strlen(line) < 8192) {
			memcpy(text + len, line, strlen(line));
			len += strlen(line);
		}
	}
	fclose(f);
	assert_true(len > 0);
	if (load((const char *)text, &init))
		fail_msg("%s", err);
	free(text);
	assert_int_equal(init->n_entries, 5);
	assert_int_equal(init->n_routes, 1);
	assert_string_equal(hexof(init->entries[1].key, 12), "0a00000a0050060000000000");
	assert_string_equal(hexof(init->entries[3].value, 4), "01000000");
	jn_maps_init_free(init);
}

static void test_apply_fills_maps_and_reports_failures(void **state)
{
	struct jn_map *m[3] = { NULL };
	struct jn_maps_init *init;
	uint64_t v;

	assert_int_equal(jn_map_create(&specs[0], &m[0], err, sizeof(err)), 0);   /* h, 4 entries */
	assert_int_equal(jn_map_create(&specs[8], &m[1], err, sizeof(err)), 0);   /* q */
	assert_int_equal(jn_map_create(&specs[7], &m[2], err, sizeof(err)), 0);   /* counts */
	init = load_ok("{\"maps\": {\"h\": [{\"key\": 1, \"value\": 10}, {\"key\": 1, \"value\": 11}],"
		       "\"q\": [{\"value\": 5}, {\"value\": 6}], \"counts\": [{\"key\": 1, \"values\": [3, 4]}]}}");
	assert_int_equal(jn_maps_init_apply(init, m, 3, err, sizeof(err)), 0);
	assert_int_equal(jn_map_sys_lookup(m[0], &(uint32_t){ 1 }, &v), 0);
	assert_int_equal(v, 11);
	uint16_t q;
	assert_int_equal(jn_map_pop(m[1], &q), 0);
	assert_int_equal(q, 5);
	assert_int_equal(*(uint32_t *)jn_map_lookup(m[2], &(uint32_t){ 1 }, 1), 4);
	assert_int_equal(jn_maps_init_apply(init, m, 1, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "maps: map q: no such map");
	jn_maps_init_free(init);

	init = load_ok("{\"maps\": {\"h\": [{\"key\": 1, \"value\": 0}, {\"key\": 2, \"value\": 0},"
		       "{\"key\": 3, \"value\": 0}, {\"key\": 4, \"value\": 0}, {\"key\": 5, \"value\": 0}]}}");
	assert_int_equal(jn_maps_init_apply(init, m, 1, err, sizeof(err)), -E2BIG);
	char want[200];
	snprintf(want, sizeof(want), "maps: map h: entry 4: %s", strerror(E2BIG));
	assert_string_equal(err, want);
	jn_maps_init_free(init);
	for (int i = 0; i < 3; i++)
		jn_map_free(m[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integer_forms),
		cmocka_unit_test(test_string_forms),
		cmocka_unit_test(test_array_parts),
		cmocka_unit_test(test_longer_than_key_names_file_and_place),
		cmocka_unit_test(test_btf_object_keys_and_values),
		cmocka_unit_test(test_percpu_value_and_values),
		cmocka_unit_test(test_queue_and_output_map_entries),
		cmocka_unit_test(test_fib_ifaces_ctx),
		cmocka_unit_test(test_file_level_errors),
		cmocka_unit_test(test_doc_example_parses),
		cmocka_unit_test(test_apply_fills_maps_and_reports_failures),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
