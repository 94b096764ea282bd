/* test_obj_kernel.c - our relocated programs against libbpf's: the same
 * objects opened and loaded with libbpf (into the kernel, so CO-RE and map
 * relocations are the final ones) must give identical instructions, except
 * that map references carry map indexes (src 5/6) where libbpf has fds
 * (src 1/2).  Skipped where bpf() is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "obj/obj.h"

#define OBJS "build/tests/objs/"

static char err[512];

static bool poisoned(const struct jn_obj_prog *p)
{
	for (size_t i = 0; i < p->n_insns; i++)
		if (p->insns[i].code == 0x85 && p->insns[i].imm == 0xbad2310)
			return true;
	return false;
}

/* Our instruction equals libbpf's, map references compared by map. */
static bool same_insn(const struct jn_obj *o, struct bpf_object *lo, const struct jn_insn *m,
		      const struct bpf_insn *l)
{
	if (m->code == 0x18 && (m->src == 5 || m->src == 6)) {
		struct bpf_map *map = bpf_object__find_map_by_name(lo, o->maps[m->imm].spec.name);

		return map && l->code == 0x18 && l->src_reg == (m->src == 5 ? 1 : 2) && l->dst_reg == m->dst &&
		       l->off == m->off && l->imm == bpf_map__fd(map);
	}
	return !memcmp(m, l, sizeof(*m));
}

static void compare_progs(const struct jn_obj *o, struct bpf_object *lo, size_t *compared)
{
	for (size_t k = 0; k < o->n_progs; k++) {
		const struct jn_obj_prog *p = &o->progs[k];
		struct bpf_program *lp = bpf_object__find_program_by_name(lo, p->name);
		const struct bpf_insn *li;

		if (!bpf_program__autoload(lp))
			continue;
		li = bpf_program__insns(lp);
		if (bpf_program__insn_cnt(lp) != p->n_insns)
			fail_msg("%s %s: %zu instructions, libbpf %zu", o->path, p->name, p->n_insns,
				 bpf_program__insn_cnt(lp));
		for (size_t i = 0; i < p->n_insns; i++)
			if (!same_insn(o, lo, &p->insns[i], &li[i]))
				fail_msg("%s %s: pc %zu differs from libbpf's", o->path, p->name, i);
		(*compared)++;
	}
}

/* Load path with libbpf (our XDP programs only, typed as we type them;
 * poisoned ones stay out since the verifier would refuse them) and compare.
 * Returns false if bpf() is refused. */
static bool check(const char *path, const char *custom_btf, size_t *compared)
{
	struct btf *target = custom_btf ? btf__parse_elf(custom_btf, NULL) : NULL;
	struct jn_obj_opts opts = { .core_btf = target };
	LIBBPF_OPTS(bpf_object_open_opts, lopts, .btf_custom_path = custom_btf);
	struct bpf_object *lo = bpf_object__open_file(path, &lopts);
	struct bpf_program *lp;
	struct bpf_map *lm;
	struct jn_obj *o;
	uint8_t *buf;
	size_t len;
	int rc;

	assert_non_null(lo);
	assert_int_equal(jn_read_file(path, &buf, &len), 0);
	if (jn_obj_open_opts(buf, len, path, &opts, &o, err, sizeof(err)))
		fail_msg("%s", err);
	free(buf);
	bpf_object__for_each_program(lp, lo)
		bpf_program__set_autoload(lp, false);
	bpf_object__for_each_map(lm, lo)
		bpf_map__set_pin_path(lm, NULL);
	for (size_t k = 0; k < o->n_progs; k++) {
		lp = bpf_object__find_program_by_name(lo, o->progs[k].name);
		assert_non_null(lp);
		bpf_program__set_type(lp, BPF_PROG_TYPE_XDP);
		bpf_program__set_expected_attach_type(lp, o->progs[k].attach);
		bpf_program__set_autoload(lp, !poisoned(&o->progs[k]));
	}
	rc = bpf_object__load(lo);
	if (rc == -EPERM || rc == -EACCES || rc == -ENOSYS) {
		bpf_object__close(lo);
		jn_obj_close(o);
		btf__free(target);
		return false;
	}
	if (rc)
		fail_msg("%s: libbpf load: %d", path, rc);
	compare_progs(o, lo, compared);
	bpf_object__close(lo);
	jn_obj_close(o);
	btf__free(target);
	return true;
}

static void test_libxdp_and_test_objects_relocated_like_libbpf(void **state)
{
	static const char *const ours[] = { OBJS "btf_maps.o", OBJS "global_data.o", OBJS "subprogs.o", OBJS "core.o" };
	size_t compared = 0;
	glob_t g;

	(void)state;
	for (size_t i = 0; i < JN_ARRAY_SIZE(ours); i++)
		if (!check(ours[i], NULL, &compared))
			skip();
	if (!glob("/usr/lib/x86_64-linux-gnu/bpf/*.o", 0, NULL, &g)) {
		for (size_t i = 0; i < g.gl_pathc; i++)
			check(g.gl_pathv[i], NULL, &compared);
		globfree(&g);
	}
	assert_true(compared >= 12);
}

static void test_project_programs_relocated_like_libbpf(void **state)
{
	size_t compared = 0;
	glob_t g;

	(void)state;
	if (glob("build/progs/*.o", 0, NULL, &g))
		skip();
	for (size_t i = 0; i < g.gl_pathc; i++)
		if (!check(g.gl_pathv[i], NULL, &compared)) {
			globfree(&g);
			skip();
		}
	assert_true(compared >= g.gl_pathc);
	globfree(&g);
}

static void test_core_relocated_like_libbpf_against_custom_btf(void **state)
{
	size_t compared = 0;

	(void)state;
	if (!check(OBJS "core.o", OBJS "core_target.o", &compared))
		skip();
	assert_int_equal(compared, 18);   /* 21 programs, 3 poisoned */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_libxdp_and_test_objects_relocated_like_libbpf),
		cmocka_unit_test(test_project_programs_relocated_like_libbpf),
		cmocka_unit_test(test_core_relocated_like_libbpf_against_custom_btf),
	};

	libbpf_set_print(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
