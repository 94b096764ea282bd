/* test_vliw_data.c - the data-driven instruction cases (the .data files in tests/data)
 * on the Sephirot simulator: every case Sephirot can run (no bpf-to-bpf
 * calls, no legacy packet loads) gives the interpreter's r0, or faults
 * where it faults, and leaves the memory as it does -- with all passes,
 * with none, and with 1 and 8 lanes.  Cases with an instruction budget are
 * left out (rows are not instructions). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "data_cases.h"
#include "vliw/vliw.h"

#define DATA_DIR "tests/data"

static struct data_cases cases;

static uint64_t helper5(struct jn_vm_run *run, uint64_t r1, uint64_t r2, uint64_t r3,
			uint64_t r4, uint64_t r5)
{
	return r1;
}

static const struct jn_helper helpers[] = {
	[5] = { "test_helper5", helper5 },
};

struct outcome { int err; uint64_t r0; uint8_t *mem; };

/* Both engines run on the same buffer (reset to the case's bytes first), so
 * a case storing a pointer into it leaves the same bytes on both; the
 * outcome keeps a copy of the bytes after the run. */
static void keep_mem(const struct data_case *c, const uint8_t *buf, struct outcome *o)
{
	o->mem = c->memlen ? malloc(c->memlen) : NULL;
	if (o->mem)
		memcpy(o->mem, buf, c->memlen);
}

static void run_interp(const struct data_case *c, struct jn_vm *vm, struct jn_vm_run *run,
		       uint8_t *buf, struct outcome *o)
{
	if (buf)
		memcpy(buf, c->mem, c->memlen);
	jn_vm_run_init_mem(run, vm, buf, c->memlen);
	o->err = jn_vm_exec(run, &o->r0, false);
	keep_mem(c, buf, o);
}

static void run_vliw(const struct data_case *c, struct jn_vm *vm, struct jn_vm_run *run,
		     const struct jn_vliw_prog *p, uint8_t *buf, struct outcome *o)
{
	if (buf)
		memcpy(buf, c->mem, c->memlen);
	jn_vm_run_init_mem(run, vm, buf, c->memlen);
	o->err = jn_vliw_exec_mem(p, run, helpers, sizeof(helpers) / sizeof(helpers[0]), &o->r0, NULL);
	keep_mem(c, buf, o);
}

/* Returns 1 if the case ran on both, 0 if Sephirot can't run it. */
static int one_case(const struct data_case *c, struct jn_vm_run *run, const struct jn_vliw_opts *vo)
{
	struct jn_vm_opts opts = { .sz = sizeof(opts), .ctx_kind = JN_CTX_MEM, .helpers = helpers,
				   .n_helpers = sizeof(helpers) / sizeof(helpers[0]) };
	struct jn_insn *insns = NULL;
	struct jn_vliw_prog *p;
	struct jn_vm *vm;
	struct outcome a, b;
	char err[256];
	size_t n = 0;
	int ran = 0;

	if (c->budget || data_program(c, &insns, &n, err, sizeof(err)) < 0)
		return 0;
	vm = jn_vm_load(insns, n, &opts, err, sizeof(err));
	if (vm && jn_vliw_compile(insns, n, vo, &p, err, sizeof(err)) == 0) {
		uint8_t *buf = c->memlen ? malloc(c->memlen) : NULL;
		run_interp(c, vm, run, buf, &a);
		run_vliw(c, vm, run, p, buf, &b);
		free(buf);
		if (!a.err != !b.err || (!a.err && a.r0 != b.r0))
			fail_msg("%s (lanes %d, passes %#x): interpreter %s %#llx, simulator %s %#llx (%s)", c->id,
				 vo->lanes, vo->passes, a.err ? "fault" : "r0", (unsigned long long)a.r0,
				 b.err ? "fault" : "r0", (unsigned long long)b.r0, run->errmsg);
		if (!a.err && c->memlen && memcmp(a.mem, b.mem, c->memlen))
			fail_msg("%s: memory differs after the run", c->id);
		free(a.mem);
		free(b.mem);
		jn_vliw_free(p);
		ran = 1;
	} else if (vm) {
		/* the only refusals: what Sephirot has no unit for */
		if (!strstr(err, "bpf-to-bpf") && !strstr(err, "not supported"))
			fail_msg("%s: refused: %s", c->id, err);
	}
	jn_vm_free(vm);
	free(insns);
	return ran;
}

static void data_cases_equal_interpreter(void **state)
{
	static const struct jn_vliw_opts configs[] = {
		{ .lanes = 4, .passes = JN_VLIW_ALL_PASSES, .ctx_mem = true },
		{ .lanes = 4, .passes = 0, .ctx_mem = true },
		{ .lanes = 1, .passes = JN_VLIW_ALL_PASSES, .ctx_mem = true },
		{ .lanes = 8, .passes = JN_VLIW_ALL_PASSES, .ctx_mem = true, .no_motion = true },
	};
	struct jn_vm_run *run = malloc(sizeof(*run));
	size_t ran = 0;

	(void)state;
	assert_non_null(run);
	for (size_t k = 0; k < sizeof(configs) / sizeof(configs[0]); k++)
		for (size_t i = 0; i < cases.n; i++)
			ran += (size_t)one_case(&cases.v[i], run, &configs[k]);
	free(run);
	print_message("%zu case runs compared\n", ran);
	assert_true(ran > cases.n);   /* most cases run, in every configuration */
}

int main(void)
{
	char err[256];
	int rc;

	if (data_load_dir(DATA_DIR, &cases, err, sizeof(err)) < 0) {
		fprintf(stderr, "test_vliw_data: %s\n", err);
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(data_cases_equal_interpreter),
	};
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	data_free(&cases);
	return rc;
}
