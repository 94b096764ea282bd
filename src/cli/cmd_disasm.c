/* cmd_disasm.c - `jitnic disasm prog.o [--prog NAME] [--raw] [--json]`:
 * the loaded programs (subprograms appended, relocations applied) in
 * llvm-objdump syntax, one "<function>:" label per function.  See
 * docs/obj.md. */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "isa/isa.h"
#include "obj/obj.h"

struct disasm_cfg {
	const char *prog;
	bool raw, json;
};

static const struct jn_opt disasm_opts[] = {
	JN_OPT(struct disasm_cfg, prog, "prog", JN_OPT_STR, "NAME",
	       "only the program with this function or section name (default: every program)"),
	JN_OPT(struct disasm_cfg, raw, "raw", JN_OPT_FLAG, NULL, "the file is raw 8-byte instruction slots"),
	JN_OPT(struct disasm_cfg, json, "json", JN_OPT_FLAG, NULL, "print JSON"),
	{ NULL }
};

/* One instruction: hex bytes and text; returns the slots it used. */
static size_t insn_text(const struct jn_obj_prog *p, size_t pc, char *hex, size_t hexlen, char *text)
{
	int k = jn_isa_disasm(p->insns, p->n_insns, pc, text, JN_ISA_TEXT_MAX);
	size_t slots = k > 0 ? (size_t)k : 1, used = 0;
	const uint8_t *b = (const uint8_t *)&p->insns[pc];

	if (k <= 0)
		snprintf(text, JN_ISA_TEXT_MAX, "<unknown>");
	for (size_t i = 0; i < slots * sizeof(struct jn_insn) && used + 4 <= hexlen; i++)
		used += (size_t)snprintf(hex + used, hexlen - used, i ? " %02x" : "%02x", b[i]);
	return slots;
}

static const char *func_at(const struct jn_obj_prog *p, size_t pc)
{
	for (size_t k = 0; k < p->n_funcs; k++)
		if (p->funcs[k].off == pc)
			return p->funcs[k].name;
	return NULL;
}

static void print_prog(const struct jn_obj_prog *p, bool runnable)
{
	char hex[64], text[JN_ISA_TEXT_MAX];

	printf("program %s (section %s, %zu instructions%s):\n", p->name, p->sec, p->n_insns,
	       runnable ? "" : ", not runnable");
	for (size_t pc = 0; pc < p->n_insns;) {
		const char *f = func_at(p, pc);
		size_t slots;

		if (f)
			printf("%s<%s>:\n", pc ? "\n" : "", f);
		slots = insn_text(p, pc, hex, sizeof(hex), text);
		printf("%8zu:\t%s\t%s\n", pc, hex, text);
		pc += slots;
	}
	printf("\n");
}

static struct json_object *prog_json(const struct jn_obj_prog *p, bool runnable)
{
	struct json_object *o = json_object_new_object(), *fs = json_object_new_array();
	struct json_object *is = json_object_new_array();
	char hex[64], text[JN_ISA_TEXT_MAX];

	json_object_object_add(o, "name", json_object_new_string(p->name));
	json_object_object_add(o, "section", json_object_new_string(p->sec));
	json_object_object_add(o, "runnable", json_object_new_boolean(runnable));
	for (size_t k = 0; k < p->n_funcs; k++) {
		struct json_object *f = json_object_new_object();

		json_object_object_add(f, "name", json_object_new_string(p->funcs[k].name));
		json_object_object_add(f, "offset", json_object_new_int64((int64_t)p->funcs[k].off));
		json_object_object_add(f, "length", json_object_new_int64((int64_t)p->funcs[k].len));
		json_object_array_add(fs, f);
	}
	json_object_object_add(o, "functions", fs);
	for (size_t pc = 0; pc < p->n_insns;) {
		struct json_object *i = json_object_new_object();
		size_t slots = insn_text(p, pc, hex, sizeof(hex), text);

		json_object_object_add(i, "pc", json_object_new_int64((int64_t)pc));
		json_object_object_add(i, "hex", json_object_new_string(hex));
		json_object_object_add(i, "text", json_object_new_string(text));
		json_object_array_add(is, i);
		pc += slots;
	}
	json_object_object_add(o, "insns", is);
	return o;
}

static bool selected(const struct jn_obj_prog *p, const char *want)
{
	return !want || !strcmp(p->name, want) || !strcmp(p->sec, want);
}

static int disasm_run(void *cfgp, int npos, char **pos)
{
	struct disasm_cfg *cfg = cfgp;
	struct json_object *root = json_object_new_object(), *arr = json_object_new_array();
	struct jn_obj *obj;
	char err[512];
	size_t shown = 0;
	int rc = cfg->raw ? jn_obj_open_raw(pos[0], &obj, err, sizeof(err)) : jn_obj_open(pos[0], &obj, err, sizeof(err));

	(void)npos;
	if (rc) {
		fprintf(stderr, "jitnic disasm: %s\n", err);
		json_object_put(root);
		json_object_put(arr);
		return 1;
	}
	for (size_t i = 0; i < obj->n_progs + obj->n_others; i++) {
		bool runnable = i < obj->n_progs;
		const struct jn_obj_prog *p = runnable ? &obj->progs[i] : &obj->others[i - obj->n_progs];

		if (!selected(p, cfg->prog))
			continue;
		shown++;
		if (cfg->json)
			json_object_array_add(arr, prog_json(p, runnable));
		else
			print_prog(p, runnable);
	}
	json_object_object_add(root, "file", json_object_new_string(obj->path));
	json_object_object_add(root, "programs", arr);
	if (!shown)
		fprintf(stderr, "jitnic disasm: %s: no program%s%s\n", pos[0], cfg->prog ? " called " : "",
			cfg->prog ? cfg->prog : "");
	else if (cfg->json)
		printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	jn_obj_close(obj);
	return shown ? 0 : 1;
}

const struct jn_cmd jn_cmd_disasm = {
	.name = "disasm",
	.args = "prog.o",
	.summary = "disassemble an object's programs as loaded (subprograms appended, relocated)",
	.opts = disasm_opts,
	.cfg_size = sizeof(struct disasm_cfg),
	.min_pos = 1,
	.max_pos = 1,
	.run = disasm_run,
};
