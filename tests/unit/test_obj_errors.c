/* test_obj_errors.c - the loader's refusals: valid objects edited in memory
 * (truncated, wrong machine, corrupted section headers, bad relocations,
 * bad map types, corrupted CO-RE records), objects the loader does not
 * support (externs, inner maps), raw files, and random byte mutations that
 * must never crash.  Every message is one line naming the file and place. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <bpf/libbpf.h>
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "obj/obj.h"

#define OBJS "build/tests/objs/"

static char err[512];

struct img {
	uint8_t *b;
	size_t len;
};

static struct img load(const char *path)
{
	struct img im;

	if (jn_read_file(path, &im.b, &im.len))
		fail_msg("cannot read %s", path);
	return im;
}

static Elf64_Ehdr *ehdr(struct img *im) { return (Elf64_Ehdr *)im->b; }

static Elf64_Shdr *shdr(struct img *im, size_t i)
{
	return (Elf64_Shdr *)(im->b + ehdr(im)->e_shoff + i * sizeof(Elf64_Shdr));
}

static size_t sec(struct img *im, const char *name)
{
	const char *strs = (const char *)im->b + shdr(im, ehdr(im)->e_shstrndx)->sh_offset;

	for (size_t i = 1; i < ehdr(im)->e_shnum; i++)
		if (!strcmp(strs + shdr(im, i)->sh_name, name))
			return i;
	fail_msg("no section %s", name);
	return 0;
}

static uint8_t *sec_data(struct img *im, const char *name)
{
	return im->b + shdr(im, sec(im, name))->sh_offset;
}

/* Open im (optionally with opts) as "bad.o"; it must fail with rc and a
 * one-line message containing want. */
static void expect_opts(struct img *im, const struct jn_obj_opts *opts, int rc, const char *want)
{
	struct jn_obj *o = (struct jn_obj *)1;
	int got = jn_obj_open_opts(im->b, im->len, "bad.o", opts, &o, err, sizeof(err));

	assert_null(o);
	if (got != rc || !strstr(err, want) || strncmp(err, "obj: bad.o: ", 12) || strchr(err, '\n'))
		fail_msg("rc %d (want %d): \"%s\" (want \"%s\")", got, rc, err, want);
}

static void expect(struct img *im, int rc, const char *want)
{
	expect_opts(im, NULL, rc, want);
}

static void test_truncated_objects_are_refused(void **state)
{
	struct img im = load(OBJS "btf_maps.o");
	size_t full = im.len;
	const size_t cuts[] = { 4, 63, 64, 200, full / 2, full - 1 };

	(void)state;
	im.len = 0;
	expect(&im, -EINVAL, "empty file");
	im.len = 4;
	expect(&im, -EINVAL, "not an ELF file");
	for (size_t i = 0; i < JN_ARRAY_SIZE(cuts); i++) {
		struct jn_obj *o = NULL;

		im.len = cuts[i];
		assert_true(jn_obj_open_mem(im.b, im.len, "bad.o", &o, err, sizeof(err)) < 0);
		assert_null(o);
		assert_int_equal(strncmp(err, "obj: bad.o: ", 12), 0);
	}
	free(im.b);
}

static void test_elf_header_checks(void **state)
{
	struct img im = load(OBJS "btf_maps.o");

	(void)state;
	ehdr(&im)->e_machine = EM_X86_64;
	expect(&im, -EINVAL, "ELF header: e_machine 62 is not BPF (247)");
	ehdr(&im)->e_machine = EM_BPF;
	ehdr(&im)->e_type = ET_EXEC;
	expect(&im, -EINVAL, "ELF header: e_type 2 is not a relocatable object");
	ehdr(&im)->e_type = ET_REL;
	im.b[EI_DATA] = ELFDATA2MSB;
	expect(&im, -ENOTSUP, "big-endian");
	im.b[EI_DATA] = ELFDATA2LSB;
	im.b[EI_CLASS] = ELFCLASS32;
	expect(&im, -EINVAL, "");
	free(im.b);
}

static void test_corrupted_section_headers(void **state)
{
	struct img im = load(OBJS "btf_maps.o");
	Elf64_Shdr *x = shdr(&im, sec(&im, "xdp")), save = *x;
	Elf64_Shdr *sym = shdr(&im, sec(&im, ".symtab"));

	(void)state;
	x->sh_offset = 1u << 30;
	expect(&im, -EINVAL, "section xdp: cannot read");
	*x = save;
	x->sh_size -= 4;
	expect(&im, -EINVAL, "section xdp: size 260 is not a multiple of 8");
	*x = save;
	x->sh_name = 0x7fffffff;
	expect(&im, -EINVAL, "bad name offset 2147483647");
	*x = save;
	sym->sh_type = SHT_PROGBITS;
	expect(&im, -EINVAL, "no symbol table");
	free(im.b);
}

static Elf64_Rel *rel(struct img *im, const char *relsec, size_t i)
{
	return (Elf64_Rel *)sec_data(im, relsec) + i;
}

static void test_bad_relocations(void **state)
{
	struct img im = load(OBJS "btf_maps.o");
	Elf64_Rel *r0 = rel(&im, ".relxdp", 0), *r1 = rel(&im, ".relxdp", 1), s0 = *r0, s1 = *r1;
	Elf64_Sym *syms = (Elf64_Sym *)sec_data(&im, ".symtab");
	size_t nsyms = shdr(&im, sec(&im, ".symtab"))->sh_size / sizeof(Elf64_Sym), lic = 0;

	(void)state;
	r0->r_info = ELF64_R_INFO(0xffffff, ELF64_R_TYPE(s0.r_info));
	expect(&im, -EINVAL, "section .relxdp: relocation 0: symbol 16777215 out of range");
	*r0 = s0;
	r0->r_offset = 8;     /* mov, not lddw */
	expect(&im, -EINVAL, "section .relxdp: relocation 0: instruction 1 (opcode 0xb7) is neither lddw nor call");
	r0->r_offset = 1u << 20;
	expect(&im, -EINVAL, "section .relxdp: relocation 0: offset 1048576 is not an instruction of xdp");
	*r0 = s0;
	r1->r_offset = r0->r_offset;
	expect(&im, -EINVAL, "section .relxdp: relocation 1: second relocation for instruction");
	*r1 = s1;
	for (size_t i = 1; i < nsyms; i++)
		if (!strcmp((const char *)sec_data(&im, ".strtab") + syms[i].st_name, "_license"))
			lic = i;
	assert_true(lic > 0);
	r0->r_info = ELF64_R_INFO(lic, ELF64_R_TYPE(s0.r_info));
	expect(&im, -EINVAL, "symbol _license is in section license, not a map, global data or code");
	*r0 = s0;
	free(im.b);
}

static void test_function_symbol_crossing_its_section(void **state)
{
	struct img im = load(OBJS "subprogs.o");
	Elf64_Sym *syms = (Elf64_Sym *)sec_data(&im, ".symtab");
	size_t nsyms = shdr(&im, sec(&im, ".symtab"))->sh_size / sizeof(Elf64_Sym);

	(void)state;
	for (size_t i = 1; i < nsyms; i++)
		if (!strcmp((const char *)sec_data(&im, ".strtab") + syms[i].st_name, "twice"))
			syms[i].st_size = 1u << 16;
	expect(&im, -EINVAL, "section .text: function twice (offset ");
	free(im.b);
}

static void test_unsupported_features_are_named(void **state)
{
	struct img im = load(OBJS "extern.o");

	(void)state;
	expect(&im, -ENOTSUP, "section .relxdp: relocation 0: unsupported extern LINUX_KERNEL_VERSION");
	free(im.b);
	im = load(OBJS "inner_map.o");
	expect(&im, -ENOTSUP, "section .maps: map outer: inner maps and initial values (field values) are not supported");
	free(im.b);
}

static void test_map_type_zero_and_absurd(void **state)
{
	struct img im = load(OBJS "legacy_maps.o");
	uint32_t *type = (uint32_t *)sec_data(&im, "maps");   /* counters is first */

	(void)state;
	*type = 0;
	expect(&im, -EINVAL, "section maps: map counters: invalid map type 0");
	*type = 5000;
	expect(&im, -EINVAL, "section maps: map counters: unknown map type 5000");
	free(im.b);
}

/* First CO-RE record of .BTF.ext: {insn_off, type_id, access_str_off, kind} */
static uint32_t *core_record(struct img *im)
{
	uint8_t *ext = sec_data(im, ".BTF.ext");
	uint32_t hdr_len, off;

	memcpy(&hdr_len, ext + 4, 4);
	memcpy(&off, ext + 24, 4);
	return (uint32_t *)(ext + hdr_len + off + 4 + 8);
}

static void test_corrupted_core_records(void **state)
{
	struct jn_obj_opts own = { .core_own = true };
	struct img im = load(OBJS "core.o");
	uint32_t *r = core_record(&im), save[4];

	(void)state;
	memcpy(save, r, sizeof(save));
	r[0] = 3;
	expect_opts(&im, &own, -EINVAL, "section xdp: CO-RE relocation 0 (field_byte_offset): instruction offset 3 outside the section");
	memcpy(r, save, sizeof(save));
	r[3] = 8;    /* type_exists with a field access string */
	expect_opts(&im, &own, -EINVAL, "CO-RE relocation 0 (type_exists): bad access string \"0:3\"");
	memcpy(r, save, sizeof(save));
	r[3] = 12;
	expect_opts(&im, &own, -EINVAL, "(type_matches): bad access string");
	free(im.b);
}

static void test_raw_files(void **state)
{
	char path[] = "/tmp/jn_obj_rawXXXXXX";
	int fd = mkstemp(path);
	struct jn_obj *o = (struct jn_obj *)1;
	char want[128];

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(jn_obj_open_raw(path, &o, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "obj: %s: offset 0: empty file", path);
	assert_string_equal(err, want);
	assert_int_equal(write(fd, "0123456789ab", 12), 12);
	close(fd);
	assert_int_equal(jn_obj_open_raw(path, &o, err, sizeof(err)), -EINVAL);
	assert_null(o);
	snprintf(want, sizeof(want), "obj: %s: offset 8: trailing partial instruction (length is not a multiple of 8)", path);
	assert_string_equal(err, want);
	unlink(path);
}

static void test_missing_file(void **state)
{
	struct jn_obj *o = (struct jn_obj *)1;

	(void)state;
	assert_int_equal(jn_obj_open("/nonexistent/x.o", &o, err, sizeof(err)), -ENOENT);
	assert_null(o);
	assert_string_equal(err, "obj: /nonexistent/x.o: No such file or directory");
	assert_int_equal(jn_obj_open_raw("/nonexistent/x.bin", &o, err, sizeof(err)), -ENOENT);
}

/* Random byte edits: every result is a clean open or a clean refusal. */
static void test_random_mutations_never_crash(void **state)
{
	static const char *const files[] = { "btf_maps.o", "global_data.o", "subprogs.o", "legacy_maps.o", "core.o" };
	struct jn_obj_opts own = { .core_own = true };
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	size_t opened = 0, refused = 0;

	(void)state;
	for (size_t f = 0; f < JN_ARRAY_SIZE(files); f++) {
		char path[128];
		struct img im;

		snprintf(path, sizeof(path), OBJS "%s", files[f]);
		im = load(path);
		for (int round = 0; round < 1000; round++) {
			uint8_t *copy = malloc(im.len);
			struct jn_obj *o = NULL;
			int n = 1 + round % 4;

			memcpy(copy, im.b, im.len);
			for (int k = 0; k < n; k++) {
				seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
				copy[seed % im.len] ^= (uint8_t)(1u << (seed >> 32) % 8 | (round & 1 ? 0 : 0xff));
			}
			if (jn_obj_open_opts(copy, im.len, "m.o", &own, &o, err, sizeof(err))) {
				assert_null(o);
				assert_int_equal(strncmp(err, "obj: m.o: ", 10), 0);
				assert_null(strchr(err, '\n'));
				refused++;
			} else {
				for (size_t p = 0; p < o->n_progs; p++)
					assert_true(o->progs[p].n_insns >= o->progs[p].n_main && o->progs[p].n_main > 0);
				jn_obj_close(o);
				opened++;
			}
			free(copy);
		}
		free(im.b);
	}
	assert_int_equal(opened + refused, 1000 * JN_ARRAY_SIZE(files));
	assert_true(refused > 0);
}

int main(void)
{
	libbpf_set_print(NULL);   /* libbpf warns about the broken BTF we feed it */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_truncated_objects_are_refused),
		cmocka_unit_test(test_elf_header_checks),
		cmocka_unit_test(test_corrupted_section_headers),
		cmocka_unit_test(test_bad_relocations),
		cmocka_unit_test(test_function_symbol_crossing_its_section),
		cmocka_unit_test(test_unsupported_features_are_named),
		cmocka_unit_test(test_map_type_zero_and_absurd),
		cmocka_unit_test(test_corrupted_core_records),
		cmocka_unit_test(test_raw_files),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_random_mutations_never_crash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
