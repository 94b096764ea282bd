/* test_data.c - every case of tests/data/ (*.data files) through the interpreter.
 *
 * One cmocka test per case, named "<file>:<case>": assemble, load with
 * JN_CTX_MEM and helper 5, run twice (uncounted, then counted, each on a
 * fresh copy of the memory and a re-initialised run) and check r0 or the
 * error substring.  A last test checks that the cases use every opcode of
 * isa_table.h at least once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "data_cases.h"
#include "vm/vm.h"

#define DATA_DIR "tests/data"

static struct data_cases cases;

/* Helper 5, as in the conformance plugin: returns its first argument. */
static uint64_t helper5(struct jn_vm_run *run, uint64_t r1, uint64_t r2, uint64_t r3,
			uint64_t r4, uint64_t r5)
{
	return r1;
}

static const struct jn_helper helpers[] = {
	[5] = { "test_helper5", helper5 },
};

/* Compare an error message with the expectation; 0 if it matches, else -1
 * with the reason in why. */
static int check_error(const struct data_case *c, const char *stage, const char *msg,
		       char *why, size_t whylen)
{
	if (!c->error)
		snprintf(why, whylen, "%s: unexpected %s error: %s", c->id, stage, msg);
	else if (!strstr(msg, c->error))
		snprintf(why, whylen, "%s: %s error \"%s\" does not contain \"%s\"", c->id, stage,
			 msg, c->error);
	else
		return 0;
	return -1;
}

/* One run on a fresh copy of the memory; 0 if it gives what the case
 * expects, else -1 with the reason in why. */
static int run_once(const struct data_case *c, struct jn_vm *vm, struct jn_vm_run *run,
		    bool count, char *why, size_t whylen)
{
	const char *how = count ? " (counted run)" : "";
	uint8_t *mem = NULL;
	uint64_t r0 = 0;
	int rc;

	if (c->memlen && !(mem = malloc(c->memlen))) {
		snprintf(why, whylen, "%s: out of memory", c->id);
		return -1;
	}
	if (mem)
		memcpy(mem, c->mem, c->memlen);
	jn_vm_run_init_mem(run, vm, mem, c->memlen);
	rc = jn_vm_exec(run, &r0, count);
	free(mem);
	if (rc < 0 && rc != run->err)
		snprintf(why, whylen, "%s: exec returned %d but run->err is %d%s", c->id, rc, run->err, how);
	else if (rc < 0)
		return check_error(c, count ? "run (counted)" : "run", run->errmsg, why, whylen);
	else if (c->error)
		snprintf(why, whylen, "%s: expected error \"%s\", got r0 = 0x%" PRIx64 "%s", c->id,
			 c->error, r0, how);
	else if (r0 != c->result)
		snprintf(why, whylen, "%s: r0 = 0x%" PRIx64 ", expected 0x%" PRIx64 "%s", c->id, r0,
			 c->result, how);
	else if (count && run->insns == 0)
		snprintf(why, whylen, "%s: counted run counted no instructions", c->id);
	else
		return 0;
	return -1;
}

static void run_case(void **state)
{
	const struct data_case *c = *state;
	struct jn_vm_opts opts = {
		.sz = sizeof(opts),
		.ctx_kind = JN_CTX_MEM,
		.helpers = helpers,
		.n_helpers = JN_ARRAY_SIZE(helpers),
		.budget = c->budget,
	};
	struct jn_insn *insns = NULL;
	struct jn_vm_run *run;
	struct jn_vm *vm;
	char err[256] = "", why[512] = "";
	size_t n = 0;
	int rc;

	if (data_program(c, &insns, &n, err, sizeof(err)) < 0)
		fail_msg("%s (line %d): does not assemble: %s", c->id, c->line, err);
	vm = jn_vm_load(insns, n, &opts, err, sizeof(err));
	free(insns);
	if (!vm) {
		if (check_error(c, "load", err, why, sizeof(why)) < 0)
			fail_msg("%s", why);
		return;
	}
	run = malloc(sizeof(*run));
	rc = run ? run_once(c, vm, run, false, why, sizeof(why)) : -1;
	if (rc == 0)
		rc = run_once(c, vm, run, true, why, sizeof(why));
	free(run);
	jn_vm_free(vm);
	if (rc < 0)
		fail_msg("%s", why[0] ? why : "out of memory");
}

/* Every opcode of the ISA table appears in some case. */
static void test_cases_cover_every_opcode(void **state)
{
	bool seen[JN_OP__COUNT] = { false };
	char missing[2048] = "";
	size_t used = 0;

	for (size_t i = 0; i < cases.n; i++) {
		struct jn_insn *insns;
		size_t n;
		char err[256];

		if (data_program(&cases.v[i], &insns, &n, err, sizeof(err)) < 0)
			continue;   /* reported by the case's own test */
		for (size_t pc = 0; pc < n; pc++) {
			enum jn_op op = jn_isa_decode(&insns[pc]);
			if (op != JN_OP_INVALID)
				seen[op] = true;
			if (jn_isa_is_wide(insns[pc].code))
				pc++;
		}
		free(insns);
	}
	for (int op = 0; op < JN_OP__COUNT; op++) {
		if (seen[op])
			continue;
		used += (size_t)snprintf(missing + used, used < sizeof(missing) ? sizeof(missing) - used : 0,
					 " %s", jn_isa_info[op].name);
		if (used >= sizeof(missing))
			break;
	}
	if (missing[0])
		fail_msg("opcodes no data case uses:%s", missing);
}

int main(void)
{
	char err[256];
	struct CMUnitTest *tests;
	int rc;

	if (data_load_dir(DATA_DIR, &cases, err, sizeof(err)) < 0) {
		fprintf(stderr, "test_data: %s\n", err);
		return 1;
	}
	tests = calloc(cases.n + 1, sizeof(*tests));
	if (!tests) {
		data_free(&cases);
		return 1;
	}
	for (size_t i = 0; i < cases.n; i++) {
		tests[i].name = cases.v[i].id;
		tests[i].test_func = run_case;
		tests[i].initial_state = &cases.v[i];
	}
	tests[cases.n].name = "test_cases_cover_every_opcode";
	tests[cases.n].test_func = test_cases_cover_every_opcode;
	rc = _cmocka_run_group_tests("data", tests, cases.n + 1, NULL, NULL);
	free(tests);
	data_free(&cases);
	return rc;
}
