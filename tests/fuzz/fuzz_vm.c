/* fuzz_vm.c - libFuzzer harness on the interpreter: the input's first byte
 * picks a memory size, the rest are instruction slots.  Every program that
 * validates is loaded and run (plain memory, and again as an XDP program over
 * a packet); the interpreter must stop every run cleanly, whatever the
 * program does. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vm/vm.h"

static uint64_t helper(struct jn_vm_run *run, uint64_t a, uint64_t b, uint64_t c, uint64_t d,
		       uint64_t e)
{
	return a + b;
}

static const struct jn_helper helpers[8] = {[1] = {"one", helper}, [5] = {"five", helper}};

static void run_as(const struct jn_insn *insns, size_t n, enum jn_vm_ctx_kind kind, uint8_t *mem,
		   size_t len)
{
	static struct jn_vm_run run;
	static uint8_t frame[4096];
	struct jn_vm_opts o = {.sz = sizeof(o), .ctx_kind = kind, .helpers = helpers,
			       .n_helpers = 8, .budget = 4096};
	char err[256];
	uint64_t r0;
	struct jn_vm *vm = jn_vm_load(insns, n, &o, err, sizeof(err));

	if (!vm)
		return;
	if (kind == JN_CTX_MEM) {
		jn_vm_run_init_mem(&run, vm, mem, len);
	} else {
		memcpy(frame + 256, mem, len);
		jn_vm_run_init_xdp(&run, vm, frame, sizeof(frame), 256, len, sizeof(frame));
	}
	jn_vm_exec(&run, &r0, false);
	jn_vm_run_init_mem(&run, vm, mem, len);
	jn_vm_exec(&run, &r0, true);
	jn_vm_free(vm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t mem[256];
	size_t len, n;
	struct jn_insn *insns;

	if (size < 1 + sizeof(struct jn_insn))
		return 0;
	len = data[0];
	n = (size - 1) / sizeof(struct jn_insn);
	insns = malloc(n * sizeof(*insns));
	if (!insns)
		return 0;
	memcpy(insns, data + 1, n * sizeof(*insns));
	for (size_t i = 0; i < sizeof(mem); i++)
		mem[i] = (uint8_t)(i * 7);
	run_as(insns, n, JN_CTX_MEM, mem, len);
	run_as(insns, n, JN_CTX_XDP, mem, len < 14 ? 14 : len);
	free(insns);
	return 0;
}
