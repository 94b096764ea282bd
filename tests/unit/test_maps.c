/* test_maps.c - every map type's semantics and error codes (the kernel's, as
 * probed on Linux 6.18), LRU eviction order, LPM longest match, per-CPU
 * layout, queue/stack order, jn_map_check_ptr and the JSON dump. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <json-c/json.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>

#include "maps/maps.h"

static char err[256];

static struct jn_map *mk(uint32_t type, uint32_t ks, uint32_t vs, uint32_t max, uint32_t flags)
{
	struct jn_map_spec s = { .name = "m", .type = type, .key_size = ks, .value_size = vs,
				 .max_entries = max, .map_flags = flags, .ncpus = 2 };
	struct jn_map *m = NULL;
	int r = jn_map_create(&s, &m, err, sizeof(err));

	if (r)
		fail_msg("create: %s", err);
	return m;
}

static int mk_err(uint32_t type, uint32_t ks, uint32_t vs, uint32_t max, uint32_t flags)
{
	struct jn_map_spec s = { .name = "bad", .type = type, .key_size = ks, .value_size = vs,
				 .max_entries = max, .map_flags = flags };
	struct jn_map *m = NULL;
	int r = jn_map_create(&s, &m, err, sizeof(err));

	assert_null(m);
	return r;
}

static int upd(struct jn_map *m, uint32_t k, uint64_t v, uint64_t flags)
{
	return jn_map_sys_update(m, &k, &v, flags);
}

static int del(struct jn_map *m, uint32_t k)
{
	return jn_map_sys_delete(m, &k);
}

/* sys lookup of a u64 value, -errno or the value */
static int64_t get(struct jn_map *m, uint32_t k)
{
	uint64_t v = 0;
	int r = jn_map_sys_lookup(m, &k, &v);

	return r ? r : (int64_t)v;
}

/* ---- creation ---- */

static void test_create_unsupported_types_name_the_type(void **state)
{
	assert_int_equal(mk_err(BPF_MAP_TYPE_STACK_TRACE, 4, 8, 4, 0), -EINVAL);
	assert_string_equal(err, "maps: map bad: unsupported type 7 (stack_trace)");
	assert_int_equal(mk_err(BPF_MAP_TYPE_SOCKMAP, 4, 4, 4, 0), -EINVAL);
	assert_non_null(strstr(err, "(sockmap)"));
	assert_int_equal(mk_err(99, 4, 4, 4, 0), -EINVAL);
	assert_string_equal(err, "maps: map bad: unsupported type 99");
	assert_string_equal(jn_map_type_name(BPF_MAP_TYPE_LPM_TRIE), "lpm_trie");
	assert_null(jn_map_type_name(1000));
	assert_true(jn_map_type_supported(BPF_MAP_TYPE_DEVMAP_HASH));
	assert_false(jn_map_type_supported(BPF_MAP_TYPE_STACK_TRACE));
}

static void test_create_size_and_flag_checks(void **state)
{
	assert_int_equal(mk_err(BPF_MAP_TYPE_ARRAY, 8, 4, 2, 0), -EINVAL);
	assert_string_equal(err, "maps: map bad: key_size 8, array maps need 4");
	assert_int_equal(mk_err(BPF_MAP_TYPE_ARRAY, 4, 0, 2, 0), -EINVAL);
	assert_int_equal(mk_err(BPF_MAP_TYPE_ARRAY, 4, 4, 0, 0), -EINVAL);
	assert_int_equal(mk_err(BPF_MAP_TYPE_ARRAY, 4, 4, 2, BPF_F_NO_PREALLOC), -EINVAL);
	assert_int_equal(mk_err(BPF_MAP_TYPE_ARRAY, 4, 4, 2, BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG),
			 -EINVAL);
	assert_int_equal(mk_err(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 40000, 2, 0), -E2BIG);
	assert_int_equal(mk_err(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 2, BPF_F_MMAPABLE), -EINVAL);
	assert_int_equal(mk_err(BPF_MAP_TYPE_HASH, 4, 4, 2, BPF_F_NO_COMMON_LRU), -EINVAL);
	assert_int_equal(mk_err(BPF_MAP_TYPE_LRU_HASH, 4, 4, 2, BPF_F_NO_PREALLOC),
			 -JN_MAP_ENOTSUPP);
	assert_int_equal(mk_err(BPF_MAP_TYPE_HASH, 0, 4, 2, 0), -EINVAL);
	assert_int_equal(mk_err(BPF_MAP_TYPE_HASH, 4, 5 << 20, 2, 0), -E2BIG);
	assert_int_equal(mk_err(BPF_MAP_TYPE_LPM_TRIE, 8, 8, 2, 0), -EINVAL);
	assert_string_equal(err, "maps: map bad: lpm_trie needs BPF_F_NO_PREALLOC in map_flags");
	assert_int_equal(mk_err(BPF_MAP_TYPE_LPM_TRIE, 4, 8, 2, BPF_F_NO_PREALLOC), -EINVAL);
	assert_int_equal(mk_err(BPF_MAP_TYPE_LPM_TRIE, 261, 8, 2, BPF_F_NO_PREALLOC), -EINVAL);
	assert_int_equal(mk_err(BPF_MAP_TYPE_QUEUE, 4, 4, 2, 0), -EINVAL);
	assert_int_equal(mk_err(BPF_MAP_TYPE_DEVMAP, 4, 6, 2, 0), -EINVAL);
	assert_int_equal(mk_err(BPF_MAP_TYPE_DEVMAP, 4, 4, 2, BPF_F_RDONLY_PROG), -EINVAL);
	assert_int_equal(mk_err(BPF_MAP_TYPE_CPUMAP, 4, 4, 9000, 0), -E2BIG);
	assert_int_equal(mk_err(BPF_MAP_TYPE_XSKMAP, 4, 8, 2, 0), -EINVAL);
	assert_int_equal(mk_err(BPF_MAP_TYPE_PROG_ARRAY, 4, 8, 2, 0), -EINVAL);
	assert_int_equal(mk_err(BPF_MAP_TYPE_RINGBUF, 0, 0, 1000, 0), -EINVAL);
	assert_int_equal(mk_err(BPF_MAP_TYPE_RINGBUF, 4, 0, 4096, 0), -EINVAL);
}

/* ---- array ---- */

static void test_array_flags_bounds_and_delete(void **state)
{
	struct jn_map *m = mk(BPF_MAP_TYPE_ARRAY, 4, 8, 4, 0);
	uint32_t k = 3, next;

	assert_int_equal(get(m, 3), 0);
	assert_int_equal(upd(m, 3, 7, BPF_ANY), 0);
	assert_int_equal(upd(m, 3, 8, BPF_EXIST), 0);
	assert_int_equal(get(m, 3), 8);
	assert_int_equal(upd(m, 3, 9, BPF_NOEXIST), -EEXIST);
	assert_int_equal(upd(m, 4, 9, BPF_ANY), -E2BIG);
	assert_int_equal(upd(m, 4, 9, BPF_NOEXIST), -E2BIG);
	assert_int_equal(upd(m, 0, 9, 8), -EINVAL);
	/* F_LOCK: bpf() refuses it first; the helper checks NOEXIST first */
	assert_int_equal(upd(m, 4, 9, BPF_F_LOCK | BPF_NOEXIST), -EINVAL);
	assert_int_equal(jn_map_update(m, &k, &(uint64_t){ 1 }, BPF_F_LOCK | BPF_NOEXIST, 0),
			 -EEXIST);
	assert_int_equal(jn_map_update(m, &k, &(uint64_t){ 1 }, BPF_F_LOCK, 0), -EINVAL);
	assert_int_equal(upd(m, 0, 9, BPF_F_LOCK), -EINVAL);
	assert_int_equal(get(m, 4), -ENOENT);
	assert_null(jn_map_lookup(m, &(uint32_t){ 4 }, 0));
	assert_int_equal(del(m, 0), -EINVAL);
	assert_int_equal(jn_map_delete(m, &k), -EINVAL);
	/* helper-side update and lookup share the storage */
	assert_int_equal(jn_map_update(m, &k, &(uint64_t){ 42 }, BPF_ANY, 1), 0);
	assert_int_equal(*(uint64_t *)jn_map_lookup(m, &k, 1), 42);
	/* get_next_key: NULL or out of range -> 0, last -> ENOENT */
	assert_int_equal(jn_map_sys_next_key(m, NULL, &next), 0);
	assert_int_equal(next, 0);
	assert_int_equal(jn_map_sys_next_key(m, &(uint32_t){ 9 }, &next), 0);
	assert_int_equal(next, 0);
	assert_int_equal(jn_map_sys_next_key(m, &(uint32_t){ 1 }, &next), 0);
	assert_int_equal(next, 2);
	assert_int_equal(jn_map_sys_next_key(m, &k, &next), -ENOENT);
	jn_map_free(m);
}

static void test_array_global_data_init_readonly_and_reset(void **state)
{
	static const uint8_t init[6] = { 1, 2, 3, 4, 5, 6 };
	struct jn_map_spec s = { .name = ".rodata", .type = BPF_MAP_TYPE_ARRAY, .key_size = 4,
				 .value_size = 6, .max_entries = 1, .readonly = true,
				 .init = init, .init_len = sizeof(init) };
	struct jn_map *m;
	uint32_t k = 0;
	uint8_t v[6], nv[6] = { 9, 9, 9, 9, 9, 9 };

	assert_int_equal(jn_map_create(&s, &m, err, sizeof(err)), 0);
	uint8_t *p = jn_map_lookup(m, &k, 0);
	assert_memory_equal(p, init, 6);
	assert_int_equal(jn_map_check_ptr(m, (uintptr_t)p, 6, false), 0);
	assert_int_equal(jn_map_check_ptr(m, (uintptr_t)p, 6, true), -EACCES);
	assert_int_equal(jn_map_update(m, &k, nv, BPF_ANY, 0), -EACCES);
	assert_int_equal(jn_map_sys_update(m, &k, nv, BPF_ANY), 0);   /* user space may */
	assert_int_equal(jn_map_sys_lookup(m, &k, v), 0);
	assert_memory_equal(v, nv, 6);
	assert_int_equal(jn_map_reset(m, err, sizeof(err)), 0);
	assert_int_equal(jn_map_sys_lookup(m, &k, v), 0);
	assert_memory_equal(v, init, 6);
	assert_ptr_not_equal(jn_map_spec(m)->init, init);   /* copied */
	jn_map_free(m);

	s.init_len = 7;   /* longer than the value */
	s.value_size = 6;
	assert_int_equal(jn_map_create(&s, &m, err, sizeof(err)), -EINVAL);
}

static void test_percpu_array_layout_and_cpu_values(void **state)
{
	struct jn_map *m = mk(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 4, 2, 0);
	uint32_t k = 1, one = 0x11111111, two = 0x22222222;
	uint8_t sys[16], out[16];

	assert_int_equal(jn_map_sys_value_size(m), 16);   /* round_up(4, 8) * 2 CPUs */
	assert_int_equal(jn_map_ncpus(m), 2);
	memset(sys, 0, sizeof(sys));
	memcpy(sys, &one, 4);
	memcpy(sys + 8, &two, 4);
	assert_int_equal(jn_map_sys_update(m, &k, sys, BPF_ANY), 0);
	assert_int_equal(*(uint32_t *)jn_map_lookup(m, &k, 0), one);
	assert_int_equal(*(uint32_t *)jn_map_lookup(m, &k, 1), two);
	assert_null(jn_map_lookup(m, &k, 2));
	/* a program on CPU 1 changes only CPU 1's value */
	assert_int_equal(jn_map_update(m, &k, &(uint32_t){ 5 }, BPF_ANY, 1), 0);
	assert_int_equal(jn_map_update(m, &k, &(uint32_t){ 5 }, BPF_ANY, 2), -EINVAL);
	assert_int_equal(jn_map_sys_lookup(m, &k, out), 0);
	assert_memory_equal(out, &one, 4);
	assert_int_equal(*(uint32_t *)(out + 8), 5);
	assert_int_equal(jn_map_sys_update(m, &k, sys, BPF_F_LOCK), -EINVAL);
	jn_map_free(m);
}

/* ---- hash ---- */

static void test_hash_flags_full_and_delete(void **state)
{
	struct jn_map *m = mk(BPF_MAP_TYPE_HASH, 4, 8, 2, 0);

	assert_int_equal(get(m, 1), -ENOENT);
	assert_int_equal(upd(m, 1, 10, BPF_EXIST), -ENOENT);
	assert_int_equal(upd(m, 1, 10, BPF_NOEXIST), 0);
	assert_int_equal(upd(m, 1, 11, BPF_NOEXIST), -EEXIST);
	assert_int_equal(upd(m, 1, 12, BPF_EXIST), 0);
	assert_int_equal(get(m, 1), 12);
	assert_int_equal(upd(m, 2, 20, BPF_ANY), 0);
	assert_int_equal(upd(m, 3, 30, BPF_ANY), -E2BIG);      /* full */
	assert_int_equal(upd(m, 2, 21, BPF_ANY), 0);           /* existing key still updates */
	assert_int_equal(upd(m, 2, 21, 5), -EINVAL);
	assert_int_equal(upd(m, 2, 21, BPF_F_LOCK), -EINVAL);
	assert_int_equal(del(m, 3), -ENOENT);
	assert_int_equal(del(m, 1), 0);
	assert_int_equal(get(m, 1), -ENOENT);
	assert_int_equal(upd(m, 3, 30, BPF_ANY), 0);           /* room again */
	assert_int_equal(get(m, 3), 30);
	jn_map_free(m);
}

static void test_hash_next_key_visits_every_key_once(void **state)
{
	struct jn_map *m = mk(BPF_MAP_TYPE_HASH, 4, 8, 100, 0);
	uint32_t k, next, seen[100] = { 0 }, n = 0;

	assert_int_equal(jn_map_sys_next_key(m, NULL, &next), -ENOENT);
	for (k = 0; k < 50; k++)
		assert_int_equal(upd(m, k * 7, k, BPF_ANY), 0);
	for (int r = jn_map_sys_next_key(m, NULL, &next); r == 0;
	     r = jn_map_sys_next_key(m, &k, &next)) {
		assert_true(next % 7 == 0 && next / 7 < 50);
		seen[next / 7]++;
		k = next;
		n++;
	}
	assert_int_equal(n, 50);
	for (k = 0; k < 50; k++)
		assert_int_equal(seen[k], 1);
	/* a key that is not there restarts from the first */
	uint32_t first, again;
	assert_int_equal(jn_map_sys_next_key(m, NULL, &first), 0);
	assert_int_equal(jn_map_sys_next_key(m, &(uint32_t){ 1 }, &again), 0);
	assert_int_equal(first, again);
	jn_map_free(m);
}

static void test_hash_many_keys_insert_delete_lookup(void **state)
{
	enum { N = 20000 };
	struct jn_map *m = mk(BPF_MAP_TYPE_HASH, 8, 4, N, 0);

	for (uint64_t i = 0; i < N; i++) {
		uint64_t key = i * 0x10001;
		uint32_t v = (uint32_t)i;
		assert_int_equal(jn_map_sys_update(m, &key, &v, BPF_NOEXIST), 0);
	}
	uint64_t extra = 1ULL << 40;
	assert_int_equal(jn_map_sys_update(m, &extra, &(uint32_t){ 0 }, BPF_ANY), -E2BIG);
	for (uint64_t i = 0; i < N; i += 2) {
		uint64_t key = i * 0x10001;
		assert_int_equal(jn_map_sys_delete(m, &key), 0);
	}
	for (uint64_t i = 0; i < N; i++) {
		uint64_t key = i * 0x10001;
		uint32_t *v = jn_map_lookup(m, &key, 0);
		if (i % 2)
			assert_true(v && *v == i);
		else
			assert_null(v);
	}
	jn_map_free(m);
}

static void test_percpu_hash_new_element_zeroes_other_cpus(void **state)
{
	struct jn_map *m = mk(BPF_MAP_TYPE_PERCPU_HASH, 4, 8, 4, 0);
	uint32_t k = 9;
	uint64_t out[2], sys[2] = { 3, 4 };

	assert_int_equal(jn_map_update(m, &k, &(uint64_t){ 7 }, BPF_ANY, 1), 0);
	assert_int_equal(jn_map_sys_lookup(m, &k, out), 0);
	assert_int_equal(out[0], 0);
	assert_int_equal(out[1], 7);
	assert_int_equal(jn_map_sys_update(m, &k, sys, BPF_EXIST), 0);
	assert_int_equal(*(uint64_t *)jn_map_lookup(m, &k, 0), 3);
	assert_int_equal(*(uint64_t *)jn_map_lookup(m, &k, 1), 4);
	jn_map_free(m);
}

static void test_lru_evicts_least_recently_used(void **state)
{
	struct jn_map *m = mk(BPF_MAP_TYPE_LRU_HASH, 4, 8, 3, 0);
	uint32_t k1 = 1, k4 = 4;

	assert_int_equal(upd(m, 1, 1, BPF_ANY), 0);
	assert_int_equal(upd(m, 2, 2, BPF_ANY), 0);
	assert_int_equal(upd(m, 3, 3, BPF_ANY), 0);
	assert_non_null(jn_map_lookup(m, &k1, 0));           /* 1 is now the most recent */
	assert_int_equal(upd(m, 4, 4, BPF_NOEXIST), 0);       /* evicts 2 */
	assert_int_equal(get(m, 2), -ENOENT);
	assert_int_equal(upd(m, 3, 33, BPF_EXIST), 0);        /* update refreshes 3 */
	assert_int_equal(upd(m, 5, 5, BPF_ANY), 0);           /* evicts 1 */
	assert_int_equal(get(m, 1), -ENOENT);
	assert_int_equal(get(m, 3), 33);
	assert_int_equal(get(m, 4), 4);                       /* syscall lookup: no refresh */
	assert_int_equal(upd(m, 6, 6, BPF_ANY), 0);           /* evicts 4 */
	assert_int_equal(get(m, 4), -ENOENT);
	assert_null(jn_map_lookup(m, &k4, 0));
	assert_int_equal(get(m, 5), 5);
	assert_int_equal(get(m, 6), 6);
	assert_int_equal(upd(m, 7, 7, BPF_EXIST), -ENOENT);
	assert_int_equal(del(m, 5), 0);
	assert_int_equal(upd(m, 7, 7, BPF_ANY), 0);           /* free slot: no eviction */
	assert_int_equal(get(m, 3), 33);
	assert_int_equal(get(m, 6), 6);
	jn_map_free(m);
}

static void test_lru_percpu_hash_evicts_and_zeroes(void **state)
{
	struct jn_map *m = mk(BPF_MAP_TYPE_LRU_PERCPU_HASH, 4, 4, 2, 0);
	uint32_t k = 1;
	uint8_t out[16];

	assert_int_equal(jn_map_update(m, &k, &(uint32_t){ 8 }, BPF_ANY, 0), 0);
	assert_int_equal(jn_map_update(m, &(uint32_t){ 2 }, &(uint32_t){ 8 }, BPF_ANY, 0), 0);
	assert_int_equal(jn_map_update(m, &(uint32_t){ 3 }, &(uint32_t){ 9 }, BPF_ANY, 1), 0);
	assert_int_equal(jn_map_sys_lookup(m, &k, out), -ENOENT);
	assert_int_equal(jn_map_sys_lookup(m, &(uint32_t){ 3 }, out), 0);
	assert_int_equal(*(uint32_t *)out, 0);
	assert_int_equal(*(uint32_t *)(out + 8), 9);
	jn_map_free(m);
}

/* ---- lpm_trie ---- */

struct lpm4 {
	uint32_t plen;
	uint8_t a[4];
};

static int lpm_upd(struct jn_map *m, uint32_t plen, uint8_t a, uint8_t b, uint8_t c, uint8_t d,
		   uint64_t v, uint64_t flags)
{
	struct lpm4 k = { plen, { a, b, c, d } };
	return jn_map_sys_update(m, &k, &v, flags);
}

static int64_t lpm_get(struct jn_map *m, uint32_t plen, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct lpm4 k = { plen, { a, b, c, d } };
	uint64_t *v = jn_map_lookup(m, &k, 0);
	return v ? (int64_t)*v : -1;
}

static void test_lpm_longest_prefix_match(void **state)
{
	struct jn_map *m = mk(BPF_MAP_TYPE_LPM_TRIE, 8, 8, 16, BPF_F_NO_PREALLOC);

	assert_int_equal(lpm_get(m, 32, 10, 1, 2, 3), -1);
	assert_int_equal(lpm_upd(m, 8, 10, 0, 0, 0, 8, BPF_ANY), 0);
	assert_int_equal(lpm_upd(m, 16, 10, 1, 0, 0, 16, BPF_ANY), 0);
	assert_int_equal(lpm_upd(m, 24, 10, 1, 2, 0, 24, BPF_ANY), 0);
	assert_int_equal(lpm_upd(m, 32, 10, 1, 2, 3, 32, BPF_ANY), 0);
	assert_int_equal(lpm_get(m, 32, 11, 0, 0, 0), -1);        /* no /0 yet */
	assert_int_equal(lpm_upd(m, 0, 0, 0, 0, 0, 100, BPF_ANY), 0);
	assert_int_equal(lpm_get(m, 32, 10, 1, 2, 3), 32);
	assert_int_equal(lpm_get(m, 32, 10, 1, 2, 4), 24);
	assert_int_equal(lpm_get(m, 32, 10, 1, 3, 1), 16);
	assert_int_equal(lpm_get(m, 32, 10, 2, 0, 0), 8);
	assert_int_equal(lpm_get(m, 32, 11, 0, 0, 0), 100);       /* /0 matches all */
	assert_int_equal(lpm_get(m, 16, 10, 1, 2, 3), 16);        /* key prefixlen bounds it */
	assert_int_equal(lpm_get(m, 0, 10, 1, 2, 3), 100);
	assert_int_equal(lpm_get(m, 40, 10, 1, 2, 3), -1);        /* > max: no match */
	/* overlapping prefix with host bits set is the same entry as its masked form */
	assert_int_equal(lpm_upd(m, 16, 10, 1, 9, 9, 17, BPF_NOEXIST), -EEXIST);
	assert_int_equal(lpm_upd(m, 16, 10, 1, 9, 9, 17, BPF_EXIST), 0);
	assert_int_equal(lpm_get(m, 32, 10, 1, 3, 1), 17);
	struct lpm4 k = { 16, { 10, 1, 77, 0 } };
	assert_int_equal(jn_map_sys_delete(m, &k), 0);
	assert_int_equal(lpm_get(m, 32, 10, 1, 3, 1), 8);
	assert_int_equal(jn_map_sys_delete(m, &k), -ENOENT);
	assert_int_equal(lpm_upd(m, 0, 0, 0, 0, 0, 0, BPF_ANY), 0);
	struct lpm4 z = { 0, { 0 } };
	assert_int_equal(jn_map_sys_delete(m, &z), 0);
	assert_int_equal(lpm_get(m, 32, 11, 0, 0, 0), -1);
	jn_map_free(m);
}

static void test_lpm_flags_full_and_bad_prefixlen(void **state)
{
	struct jn_map *m = mk(BPF_MAP_TYPE_LPM_TRIE, 8, 8, 2, BPF_F_NO_PREALLOC);
	struct lpm4 k = { 33, { 0 } };
	uint64_t v = 1;

	assert_int_equal(jn_map_sys_update(m, &k, &v, BPF_ANY), -EINVAL);
	assert_int_equal(jn_map_sys_delete(m, &k), -EINVAL);
	assert_int_equal(lpm_upd(m, 24, 10, 0, 0, 0, 1, BPF_EXIST), -ENOENT);
	assert_int_equal(lpm_upd(m, 24, 10, 0, 0, 0, 1, BPF_NOEXIST), 0);
	assert_int_equal(lpm_upd(m, 24, 10, 0, 0, 0, 1, BPF_NOEXIST), -EEXIST);
	assert_int_equal(lpm_upd(m, 24, 10, 0, 0, 0, 1, 5), -EINVAL);
	assert_int_equal(lpm_upd(m, 32, 10, 0, 0, 1, 2, BPF_ANY), 0);
	assert_int_equal(lpm_upd(m, 16, 10, 0, 0, 0, 3, BPF_ANY), -ENOSPC);
	assert_int_equal(lpm_upd(m, 16, 10, 0, 0, 0, 3, BPF_EXIST), -ENOENT);
	assert_int_equal(lpm_upd(m, 24, 10, 0, 0, 0, 4, BPF_ANY), 0);    /* in place when full */
	assert_int_equal(lpm_get(m, 32, 10, 0, 0, 9), 4);
	assert_int_equal(lpm_get(m, 32, 10, 0, 0, 1), 2);
	jn_map_free(m);
}

static void test_lpm_next_key_returns_keys_as_given(void **state)
{
	struct jn_map *m = mk(BPF_MAP_TYPE_LPM_TRIE, 8, 8, 4, BPF_F_NO_PREALLOC);
	struct lpm4 a, b, c, bad = { 99, { 0 } };

	assert_int_equal(jn_map_sys_next_key(m, NULL, &a), -ENOENT);
	assert_int_equal(lpm_upd(m, 8, 10, 1, 2, 3, 1, BPF_ANY), 0);
	assert_int_equal(lpm_upd(m, 24, 192, 168, 1, 0, 2, BPF_ANY), 0);
	assert_int_equal(jn_map_sys_next_key(m, NULL, &a), 0);
	assert_int_equal(jn_map_sys_next_key(m, &a, &b), 0);
	assert_int_equal(jn_map_sys_next_key(m, &b, &c), -ENOENT);
	struct lpm4 *k8 = a.plen == 8 ? &a : &b;
	assert_int_equal(k8->plen, 8);
	assert_int_equal(k8->a[1], 1);   /* host bits kept, as the kernel keeps them */
	assert_int_equal(k8->a[3], 3);
	assert_int_equal(jn_map_sys_next_key(m, &bad, &c), 0);   /* invalid: first */
	assert_memory_equal(&c, &a, sizeof(a));
	jn_map_free(m);
}

static void test_lpm_ipv6_128_bit_keys(void **state)
{
	struct {
		uint32_t plen;
		uint8_t a[16];
	} k = { 64, { 0x20, 0x01, 0x0d, 0xb8 } };
	struct jn_map *m = mk(BPF_MAP_TYPE_LPM_TRIE, 20, 4, 8, BPF_F_NO_PREALLOC);
	uint32_t v = 64;

	assert_int_equal(jn_map_sys_update(m, &k, &v, BPF_ANY), 0);
	k.plen = 128;
	k.a[15] = 1;
	v = 128;
	assert_int_equal(jn_map_sys_update(m, &k, &v, BPF_ANY), 0);
	assert_int_equal(*(uint32_t *)jn_map_lookup(m, &k, 0), 128);
	k.a[15] = 2;
	assert_int_equal(*(uint32_t *)jn_map_lookup(m, &k, 0), 64);
	k.a[8] = 1;   /* past the /64 */
	assert_int_equal(*(uint32_t *)jn_map_lookup(m, &k, 0), 64);
	k.a[3] = 0;
	assert_null(jn_map_lookup(m, &k, 0));
	jn_map_free(m);
}

/* ---- check_ptr ---- */

static void test_check_ptr_inside_outside_straddling(void **state)
{
	struct jn_map *m = mk(BPF_MAP_TYPE_ARRAY, 4, 12, 3, 0);   /* stride 16 */
	uint8_t *v0 = jn_map_lookup(m, &(uint32_t){ 0 }, 0);
	uint8_t *v1 = jn_map_lookup(m, &(uint32_t){ 1 }, 0);
	uint64_t a0 = (uintptr_t)v0, a1 = (uintptr_t)v1;

	assert_int_equal(a1 - a0, 16);
	assert_int_equal(jn_map_check_ptr(m, a0, 12, true), 0);
	assert_int_equal(jn_map_check_ptr(m, a0 + 11, 1, false), 0);
	assert_int_equal(jn_map_check_ptr(m, a0 + 8, 8, false), -EFAULT);   /* into padding */
	assert_int_equal(jn_map_check_ptr(m, a0 + 12, 1, false), -EFAULT);  /* padding */
	assert_int_equal(jn_map_check_ptr(m, a0 + 8, 16, false), -EFAULT);  /* two slots */
	assert_int_equal(jn_map_check_ptr(m, a1 + 4, 8, true), 0);
	assert_int_equal(jn_map_check_ptr(m, a0 - 1, 1, false), -EFAULT);
	assert_int_equal(jn_map_check_ptr(m, a0 + 48, 1, false), -EFAULT);  /* past the end */
	assert_int_equal(jn_map_check_ptr(m, a0 + 32 + 4, 8, false), 0);    /* last slot */
	assert_int_equal(jn_map_check_ptr(m, UINT64_MAX, 8, false), -EFAULT);
	jn_map_free(m);

	m = mk(BPF_MAP_TYPE_ARRAY, 4, 8, 2, BPF_F_RDONLY_PROG);
	v0 = jn_map_lookup(m, &(uint32_t){ 1 }, 0);
	assert_int_equal(jn_map_check_ptr(m, (uintptr_t)v0, 8, false), 0);
	assert_int_equal(jn_map_check_ptr(m, (uintptr_t)v0, 8, true), -EACCES);
	jn_map_free(m);

	m = mk(BPF_MAP_TYPE_PERCPU_HASH, 4, 4, 2, 0);
	assert_int_equal(jn_map_update(m, &(uint32_t){ 1 }, &(uint32_t){ 1 }, BPF_ANY, 0), 0);
	v1 = jn_map_lookup(m, &(uint32_t){ 1 }, 1);
	assert_int_equal(jn_map_check_ptr(m, (uintptr_t)v1, 4, true), 0);
	assert_int_equal(jn_map_check_ptr(m, (uintptr_t)v1, 8, true), -EFAULT);
	jn_map_free(m);
}

static void test_big_map_costs_nothing_until_touched(void **state)
{
	struct jn_map *m = mk(BPF_MAP_TYPE_HASH, 4, 64, 1 << 20, 0);
	struct jn_map *a = mk(BPF_MAP_TYPE_ARRAY, 4, 256, 1 << 22, 0);   /* 1 GiB virtual */
	uint32_t k = 123456;
	uint8_t v[256] = { 7 };

	assert_int_equal(jn_map_sys_update(m, &k, v, BPF_ANY), 0);
	assert_int_equal(*(uint8_t *)jn_map_lookup(m, &k, 0), 7);
	k = (1 << 22) - 1;
	assert_int_equal(jn_map_sys_update(a, &k, v, BPF_ANY), 0);
	assert_int_equal(*(uint8_t *)jn_map_lookup(a, &k, 0), 7);
	jn_map_free(m);
	jn_map_free(a);
}

/* ---- queue / stack ---- */

static void test_queue_fifo_overwrite_and_errors(void **state)
{
	struct jn_map *m = mk(BPF_MAP_TYPE_QUEUE, 0, 4, 3, 0);
	uint32_t v;

	assert_int_equal(jn_map_peek(m, &v), -ENOENT);
	assert_int_equal(jn_map_pop(m, &v), -ENOENT);
	assert_int_equal(jn_map_sys_lookup(m, NULL, &v), -ENOENT);
	for (uint32_t i = 1; i <= 3; i++)
		assert_int_equal(jn_map_push(m, &i, BPF_ANY), 0);
	assert_int_equal(jn_map_push(m, &(uint32_t){ 4 }, BPF_ANY), -E2BIG);
	assert_int_equal(jn_map_push(m, &(uint32_t){ 4 }, BPF_NOEXIST), -EINVAL);
	assert_int_equal(jn_map_push(m, &(uint32_t){ 4 }, 4), -EINVAL);
	assert_int_equal(jn_map_sys_update(m, NULL, &(uint32_t){ 4 }, BPF_EXIST), 0); /* drops 1 */
	assert_int_equal(jn_map_sys_lookup(m, NULL, &v), 0);
	assert_int_equal(v, 2);
	for (uint32_t i = 2; i <= 4; i++) {
		assert_int_equal(jn_map_pop(m, &v), 0);
		assert_int_equal(v, i);
	}
	assert_int_equal(jn_map_pop(m, &v), -ENOENT);
	assert_null(jn_map_lookup(m, NULL, 0));
	assert_int_equal(jn_map_update(m, NULL, &v, BPF_ANY, 0), -EINVAL);
	assert_int_equal(jn_map_sys_delete(m, NULL), -EINVAL);
	assert_int_equal(jn_map_sys_next_key(m, NULL, &v), -EINVAL);
	/* wrap around the ring many times */
	for (uint32_t i = 0; i < 20; i++) {
		assert_int_equal(jn_map_push(m, &i, BPF_ANY), 0);
		assert_int_equal(jn_map_pop(m, &v), 0);
		assert_int_equal(v, i);
	}
	jn_map_free(m);
}

static void test_stack_lifo_overwrite_oldest(void **state)
{
	struct jn_map *m = mk(BPF_MAP_TYPE_STACK, 0, 4, 3, 0);
	uint32_t v;

	for (uint32_t i = 1; i <= 3; i++)
		assert_int_equal(jn_map_push(m, &i, BPF_ANY), 0);
	assert_int_equal(jn_map_push(m, &(uint32_t){ 4 }, BPF_ANY), -E2BIG);
	assert_int_equal(jn_map_push(m, &(uint32_t){ 4 }, BPF_EXIST), 0);   /* drops 1 */
	assert_int_equal(jn_map_peek(m, &v), 0);
	assert_int_equal(v, 4);
	for (uint32_t i = 4; i >= 2; i--) {
		assert_int_equal(jn_map_pop(m, &v), 0);
		assert_int_equal(v, i);
	}
	assert_int_equal(jn_map_pop(m, &v), -ENOENT);
	jn_map_free(m);
}

/* ---- redirect maps ---- */

static void test_devmap_semantics_and_target(void **state)
{
	struct jn_map *m = mk(BPF_MAP_TYPE_DEVMAP, 4, 4, 4, 0);
	uint32_t t, k = 1;

	assert_int_equal(get(m, 1), -ENOENT);
	assert_int_equal(jn_map_redirect_target(m, 1, &t), -ENOENT);
	assert_int_equal(jn_map_sys_update(m, &k, &(uint32_t){ 7 }, BPF_ANY), 0);
	assert_int_equal(jn_map_redirect_target(m, 1, &t), 0);
	assert_int_equal(t, 7);
	assert_int_equal(jn_map_sys_update(m, &k, &(uint32_t){ 7 }, BPF_NOEXIST), -EEXIST);
	assert_int_equal(jn_map_sys_update(m, &(uint32_t){ 0 }, &(uint32_t){ 7 }, BPF_NOEXIST),
			 -EEXIST);   /* devmap: NOEXIST always refused */
	assert_int_equal(jn_map_sys_update(m, &(uint32_t){ 4 }, &(uint32_t){ 7 }, BPF_ANY), -E2BIG);
	assert_int_equal(jn_map_sys_update(m, &k, &(uint32_t){ 7 }, 5), -EINVAL);
	void *p = jn_map_lookup(m, &k, 0);
	assert_non_null(p);
	assert_int_equal(jn_map_check_ptr(m, (uintptr_t)p, 4, true), -EACCES);
	assert_int_equal(jn_map_update(m, &k, &(uint32_t){ 8 }, BPF_ANY, 0), -EACCES);
	assert_int_equal(jn_map_sys_update(m, &k, &(uint32_t){ 0 }, BPF_ANY), 0);  /* clears */
	assert_int_equal(get(m, 1), -ENOENT);
	assert_int_equal(del(m, 2), 0);          /* empty slot: fine */
	assert_int_equal(del(m, 4), -EINVAL);
	jn_map_free(m);

	m = mk(BPF_MAP_TYPE_DEVMAP, 4, 8, 4, 0);
	uint32_t v8[2] = { 3, 5 };
	assert_int_equal(jn_map_sys_update(m, &k, v8, BPF_ANY), -EINVAL);   /* program fd */
	v8[1] = (uint32_t)-1;
	assert_int_equal(jn_map_sys_update(m, &k, v8, BPF_ANY), 0);
	uint32_t out[2];
	assert_int_equal(jn_map_sys_lookup(m, &k, out), 0);
	assert_int_equal(out[0], 3);
	assert_int_equal(out[1], 0);   /* program id */
	jn_map_free(m);
}

static void test_devmap_hash_semantics(void **state)
{
	struct jn_map *m = mk(BPF_MAP_TYPE_DEVMAP_HASH, 4, 4, 2, 0);
	uint32_t t;

	assert_int_equal(upd(m, 10, 0, BPF_ANY), -EINVAL);     /* ifindex 0 */
	assert_int_equal(upd(m, 10, 1, BPF_EXIST), 0);         /* EXIST not checked */
	assert_int_equal(upd(m, 10, 2, BPF_NOEXIST), -EEXIST);
	assert_int_equal(upd(m, 20, 3, BPF_ANY), 0);
	assert_int_equal(upd(m, 30, 3, BPF_ANY), -E2BIG);
	assert_int_equal(jn_map_redirect_target(m, 20, &t), 0);
	assert_int_equal(t, 3);
	assert_int_equal(jn_map_redirect_target(m, 30, &t), -ENOENT);
	assert_int_equal(del(m, 30), -ENOENT);
	assert_int_equal(del(m, 10), 0);
	assert_int_equal(upd(m, 30, 3, BPF_ANY), 0);
	jn_map_free(m);
}

static void test_cpumap_and_xskmap_targets_are_keys(void **state)
{
	struct jn_map *m = mk(BPF_MAP_TYPE_CPUMAP, 4, 4, 4, 0);   /* spec ncpus 2 */
	uint32_t t;

	assert_int_equal(upd(m, 1, 64, BPF_ANY), 0);
	assert_int_equal(jn_map_redirect_target(m, 1, &t), 0);
	assert_int_equal(t, 1);
	assert_int_equal(upd(m, 1, 20000, BPF_ANY), -EOVERFLOW);
	assert_int_equal(upd(m, 3, 64, BPF_ANY), -ENODEV);       /* no CPU 3 */
	assert_int_equal(upd(m, 4, 64, BPF_NOEXIST), -E2BIG);
	assert_int_equal(upd(m, 0, 64, BPF_NOEXIST), -EEXIST);
	assert_int_equal(upd(m, 1, 0, BPF_ANY), 0);              /* qsize 0 clears */
	assert_int_equal(jn_map_redirect_target(m, 1, &t), -ENOENT);
	assert_int_equal(del(m, 4), -EINVAL);
	jn_map_free(m);

	m = mk(BPF_MAP_TYPE_XSKMAP, 4, 4, 4, 0);
	assert_int_equal(upd(m, 2, 9, BPF_EXIST), -ENOENT);
	assert_int_equal(upd(m, 2, 9, BPF_NOEXIST), 0);
	assert_int_equal(upd(m, 2, 9, BPF_NOEXIST), -EEXIST);
	assert_int_equal(get(m, 2), -EOPNOTSUPP);
	assert_int_equal(jn_map_redirect_target(m, 2, &t), 0);
	assert_int_equal(t, 2);
	assert_int_equal(del(m, 2), 0);
	assert_int_equal(jn_map_redirect_target(m, 2, &t), -ENOENT);
	jn_map_free(m);
}

static void test_prog_array_and_output_maps(void **state)
{
	struct jn_map *m = mk(BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4, 0);
	uint32_t p;

	assert_int_equal(upd(m, 1, 3, BPF_NOEXIST), -EINVAL);    /* BPF_ANY only */
	assert_int_equal(upd(m, 9, 3, BPF_NOEXIST), -EINVAL);
	assert_int_equal(upd(m, 9, 3, BPF_ANY), -E2BIG);
	assert_int_equal(jn_map_prog_at(m, 1, &p), -ENOENT);
	assert_int_equal(upd(m, 1, 3, BPF_ANY), 0);
	assert_int_equal(jn_map_prog_at(m, 1, &p), 0);
	assert_int_equal(p, 3);
	assert_int_equal(get(m, 1) & 0xffffffff, 3);
	assert_null(jn_map_lookup(m, &(uint32_t){ 1 }, 0));
	assert_int_equal(del(m, 1), 0);
	assert_int_equal(del(m, 1), -ENOENT);
	assert_int_equal(del(m, 4), -E2BIG);
	jn_map_free(m);

	m = mk(BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 4, 0);
	assert_null(jn_map_lookup(m, &(uint32_t){ 0 }, 0));
	assert_int_equal(get(m, 0), -JN_MAP_ENOTSUPP);
	assert_int_equal(del(m, 0), -ENOENT);
	assert_int_equal(jn_map_prog_at(m, 0, &p), -EINVAL);
	jn_map_free(m);

	m = mk(BPF_MAP_TYPE_RINGBUF, 0, 0, 4096, 0);
	assert_null(jn_map_lookup(m, NULL, 0));
	assert_int_equal(jn_map_sys_lookup(m, NULL, &p), -JN_MAP_ENOTSUPP);
	assert_int_equal(jn_map_sys_next_key(m, NULL, &p), -JN_MAP_ENOTSUPP);
	assert_int_equal(jn_map_check_ptr(m, 4096, 1, false), -EFAULT);
	/* no consumer: 12-byte records take 24 bytes while the producer stays
	 * below 4095 (the kernel's mask): 170 fit, the 171st does not */
	for (int i = 0; i < 170; i++)
		assert_int_equal(jn_map_ringbuf_produce(m, 12), 0);
	assert_int_equal(jn_map_ringbuf_pos(m), 170 * 24);
	assert_int_equal(jn_map_ringbuf_produce(m, 12), -EAGAIN);
	assert_int_equal(jn_map_ringbuf_produce(m, 0), 0);          /* 8 bytes still fit: 4088 */
	assert_int_equal(jn_map_ringbuf_produce(m, 0), -EAGAIN);
	assert_int_equal(jn_map_ringbuf_pos(m), 4088);
	assert_int_equal(jn_map_reset(m, err, sizeof(err)), 0);
	assert_int_equal(jn_map_ringbuf_pos(m), 0);
	assert_int_equal(jn_map_ringbuf_produce(m, 4096), -EAGAIN);  /* larger than the ring */
	jn_map_free(m);
}

/* ---- dump ---- */

static const char *dump(struct jn_map *m, struct json_object **o)
{
	*o = jn_map_dump_json(m);
	assert_non_null(*o);
	return json_object_to_json_string_ext(*o, JSON_C_TO_STRING_PLAIN);
}

static void test_dump_sorted_by_key_bytes_and_skips_zero_array_values(void **state)
{
	struct jn_map *m = mk(BPF_MAP_TYPE_HASH, 4, 2, 8, 0);
	struct json_object *o;

	jn_map_sys_update(m, &(uint32_t){ 0x0200 }, &(uint16_t){ 0xabcd }, BPF_ANY);
	jn_map_sys_update(m, &(uint32_t){ 0x0001 }, &(uint16_t){ 0 }, BPF_ANY);
	jn_map_sys_update(m, &(uint32_t){ 0x0003 }, &(uint16_t){ 1 }, BPF_ANY);
	assert_string_equal(dump(m, &o),
		"{\"name\":\"m\",\"type\":\"hash\",\"key_size\":4,\"value_size\":2,\"max_entries\":8,"
		"\"entries\":[{\"key\":\"00020000\",\"value\":\"cdab\"},"
		"{\"key\":\"01000000\",\"value\":\"0000\"},{\"key\":\"03000000\",\"value\":\"0100\"}]}");
	json_object_put(o);
	jn_map_free(m);

	m = mk(BPF_MAP_TYPE_ARRAY, 4, 1, 300, 0);
	jn_map_sys_update(m, &(uint32_t){ 258 }, &(uint8_t){ 5 }, BPF_ANY);
	jn_map_sys_update(m, &(uint32_t){ 3 }, &(uint8_t){ 6 }, BPF_ANY);
	assert_non_null(strstr(dump(m, &o), "\"entries\":[{\"key\":\"02010000\",\"value\":\"05\"},"
					    "{\"key\":\"03000000\",\"value\":\"06\"}]"));
	json_object_put(o);
	jn_map_free(m);
}

static void test_dump_global_data_percpu_and_queue(void **state)
{
	struct jn_map_spec s = { .name = ".bss", .type = BPF_MAP_TYPE_ARRAY, .key_size = 4,
				 .value_size = 2, .max_entries = 1 };
	struct json_object *o;
	struct jn_map *m;

	assert_int_equal(jn_map_create(&s, &m, err, sizeof(err)), 0);
	assert_non_null(strstr(dump(m, &o), "\"entries\":[{\"key\":\"00000000\",\"value\":\"0000\"}]"));
	json_object_put(o);
	jn_map_free(m);

	m = mk(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 4, 1, 0);
	jn_map_update(m, &(uint32_t){ 0 }, &(uint32_t){ 0x01020304 }, BPF_ANY, 1);
	assert_non_null(strstr(dump(m, &o), "\"value\":\"00000000000000000403020100000000\""));
	json_object_put(o);
	jn_map_free(m);

	m = mk(BPF_MAP_TYPE_STACK, 0, 1, 4, 0);
	for (uint8_t i = 1; i <= 3; i++)
		jn_map_push(m, &i, BPF_ANY);
	assert_non_null(strstr(dump(m, &o), "\"type\":\"stack\""));
	assert_non_null(strstr(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
			       "\"entries\":[{\"value\":\"03\"},{\"value\":\"02\"},{\"value\":\"01\"}]"));
	json_object_put(o);
	jn_map_free(m);

	m = mk(BPF_MAP_TYPE_XSKMAP, 4, 4, 4, 0);
	upd(m, 1, 5, BPF_ANY);
	assert_non_null(strstr(dump(m, &o), "\"entries\":[{\"key\":\"01000000\",\"value\":\"05000000\"}]"));
	json_object_put(o);
	jn_map_free(m);
}

static void test_reset_empties_hash_and_lpm(void **state)
{
	struct jn_map *m = mk(BPF_MAP_TYPE_HASH, 4, 8, 2, 0);

	assert_int_equal(upd(m, 1, 1, BPF_ANY), 0);
	assert_int_equal(upd(m, 2, 1, BPF_ANY), 0);
	assert_int_equal(jn_map_reset(m, err, sizeof(err)), 0);
	assert_int_equal(get(m, 1), -ENOENT);
	assert_int_equal(upd(m, 3, 1, BPF_ANY), 0);
	assert_int_equal(upd(m, 4, 1, BPF_ANY), 0);
	jn_map_free(m);

	m = mk(BPF_MAP_TYPE_LPM_TRIE, 8, 8, 2, BPF_F_NO_PREALLOC);
	assert_int_equal(lpm_upd(m, 8, 10, 0, 0, 0, 1, BPF_ANY), 0);
	assert_int_equal(jn_map_reset(m, err, sizeof(err)), 0);
	assert_int_equal(lpm_get(m, 32, 10, 1, 1, 1), -1);
	jn_map_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_unsupported_types_name_the_type),
		cmocka_unit_test(test_create_size_and_flag_checks),
		cmocka_unit_test(test_array_flags_bounds_and_delete),
		cmocka_unit_test(test_array_global_data_init_readonly_and_reset),
		cmocka_unit_test(test_percpu_array_layout_and_cpu_values),
		cmocka_unit_test(test_hash_flags_full_and_delete),
		cmocka_unit_test(test_hash_next_key_visits_every_key_once),
		cmocka_unit_test(test_hash_many_keys_insert_delete_lookup),
		cmocka_unit_test(test_percpu_hash_new_element_zeroes_other_cpus),
		cmocka_unit_test(test_lru_evicts_least_recently_used),
		cmocka_unit_test(test_lru_percpu_hash_evicts_and_zeroes),
		cmocka_unit_test(test_lpm_longest_prefix_match),
		cmocka_unit_test(test_lpm_flags_full_and_bad_prefixlen),
		cmocka_unit_test(test_lpm_next_key_returns_keys_as_given),
		cmocka_unit_test(test_lpm_ipv6_128_bit_keys),
		cmocka_unit_test(test_check_ptr_inside_outside_straddling),
		cmocka_unit_test(test_big_map_costs_nothing_until_touched),
		cmocka_unit_test(test_queue_fifo_overwrite_and_errors),
		cmocka_unit_test(test_stack_lifo_overwrite_oldest),
		cmocka_unit_test(test_devmap_semantics_and_target),
		cmocka_unit_test(test_devmap_hash_semantics),
		cmocka_unit_test(test_cpumap_and_xskmap_targets_are_keys),
		cmocka_unit_test(test_prog_array_and_output_maps),
		cmocka_unit_test(test_dump_sorted_by_key_bytes_and_skips_zero_array_values),
		cmocka_unit_test(test_dump_global_data_percpu_and_queue),
		cmocka_unit_test(test_reset_empties_hash_and_lpm),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
