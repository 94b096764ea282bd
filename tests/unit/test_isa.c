/* test_isa.c - the isa module against LLVM 19, the reference for its syntax.
 *
 * Every table entry is encoded with several operand sets (bytes built from
 * the table row, not by our assembler).  llvm-objdump-19 disassembles all of
 * them at once and must print exactly what jn_isa_disasm prints; llvm-mc-19
 * then assembles that text and must produce the same bytes as
 * jn_isa_assemble.  jn_isa_dump must reproduce llvm-objdump-19 -d on the XDP
 * objects the system ships.  The validator's errors and the assembler's
 * labels, leniencies and errors are checked on hand-written cases.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "isa/isa.h"

#define LLVM_MC "llvm-mc-19"
#define OBJDUMP "llvm-objdump-19"
#define OBJCOPY "llvm-objcopy-19"
#define XDP_OBJS "/usr/lib/x86_64-linux-gnu/bpf/*.o"

/* ---- helpers ------------------------------------------------------------- */

static int have_llvm(void)
{
	return system("command -v " LLVM_MC " >/dev/null 2>&1 && command -v " OBJDUMP
		      " >/dev/null 2>&1 && command -v " OBJCOPY " >/dev/null 2>&1") == 0;
}

#define SKIP_WITHOUT_LLVM() do { \
	if (!have_llvm()) { \
		print_message("skipped: " LLVM_MC "/" OBJDUMP "/" OBJCOPY " not installed " \
			      "(apt-get install llvm-19)\n"); \
		skip(); \
	} \
} while (0)

/* stdout of a shell command (malloc'd), asserting it exits 0. */
static char *run(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	char chunk[4096];
	size_t got;

	assert_non_null(p);
	assert_non_null(mem);
	while ((got = fread(chunk, 1, sizeof(chunk), p)) > 0)
		fwrite(chunk, 1, got, mem);
	fclose(mem);
	if (pclose(p) != 0)
		fail_msg("command failed: %s", cmd);
	return buf;
}

/* The instruction lines of llvm-objdump -d output, one per element of
 * lines[] (pointers into out, which is modified): "pc:\t" and a trailing
 * " <symbol+off>" removed unless keep_pc. */
static size_t objdump_lines(char *out, char **lines, size_t cap, int keep_pc)
{
	size_t n = 0;

	for (char *l = strtok(out, "\n"); l; l = strtok(NULL, "\n")) {
		char *p = l + strspn(l, " ");
		char *colon = p + strspn(p, "0123456789");
		if (colon == p || colon[0] != ':' || colon[1] != '\t')
			continue;
		char *sym = NULL;
		for (char *q = strstr(l, " <"); q; q = strstr(q + 1, " <"))
			sym = q;
		if (sym && l[strlen(l) - 1] == '>')
			*sym = '\0';
		assert_true(n < cap);
		lines[n++] = keep_pc ? l : colon + 2;
	}
	return n;
}

static struct jn_insn *assemble_ok(const char *text, size_t *n)
{
	struct jn_insn *code;
	char err[256];

	if (jn_isa_assemble(text, &code, n, err, sizeof(err)))
		fail_msg("'%s' does not assemble: %s", text, err);
	return code;
}

static void assert_asm_error(const char *text, const char *msg)
{
	struct jn_insn *code = (struct jn_insn *)1;
	size_t n = 99;
	char err[256] = "";

	assert_int_equal(jn_isa_assemble(text, &code, &n, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, msg);
	assert_null(code);
	assert_int_equal(n, 0);
}

static void assert_disasm(const struct jn_insn *in, size_t n, const char *text)
{
	char buf[JN_ISA_TEXT_MAX];

	assert_int_equal(jn_isa_disasm(in, n, 0, buf, sizeof(buf)), jn_isa_is_wide(in->code) ? 2 : 1);
	assert_string_equal(buf, text);
}

/* ---- every table entry against llvm ---------------------------------------- */

/* Which fields of each form carry operands that llvm prints. */
enum { F_DST = 1, F_SRC = 2, F_OFF = 4, F_IMM = 8, F_IMM64 = 16 };
static const uint8_t form_fields[JN_FORM__COUNT] = {
	[JN_FORM_ALU_K] = F_DST | F_IMM,          [JN_FORM_ALU_X] = F_DST | F_SRC,
	[JN_FORM_NEG] = F_DST,                    [JN_FORM_MOV_K] = F_DST | F_IMM,
	[JN_FORM_MOV_X] = F_DST | F_SRC,          [JN_FORM_MOVSX] = F_DST | F_SRC,
	[JN_FORM_END] = F_DST,                    [JN_FORM_JA] = F_OFF,
	[JN_FORM_JA32] = F_IMM,                   [JN_FORM_JCC_K] = F_DST | F_OFF | F_IMM,
	[JN_FORM_JCC_X] = F_DST | F_SRC | F_OFF,  [JN_FORM_CALL] = F_IMM,
	[JN_FORM_CALL_LOCAL] = F_IMM,             [JN_FORM_CALL_KFUNC] = F_IMM,
	[JN_FORM_CALLX] = F_DST,                  [JN_FORM_EXIT] = 0,
	[JN_FORM_LDX] = F_DST | F_SRC | F_OFF,    [JN_FORM_LDXSX] = F_DST | F_SRC | F_OFF,
	[JN_FORM_ST] = F_DST | F_OFF | F_IMM,     [JN_FORM_STX] = F_DST | F_SRC | F_OFF,
	[JN_FORM_ATOMIC] = F_DST | F_SRC | F_OFF, [JN_FORM_AFETCH] = F_DST | F_SRC | F_OFF,
	[JN_FORM_AXCHG] = F_DST | F_SRC | F_OFF,  [JN_FORM_ACMPXCHG] = F_DST | F_SRC | F_OFF,
	[JN_FORM_LDDW] = F_DST | F_IMM64,         [JN_FORM_LDABS] = F_IMM,
	[JN_FORM_LDIND] = F_SRC,
};

/* Operand sets: small, negative, and both ends of each field's range. */
static const struct variant {
	uint8_t dst, src;
	int16_t off;
	int32_t imm;
	int64_t imm64;
} variants[] = {
	{ 1, 2, 4, 5, 0x123 },
	{ 10, 9, -8, -5, -1 },
	{ 0, 10, INT16_MAX, INT32_MAX, 0x123456789abcdef0 },
	{ 9, 0, INT16_MIN, INT32_MIN, INT64_MIN },
};
#define NSAMPLES (JN_OP__COUNT * JN_ARRAY_SIZE(variants))

struct sample {
	enum jn_op op;
	struct jn_insn in[2];
	char text[JN_ISA_TEXT_MAX];
};

static struct sample samples[NSAMPLES];

static void make_sample(struct sample *s, enum jn_op op, const struct variant *v)
{
	const struct jn_isa_info *e = &jn_isa_info[op];
	unsigned f = form_fields[e->form];

	if (e->form == JN_FORM_LDDW && e->selval)
		f = F_DST | F_IMM;   /* ld_pseudo: llvm shows the first imm only */
	memset(s, 0, sizeof(*s));
	s->op = op;
	s->in[0].code = e->opcode;
	s->in[0].dst = f & F_DST ? v->dst : 0;
	s->in[0].src = f & F_SRC ? v->src : 0;
	s->in[0].off = f & F_OFF ? v->off : 0;
	s->in[0].imm = f & F_IMM ? v->imm : 0;
	if (f & F_IMM64) {
		s->in[0].imm = (int32_t)(uint32_t)(uint64_t)v->imm64;
		s->in[1].imm = (int32_t)(uint32_t)((uint64_t)v->imm64 >> 32);
	}
	if (e->sel == JN_SEL_OFF)
		s->in[0].off = (int16_t)e->selval;
	else if (e->sel == JN_SEL_IMM)
		s->in[0].imm = e->selval;
	else if (e->sel == JN_SEL_SRC)
		s->in[0].src = (uint8_t)e->selval;
}

static size_t slots(const struct sample *s)
{
	return jn_isa_is_wide(s->in[0].code) ? 2 : 1;
}

static int make_samples(void **state)
{
	for (size_t i = 0; i < NSAMPLES; i++) {
		struct sample *s = &samples[i];
		make_sample(s, (enum jn_op)(i / JN_ARRAY_SIZE(variants)),
			    &variants[i % JN_ARRAY_SIZE(variants)]);
		if (jn_isa_disasm(s->in, slots(s), 0, s->text, sizeof(s->text)) != (int)slots(s))
			return -1;
	}
	return 0;
}

static void test_every_entry_decodes_to_itself(void **state)
{
	for (size_t i = 0; i < NSAMPLES; i++)
		assert_int_equal(jn_isa_decode(samples[i].in), samples[i].op);
	struct jn_insn zero = {0};
	assert_int_equal(jn_isa_decode(&zero), JN_OP_INVALID);
}

static void test_every_entry_disassembles_like_llvm_objdump(void **state)
{
	char dir[] = "/tmp/jn_isa_XXXXXX", cmd[512];
	static char *lines[NSAMPLES + 1];

	SKIP_WITHOUT_LLVM();
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "%s/bytes.s", dir);
	FILE *f = fopen(cmd, "w");
	assert_non_null(f);
	for (size_t i = 0; i < NSAMPLES; i++) {
		const uint8_t *b = (const uint8_t *)samples[i].in;
		fprintf(f, "\t.byte 0x%02x", b[0]);
		for (size_t k = 1; k < slots(&samples[i]) * 8; k++)
			fprintf(f, ",0x%02x", b[k]);
		fputc('\n', f);
	}
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 LLVM_MC " -triple bpfel -filetype=obj %s/bytes.s -o %s/bytes.o && "
		 OBJDUMP " -d --mcpu=v4 --no-show-raw-insn %s/bytes.o; rm -rf %s", dir, dir, dir, dir);
	char *out = run(cmd);
	assert_int_equal(objdump_lines(out, lines, NSAMPLES + 1, 0), NSAMPLES);
	for (size_t i = 0; i < NSAMPLES; i++)
		if (strcmp(samples[i].text, lines[i]))
			fail_msg("%s: we print '%s', llvm-objdump '%s'", jn_isa_info[samples[i].op].name,
				 samples[i].text, lines[i]);
	free(out);
}

/* What llvm-mc makes of our text.  Two entries cannot round-trip: "call N"
 * always means a helper call (src 0), so local and kfunc calls come back
 * as CALL. */
static void expected_bytes(const struct sample *s, struct jn_insn *out)
{
	memcpy(out, s->in, sizeof(s->in));
	if (s->op == JN_OP_CALL_LOCAL || s->op == JN_OP_CALL_KFUNC)
		out[0].src = 0;
}

/* llvm-mc-19 only takes 16-bit gotol offsets (a parser limit). */
static int llvm_mc_accepts(const struct sample *s)
{
	return s->op != JN_OP_GOTOL || (s->in[0].imm >= INT16_MIN && s->in[0].imm <= INT16_MAX);
}

/* One llvm-mc output line: "\t<text>  # encoding: [0x07,0x01,...]". */
static void parse_encoding(char *line, char **text, uint8_t *bytes, size_t *nbytes)
{
	char *enc = strstr(line, "# encoding: [");
	assert_non_null(enc);
	char *end = enc;
	while (end > line && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*end = '\0';
	*text = line + strspn(line, " \t");
	*nbytes = 0;
	for (char *p = enc + strlen("# encoding: ["); *p && *p != ']'; p += *p == ',') {
		assert_true(*nbytes < 16);
		bytes[(*nbytes)++] = (uint8_t)strtoul(p, &p, 16);
	}
}

static void test_every_entry_assembles_like_llvm_mc(void **state)
{
	char dir[] = "/tmp/jn_isa_XXXXXX", cmd[512];
	size_t checked = 0, expect = 0;

	SKIP_WITHOUT_LLVM();
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "%s/text.s", dir);
	FILE *f = fopen(cmd, "w");
	assert_non_null(f);
	for (size_t i = 0; i < NSAMPLES; i++)
		if (llvm_mc_accepts(&samples[i]) && ++expect)
			fprintf(f, "%s\n", samples[i].text);
	fclose(f);
	snprintf(cmd, sizeof(cmd), LLVM_MC " -triple bpfel -mcpu=v4 -show-encoding --print-imm-hex "
		 "%s/text.s; rm -rf %s", dir, dir);
	char *out = run(cmd), *save = NULL;
	char *line = strtok_r(out, "\n", &save);
	for (size_t i = 0; i < NSAMPLES; i++) {
		const struct sample *s = &samples[i];
		struct jn_insn want[2], *ours;
		size_t n;

		expected_bytes(s, want);
		ours = assemble_ok(s->text, &n);
		assert_int_equal(n, slots(s));
		if (memcmp(ours, want, n * 8))
			fail_msg("%s: our assembler encodes '%s' differently", jn_isa_info[s->op].name, s->text);
		free(ours);
		if (!llvm_mc_accepts(s))
			continue;
		while (line && !strstr(line, "# encoding:"))
			line = strtok_r(NULL, "\n", &save);
		assert_non_null(line);
		char *text;
		uint8_t bytes[16];
		parse_encoding(line, &text, bytes, &n);
		assert_string_equal(text, s->text);
		assert_int_equal(n, slots(s) * 8);
		if (memcmp(bytes, want, n))
			fail_msg("%s: llvm-mc encodes '%s' differently", jn_isa_info[s->op].name, s->text);
		line = strtok_r(NULL, "\n", &save);
		checked++;
	}
	assert_int_equal(checked, expect);
	free(out);
}

/* ---- real object code ---------------------------------------------------- */

/* jn_isa_dump of one section against llvm-objdump -d (with raw bytes). */
static void check_section(const char *obj, const char *sec)
{
	char path[] = "/tmp/jn_isa_sec_XXXXXX", cmd[1024];
	static char *want[1 << 16], *got[1 << 16];
	uint8_t *bytes;
	size_t len;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), OBJCOPY " -O binary --only-section='%s' '%s' %s", sec, obj, path);
	free(run(cmd));
	assert_int_equal(jn_read_file(path, &bytes, &len), 0);
	unlink(path);
	assert_int_equal(len % 8, 0);

	char *ours = NULL;
	size_t ourslen = 0;
	FILE *mem = open_memstream(&ours, &ourslen);
	assert_int_equal(jn_isa_dump(mem, (struct jn_insn *)bytes, len / 8), 0);
	fclose(mem);
	snprintf(cmd, sizeof(cmd), OBJDUMP " -d --mcpu=v4 -j '%s' '%s'", sec, obj);
	char *theirs = run(cmd);
	size_t n = objdump_lines(theirs, want, JN_ARRAY_SIZE(want), 1);
	assert_int_equal(objdump_lines(ours, got, JN_ARRAY_SIZE(got), 1), n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(got[i], want[i]))
			fail_msg("%s %s:\n ours: %s\nllvm: %s", obj, sec, got[i], want[i]);

	char err[256];
	if (jn_isa_validate((struct jn_insn *)bytes, len / 8, err, sizeof(err)))
		fail_msg("%s %s: %s", obj, sec, err);
	free(theirs);
	free(ours);
	free(bytes);
}

static void test_dump_matches_llvm_objdump_on_xdp_objects(void **state)
{
	glob_t g;
	size_t sections = 0;

	SKIP_WITHOUT_LLVM();
	if (glob(XDP_OBJS, 0, NULL, &g) != 0) {
		print_message("skipped: no objects at " XDP_OBJS " (apt-get install libxdp1)\n");
		skip();
	}
	for (size_t i = 0; i < g.gl_pathc; i++) {
		char cmd[512];
		snprintf(cmd, sizeof(cmd), OBJDUMP " -h '%s'", g.gl_pathv[i]);
		char *hdr = run(cmd), *save = NULL;
		/* "  3 xdp  000004b0 0000000000000000 TEXT": code sections with bytes */
		for (char *l = strtok_r(hdr, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			char name[128], size[32], type[16] = "";
			unsigned idx;
			if (sscanf(l, "%u %127s %31s %*s %15s", &idx, name, size, type) == 4 &&
			    !strcmp(type, "TEXT") && strtoul(size, NULL, 16) > 0) {
				check_section(g.gl_pathv[i], name);
				sections++;
			}
		}
		free(hdr);
	}
	globfree(&g);
	assert_true(sections >= 10);
}

/* ---- edge cases of the syntax -------------------------------------------- */

/* text -> bytes (as hex) -> the same text */
static void assert_round_trip(const char *text, const char *hex)
{
	uint8_t want[16];
	long nb = jn_hex_parse(hex, want, sizeof(want));
	size_t n;
	struct jn_insn *code = assemble_ok(text, &n);

	assert_int_equal(n * 8, nb);
	assert_memory_equal(code, want, (size_t)nb);
	assert_disasm(code, n, text);
	free(code);
}

static void test_edge_values_round_trip(void **state)
{
	assert_round_trip("r1 = -0x1 ll", "18 01 00 00 ff ff ff ff 00 00 00 00 ff ff ff ff");
	assert_round_trip("r1 = -0x8000000000000000 ll", "18 01 00 00 00 00 00 00 00 00 00 00 00 00 00 80");
	assert_round_trip("r1 = 0x80000000 ll", "18 01 00 00 00 00 00 80 00 00 00 00 00 00 00 00");
	assert_round_trip("r1 = 0x7fffffffffffffff ll", "18 01 00 00 ff ff ff ff 00 00 00 00 ff ff ff 7f");
	assert_round_trip("ld_pseudo\tr1, 0x2, 0xffffffff", "18 21 00 00 ff ff ff ff 00 00 00 00 00 00 00 00");
	assert_round_trip("goto -0x8000", "05 00 00 80 00 00 00 00");
	assert_round_trip("if r1 s< -0x1 goto -0x3", "c5 01 fd ff ff ff ff ff");
	assert_round_trip("gotol -0x14f086a0", "06 00 00 00 60 79 0f eb");
	assert_round_trip("gotol +0x7fffffff", "06 00 00 00 ff ff ff 7f");
	assert_round_trip("call -0x1", "85 00 00 00 ff ff ff ff");
	assert_round_trip("w0 = *(u32 *)(r10 - 0x8000)", "61 a0 00 80 00 00 00 00");
	assert_round_trip("*(u64 *)(r10 - 0x8) = -0x80000000", "7a 0a f8 ff 00 00 00 80");
	assert_round_trip("r0 = *(u8 *)skb[-0x1]", "30 00 00 00 ff ff ff ff");
}

static void test_assembler_accepts_what_llvm_mc_accepts(void **state)
{
	size_t n;
	struct jn_insn *a = assemble_ok("r0 = *(u32 *)(r1 + 4)\n"          /* rN for a narrow load */
					"*(u8 *)(r10 - 8) = r1\n"
					"lock *(u32 *)(r1 + 0) += r2\n"
					"r1 += 010\n"                        /* octal, like llvm */
					"r1=-r1\n"
					"if r1 s>=5 goto 3\n"
					"r1 += 0xffffffff\n"                 /* unsigned spelling */
					"exit", &n);
	char want[] = "61 10 04 00 00 00 00 00 73 1a f8 ff 00 00 00 00 c3 21 00 00 00 00 00 00 "
		      "07 01 00 00 08 00 00 00 87 01 00 00 00 00 00 00 75 01 03 00 05 00 00 00 "
		      "07 01 00 00 ff ff ff ff 95 00 00 00 00 00 00 00";
	uint8_t bytes[64];

	assert_int_equal(n, 8);
	assert_int_equal(jn_hex_parse(want, bytes, sizeof(bytes)), 64);
	assert_memory_equal(a, bytes, 64);
	free(a);
}

static void test_assembler_resolves_labels(void **state)
{
	size_t n;
	struct jn_insn *a = assemble_ok("# a comment line\n"
					"start:  r0 = 0        ; trailing comment\n"
					"loop:\n"
					"\tr0 += 1             // another\n"
					"\tif r0 < 10 goto loop\n"
					"\tr1 = 0x100000000 ll\n"
					"\tcall .Lfunc\n"
					"\tgotol done\n"
					"\tgoto start\n"
					".Lfunc: exit\n"
					"done:\n"
					"\texit\n", &n);

	assert_int_equal(n, 10);
	assert_int_equal(a[2].code, 0xa5);
	assert_int_equal(a[2].off, -2);          /* pc 2 -> loop (pc 1) */
	assert_int_equal(a[5].code, 0x85);
	assert_int_equal(a[5].src, 1);           /* call to a label: a local call */
	assert_int_equal(a[5].imm, 2);           /* pc 5 -> .Lfunc (pc 8) */
	assert_int_equal(a[6].code, 0x06);
	assert_int_equal(a[6].imm, 2);           /* pc 6 -> done (pc 9) */
	assert_int_equal(a[7].off, -8);          /* pc 7 -> start (pc 0) */
	char err[128];
	assert_int_equal(jn_isa_validate(a, n, err, sizeof(err)), 0);
	free(a);
}

static void test_assembler_errors_name_the_line(void **state)
{
	assert_asm_error("exit\nfrob r1", "line 2: unknown instruction 'frob r1'");
	assert_asm_error("r1 = r11", "line 1: no register r11");
	assert_asm_error("r1 += 0x100000000", "line 1: immediate 0x100000000 out of range");
	assert_asm_error("r0 = *(u32 *)(r1 + 32768)", "line 1: offset + 32768 out of range");
	assert_asm_error("r1 = 99999999999999999999 ll", "line 1: number too large: '99999999999999999999 ll'");
	assert_asm_error("r1 = be16 r2", "line 1: r2 must be the same register as before");
	assert_asm_error("w1 += r2", "line 1: expected a w register at 'r2'");
	assert_asm_error("r1 += 5 6", "line 1: unexpected text at '6'");
	assert_asm_error("r0 = *(u64 *)(r1 ", "line 1: expected + or - at end of line");
	assert_asm_error("goto nowhere\nexit", "line 1: unknown label 'nowhere'");
	assert_asm_error("a: exit\n\na: exit", "line 3: label 'a' already defined at line 1");
	assert_asm_error("gotox +1", "line 1: unknown instruction 'gotox +1'");

	char *far = malloc(40000 * 7 + 64), *p = far;
	assert_non_null(far);
	p += sprintf(p, "goto end\n");
	for (int i = 0; i < 40000; i++)
		p += sprintf(p, "r0 = 0\n");
	strcpy(p, "end: exit\n");
	assert_asm_error(far, "line 1: label 'end' is 40000 slots away, beyond a 16-bit jump (use gotol)");
	free(far);

	char longline[2000];
	memset(longline, ' ', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	assert_asm_error(longline, "line 1: longer than 1024 characters");
}

static void test_disasm_reports_what_it_cannot_print(void **state)
{
	struct jn_insn bad[2] = { { .code = 0xff }, { .code = 0x18 } };
	char buf[JN_ISA_TEXT_MAX];

	assert_int_equal(jn_isa_disasm(bad, 2, 0, buf, sizeof(buf)), -EINVAL);
	assert_string_equal(buf, "unknown opcode 0xff");
	assert_int_equal(jn_isa_disasm(bad, 2, 1, buf, sizeof(buf)), -EINVAL);
	assert_string_equal(buf, "lddw is missing its second slot");
	assert_int_equal(jn_isa_disasm(bad, 2, 2, buf, sizeof(buf)), -EINVAL);

	/* a short buffer truncates, still terminated */
	struct jn_insn add = { .code = 0x07, .dst = 1, .imm = 5 };
	char tiny[5];
	assert_int_equal(jn_isa_disasm(&add, 1, 0, tiny, sizeof(tiny)), 1);
	assert_string_equal(tiny, "r1 +");

	char *out = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&out, &len);
	assert_int_equal(jn_isa_dump(mem, bad, 2), 0);
	fclose(mem);
	assert_string_equal(out, "       0:\tff 00 00 00 00 00 00 00\t<unknown>\n"
				 "       1:\t18 00 00 00 00 00 00 00\t<unknown>\n");
	free(out);
}

/* ---- validation ---------------------------------------------------------- */

static void assert_invalid(const struct jn_insn *insns, size_t n, const char *msg)
{
	char err[256] = "";

	assert_int_equal(jn_isa_validate(insns, n, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, msg);
}

/* Validate raw slots given as hex. */
static void assert_invalid_hex(const char *hex, const char *msg)
{
	uint8_t bytes[128];
	long nb = jn_hex_parse(hex, bytes, sizeof(bytes));

	assert_true(nb > 0 && nb % 8 == 0);
	assert_invalid((struct jn_insn *)bytes, (size_t)nb / 8, msg);
}

static void assert_invalid_text(const char *text, const char *msg)
{
	size_t n;
	struct jn_insn *code = assemble_ok(text, &n);

	assert_invalid(code, n, msg);
	free(code);
}

static void assert_valid_text(const char *text)
{
	size_t n;
	struct jn_insn *code = assemble_ok(text, &n);
	char err[256];

	if (jn_isa_validate(code, n, err, sizeof(err)))
		fail_msg("'%s' does not validate: %s", text, err);
	free(code);
}

#define EXIT_HEX " 95 00 00 00 00 00 00 00"

static void test_validate_rejects_unknown_opcodes(void **state)
{
	assert_invalid(NULL, 0, "empty program");
	assert_invalid_hex("ff 00 00 00 00 00 00 00" EXIT_HEX, "pc 0: unknown opcode 0xff");
	assert_invalid_hex("00 00 00 00 00 00 00 00" EXIT_HEX, "pc 0: unknown opcode 0x00");
	assert_invalid_hex("37 01 02 00 03 00 00 00" EXIT_HEX, "pc 0: unknown opcode 0x37 with off 2");
	assert_invalid_hex("bf 21 01 00 00 00 00 00" EXIT_HEX, "pc 0: unknown opcode 0xbf with off 1");
	assert_invalid_hex("db 21 00 00 02 00 00 00" EXIT_HEX, "pc 0: unknown opcode 0xdb with imm 2");
	assert_invalid_hex("dc 01 00 00 11 00 00 00" EXIT_HEX, "pc 0: unknown opcode 0xdc with imm 17");
	assert_invalid_hex("85 30 00 00 01 00 00 00" EXIT_HEX, "pc 0: unknown opcode 0x85 with src 3");
	assert_invalid_hex("18 71 00 00 00 00 00 00 00 00 00 00 00 00 00 00" EXIT_HEX,
			   "pc 0: unknown opcode 0x18 with src 7");
}

static void test_validate_rejects_bad_registers(void **state)
{
	assert_invalid_hex("07 0b 00 00 01 00 00 00" EXIT_HEX, "pc 0: invalid register r11");
	assert_invalid_hex("0f f1 00 00 00 00 00 00" EXIT_HEX, "pc 0: invalid register r15");
	assert_invalid_text("r10 += 8\nexit", "pc 0: write to r10, which is read-only");
	assert_invalid_text("r10 = r1\nexit", "pc 0: write to r10, which is read-only");
	assert_invalid_text("r10 = *(u64 *)(r1 + 0)\nexit", "pc 0: write to r10, which is read-only");
	assert_invalid_text("r10 = 1 ll\nexit", "pc 0: write to r10, which is read-only");
	assert_invalid_text("r10 = atomic_fetch_add((u64 *)(r1 + 0x0), r10)\nexit",
			    "pc 0: write to r10, which is read-only");
	assert_invalid_text("r10 = xchg_64(r1 + 0x0, r10)\nexit", "pc 0: write to r10, which is read-only");

	assert_valid_text("*(u64 *)(r10 - 8) = r1\n*(u32 *)(r10 - 4) = 1\n"
			  "lock *(u64 *)(r10 - 8) += r1\nr0 = *(u64 *)(r10 - 8)\n"
			  "if r10 == r1 goto +0\nexit");
}

static void test_validate_rejects_reserved_fields(void **state)
{
	assert_invalid_hex("07 21 00 00 01 00 00 00" EXIT_HEX, "pc 0: reserved field src is 2, must be 0");
	assert_invalid_hex("07 01 01 00 01 00 00 00" EXIT_HEX, "pc 0: reserved field off is 1, must be 0");
	assert_invalid_hex("0f 21 00 00 05 00 00 00" EXIT_HEX, "pc 0: reserved field imm is 5, must be 0");
	assert_invalid_hex("61 21 00 00 05 00 00 00" EXIT_HEX, "pc 0: reserved field imm is 5, must be 0");
	assert_invalid_hex("62 21 00 00 05 00 00 00" EXIT_HEX, "pc 0: reserved field src is 2, must be 0");
	assert_invalid_hex("05 00 00 00 05 00 00 00" EXIT_HEX, "pc 0: reserved field imm is 5, must be 0");
	assert_invalid_hex("06 00 01 00 00 00 00 00" EXIT_HEX, "pc 0: reserved field off is 1, must be 0");
	assert_invalid_hex("85 01 00 00 01 00 00 00" EXIT_HEX, "pc 0: reserved field dst is 1, must be 0");
	assert_invalid_hex("95 00 00 00 01 00 00 00", "pc 0: reserved field imm is 1, must be 0");
	assert_invalid_hex("20 01 00 00 01 00 00 00" EXIT_HEX, "pc 0: reserved field dst is 1, must be 0");
	assert_invalid_hex("18 01 01 00 00 00 00 00 00 00 00 00 00 00 00 00" EXIT_HEX,
			   "pc 0: reserved field off is 1, must be 0");
	/* a kfunc call's off names the BTF object: allowed */
	size_t n = 2;
	uint8_t kfunc[] = { 0x85, 0x20, 0x01, 0x00, 0x07, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0 };
	char err[128];
	assert_int_equal(jn_isa_validate((struct jn_insn *)kfunc, n, err, sizeof(err)), 0);
}

static void test_validate_rejects_constants_the_kernel_refuses(void **state)
{
	assert_invalid_text("r0 /= 0\nexit", "pc 0: division by constant 0");
	assert_invalid_text("w0 s%= 0\nexit", "pc 0: division by constant 0");
	assert_invalid_text("r0 <<= 64\nexit", "pc 0: shift by 64, outside 0..63");
	assert_invalid_text("w0 >>= 32\nexit", "pc 0: shift by 32, outside 0..31");
	assert_invalid_text("r0 s>>= -1\nexit", "pc 0: shift by -1, outside 0..63");

	assert_valid_text("r0 <<= 63\nw0 s>>= 31\nr0 /= -1\nr0 /= r1\nexit");
}

static void test_validate_rejects_bad_lddw_pairs(void **state)
{
	assert_invalid_hex("b7 00 00 00 00 00 00 00 18 01 00 00 00 00 00 00",
			   "pc 1: lddw is missing its second slot");
	assert_invalid_hex("18 01 00 00 00 00 00 00 07 00 00 00 00 00 00 00" EXIT_HEX,
			   "pc 0: lddw second slot has code 7, must be 0");
	assert_invalid_hex("18 01 00 00 00 00 00 00 00 10 00 00 00 00 00 00" EXIT_HEX,
			   "pc 0: lddw second slot has src 1, must be 0");
	assert_invalid_hex("18 01 00 00 00 00 00 00 00 00 04 00 00 00 00 00" EXIT_HEX,
			   "pc 0: lddw second slot has off 4, must be 0");
}

static void test_validate_rejects_bad_targets(void **state)
{
	assert_invalid_text("goto +1\nexit", "pc 0: jump target 2 is outside the program (2 slots)");
	assert_invalid_text("exit\ngoto -3", "pc 1: jump target -1 is outside the program (2 slots)");
	assert_invalid_text("if r1 == 0 goto +1\nr1 = 1 ll\nexit",
			    "pc 0: jump target 2 is the second slot of an lddw");
	assert_invalid_text("gotol +5\nexit", "pc 0: jump target 6 is outside the program (2 slots)");
	assert_invalid_text("call f\nexit\nf: r0 = 1 ll\nexit\ngoto -3",
			    "pc 5: jump target 3 is the second slot of an lddw");
	assert_invalid_hex("85 10 00 00 05 00 00 00" EXIT_HEX,
			   "pc 0: call target 6 is outside the program (2 slots)");
	assert_invalid_hex("18 41 00 00 07 00 00 00 00 00 00 00 00 00 00 00" EXIT_HEX,
			   "pc 0: function target 8 is outside the program (3 slots)");
}

static void test_validate_rejects_bad_endings(void **state)
{
	assert_invalid_text("r0 = 0", "pc 0: last instruction is not exit or an unconditional jump");
	assert_invalid_text("exit\nif r0 == 0 goto -2",
			    "pc 1: last instruction is not exit or an unconditional jump");
	assert_invalid_text("exit\nr0 = 1 ll", "pc 1: last instruction is not exit or an unconditional jump");

	assert_valid_text("a: r0 = 0\nexit\ngotol a");

	struct jn_insn *big = calloc(JN_ISA_MAX_INSNS + 1, sizeof(*big));
	assert_non_null(big);
	assert_invalid(big, JN_ISA_MAX_INSNS + 1, "program has 1000001 slots, more than 1000000");
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_entry_decodes_to_itself),
		cmocka_unit_test(test_every_entry_disassembles_like_llvm_objdump),
		cmocka_unit_test(test_every_entry_assembles_like_llvm_mc),
		cmocka_unit_test(test_dump_matches_llvm_objdump_on_xdp_objects),
		cmocka_unit_test(test_edge_values_round_trip),
		cmocka_unit_test(test_assembler_accepts_what_llvm_mc_accepts),
		cmocka_unit_test(test_assembler_resolves_labels),
		cmocka_unit_test(test_assembler_errors_name_the_line),
		cmocka_unit_test(test_disasm_reports_what_it_cannot_print),
		cmocka_unit_test(test_validate_rejects_unknown_opcodes),
		cmocka_unit_test(test_validate_rejects_bad_registers),
		cmocka_unit_test(test_validate_rejects_reserved_fields),
		cmocka_unit_test(test_validate_rejects_constants_the_kernel_refuses),
		cmocka_unit_test(test_validate_rejects_bad_lddw_pairs),
		cmocka_unit_test(test_validate_rejects_bad_targets),
		cmocka_unit_test(test_validate_rejects_bad_endings),
	};
	return cmocka_run_group_tests(tests, make_samples, NULL);
}
