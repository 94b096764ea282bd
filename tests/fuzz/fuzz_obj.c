/* fuzz_obj.c - libFuzzer harness for the obj module: any bytes through
 * jn_obj_open_opts (CO-RE against the object's own BTF, so no vmlinux
 * parsing per input).  A refused input must say so in one line starting
 * "obj: "; an accepted one must be self-consistent: functions inside their
 * program, calls and callbacks landing inside it, map references in range.
 */
#include <bpf/libbpf.h>
#include <stdint.h>
#include <string.h>

#include "obj/obj.h"

static void check_prog(const struct jn_obj *o, const struct jn_obj_prog *p)
{
	if (p->n_main > p->n_insns || !p->n_funcs || p->funcs[0].len != p->n_main)
		__builtin_trap();
	for (size_t k = 0; k < p->n_funcs; k++)
		if (p->funcs[k].off > p->n_insns || p->funcs[k].len > p->n_insns - p->funcs[k].off)
			__builtin_trap();
	for (size_t i = 0; i < p->n_insns; i++) {
		const struct jn_insn *in = &p->insns[i];
		long t = (long)i + in->imm + 1;

		if ((in->code == 0x85 && in->src == 1) || (in->code == 0x18 && in->src == 4))
			if (t < 0 || (size_t)t >= p->n_insns)
				__builtin_trap();
		if (in->code == 0x18 && (in->src == 5 || in->src == 6) && (in->imm < 0 || (size_t)in->imm >= o->n_maps))
			__builtin_trap();
		if (in->code == 0x18)
			i++;
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	libbpf_set_print(NULL);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jn_obj_opts opts = { .core_own = true };
	struct jn_obj *o;
	char err[512];

	if (jn_obj_open_opts(data, size, "fuzz.o", &opts, &o, err, sizeof(err))) {
		if (o || strncmp(err, "obj: fuzz.o: ", 13) || strchr(err, '\n'))
			__builtin_trap();
		return 0;
	}
	for (size_t i = 0; i < o->n_progs; i++)
		check_prog(o, &o->progs[i]);
	for (size_t i = 0; i < o->n_others; i++)
		check_prog(o, &o->others[i]);
	for (size_t i = 0; i < o->n_maps; i++)
		if (!o->maps[i].spec.name || !o->maps[i].sec)
			__builtin_trap();
	jn_obj_close(o);
	return 0;
}
