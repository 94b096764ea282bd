/* obj_internal.h - state shared by the obj/ source files while an object is
 * being loaded.  Not a public interface: include only from src/obj/.
 */
#ifndef JN_OBJ_INTERNAL_H
#define JN_OBJ_INTERNAL_H

#include <gelf.h>
#include <stdbool.h>

#include "obj/obj.h"

struct btf;
struct btf_type;

enum ld_sec_kind {
	SK_NONE,
	SK_CODE,      /* executable PROGBITS: .text or a program section */
	SK_MAPS,      /* legacy "maps" */
	SK_BTF_MAPS,  /* ".maps" */
	SK_DATA,      /* .data, .data.* */
	SK_RODATA,    /* .rodata, .rodata.* */
	SK_BSS,       /* .bss, .bss.* */
};

/* A function of a code section (a FUNC symbol, or the whole section when it
 * has none). */
struct ld_func {
	const char *name;          /* points into the ELF string table */
	size_t start, len;         /* in instructions */
	bool global;
};

/* A call (src 1) or function-address lddw (src 4) to link: target section
 * and instruction. */
struct ld_call {
	size_t insn;
	size_t tsec, tinsn;
};

struct ld_sec {
	const char *name;          /* NULL for sections that could not be named */
	enum ld_sec_kind kind;
	GElf_Shdr sh;
	Elf_Data *data;            /* NULL for sections not read */
	struct jn_insn *insns;     /* SK_CODE: working copy, relocated in place */
	size_t n;
	uint8_t *relocated;        /* SK_CODE: 1 per insn that had an ELF relocation */
	struct ld_func *funcs;     /* SK_CODE: sorted by start */
	size_t n_funcs;
	struct ld_call *calls;
	size_t n_calls, cap_calls;
	int map;                   /* SK_DATA/RODATA/BSS: map index, or -1 */
};

struct ld {
	const char *file;
	char *err;
	size_t errlen;
	Elf *elf;
	size_t nsec;
	struct ld_sec *secs;
	size_t symtab;             /* section index of .symtab (0: none) */
	size_t nsyms;
	size_t text;               /* section index of .text (0: none) */
	const uint8_t *ext;        /* .BTF.ext contents, or NULL */
	size_t ext_len;
	size_t *map_off;           /* per map: symbol offset in its section */
	const struct jn_obj_opts *opts;
	struct jn_obj *obj;
};

/* "obj: FILE: <fmt>" into ld->err; returns -errnum. */
int ld_errf(struct ld *ld, int errnum, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Symbol idx with its name ("" if unnamed); -EINVAL with a message if bad. */
int ld_sym(struct ld *ld, size_t idx, GElf_Sym *sym, const char **name);
/* Section index of the named section, or 0. */
size_t ld_sec_by_name(const struct ld *ld, const char *name);
/* A symbol called name defined in section sec: 0 and *sym, or -ENOENT. */
int ld_sym_in_sec(struct ld *ld, size_t sec, const char *name, GElf_Sym *sym);

/* BTF helpers (obj_core.c).  Skip typedefs and const/volatile/restrict/
 * type tags; NULL if the chain is broken or too long. */
const struct btf_type *ld_btf_skip_mods(const struct btf *btf, uint32_t id, uint32_t *res_id);

/* obj_maps.c */
int ld_fixup_datasecs(struct ld *ld);
int ld_collect_maps(struct ld *ld);
/* obj_core.c: apply .BTF.ext CO-RE relocations to every code section. */
int ld_apply_core(struct ld *ld);
/* obj_reloc.c */
int ld_apply_relocs(struct ld *ld);
int ld_link_prog(struct ld *ld, size_t sec, const struct ld_func *entry, struct jn_obj_prog *p);

#endif
