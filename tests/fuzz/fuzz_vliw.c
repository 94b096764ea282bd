/* fuzz_vliw.c - libFuzzer harness for the VLIW compiler and simulator.
 *
 * The input is a program (8-byte slots) followed by nothing else: the same
 * bytes are also the memory it runs on (plain-memory contract, r1 = memory,
 * r2 = length).  A program that validates and that Sephirot can run is
 * compiled with every pass and with none, for 4 and 1 lanes, and must give
 * the interpreter's r0 (or fault where it faults) and leave the memory as
 * it does.  Programs the interpreter stops for running too long are left
 * out.  A difference aborts (the fuzzer reports it as a crash).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vliw/vliw.h"

static int run_interp(const struct jn_insn *insns, size_t n, uint8_t *mem, size_t len,
		      struct jn_vm_run *run, uint64_t *r0, struct jn_vm **vmp)
{
	struct jn_vm_opts o = { .sz = sizeof(o), .ctx_kind = JN_CTX_MEM, .budget = 20000 };
	char err[256];
	struct jn_vm *vm = jn_vm_load(insns, n, &o, err, sizeof(err));

	*vmp = vm;
	if (!vm)
		return 1;
	memset(run, 0, sizeof(*run));
	jn_vm_run_init_mem(run, vm, mem, len);
	return jn_vm_exec(run, r0, false);
}

static void one(const struct jn_insn *insns, size_t n, const uint8_t *data, size_t size,
		const struct jn_vliw_opts *vo, struct jn_vm_run *run)
{
	struct jn_vliw_prog *p;
	struct jn_vm *vm;
	/* one buffer for both runs (programs may compute with its address) */
	uint8_t *mb = malloc(size + 1), *ma = malloc(size + 1);
	uint64_t ra = 0, rb = 0;
	char err[256];
	int ea, eb;

	if (!ma || !mb)
		goto out;
	memcpy(mb, data, size);
	ea = run_interp(insns, n, mb, size, run, &ra, &vm);
	memcpy(ma, mb, size);   /* what the interpreter left */
	memcpy(mb, data, size);
	if (!vm || ea == -E2BIG || jn_vliw_compile(insns, n, vo, &p, err, sizeof(err)))
		goto out_vm;
	memset(run, 0, sizeof(*run));
	jn_vm_run_init_mem(run, vm, mb, size);
	eb = jn_vliw_exec_mem(p, run, NULL, 0, &rb, NULL);
	if (!ea != !eb || (!ea && (ra != rb || memcmp(ma, mb, size)))) {
		fprintf(stderr, "vliw mismatch (lanes %d, passes %#x): interpreter %d %#llx, simulator %d %#llx\n",
			vo->lanes, vo->passes, ea, (unsigned long long)ra, eb, (unsigned long long)rb);
		abort();
	}
	jn_vliw_free(p);
out_vm:
	jn_vm_free(vm);
out:
	free(ma);
	free(mb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct jn_vliw_opts configs[] = {
		{ .lanes = 4, .passes = JN_VLIW_ALL_PASSES, .ctx_mem = true },
		{ .lanes = 4, .passes = 0, .ctx_mem = true },
		{ .lanes = 1, .passes = JN_VLIW_ALL_PASSES, .ctx_mem = true },
	};
	size_t n = size / sizeof(struct jn_insn);
	struct jn_insn *insns;
	struct jn_vm_run *run;
	char err[256];

	if (n == 0 || n > 4096)
		return 0;
	insns = malloc(n * sizeof(*insns));
	run = malloc(sizeof(*run));
	if (insns && run) {
		memcpy(insns, data, n * sizeof(*insns));
		if (jn_isa_validate(insns, n, err, sizeof(err)) == 0)
			for (size_t k = 0; k < sizeof(configs) / sizeof(configs[0]); k++)
				one(insns, n, data, size, &configs[k], run);
	}
	free(insns);
	free(run);
	return 0;
}
