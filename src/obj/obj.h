/* obj.h - BPF ELF objects: programs, maps, global data, relocations.
 *
 * Built on libelf and libbpf's BTF API (no hand-written ELF parser).  After
 * jn_obj_open every program is self-contained: its .text subprograms are
 * appended and bpf-to-bpf calls point at them, and every lddw that refers to
 * a map or global data is rewritten to the kernel's index forms:
 *   map:        src = 5 (BPF_PSEUDO_MAP_IDX),       imm = map index
 *   map value:  src = 6 (BPF_PSEUDO_MAP_IDX_VALUE), imm = map index, next.imm = offset
 *   function:   src = 4 (BPF_PSEUDO_FUNC),          imm = relative insn offset
 * CO-RE relocations are applied against the kernel's BTF
 * (/sys/kernel/btf/vmlinux) when it exists, else against the object's own.
 * Everything a jn_obj points to (names, instructions, map names and initial
 * contents, BTF) is owned by it and freed by jn_obj_close.  docs/obj.md
 * describes the loader.
 */
#ifndef JN_OBJ_H
#define JN_OBJ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "isa/isa.h"
#include "maps/maps.h"

struct btf;

/* A function placed in a program: the entry function first, then every
 * subprogram it reaches (bpf-to-bpf calls, callbacks) in the order found. */
struct jn_obj_func {
	char *name;
	size_t off, len;           /* instructions in jn_obj_prog.insns */
};

struct jn_obj_prog {
	char *name;                /* function name, e.g. "xdp_prog_simple" */
	char *sec;                 /* section name, e.g. "xdp", "xdp/foo", "xdp.frags" */
	struct jn_insn *insns;     /* owned by the jn_obj */
	size_t n_insns;
	size_t n_main;             /* instructions of the entry function itself */
	struct jn_obj_func *funcs; /* owned by the jn_obj; funcs[0] is the entry */
	size_t n_funcs;
	/* XDP flavour from the section name, as the kernel wants it at load:
	 * expected attach type BPF_XDP, BPF_XDP_DEVMAP (xdp/devmap,
	 * xdp.frags/devmap, xdp_devmap/...) or BPF_XDP_CPUMAP; frags for
	 * xdp.frags* (BPF_F_XDP_HAS_FRAGS).  Zero for non-XDP programs. */
	uint32_t attach;
	bool frags;
};

struct jn_obj_map {
	struct jn_map_spec spec;   /* spec.name, spec.init point into the jn_obj */
	char *sec;                 /* ".maps", "maps", ".rodata", ".bss", ... */
};

struct jn_obj {
	char *path;
	char license[128];
	/* Runnable programs: every XDP section (xdp, xdp/..., xdp.frags[/...],
	 * xdp_devmap/..., xdp_cpumap/...); if the object has no program
	 * section, the global functions of .text (sec ".text"); --raw: "raw". */
	struct jn_obj_prog *progs; size_t n_progs;
	/* Other program sections (fentry/..., tc, ...): relocated and listed
	 * by `jitnic info`, never run. */
	struct jn_obj_prog *others; size_t n_others;
	struct jn_obj_map *maps;   size_t n_maps;
	struct btf *btf;           /* the object's BTF, or NULL */
	size_t n_core_relos;       /* CO-RE relocations applied */
	const char *core_target;   /* "vmlinux", "object", "custom" or NULL (none) */
};

/* Options for jn_obj_open_opts (zero = defaults). */
struct jn_obj_opts {
	/* CO-RE target BTF (not owned).  NULL: /sys/kernel/btf/vmlinux when
	 * it exists, else the object's own BTF. */
	const struct btf *core_btf;
	bool core_own;             /* resolve CO-RE against the object's own BTF */
};

/* Open an ELF object.  Returns 0 or negative errno with a one-line message
 * ("obj: x.o: section .rel.text: relocation 4: symbol foo is not a map").
 * Owned by the caller: jn_obj_close. */
int jn_obj_open(const char *path, struct jn_obj **out, char *err, size_t errlen);
/* Same from memory (fuzzing, tests). */
int jn_obj_open_mem(const void *buf, size_t len, const char *name, struct jn_obj **out,
		    char *err, size_t errlen);
/* Same with options (opts may be NULL). */
int jn_obj_open_opts(const void *buf, size_t len, const char *name, const struct jn_obj_opts *opts,
		     struct jn_obj **out, char *err, size_t errlen);
/* A raw bytecode file (--raw): 8-byte slots, one program called "raw". */
int jn_obj_open_raw(const char *path, struct jn_obj **out, char *err, size_t errlen);
void jn_obj_close(struct jn_obj *obj);

/* The program called name (function or section name), or the first program
 * if name is NULL.  NULL with a message if there is none. */
const struct jn_obj_prog *jn_obj_find_prog(const struct jn_obj *obj, const char *name,
					   char *err, size_t errlen);
/* Index of the map called name, or -ENOENT. */
int jn_obj_find_map(const struct jn_obj *obj, const char *name);

/* Distinct helper ids the program calls (call with src 0), ascending; up to
 * cap are stored in ids.  Returns how many there are. */
size_t jn_obj_prog_helpers(const struct jn_obj_prog *p, int32_t *ids, size_t cap);
/* "bpf_map_lookup_elem" for 1, ... (from linux/bpf.h), or NULL if unknown. */
const char *jn_obj_helper_name(int32_t id);

#endif
