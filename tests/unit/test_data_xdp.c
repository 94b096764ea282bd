/* test_data_xdp.c - the interpreter's context loads under JN_CTX_XDP.
 *
 * The loader turns loads from r1's entry value (struct xdp_md) into direct
 * reads of the run's fields (fuse.c: LDXW_CTXP, LDXW_CTX32, CTXP2); the
 * data cases run with JN_CTX_MEM and never meet them.  These programs check
 * every field, a copy of r1, the run-time fallback when the register no
 * longer holds the context, and that counted runs still count every eBPF
 * instruction.  The value-first loads and stores (r0 of a helper call) meet
 * a real value range here, which the data cases' helper never sets; so do
 * map lookups on array maps, indexed inline when the embedder describes
 * the array (jn_vm_opts.map_at).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa/isa.h"
#include "vm/vm.h"

enum { HEADROOM = 256, FRAME = 4096 };

/* Assemble text, run it once on a 60-byte packet (ingress 7, queue 3) and
 * return r0; *insns gets the counted instructions. */
static uint64_t run_xdp(const char *text, uint64_t *insns)
{
	struct jn_vm_opts opts = { .sz = sizeof(opts), .ctx_kind = JN_CTX_XDP };
	static uint8_t buf[FRAME];
	struct jn_insn *prog;
	struct jn_vm_run *run = calloc(1, sizeof(*run));
	struct jn_vm *vm;
	char err[256];
	size_t n;
	uint64_t r0 = 0;

	assert_non_null(run);
	assert_true(jn_isa_assemble(text, &prog, &n, err, sizeof(err)) >= 0);
	vm = jn_vm_load(prog, n, &opts, err, sizeof(err));
	free(prog);
	assert_non_null(vm);
	memset(buf, 0, sizeof(buf));
	for (int i = 0; i < 60; i++)
		buf[HEADROOM + i] = (uint8_t)i;
	jn_vm_run_init_xdp(run, vm, buf, sizeof(buf), HEADROOM, 60, FRAME);
	run->ingress_ifindex = 7;
	run->rx_queue_index = 3;
	assert_int_equal(jn_vm_exec(run, &r0, true), 0);
	*insns = run->insns;
	free(run);
	jn_vm_free(vm);
	return r0;
}

static void check_xdp(const char *text, uint64_t want_r0, uint64_t want_insns)
{
	uint64_t insns;
	uint64_t r0 = run_xdp(text, &insns);

	assert_int_equal(r0, want_r0);
	assert_int_equal(insns, want_insns);
}

static void test_ctx_loads_read_every_xdp_md_field(void **state)
{
	(void)state;
	/* (data_end - data) << 24 | (data_meta == data) << 16 | ingress << 8 |
	 * queue << 4 | egress, and a byte of the packet through data */
	check_xdp("w2 = *(u32 *)(r1 + 0x4)\n"
		  "w3 = *(u32 *)(r1 + 0x0)\n"
		  "w4 = *(u32 *)(r1 + 0x8)\n"
		  "w5 = *(u32 *)(r1 + 0xc)\n"
		  "w6 = *(u32 *)(r1 + 0x10)\n"
		  "w7 = *(u32 *)(r1 + 0x14)\n"
		  "r0 = r2\n"
		  "r0 -= r3\n"
		  "r0 <<= 8\n"
		  "r8 = 1\n"
		  "if r4 == r3 goto same\n"
		  "r8 = 0\n"
		  "same:\n"
		  "r0 |= r8\n"
		  "r0 <<= 8\n"
		  "r0 |= r5\n"
		  "r0 <<= 4\n"
		  "r0 |= r6\n"
		  "r0 <<= 4\n"
		  "r0 |= r7\n"
		  "r9 = *(u8 *)(r3 + 0x5)\n"
		  "r0 <<= 8\n"
		  "r0 |= r9\n"
		  "exit\n",
		  0x3c01073005ULL, 22);
}

static void test_ctx_load_through_a_copy_of_r1(void **state)
{
	(void)state;
	check_xdp("r6 = r1\n"
		  "r1 = 0\n"
		  "w2 = *(u32 *)(r6 + 0x4)\n"
		  "w3 = *(u32 *)(r6 + 0x0)\n"
		  "r0 = r2\n"
		  "r0 -= r3\n"
		  "exit\n",
		  60, 7);
}

/* pc 0 is reached again by a jump with r1 pointing at the stack: the same
 * load must then read the stack, as an unfused load would. */
static void test_ctx_load_falls_back_when_r1_is_not_the_context(void **state)
{
	(void)state;
	check_xdp("w0 = *(u32 *)(r1 + 0xc)\n"
		  "if r0 == 0x55 goto out\n"
		  "*(u32 *)(r10 - 0x4) = 0x55\n"
		  "r1 = r10\n"
		  "r1 += -16\n"
		  "goto -6\n"
		  "out:\n"
		  "exit\n",
		  0x55, 9);
}

/* Chains of fused ops still count one per eBPF instruction. */
static void test_counted_runs_count_every_fused_instruction(void **state)
{
	(void)state;
	check_xdp("w2 = *(u32 *)(r1 + 0x4)\n"     /* CTXP2 */
		  "w3 = *(u32 *)(r1 + 0x0)\n"
		  "r4 = *(u8 *)(r3 + 0x0)\n"      /* LDH2 (4 slots) */
		  "r5 = *(u8 *)(r3 + 0x1)\n"
		  "r5 <<= 8\n"
		  "r5 |= r4\n"
		  "r6 = *(u64 *)(r3 + 0x8)\n"     /* RMW64K (3 slots) */
		  "r6 += 1\n"
		  "*(u64 *)(r3 + 0x8) = r6\n"
		  "r7 = 2\n"                      /* MOVK_JEQK */
		  "if r5 == 0x100 goto out\n"
		  "r0 = 1\n"
		  "exit\n"
		  "out:\n"
		  "r0 = r6\n"
		  "exit\n",
		  0x0f0e0d0c0b0a0909ULL, 13);
}

/* Helper 1: hands out a 16-byte "map value" the way map_lookup_elem does. */
static uint8_t value[16];
static uint64_t lookup(struct jn_vm_run *run, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
		       uint64_t r5)
{
	jn_vm_set_value_range(run, value, sizeof(value));
	return (uint64_t)(uintptr_t)value;
}

static int run_value(const char *text, uint64_t *r0, char *err, size_t errlen)
{
	static const struct jn_helper helpers[] = { [1] = { "lookup", lookup } };
	struct jn_vm_opts opts = { .sz = sizeof(opts), .ctx_kind = JN_CTX_MEM, .helpers = helpers,
				   .n_helpers = 2 };
	struct jn_vm_run *run = calloc(1, sizeof(*run));
	struct jn_insn *prog;
	struct jn_vm *vm;
	size_t n;
	int rc;

	assert_non_null(run);
	assert_true(jn_isa_assemble(text, &prog, &n, err, errlen) >= 0);
	vm = jn_vm_load(prog, n, &opts, err, errlen);
	free(prog);
	assert_non_null(vm);
	for (int i = 0; i < 16; i++)
		value[i] = (uint8_t)(i + 1);
	jn_vm_run_init_mem(run, vm, NULL, 0);
	rc = jn_vm_exec(run, r0, false);
	if (rc)
		snprintf(err, errlen, "%s", run->errmsg);
	free(run);
	jn_vm_free(vm);
	return rc;
}

/* Loads and stores through r0 of a call check the value's range first. */
static void test_value_forms_read_and_write_the_value(void **state)
{
	char err[256];
	uint64_t r0 = 0;

	(void)state;
	assert_int_equal(run_value("call 1\n"
				   "r1 = *(u64 *)(r0 + 0x0)\n"
				   "r6 = r0\n"
				   "r6 += 8\n"
				   "w2 = *(u32 *)(r6 + 0x0)\n"
				   "*(u32 *)(r6 + 0x4) = r2\n"
				   "*(u8 *)(r0 + 0x0) = r1\n"
				   "r3 = *(u16 *)(r0 + 0x0)\n"
				   "r4 = *(u8 *)(r6 + 0x7)\n"
				   "*(u16 *)(r0 + 0x2) = r4\n"
				   "*(u64 *)(r0 + 0x8) = r3\n"
				   "r0 = *(u64 *)(r0 + 0x0)\n"
				   "exit\n", &r0, err, sizeof(err)), 0);
	assert_int_equal(r0, 0x08070605000c0201ULL);
	assert_int_equal(value[8], 0x01);
	assert_int_equal(value[9], 0x02);
	assert_int_equal(value[12], 0x00);
}

static void test_value_form_past_the_value_faults(void **state)
{
	char err[256];
	uint64_t r0 = 0;

	(void)state;
	assert_int_equal(run_value("call 1\n"
				   "r0 = *(u32 *)(r0 + 0xe)\n"
				   "exit\n", &r0, err, sizeof(err)), -EFAULT);
	assert_non_null(strstr(err, "pc 1: load of 4 bytes"));
}

/* ---- inline map lookups (CALLM_MAP, LDDW_CALL_MAP) on an array ---- */

static uint8_t arr_a[4 * 16], arr_b[4 * 16];
static uint8_t *arr_values = arr_a;
static bool arr_writable;
static int helper_calls;

static bool map_at(void *user, uint64_t map, struct jn_vm_map *out)
{
	if (map != 0x1000)
		return false;
	memset(out, 0, sizeof(*out));
	out->key_size = 4;
	out->values = &arr_values;
	out->max_entries = 4;
	out->stride = 16;
	out->value_size = 12;
	out->writable = arr_writable;
	return true;
}

/* The helper the inline path stands for: the same result, counted. */
static uint64_t lookup_helper(struct jn_vm_run *run, uint64_t map, uint64_t key, uint64_t r3,
			      uint64_t r4, uint64_t r5)
{
	uint32_t idx;

	helper_calls++;
	memcpy(&idx, (const void *)(uintptr_t)key, 4);
	if (map != 0x1000 || idx >= 4)
		return 0;
	if (arr_writable)
		jn_vm_set_value_range(run, arr_values + idx * 16, 12);
	return (uint64_t)(uintptr_t)(arr_values + idx * 16);
}

/* Run text over 8 bytes of memory (r1); returns the error or 0. */
static int run_array(const char *text, uint64_t *r0)
{
	static const struct jn_helper helpers[] = { [1] = { "map_lookup_elem", lookup_helper } };
	struct jn_vm_opts opts = { .sz = sizeof(opts), .ctx_kind = JN_CTX_MEM, .helpers = helpers,
				   .n_helpers = 2, .lookup_helper = 1, .map_at = map_at };
	static uint8_t mem[8] = { 3, 0, 0, 0, 9, 0, 0, 0 };
	struct jn_vm_run *run = calloc(1, sizeof(*run));
	struct jn_insn *prog;
	struct jn_vm *vm;
	char err[256];
	size_t n;
	int rc;

	assert_non_null(run);
	assert_true(jn_isa_assemble(text, &prog, &n, err, sizeof(err)) >= 0);
	vm = jn_vm_load(prog, n, &opts, err, sizeof(err));
	free(prog);
	assert_non_null(vm);
	helper_calls = 0;
	jn_vm_run_init_mem(run, vm, mem, sizeof(mem));
	rc = jn_vm_exec(run, r0, true);
	if (rc == 0)
		assert_int_equal(run->insns, n - 1);   /* straight line, one lddw */
	free(run);
	jn_vm_free(vm);
	return rc;
}

/* "*(u32 *)(r10 - 4) = idx; r2 = r10; r2 += -4; r1 = map; call 1" and
 * then tail, run as run_array does. */
static int run_lookup(int idx, const char *tail, uint64_t *r0)
{
	char text[512];

	snprintf(text, sizeof(text), "*(u32 *)(r10 - 0x4) = %d\nr2 = r10\nr2 += -4\n"
		 "r1 = 0x1000 ll\ncall 1\n%s", idx, tail);
	return run_array(text, r0);
}

static void test_array_lookup_inline_indexes_the_array(void **state)
{
	uint64_t r0;

	(void)state;
	arr_values = arr_a;
	arr_writable = true;
	assert_int_equal(run_lookup(2, "*(u32 *)(r0 + 0x8) = 0x77\nexit\n", &r0), 0);
	assert_int_equal(r0, (uint64_t)(uintptr_t)(arr_a + 32));
	assert_int_equal(arr_a[40], 0x77);
	assert_int_equal(helper_calls, 0);
	/* the map's values pointer is read at each lookup */
	arr_values = arr_b;
	assert_int_equal(run_lookup(1, "exit\n", &r0), 0);
	assert_int_equal(r0, (uint64_t)(uintptr_t)(arr_b + 16));
	arr_values = arr_a;
}

static void test_array_lookup_out_of_range_is_null(void **state)
{
	uint64_t r0 = 1;

	(void)state;
	arr_writable = true;
	assert_int_equal(run_lookup(4, "exit\n", &r0), 0);
	assert_int_equal(r0, 0);
	assert_int_equal(helper_calls, 0);
}

/* lddw + call with the key pointer set earlier; the key in the memory
 * (not the stack) goes to the helper. */
static void test_array_lookup_key_off_the_stack_calls_the_helper(void **state)
{
	uint64_t r0;

	(void)state;
	arr_writable = true;
	assert_int_equal(run_array("r2 = r1\n"
				   "r1 = 0x1000 ll\n"
				   "call 1\n"
				   "exit\n", &r0), 0);
	assert_int_equal(r0, (uint64_t)(uintptr_t)(arr_a + 48));
	assert_int_equal(helper_calls, 1);
	assert_int_equal(run_array("*(u32 *)(r10 - 0x8) = 1\n"
				   "r2 = r10\n"
				   "r2 += -8\n"
				   "r1 = 0x1000 ll\n"
				   "call 1\n"
				   "exit\n", &r0), 0);
	assert_int_equal(r0, (uint64_t)(uintptr_t)(arr_a + 16));
	assert_int_equal(helper_calls, 0);
}

/* A read-only array's value is not opened for the inline checks: a store
 * through it faults as after the helper. */
static void test_array_lookup_read_only_sets_no_value_range(void **state)
{
	uint64_t r0;

	(void)state;
	arr_writable = false;
	assert_int_equal(run_lookup(0, "*(u8 *)(r0 + 0x0) = 1\nexit\n", &r0), -EFAULT);
	arr_writable = true;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ctx_loads_read_every_xdp_md_field),
		cmocka_unit_test(test_ctx_load_through_a_copy_of_r1),
		cmocka_unit_test(test_ctx_load_falls_back_when_r1_is_not_the_context),
		cmocka_unit_test(test_counted_runs_count_every_fused_instruction),
		cmocka_unit_test(test_value_forms_read_and_write_the_value),
		cmocka_unit_test(test_value_form_past_the_value_faults),
		cmocka_unit_test(test_array_lookup_inline_indexes_the_array),
		cmocka_unit_test(test_array_lookup_out_of_range_is_null),
		cmocka_unit_test(test_array_lookup_key_off_the_stack_calls_the_helper),
		cmocka_unit_test(test_array_lookup_read_only_sets_no_value_range),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
