/* fuzz_isa.c - libFuzzer harness for the isa module.
 *
 * The input is read twice: as instruction slots (validate, disassemble
 * every pc) and as assembler text.  A program that validates must also
 * survive the round trip text -> jn_isa_assemble -> the same slots, up to
 * what llvm's syntax cannot show (local and kfunc calls print as helper
 * calls; ld_pseudo omits its second imm; ld_ind omits its offset).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "isa/isa.h"

/* The slots as the assembler gives them back from their text. */
static void printable_form(struct jn_insn *insns, size_t n)
{
	for (size_t pc = 0; pc < n; pc += jn_isa_is_wide(insns[pc].code) ? 2 : 1) {
		enum jn_op op = jn_isa_decode(&insns[pc]);
		if (op == JN_OP_CALL_LOCAL || op == JN_OP_CALL_KFUNC) {
			insns[pc].src = 0;
			insns[pc].off = 0;
		} else if (jn_isa_info[op].form == JN_FORM_LDDW && insns[pc].src) {
			insns[pc + 1].imm = 0;
		} else if (jn_isa_info[op].form == JN_FORM_LDIND) {
			insns[pc].imm = 0;
		}
	}
}

static void round_trip(const struct jn_insn *insns, size_t n)
{
	char *text = malloc(n * (JN_ISA_TEXT_MAX + 1) + 1), *p = text, err[256];
	struct jn_insn *back = NULL, *want = malloc(n * sizeof(*want));
	size_t m;

	if (!text || !want)
		abort();
	for (size_t pc = 0; pc < n;) {
		int k = jn_isa_disasm(insns, n, pc, p, JN_ISA_TEXT_MAX);
		if (k <= 0)
			__builtin_trap();   /* validated code always disassembles */
		p += strlen(p);
		*p++ = '\n';
		pc += (size_t)k;
	}
	*p = '\0';
	memcpy(want, insns, n * sizeof(*want));
	printable_form(want, n);
	if (jn_isa_assemble(text, &back, &m, err, sizeof(err)) || m != n ||
	    memcmp(back, want, n * sizeof(*want)))
		__builtin_trap();   /* our own text must assemble to our bytes */
	free(back);
	free(want);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = size / sizeof(struct jn_insn), m;
	struct jn_insn *insns = malloc(n ? n * sizeof(*insns) : 1), *out = NULL;
	char *text = malloc(size + 1), err[256], buf[JN_ISA_TEXT_MAX];

	if (!insns || !text)
		abort();
	memcpy(insns, data, n * sizeof(*insns));
	int valid = jn_isa_validate(insns, n, err, sizeof(err)) == 0;
	for (size_t pc = 0; pc < n;) {
		int k = jn_isa_disasm(insns, n, pc, buf, sizeof(buf));
		pc += k > 0 ? (size_t)k : 1;
	}
	if (valid)
		round_trip(insns, n);

	memcpy(text, data, size);
	text[size] = '\0';
	if (jn_isa_assemble(text, &out, &m, err, sizeof(err)) == 0)
		free(out);
	free(text);
	free(insns);
	return 0;
}
