/* test_obj.c - the object loader on real objects: every libxdp object in
 * /usr/lib/x86_64-linux-gnu/bpf, and the objects of tests/objs (built into
 * build/tests/objs/) for BTF and legacy maps, global data, subprograms,
 * callbacks, .text-only objects and CO-RE (against a custom target BTF, the
 * object's own and the kernel's). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <bpf/btf.h>
#include <glob.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "obj/obj.h"

#define OBJS "build/tests/objs/"
#define SYSBPF "/usr/lib/x86_64-linux-gnu/bpf/"

static char err[512];

static struct jn_obj *open_ok(const char *path)
{
	struct jn_obj *o = NULL;
	int rc = jn_obj_open(path, &o, err, sizeof(err));

	if (rc)
		fail_msg("%s: %d %s", path, rc, err);
	return o;
}

/* Open with options (CO-RE target). */
static struct jn_obj *open_opts(const char *path, const struct jn_obj_opts *opts)
{
	uint8_t *buf;
	size_t len;
	struct jn_obj *o = NULL;

	assert_int_equal(jn_read_file(path, &buf, &len), 0);
	if (jn_obj_open_opts(buf, len, path, opts, &o, err, sizeof(err)))
		fail_msg("%s: %s", path, err);
	free(buf);
	return o;
}

static const struct jn_obj_prog *prog(const struct jn_obj *o, const char *name)
{
	const struct jn_obj_prog *p = jn_obj_find_prog(o, name, err, sizeof(err));

	if (!p)
		fail_msg("%s", err);
	return p;
}

static const struct jn_obj_map *map(const struct jn_obj *o, const char *name)
{
	int i = jn_obj_find_map(o, name);

	if (i < 0)
		fail_msg("no map %s", name);
	return &o->maps[i];
}

static void assert_map(const struct jn_obj *o, const char *name, uint32_t type, uint32_t ks, uint32_t vs,
		       uint32_t max, uint32_t flags)
{
	const struct jn_obj_map *m = map(o, name);

	assert_int_equal(m->spec.type, type);
	assert_int_equal(m->spec.key_size, ks);
	assert_int_equal(m->spec.value_size, vs);
	assert_int_equal(m->spec.max_entries, max);
	assert_int_equal(m->spec.map_flags, flags);
}

/* ---- libxdp's objects ---- */

static const struct sys_expect {
	const char *file, *prog;
	size_t n_insns, n_main, n_maps;
	int32_t helper;        /* one helper it calls, or 0 */
} sys_expect[] = {
	{ "xdp-dispatcher.o", "xdp_dispatcher", 214, 148, 1, 0 },
	{ "xdpdump_xdp.o", "xdpdump", 35, 35, 2, BPF_FUNC_perf_event_output },
	{ "xdpfilt_alw_all.o", "xdpfilt_alw_all", 437, 437, 5, BPF_FUNC_map_lookup_elem },
	{ "xdpfilt_dny_eth.o", "xdpfilt_dny_eth", 85, 85, 2, BPF_FUNC_map_lookup_elem },
	{ "xdpfilt_alw_ip.o", "xdpfilt_alw_ip", 299, 299, 3, BPF_FUNC_map_lookup_elem },
	{ "xdpfilt_dny_tcp.o", "xdpfilt_dny_tcp", 278, 278, 2, BPF_FUNC_map_lookup_elem },
	{ "xdpfilt_alw_udp.o", "xdpfilt_alw_udp", 276, 276, 2, BPF_FUNC_map_lookup_elem },
	{ "xsk_def_xdp_prog.o", "xsk_def_prog", 11, 11, 2, BPF_FUNC_redirect_map },
	{ "xsk_def_xdp_prog_5.3.o", "xsk_def_prog", 23, 23, 2, BPF_FUNC_redirect_map },
};

static void test_every_libxdp_object_loads(void **state)
{
	glob_t g;
	size_t loaded = 0;

	(void)state;
	if (glob(SYSBPF "*.o", 0, NULL, &g))
		skip();
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct jn_obj *o = open_ok(g.gl_pathv[i]);

		assert_string_equal(o->license, "GPL");
		assert_true(o->n_progs + o->n_others > 0);
		for (size_t k = 0; k < o->n_progs; k++) {
			assert_true(o->progs[k].n_insns >= o->progs[k].n_main);
			assert_string_equal(o->progs[k].funcs[0].name, o->progs[k].name);
		}
		jn_obj_close(o);
		loaded++;
	}
	globfree(&g);
	assert_true(loaded >= 10);
}

static void test_libxdp_programs_counts_and_maps(void **state)
{
	(void)state;
	if (access(SYSBPF "xdp-dispatcher.o", R_OK))
		skip();
	for (size_t i = 0; i < JN_ARRAY_SIZE(sys_expect); i++) {
		const struct sys_expect *e = &sys_expect[i];
		char path[256];
		struct jn_obj *o;
		const struct jn_obj_prog *p;
		int32_t ids[16];
		size_t n;
		bool found = !e->helper;

		snprintf(path, sizeof(path), SYSBPF "%s", e->file);
		o = open_ok(path);
		p = prog(o, e->prog);
		assert_string_equal(p->sec, "xdp");
		assert_int_equal(p->n_insns, e->n_insns);
		assert_int_equal(p->n_main, e->n_main);
		assert_int_equal(o->n_maps, e->n_maps);
		n = jn_obj_prog_helpers(p, ids, 16);
		for (size_t k = 0; k < n; k++)
			found |= ids[k] == e->helper;
		assert_true(found);
		jn_obj_close(o);
	}
}

static void test_dispatcher_subprograms_and_rodata(void **state)
{
	struct jn_obj *o;
	const struct jn_obj_prog *p;

	(void)state;
	if (access(SYSBPF "xdp-dispatcher.o", R_OK))
		skip();
	o = open_ok(SYSBPF "xdp-dispatcher.o");
	assert_int_equal(o->n_progs, 2);
	assert_string_equal(o->progs[1].name, "xdp_pass");
	p = &o->progs[0];
	/* prog0..prog9 and compat_test from .text, in call order */
	assert_int_equal(p->n_funcs, 12);
	assert_string_equal(p->funcs[1].name, "prog0");
	assert_int_equal(p->funcs[1].off, 148);
	assert_string_equal(p->funcs[11].name, "compat_test");
	assert_int_equal(p->funcs[11].off, 208);
	assert_map(o, ".rodata", BPF_MAP_TYPE_ARRAY, 4, 124, 1, BPF_F_RDONLY_PROG);
	assert_true(map(o, ".rodata")->spec.readonly);
	jn_obj_close(o);
}

static void test_xdpdump_fentry_programs_are_listed_not_runnable(void **state)
{
	struct jn_obj *o;

	(void)state;
	if (access(SYSBPF "xdpdump_bpf.o", R_OK))
		skip();
	o = open_ok(SYSBPF "xdpdump_bpf.o");
	assert_int_equal(o->n_progs, 0);
	assert_int_equal(o->n_others, 2);
	assert_string_equal(o->others[0].name, "trace_on_entry");
	assert_string_equal(o->others[0].sec, "fentry/func");
	assert_string_equal(o->others[1].sec, "fexit/func");
	assert_null(jn_obj_find_prog(o, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "no XDP program"));
	assert_null(jn_obj_find_prog(o, "trace_on_exit", err, sizeof(err)));
	assert_non_null(strstr(err, "program trace_on_exit (section fexit/func) is not an XDP program"));
	assert_map(o, "xdpdump_perf_map", BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 256, 0);
	jn_obj_close(o);
}

/* ---- tests/objs ---- */

static void test_btf_maps_every_encoding(void **state)
{
	struct jn_obj *o = open_ok(OBJS "btf_maps.o");
	const struct jn_obj_map *m;

	(void)state;
	assert_int_equal(o->n_maps, 5);
	assert_map(o, "by_type", BPF_MAP_TYPE_HASH, 4, 16, 128, 0);
	assert_map(o, "by_size", BPF_MAP_TYPE_ARRAY, 4, 24, 8, 0);
	assert_map(o, "lpm", BPF_MAP_TYPE_LPM_TRIE, 8, 4, 16, BPF_F_NO_PREALLOC);
	assert_map(o, "devs", BPF_MAP_TYPE_DEVMAP, 4, 4, 4, 0);
	assert_map(o, "jmp", BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 2, 0);
	m = map(o, "by_type");
	assert_string_equal(m->sec, ".maps");
	assert_ptr_equal(m->spec.btf, o->btf);
	assert_int_equal(btf__resolve_size(o->btf, m->spec.btf_value_type_id), 16);
	assert_int_equal(btf__resolve_size(o->btf, m->spec.btf_key_type_id), 4);
	assert_int_equal(map(o, "by_size")->spec.btf_value_type_id, 0);
	assert_string_equal(o->license, "Dual BSD/GPL");
	jn_obj_close(o);
}

static void test_every_xdp_section_form_is_a_program(void **state)
{
	static const struct { const char *name, *sec; uint32_t attach; bool frags; } want[] = {
		{ "prog_a", "xdp", BPF_XDP, false },
		{ "prog_b", "xdp", BPF_XDP, false },
		{ "prog_second", "xdp/second", BPF_XDP, false },
		{ "prog_frags", "xdp.frags", BPF_XDP, true },
		{ "prog_frags_named", "xdp.frags/named", BPF_XDP, true },
		{ "prog_devmap", "xdp_devmap/dm", BPF_XDP_DEVMAP, false },
		{ "prog_cpumap", "xdp_cpumap/cm", BPF_XDP_CPUMAP, false },
	};
	struct jn_obj *o = open_ok(OBJS "btf_maps.o");

	(void)state;
	assert_int_equal(o->n_progs, JN_ARRAY_SIZE(want));
	for (size_t i = 0; i < JN_ARRAY_SIZE(want); i++) {
		assert_string_equal(o->progs[i].name, want[i].name);
		assert_string_equal(o->progs[i].sec, want[i].sec);
		assert_int_equal(o->progs[i].attach, want[i].attach);
		assert_int_equal(o->progs[i].frags, want[i].frags);
	}
	assert_int_equal(o->n_others, 1);
	assert_string_equal(o->others[0].name, "prog_tc");
	assert_string_equal(o->others[0].sec, "tc");
	jn_obj_close(o);
}

static void test_find_prog_by_function_or_section(void **state)
{
	struct jn_obj *o = open_ok(OBJS "btf_maps.o");

	(void)state;
	assert_string_equal(prog(o, NULL)->name, "prog_a");
	assert_string_equal(prog(o, "prog_b")->name, "prog_b");
	assert_string_equal(prog(o, "xdp/second")->name, "prog_second");
	assert_string_equal(prog(o, "xdp_cpumap/cm")->name, "prog_cpumap");
	assert_null(jn_obj_find_prog(o, "nope", err, sizeof(err)));
	assert_non_null(strstr(err, "obj: " OBJS "btf_maps.o: no program called nope (programs: prog_a (xdp)"));
	assert_null(jn_obj_find_prog(o, "prog_tc", err, sizeof(err)));
	assert_non_null(strstr(err, "is not an XDP program"));
	jn_obj_close(o);
}

/* lddw forms: src 5 (map index) and src 6 (map index + offset) */
static void test_map_references_become_index_forms(void **state)
{
	struct jn_obj *o = open_ok(OBJS "btf_maps.o");
	const struct jn_obj_prog *p = prog(o, "prog_a");
	int32_t ids[8];
	size_t n = jn_obj_prog_helpers(p, ids, 8), seen = 0;

	(void)state;
	assert_int_equal(n, 3);
	assert_int_equal(ids[0], BPF_FUNC_map_lookup_elem);
	assert_int_equal(ids[1], BPF_FUNC_tail_call);
	assert_int_equal(ids[2], BPF_FUNC_redirect_map);
	for (size_t i = 0; i < p->n_insns; i++) {
		if (p->insns[i].code != 0x18)
			continue;
		assert_int_equal(p->insns[i].src, 5);
		assert_true(p->insns[i].imm >= 0 && (size_t)p->insns[i].imm < o->n_maps);
		seen |= 1u << p->insns[i].imm;
		i++;
	}
	/* by_type, jmp, devs */
	assert_int_equal(seen, 1u << jn_obj_find_map(o, "by_type") | 1u << jn_obj_find_map(o, "jmp") |
			       1u << jn_obj_find_map(o, "devs"));
	jn_obj_close(o);
}

static void test_legacy_maps_section(void **state)
{
	struct jn_obj *o = open_ok(OBJS "legacy_maps.o");

	(void)state;
	assert_int_equal(o->n_maps, 2);
	assert_map(o, "counters", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 4, 0);
	assert_map(o, "flows", BPF_MAP_TYPE_LRU_HASH, 12, 16, 1024, BPF_F_NO_COMMON_LRU);
	assert_string_equal(map(o, "flows")->sec, "maps");
	assert_int_equal(o->progs[0].n_insns, 23);
	jn_obj_close(o);
}

static void test_global_data_sections_are_maps(void **state)
{
	struct jn_obj *o = open_ok(OBJS "global_data.o");
	const struct jn_obj_map *d = map(o, ".data"), *ro = map(o, ".rodata"), *bss = map(o, ".bss");
	uint32_t v;

	(void)state;
	assert_int_equal(o->n_maps, 5);
	assert_map(o, ".data", BPF_MAP_TYPE_ARRAY, 4, 16, 1, 0);
	assert_map(o, ".rodata", BPF_MAP_TYPE_ARRAY, 4, 16, 1, BPF_F_RDONLY_PROG);
	assert_map(o, ".bss", BPF_MAP_TYPE_ARRAY, 4, 32, 1, 0);
	assert_map(o, ".data.custom", BPF_MAP_TYPE_ARRAY, 4, 4, 1, 0);
	assert_map(o, ".rodata.custom", BPF_MAP_TYPE_ARRAY, 4, 6, 1, BPF_F_RDONLY_PROG);
	assert_true(ro->spec.readonly);
	assert_false(d->spec.readonly);
	assert_int_equal(d->spec.init_len, 16);
	memcpy(&v, (const uint8_t *)d->spec.init + 8, 4);
	assert_int_equal(v, 0x2222);   /* data_second */
	memcpy(&v, map(o, ".data.custom")->spec.init, 4);
	assert_int_equal(v, 0xc0ffee);
	assert_null(bss->spec.init);
	assert_int_equal(bss->spec.init_len, 0);
	assert_int_equal(btf__resolve_size(o->btf, d->spec.btf_value_type_id), 16);
	jn_obj_close(o);
}

/* Every global variable access, as (map, offset) pairs clang-14 emits:
 * symbol + addend, section symbol + addend. */
static void test_global_data_references_carry_offsets(void **state)
{
	static const struct { const char *map; int32_t off; } want[] = {
		{ ".data", 12 }, { ".data", 8 }, { ".rodata", 0 }, { ".bss", 4 }, { ".data", 0 },
		{ ".rodata", 8 }, { ".bss", 24 }, { ".rodata.custom", 0 }, { ".data.custom", 0 }, { ".bss", 0 },
	};
	struct jn_obj *o = open_ok(OBJS "global_data.o");
	const struct jn_obj_prog *p = prog(o, "data_prog");
	size_t k = 0;

	(void)state;
	for (size_t i = 0; i + 1 < p->n_insns; i++) {
		if (p->insns[i].code != 0x18)
			continue;
		assert_int_equal(p->insns[i].src, 6);
		assert_true(k < JN_ARRAY_SIZE(want));
		assert_int_equal(p->insns[i].imm, jn_obj_find_map(o, want[k].map));
		assert_int_equal(p->insns[i + 1].imm, want[k].off);
		k++;
		i++;
	}
	assert_int_equal(k, JN_ARRAY_SIZE(want));
	jn_obj_close(o);
}

/* target pc of a call or function-address lddw at pc */
static size_t target(const struct jn_obj_prog *p, size_t pc)
{
	return (size_t)((long)pc + p->insns[pc].imm + 1);
}

static void test_subprograms_appended_in_libbpf_order(void **state)
{
	static const char *const order[] = { "sub_main", "loop_cb", "add_twice", "twice" };
	struct jn_obj *o = open_ok(OBJS "subprogs.o");
	const struct jn_obj_prog *p = prog(o, "sub_main"), *q = prog(o, "sub_other");
	size_t calls = 0, callbacks = 0;

	(void)state;
	assert_int_equal(p->n_funcs, 4);
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(p->funcs[i].name, order[i]);
	assert_int_equal(p->n_main, p->funcs[0].len);
	assert_int_equal(p->n_insns, p->funcs[3].off + p->funcs[3].len);
	for (size_t pc = 0; pc < p->n_insns; pc++) {
		const struct jn_insn *in = &p->insns[pc];
		bool is_call = in->code == 0x85 && in->src == 1, is_cb = in->code == 0x18 && in->src == 4;
		bool starts = false;

		if (!is_call && !is_cb)
			continue;
		for (size_t f = 1; f < p->n_funcs; f++)
			starts |= target(p, pc) == p->funcs[f].off;
		assert_true(starts);
		if (is_cb)
			assert_int_equal(target(p, pc), p->funcs[1].off);   /* loop_cb */
		calls += is_call;
		callbacks += is_cb;
		pc += is_cb;
	}
	assert_int_equal(calls, 3);       /* twice, add_twice, twice from add_twice */
	assert_int_equal(callbacks, 1);
	/* the other program gets its own copies */
	assert_int_equal(q->n_funcs, 3);
	assert_string_equal(q->funcs[1].name, "add_twice");
	assert_string_equal(q->funcs[2].name, "twice");
	jn_obj_close(o);
}

static void test_text_only_object_exposes_global_functions(void **state)
{
	struct jn_obj *o = open_ok(OBJS "text_only.o");

	(void)state;
	assert_int_equal(o->n_progs, 2);
	assert_string_equal(o->progs[0].name, "main");
	assert_string_equal(o->progs[0].sec, ".text");
	assert_string_equal(o->progs[1].name, "second");
	assert_int_equal(o->progs[0].n_funcs, 2);
	assert_string_equal(o->progs[0].funcs[1].name, "helper");
	assert_int_equal(target(&o->progs[0], 1) , o->progs[0].funcs[1].off);
	assert_string_equal(prog(o, "main")->name, "main");
	assert_string_equal(o->license, "");
	jn_obj_close(o);
}

/* ---- CO-RE ---- */

/* r0 = value of the one-relocation program name */
static int64_t core_value(const struct jn_obj *o, const char *name)
{
	const struct jn_obj_prog *p = prog(o, name);

	if (p->insns[0].code == 0x18)
		return (int64_t)((uint64_t)(uint32_t)p->insns[0].imm | (uint64_t)(uint32_t)p->insns[1].imm << 32);
	assert_int_equal(p->insns[0].code, 0xb7);
	return p->insns[0].imm;
}

/* the packet load of a LOAD_PROG program (after the bounds check) */
static const struct jn_insn *core_load(const struct jn_obj *o, const char *name)
{
	const struct jn_obj_prog *p = prog(o, name);

	assert_int_equal(p->n_insns, 8);
	return &p->insns[6];
}

struct core_want {
	const char *prog;
	int64_t val;
};

static void assert_core_values(const struct jn_obj *o, const struct core_want *want, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (core_value(o, want[i].prog) != want[i].val)
			fail_msg("%s: %lld, want %lld", want[i].prog, (long long)core_value(o, want[i].prog),
				 (long long)want[i].val);
}

static bool poisoned(const struct jn_insn *in)
{
	return in->code == 0x85 && in->src == 0 && in->imm == 0xbad2310;
}

static void test_core_against_custom_target(void **state)
{
	static const struct core_want want[] = {
		{ "off_seq", 0 }, { "off_inner_a", 30 }, { "off_arr2", 40 }, { "exists_gone", 0 },
		{ "exists_seq", 1 }, { "size_len", 2 }, { "size_delta", 8 }, { "signed_delta", 1 },
		{ "lshift_hi", 32 }, { "rshift_hi", 60 }, { "type_exists_missing", 0 },
		{ "type_exists_hdr", 1 }, { "type_size_hdr", 64 }, { "enum_exists_gone", 0 },
		{ "enum_value_green", 20 },
	};
	struct btf *target = btf__parse_elf(OBJS "core_target.o", NULL);
	struct jn_obj_opts opts = { .core_btf = target };
	struct jn_obj *o;
	const struct jn_insn *in;

	(void)state;
	assert_non_null(target);
	o = open_opts(OBJS "core.o", &opts);
	assert_string_equal(o->core_target, "custom");
	assert_int_equal(o->n_core_relos, 21);
	assert_core_values(o, want, JN_ARRAY_SIZE(want));
	assert_int_equal(core_value(o, "type_id_target"), btf__find_by_name_kind(target, "jn_core_hdr", BTF_KIND_STRUCT));
	assert_true(poisoned(&prog(o, "eth_proto_off")->insns[0]));   /* no ethhdr in the target */
	in = core_load(o, "load_len");
	assert_int_equal(in->code, 0x69);
	assert_int_equal(in->off, 24);
	in = core_load(o, "load_seq");                 /* u32 -> u16: ldxw becomes ldxh */
	assert_int_equal(in->code, 0x69);
	assert_int_equal(in->off, 0);
	assert_true(poisoned(core_load(o, "load_flags")));
	assert_true(poisoned(core_load(o, "load_delta")));   /* int -> long */
	jn_obj_close(o);
	btf__free(target);
}

static void test_core_against_own_btf_keeps_local_layout(void **state)
{
	static const struct core_want want[] = {
		{ "off_seq", 4 }, { "off_inner_a", 14 }, { "off_arr2", 28 }, { "exists_gone", 1 },
		{ "size_delta", 4 }, { "lshift_hi", 56 }, { "rshift_hi", 60 }, { "type_exists_missing", 1 },
		{ "type_size_hdr", 48 }, { "enum_exists_gone", 1 }, { "enum_value_green", 2 }, { "eth_proto_off", 0 },
	};
	struct jn_obj_opts opts = { .core_own = true };
	struct jn_obj *o = open_opts(OBJS "core.o", &opts);

	(void)state;
	assert_string_equal(o->core_target, "object");
	assert_core_values(o, want, JN_ARRAY_SIZE(want));
	assert_int_equal(core_load(o, "load_flags")->off, 1);
	assert_int_equal(core_load(o, "load_delta")->code, 0x61);
	jn_obj_close(o);
}

static void test_core_against_the_kernel(void **state)
{
	struct jn_obj *o;

	(void)state;
	if (access("/sys/kernel/btf/vmlinux", R_OK))
		skip();
	o = open_ok(OBJS "core.o");
	assert_string_equal(o->core_target, "vmlinux");
	assert_int_equal(core_value(o, "eth_proto_off"), 12);   /* struct ethhdr.h_proto */
	assert_true(poisoned(&prog(o, "off_seq")->insns[0]));
	assert_int_equal(core_value(o, "exists_seq"), 0);
	assert_int_equal(core_value(o, "type_exists_hdr"), 0);
	jn_obj_close(o);
}

static void test_object_without_core_has_no_target(void **state)
{
	struct jn_obj *o = open_ok(OBJS "subprogs.o");

	(void)state;
	assert_null(o->core_target);
	assert_int_equal(o->n_core_relos, 0);
	jn_obj_close(o);
}

static void test_helper_names_from_the_uapi_table(void **state)
{
	(void)state;
	assert_string_equal(jn_obj_helper_name(1), "bpf_map_lookup_elem");
	assert_string_equal(jn_obj_helper_name(BPF_FUNC_redirect_map), "bpf_redirect_map");
	assert_string_equal(jn_obj_helper_name(BPF_FUNC_loop), "bpf_loop");
	assert_null(jn_obj_helper_name(0));
	assert_null(jn_obj_helper_name(-1));
	assert_null(jn_obj_helper_name(100000));
}

static void test_raw_file_is_one_program(void **state)
{
	static const uint8_t code[16] = { 0xb7, 0, 0, 0, 2, 0, 0, 0, 0x95 };
	char path[] = "/tmp/jn_obj_rawXXXXXX";
	int fd = mkstemp(path);
	struct jn_obj *o = NULL;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, code, sizeof(code)), sizeof(code));
	close(fd);
	assert_int_equal(jn_obj_open_raw(path, &o, err, sizeof(err)), 0);
	assert_int_equal(o->n_progs, 1);
	assert_string_equal(o->progs[0].name, "raw");
	assert_int_equal(o->progs[0].n_insns, 2);
	assert_int_equal(o->progs[0].insns[0].imm, 2);
	assert_int_equal(o->progs[0].insns[1].code, 0x95);
	assert_string_equal(prog(o, "raw")->name, "raw");
	jn_obj_close(o);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_libxdp_object_loads),
		cmocka_unit_test(test_libxdp_programs_counts_and_maps),
		cmocka_unit_test(test_dispatcher_subprograms_and_rodata),
		cmocka_unit_test(test_xdpdump_fentry_programs_are_listed_not_runnable),
		cmocka_unit_test(test_btf_maps_every_encoding),
		cmocka_unit_test(test_every_xdp_section_form_is_a_program),
		cmocka_unit_test(test_find_prog_by_function_or_section),
		cmocka_unit_test(test_map_references_become_index_forms),
		cmocka_unit_test(test_legacy_maps_section),
		cmocka_unit_test(test_global_data_sections_are_maps),
		cmocka_unit_test(test_global_data_references_carry_offsets),
		cmocka_unit_test(test_subprograms_appended_in_libbpf_order),
		cmocka_unit_test(test_text_only_object_exposes_global_functions),
		cmocka_unit_test(test_core_against_custom_target),
		cmocka_unit_test(test_core_against_own_btf_keeps_local_layout),
		cmocka_unit_test(test_core_against_the_kernel),
		cmocka_unit_test(test_object_without_core_has_no_target),
		cmocka_unit_test(test_helper_names_from_the_uapi_table),
		cmocka_unit_test(test_raw_file_is_one_program),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
