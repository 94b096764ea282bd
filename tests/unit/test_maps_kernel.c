/* test_maps_kernel.c - cross-check against the kernel: the same map created
 * with bpf_map_create and with jn_map_create, the same seeded random
 * sequence of syscall updates/deletes/lookups/get_next_key applied to both,
 * every return code and value compared, then the final contents.  Skipped
 * (one line) where bpf() is refused.  JN_MAPS_SEED=n picks another sequence.  LRU maps are only checked below
 * max_entries: the kernel's LRU evicts in batches, ours exactly. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maps/maps.h"

enum { NOPS = 3000, MAXV = 4096 };

struct pair {
	const char *name;
	int fd;
	struct jn_map *m;
	struct jn_map_spec s;
	size_t vsz;                /* syscall value size */
	uint64_t rng;
};

static bool kernel_ok;
static int ncpus;

static uint64_t rnd(struct pair *p)
{
	p->rng ^= p->rng << 13;
	p->rng ^= p->rng >> 7;
	p->rng ^= p->rng << 17;
	return p->rng;
}

static void pair_open(struct pair *p, const char *name, uint32_t type, uint32_t ks, uint32_t vs,
		      uint32_t max, uint32_t flags)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = flags);
	char err[256];

	memset(p, 0, sizeof(*p));
	p->name = name;
	p->rng = 0x9e3779b97f4a7c15ULL ^ type;
	if (getenv("JN_MAPS_SEED"))   /* other sequences: JN_MAPS_SEED=n */
		p->rng ^= strtoull(getenv("JN_MAPS_SEED"), NULL, 0) * 0x100000001b3ULL;
	p->s = (struct jn_map_spec){ .name = name, .type = type, .key_size = ks, .value_size = vs,
				     .max_entries = max, .map_flags = flags, .ncpus = (uint32_t)ncpus };
	p->fd = bpf_map_create(type, NULL, ks, vs, max, &o);
	if (p->fd < 0)
		fail_msg("%s: kernel map create: %s", name, strerror(errno));
	if (jn_map_create(&p->s, &p->m, err, sizeof(err)))
		fail_msg("%s: %s", name, err);
	p->vsz = jn_map_sys_value_size(p->m);
}

static void pair_close(struct pair *p)
{
	close(p->fd);
	jn_map_free(p->m);
}

static const char *hex(const void *b, size_t n)
{
	static char buf[2 * 64 + 1];
	const uint8_t *u = b;

	n = n > 64 ? 64 : n;
	for (size_t i = 0; i < n; i++)
		sprintf(buf + 2 * i, "%02x", u[i]);
	buf[2 * n] = 0;
	return buf;
}

static int kr(int r)
{
	return r < 0 ? -errno : r;
}

static uint64_t last_flags;

static void same(struct pair *p, int op, const char *what, const void *key, int rk, int rj)
{
	if (rk != rj)
		fail_msg("%s: op %d: %s key %s (flags %llu): kernel %d, jitnic %d", p->name, op,
			 what, key ? hex(key, p->s.key_size) : "-", (unsigned long long)last_flags,
			 rk, rj);
}

static void check_lookup(struct pair *p, int op, const void *key)
{
	uint8_t vk[MAXV] = { 0 }, vj[MAXV] = { 0 };
	int rk = kr(bpf_map_lookup_elem(p->fd, key, vk));
	int rj = jn_map_sys_lookup(p->m, key, vj);

	same(p, op, "lookup", key, rk, rj);
	if (!rk && memcmp(vk, vj, p->vsz))
		fail_msg("%s: op %d: lookup %s: kernel value %s", p->name, op,
			 hex(key, p->s.key_size), hex(vk, p->vsz));
}

/* get_next_key from key (NULL: first) in both; 0 and the key, or -errno */
static int next_both(struct pair *p, int op, const void *key, void *nk, bool compare_keys)
{
	uint8_t nj[MAXV];
	int rk = kr(bpf_map_get_next_key(p->fd, key, nk));
	int rj = jn_map_sys_next_key(p->m, key, nj);

	same(p, op, "next_key", key, rk, rj);
	if (!rk && compare_keys && memcmp(nk, nj, p->s.key_size))
		fail_msg("%s: op %d: next_key: kernel %s", p->name, op, hex(nk, p->s.key_size));
	return rk;
}

static int cmp_key_size;
static int cmp_keys(const void *a, const void *b)
{
	return memcmp(a, b, (size_t)cmp_key_size);
}

/* Every key of a map by get_next_key, sorted; returns the count. */
static size_t all_keys(struct pair *p, bool kernel, uint8_t *keys, size_t cap)
{
	size_t n = 0;
	uint8_t *prev = NULL;

	while (n < cap) {
		uint8_t *k = keys + n * p->s.key_size;
		int r = kernel ? kr(bpf_map_get_next_key(p->fd, prev, k))
			       : jn_map_sys_next_key(p->m, prev, k);
		if (r)
			break;
		prev = k;
		n++;
	}
	cmp_key_size = (int)p->s.key_size;
	qsort(keys, n, p->s.key_size, cmp_keys);
	return n;
}

static void check_contents(struct pair *p)
{
	size_t cap = (size_t)p->s.max_entries + 8, nk, nj;
	uint8_t *kk = calloc(cap, p->s.key_size), *kj = calloc(cap, p->s.key_size);

	nk = all_keys(p, true, kk, cap);
	nj = all_keys(p, false, kj, cap);
	if (nk != nj || memcmp(kk, kj, nk * p->s.key_size))
		fail_msg("%s: final keys differ: kernel %zu, jitnic %zu", p->name, nk, nj);
	for (size_t i = 0; i < nk; i++)
		check_lookup(p, -1, kk + i * p->s.key_size);
	free(kk);
	free(kj);
}

/* Keys and values each type's random sequence uses. */
static void gen_key(struct pair *p, uint8_t *key)
{
	uint32_t t = p->s.type, max = p->s.max_entries;
	uint64_t k;

	memset(key, 0, p->s.key_size);
	if (t == BPF_MAP_TYPE_LPM_TRIE) {
		static const uint32_t plens[] = { 0, 4, 8, 12, 16, 20, 24, 28, 32, 33 };
		uint32_t plen = plens[rnd(p) % 10];
		memcpy(key, &plen, 4);
		key[4] = (uint8_t)(10 + rnd(p) % 2);
		for (uint32_t i = 5; i < p->s.key_size; i++)
			key[i] = (uint8_t)(rnd(p) % 3 * 0x41);
		return;
	}
	if (t == BPF_MAP_TYPE_LRU_HASH || t == BPF_MAP_TYPE_LRU_PERCPU_HASH)
		k = rnd(p) % (max * 3 / 4);
	else if (t == BPF_MAP_TYPE_HASH || t == BPF_MAP_TYPE_PERCPU_HASH ||
		 t == BPF_MAP_TYPE_DEVMAP_HASH)
		k = rnd(p) % (max * 2) * 0x01000193;
	else
		k = rnd(p) % (max + 2);
	memcpy(key, &k, p->s.key_size < 8 ? p->s.key_size : 8);
}

static void gen_value(struct pair *p, uint8_t *v)
{
	static const uint32_t qsizes[] = { 0, 64, 20000 };
	uint32_t u;

	for (size_t i = 0; i < p->vsz; i++)
		v[i] = (uint8_t)rnd(p);
	if (p->s.type == BPF_MAP_TYPE_DEVMAP || p->s.type == BPF_MAP_TYPE_DEVMAP_HASH) {
		u = (uint32_t)(rnd(p) % 2);   /* 1 = lo, the one device surely there */
		memcpy(v, &u, 4);
	} else if (p->s.type == BPF_MAP_TYPE_CPUMAP) {
		memcpy(v, &qsizes[rnd(p) % 3], 4);
	}
}

static void random_ops(struct pair *p, bool with_next)
{
	static const uint64_t flags[] = { BPF_ANY, BPF_ANY, BPF_NOEXIST, BPF_EXIST, 3, BPF_F_LOCK };
	uint8_t key[MAXV], val[MAXV], nk[MAXV];

	for (int op = 0; op < NOPS; op++) {
		unsigned what = (unsigned)(rnd(p) % 10);
		gen_key(p, key);
		if (what < 5) {
			uint64_t f = last_flags = flags[rnd(p) % 6];
			gen_value(p, val);
			same(p, op, "update", key, kr(bpf_map_update_elem(p->fd, key, val, f)),
			     jn_map_sys_update(p->m, key, val, f));
		} else if (what < 7) {
			same(p, op, "delete", key, kr(bpf_map_delete_elem(p->fd, key)),
			     jn_map_sys_delete(p->m, key));
		} else if (what < 9 || !with_next) {
			check_lookup(p, op, key);
		} else {
			next_both(p, op, key, nk, true);
		}
	}
	check_contents(p);
}

static void cross(const char *name, uint32_t type, uint32_t ks, uint32_t vs, uint32_t max,
		  uint32_t flags, bool ordered_next)
{
	struct pair p;

	if (!kernel_ok)
		skip();
	pair_open(&p, name, type, ks, vs, max, flags);
	random_ops(&p, ordered_next);
	pair_close(&p);
}

static void test_kernel_array(void **state)
{
	cross("array", BPF_MAP_TYPE_ARRAY, 4, 12, 16, 0, true);
}

static void test_kernel_percpu_array(void **state)
{
	cross("percpu_array", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 12, 8, 0, true);
}

static void test_kernel_hash(void **state)
{
	cross("hash", BPF_MAP_TYPE_HASH, 4, 8, 16, 0, false);
	cross("hash_odd_sizes", BPF_MAP_TYPE_HASH, 6, 3, 16, BPF_F_NO_PREALLOC, false);
}

static void test_kernel_percpu_hash(void **state)
{
	cross("percpu_hash", BPF_MAP_TYPE_PERCPU_HASH, 4, 12, 16, 0, false);
}

static void test_kernel_lru_hash_below_capacity(void **state)
{
	cross("lru_hash", BPF_MAP_TYPE_LRU_HASH, 4, 8, 64, 0, false);
	cross("lru_percpu_hash", BPF_MAP_TYPE_LRU_PERCPU_HASH, 4, 8, 64, 0, false);
}

static void test_kernel_lpm_trie(void **state)
{
	cross("lpm_trie", BPF_MAP_TYPE_LPM_TRIE, 8, 8, 24, BPF_F_NO_PREALLOC, false);
	cross("lpm_trie_v6", BPF_MAP_TYPE_LPM_TRIE, 20, 4, 24, BPF_F_NO_PREALLOC, false);
	/* room for every generated prefix: deep tries, intermediate nodes made
	 * and removed by deletes */
	cross("lpm_trie_large", BPF_MAP_TYPE_LPM_TRIE, 8, 8, 400, BPF_F_NO_PREALLOC, false);
	cross("lpm_trie_v6_large", BPF_MAP_TYPE_LPM_TRIE, 20, 4, 400, BPF_F_NO_PREALLOC, false);
}

static void test_kernel_devmap_and_devmap_hash(void **state)
{
	cross("devmap", BPF_MAP_TYPE_DEVMAP, 4, 4, 8, 0, true);
	cross("devmap_hash", BPF_MAP_TYPE_DEVMAP_HASH, 4, 4, 4, 0, false);
}

static void test_kernel_cpumap(void **state)
{
	cross("cpumap", BPF_MAP_TYPE_CPUMAP, 4, 4, (uint32_t)ncpus + 1, 0, true);
}

static void test_kernel_queue_and_stack(void **state)
{
	static const uint64_t flags[] = { BPF_ANY, BPF_ANY, BPF_EXIST, BPF_NOEXIST, 4 };
	static const uint32_t types[] = { BPF_MAP_TYPE_QUEUE, BPF_MAP_TYPE_STACK };
	uint8_t val[8], vk[8], vj[8];
	struct pair p;

	if (!kernel_ok)
		skip();
	for (int t = 0; t < 2; t++) {
		pair_open(&p, t ? "stack" : "queue", types[t], 0, 6, 5, 0);
		for (int op = 0; op < NOPS; op++) {
			unsigned what = (unsigned)(rnd(&p) % 3);
			int rk, rj;
			memset(vk, 0, sizeof(vk));
			memset(vj, 0, sizeof(vj));
			if (what == 0) {
				uint64_t f = last_flags = flags[rnd(&p) % 5];
				gen_value(&p, val);
				rk = kr(bpf_map_update_elem(p.fd, NULL, val, f));
				rj = jn_map_sys_update(p.m, NULL, val, f);
			} else if (what == 1) {
				rk = kr(bpf_map_lookup_and_delete_elem(p.fd, NULL, vk));
				rj = (int)jn_map_pop(p.m, vj);
			} else {
				rk = kr(bpf_map_lookup_elem(p.fd, NULL, vk));
				rj = jn_map_sys_lookup(p.m, NULL, vj);
			}
			same(&p, op, what == 0 ? "push" : what == 1 ? "pop" : "peek", NULL, rk, rj);
			if (memcmp(vk, vj, 6))
				fail_msg("%s: op %d: kernel value %s", p.name, op, hex(vk, 6));
		}
		same(&p, -1, "delete", NULL, kr(bpf_map_delete_elem(p.fd, NULL)),
		     jn_map_sys_delete(p.m, NULL));
		pair_close(&p);
	}
}

static int setup(void **state)
{
	cpu_set_t one;
	int fd;

	/* one CPU: the kernel's per-CPU free lists then behave as one list */
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	sched_setaffinity(0, sizeof(one), &one);
	ncpus = libbpf_num_possible_cpus();
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 4, 1, NULL);
	kernel_ok = fd >= 0 && ncpus > 0 && ncpus <= 64;
	if (fd >= 0)
		close(fd);
	else
		printf("test_maps_kernel: bpf() refused (%s), kernel cross-checks skipped\n",
		       strerror(errno));
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_array),
		cmocka_unit_test(test_kernel_percpu_array),
		cmocka_unit_test(test_kernel_hash),
		cmocka_unit_test(test_kernel_percpu_hash),
		cmocka_unit_test(test_kernel_lru_hash_below_capacity),
		cmocka_unit_test(test_kernel_lpm_trie),
		cmocka_unit_test(test_kernel_devmap_and_devmap_hash),
		cmocka_unit_test(test_kernel_cpumap),
		cmocka_unit_test(test_kernel_queue_and_stack),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
