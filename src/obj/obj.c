/* obj.c - open BPF ELF objects with libelf: sections, symbols, functions,
 * programs, license; raw bytecode files; lookups.
 */
#include "obj_internal.h"

#include <bpf/btf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"

#ifndef EM_BPF
#define EM_BPF 247
#endif

int ld_errf(struct ld *ld, int errnum, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* names come from the file: keep the message one printable line */
	for (char *c = msg; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return jn_errf(ld->err, ld->errlen, errnum, "obj: %s: %s", ld->file, msg);
}

int ld_sym(struct ld *ld, size_t idx, GElf_Sym *sym, const char **name)
{
	const char *n;

	if (!ld->symtab || idx >= ld->nsyms || !gelf_getsym(ld->secs[ld->symtab].data, (int)idx, sym))
		return ld_errf(ld, EINVAL, "symbol %zu: out of range (%zu symbols)", idx, ld->nsyms);
	n = elf_strptr(ld->elf, ld->secs[ld->symtab].sh.sh_link, sym->st_name);
	*name = n ? n : "";
	return 0;
}

size_t ld_sec_by_name(const struct ld *ld, const char *name)
{
	for (size_t i = 1; i < ld->nsec; i++)
		if (ld->secs[i].name && !strcmp(ld->secs[i].name, name))
			return i;
	return 0;
}

int ld_sym_in_sec(struct ld *ld, size_t sec, const char *name, GElf_Sym *sym)
{
	for (size_t i = 1; i < ld->nsyms; i++) {
		const char *n;
		int rc = ld_sym(ld, i, sym, &n);

		if (rc)
			return rc;
		if (sym->st_shndx == sec && GELF_ST_TYPE(sym->st_info) != STT_SECTION && !strcmp(n, name))
			return 0;
	}
	return -ENOENT;
}

/* name is base or starts with "base." */
static bool dotted(const char *name, const char *base)
{
	size_t n = strlen(base);

	return !strncmp(name, base, n) && (name[n] == 0 || name[n] == '.');
}

static enum ld_sec_kind classify(const GElf_Shdr *sh, const char *name)
{
	if (sh->sh_type == SHT_PROGBITS && (sh->sh_flags & SHF_EXECINSTR))
		return sh->sh_size ? SK_CODE : SK_NONE;
	if (sh->sh_type == SHT_PROGBITS) {
		if (!strcmp(name, "maps"))
			return SK_MAPS;
		if (!strcmp(name, ".maps"))
			return SK_BTF_MAPS;
		if (sh->sh_size && dotted(name, ".data"))
			return SK_DATA;
		if (sh->sh_size && dotted(name, ".rodata"))
			return SK_RODATA;
	}
	if (sh->sh_type == SHT_NOBITS && sh->sh_size && dotted(name, ".bss"))
		return SK_BSS;
	return SK_NONE;
}

static int read_section(struct ld *ld, size_t i, Elf_Scn *scn)
{
	struct ld_sec *s = &ld->secs[i];
	bool want = s->kind != SK_NONE || s->sh.sh_type == SHT_SYMTAB || !strcmp(s->name, "license") ||
		    !strcmp(s->name, ".BTF") || !strcmp(s->name, ".BTF.ext");

	if (!want || s->sh.sh_type == SHT_NOBITS)
		return 0;
	s->data = elf_getdata(scn, NULL);
	if (!s->data || s->data->d_size != s->sh.sh_size || (s->sh.sh_size && !s->data->d_buf))
		return ld_errf(ld, EINVAL, "section %s: cannot read %llu bytes at offset %llu: %s", s->name,
			       (unsigned long long)s->sh.sh_size, (unsigned long long)s->sh.sh_offset,
			       elf_errmsg(-1));
	if (s->sh.sh_type == SHT_SYMTAB) {
		if (ld->symtab)
			return ld_errf(ld, EINVAL, "section %s: second symbol table", s->name);
		if (s->sh.sh_entsize != sizeof(Elf64_Sym))
			return ld_errf(ld, EINVAL, "section %s: symbol size %llu, expected %zu", s->name,
				       (unsigned long long)s->sh.sh_entsize, sizeof(Elf64_Sym));
		ld->symtab = i;
		ld->nsyms = s->sh.sh_size / sizeof(Elf64_Sym);
	}
	if (s->kind == SK_CODE) {
		if (s->sh.sh_size % sizeof(struct jn_insn))
			return ld_errf(ld, EINVAL, "section %s: size %llu is not a multiple of 8", s->name,
				       (unsigned long long)s->sh.sh_size);
		s->n = s->sh.sh_size / sizeof(struct jn_insn);
		s->insns = malloc(s->sh.sh_size);
		s->relocated = calloc(s->n, 1);
		if (!s->insns || !s->relocated)
			return ld_errf(ld, ENOMEM, "section %s: out of memory", s->name);
		memcpy(s->insns, s->data->d_buf, s->sh.sh_size);
		if (!strcmp(s->name, ".text"))
			ld->text = i;
	}
	return 0;
}

static int read_sections(struct ld *ld)
{
	size_t shstrndx;

	if (elf_getshdrnum(ld->elf, &ld->nsec) || elf_getshdrstrndx(ld->elf, &shstrndx))
		return ld_errf(ld, EINVAL, "corrupted section table: %s", elf_errmsg(-1));
	ld->secs = calloc(ld->nsec ? ld->nsec : 1, sizeof(*ld->secs));
	if (!ld->secs)
		return ld_errf(ld, ENOMEM, "out of memory for %zu sections", ld->nsec);
	for (size_t i = 1; i < ld->nsec; i++) {
		struct ld_sec *s = &ld->secs[i];
		Elf_Scn *scn = elf_getscn(ld->elf, i);
		int rc;

		s->map = -1;
		if (!scn || !gelf_getshdr(scn, &s->sh))
			return ld_errf(ld, EINVAL, "section %zu: corrupted header: %s", i, elf_errmsg(-1));
		s->name = elf_strptr(ld->elf, shstrndx, s->sh.sh_name);
		if (!s->name)
			return ld_errf(ld, EINVAL, "section %zu: bad name offset %u", i, s->sh.sh_name);
		s->kind = classify(&s->sh, s->name);
		rc = read_section(ld, i, scn);
		if (rc)
			return rc;
	}
	if (!ld->symtab)
		return ld_errf(ld, EINVAL, "no symbol table (stripped object?)");
	return 0;
}

static int check_header(struct ld *ld)
{
	GElf_Ehdr eh;

	if (elf_kind(ld->elf) != ELF_K_ELF)
		return ld_errf(ld, EINVAL, "not an ELF file");
	if (!gelf_getehdr(ld->elf, &eh))
		return ld_errf(ld, EINVAL, "corrupted ELF header: %s", elf_errmsg(-1));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64)
		return ld_errf(ld, EINVAL, "ELF header: not a 64-bit object");
	if (eh.e_ident[EI_DATA] != ELFDATA2LSB)
		return ld_errf(ld, ENOTSUP, "ELF header: big-endian objects are not supported");
	/* libbpf accepts e_machine 0 from old compilers too */
	if (eh.e_machine != EM_BPF && eh.e_machine != EM_NONE)
		return ld_errf(ld, EINVAL, "ELF header: e_machine %u is not BPF (%u)", eh.e_machine, EM_BPF);
	if (eh.e_type != ET_REL)
		return ld_errf(ld, EINVAL, "ELF header: e_type %u is not a relocatable object", eh.e_type);
	return 0;
}

/* A file cut short: its section header table (or a section) lies past the end. */
static int check_extent(struct ld *ld, size_t len)
{
	GElf_Ehdr eh;
	uint64_t end;

	gelf_getehdr(ld->elf, &eh);
	if (__builtin_mul_overflow((uint64_t)eh.e_shnum, (uint64_t)eh.e_shentsize, &end) ||
	    __builtin_add_overflow(end, (uint64_t)eh.e_shoff, &end) || end > len)
		return ld_errf(ld, EINVAL, "truncated: section headers end at byte %llu, the file has %zu",
			       (unsigned long long)end, len);
	return 0;
}

static int cmp_func(const void *a, const void *b)
{
	const struct ld_func *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static int add_func(struct ld *ld, struct ld_sec *s, const struct ld_func *f)
{
	struct ld_func *nf = realloc(s->funcs, (s->n_funcs + 1) * sizeof(*nf));

	if (!nf)
		return ld_errf(ld, ENOMEM, "out of memory");
	s->funcs = nf;
	s->funcs[s->n_funcs++] = *f;
	return 0;
}

/* FUNC symbols of every code section; a section without any is one function. */
static int collect_funcs(struct ld *ld)
{
	for (size_t i = 1; i < ld->nsyms; i++) {
		GElf_Sym sym;
		const char *name;
		struct ld_sec *s;
		int rc = ld_sym(ld, i, &sym, &name);

		if (rc)
			return rc;
		if (GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF ||
		    sym.st_shndx >= ld->nsec || ld->secs[sym.st_shndx].kind != SK_CODE)
			continue;
		s = &ld->secs[sym.st_shndx];
		if (sym.st_value % 8 || sym.st_size % 8 || sym.st_value > s->sh.sh_size ||
		    sym.st_size > s->sh.sh_size - sym.st_value)
			return ld_errf(ld, EINVAL, "section %s: function %s (offset %llu, size %llu) crosses the section",
				       s->name, name, (unsigned long long)sym.st_value,
				       (unsigned long long)sym.st_size);
		if (!sym.st_size)
			continue;
		rc = add_func(ld, s, &(struct ld_func){ name, sym.st_value / 8, sym.st_size / 8,
							GELF_ST_BIND(sym.st_info) != STB_LOCAL });
		if (rc)
			return rc;
	}
	for (size_t i = 1; i < ld->nsec; i++) {
		struct ld_sec *s = &ld->secs[i];

		if (s->kind != SK_CODE)
			continue;
		if (!s->n_funcs && add_func(ld, s, &(struct ld_func){ s->name, 0, s->n, true }))
			return -ENOMEM;
		qsort(s->funcs, s->n_funcs, sizeof(*s->funcs), cmp_func);
		for (size_t k = 1; k < s->n_funcs; k++)
			if (s->funcs[k].start < s->funcs[k - 1].start + s->funcs[k - 1].len)
				return ld_errf(ld, EINVAL, "section %s: functions %s and %s overlap", s->name,
					       s->funcs[k - 1].name, s->funcs[k].name);
	}
	return 0;
}

static bool is_xdp_sec(const char *name)
{
	static const char *const prefixes[] = { "xdp/", "xdp.frags/", "xdp_devmap/", "xdp_cpumap/" };

	if (!strcmp(name, "xdp") || !strcmp(name, "xdp.frags"))
		return true;
	for (size_t i = 0; i < JN_ARRAY_SIZE(prefixes); i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

static void xdp_flavour(struct jn_obj_prog *p)
{
	const char *s = p->sec;

	p->frags = !strncmp(s, "xdp.frags", 9);
	p->attach = BPF_XDP;
	if (!strcmp(s, "xdp/devmap") || !strcmp(s, "xdp.frags/devmap") || !strncmp(s, "xdp_devmap/", 11))
		p->attach = BPF_XDP_DEVMAP;
	if (!strcmp(s, "xdp/cpumap") || !strcmp(s, "xdp.frags/cpumap") || !strncmp(s, "xdp_cpumap/", 11))
		p->attach = BPF_XDP_CPUMAP;
}

/* Entry functions: global functions of program sections, or of .text when
 * there is no program section.  Pass 0 counts, pass 1 links. */
static int collect_progs(struct ld *ld)
{
	struct jn_obj *obj = ld->obj;
	bool text_progs = true;

	for (size_t i = 1; i < ld->nsec; i++)
		if (ld->secs[i].kind == SK_CODE && i != ld->text)
			text_progs = false;
	for (int pass = 0; pass < 2; pass++) {
		size_t nx = 0, no = 0;

		for (size_t i = 1; i < ld->nsec; i++) {
			struct ld_sec *s = &ld->secs[i];
			bool xdp = text_progs || is_xdp_sec(s->name);

			if (s->kind != SK_CODE || (i == ld->text && !text_progs))
				continue;
			for (size_t k = 0; k < s->n_funcs; k++) {
				const struct ld_func *f = &s->funcs[k];
				int rc;

				if (!f->global && i == ld->text)
					continue;
				if (!f->global)
					return ld_errf(ld, ENOTSUP, "section %s: program %s is static (libbpf refuses it too)",
						       s->name, f->name);
				if (!pass) {
					xdp ? nx++ : no++;
					continue;
				}
				if (!xdp) {
					rc = ld_link_prog(ld, i, f, &obj->others[obj->n_others++]);
				} else {
					rc = ld_link_prog(ld, i, f, &obj->progs[obj->n_progs++]);
					if (!rc && !text_progs)
						xdp_flavour(&obj->progs[obj->n_progs - 1]);
				}
				if (rc)
					return rc;
			}
		}
		if (!pass) {
			obj->progs = calloc(nx + 1, sizeof(*obj->progs));
			obj->others = calloc(no + 1, sizeof(*obj->others));
			if (!obj->progs || !obj->others)
				return ld_errf(ld, ENOMEM, "out of memory");
		}
	}
	return 0;
}

static void read_license(struct ld *ld)
{
	size_t i = ld_sec_by_name(ld, "license");
	const struct ld_sec *s = &ld->secs[i];
	size_t n;

	if (!i || !s->data || !s->data->d_buf)
		return;
	n = s->data->d_size < sizeof(ld->obj->license) - 1 ? s->data->d_size : sizeof(ld->obj->license) - 1;
	memcpy(ld->obj->license, s->data->d_buf, n);
	ld->obj->license[n] = 0;
}

static int load_btf(struct ld *ld)
{
	size_t i = ld_sec_by_name(ld, ".BTF");
	size_t e = ld_sec_by_name(ld, ".BTF.ext");

	/* like libbpf, unusable BTF is ignored unless something needs it */
	if (i && ld->secs[i].data && ld->secs[i].sh.sh_size <= UINT32_MAX) {
		ld->obj->btf = btf__new(ld->secs[i].data->d_buf, (uint32_t)ld->secs[i].sh.sh_size);
		if (!ld->obj->btf)
			ld->obj->btf = NULL;
	}
	if (ld->obj->btf && e && ld->secs[e].data && ld->secs[e].sh.sh_size <= UINT32_MAX) {
		struct btf_ext *ext = btf_ext__new(ld->secs[e].data->d_buf, (uint32_t)ld->secs[e].sh.sh_size);

		if (ext) {
			ld->ext = ld->secs[e].data->d_buf;
			ld->ext_len = ld->secs[e].sh.sh_size;
			btf_ext__free(ext);
		}
	}
	return ld->obj->btf ? ld_fixup_datasecs(ld) : 0;
}

static void free_ld(struct ld *ld)
{
	for (size_t i = 0; ld->secs && i < ld->nsec; i++) {
		free(ld->secs[i].insns);
		free(ld->secs[i].relocated);
		free(ld->secs[i].funcs);
		free(ld->secs[i].calls);
	}
	free(ld->secs);
	free(ld->map_off);
	if (ld->elf)
		elf_end(ld->elf);
}

static int load(struct ld *ld, void *image, size_t len)
{
	int rc;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return ld_errf(ld, EINVAL, "libelf: %s", elf_errmsg(-1));
	ld->elf = elf_memory(image, len);
	if (!ld->elf)
		return ld_errf(ld, EINVAL, "not an ELF file: %s", elf_errmsg(-1));
	rc = check_header(ld);
	rc = rc ? rc : check_extent(ld, len);
	rc = rc ? rc : read_sections(ld);
	rc = rc ? rc : load_btf(ld);
	rc = rc ? rc : collect_funcs(ld);
	rc = rc ? rc : ld_collect_maps(ld);
	rc = rc ? rc : ld_apply_core(ld);
	rc = rc ? rc : ld_apply_relocs(ld);
	rc = rc ? rc : collect_progs(ld);
	if (!rc)
		read_license(ld);
	return rc;
}

int jn_obj_open_opts(const void *buf, size_t len, const char *name, const struct jn_obj_opts *opts,
		     struct jn_obj **out, char *err, size_t errlen)
{
	static const struct jn_obj_opts no_opts;
	struct ld ld = { .file = name ? name : "(memory)", .err = err, .errlen = errlen,
			 .opts = opts ? opts : &no_opts };
	void *image;
	int rc;

	*out = NULL;
	if (!buf || !len)
		return ld_errf(&ld, EINVAL, "empty file");
	/* libelf wants a writable image; ours stays private to this call */
	image = malloc(len);
	ld.obj = calloc(1, sizeof(*ld.obj));
	if (ld.obj)
		ld.obj->path = strdup(ld.file);
	if (!image || !ld.obj || !ld.obj->path) {
		free(image);
		jn_obj_close(ld.obj);
		return ld_errf(&ld, ENOMEM, "out of memory");
	}
	memcpy(image, buf, len);
	rc = load(&ld, image, len);
	free_ld(&ld);
	free(image);
	if (rc) {
		jn_obj_close(ld.obj);
		return rc;
	}
	*out = ld.obj;
	return 0;
}

int jn_obj_open_mem(const void *buf, size_t len, const char *name, struct jn_obj **out, char *err,
		    size_t errlen)
{
	return jn_obj_open_opts(buf, len, name, NULL, out, err, errlen);
}

int jn_obj_open(const char *path, struct jn_obj **out, char *err, size_t errlen)
{
	uint8_t *buf;
	size_t len;
	int rc = jn_read_file(path, &buf, &len);

	*out = NULL;
	if (rc)
		return jn_errf(err, errlen, -rc, "obj: %s: %s", path, strerror(-rc));
	rc = jn_obj_open_mem(buf, len, path, out, err, errlen);
	free(buf);
	return rc;
}

int jn_obj_open_raw(const char *path, struct jn_obj **out, char *err, size_t errlen)
{
	struct jn_obj *obj;
	struct jn_obj_prog *p;
	uint8_t *buf;
	size_t len;
	int rc = jn_read_file(path, &buf, &len);

	*out = NULL;
	if (rc)
		return jn_errf(err, errlen, -rc, "obj: %s: %s", path, strerror(-rc));
	if (!len || len % sizeof(struct jn_insn)) {
		free(buf);
		return jn_errf(err, errlen, EINVAL, "obj: %s: offset %zu: %s", path, len - len % 8,
			       len ? "trailing partial instruction (length is not a multiple of 8)" : "empty file");
	}
	obj = calloc(1, sizeof(*obj));
	p = obj ? calloc(1, sizeof(*p)) : NULL;
	if (obj) {
		obj->progs = p;
		obj->path = strdup(path);
	}
	if (p) {
		obj->n_progs = 1;
		p->name = strdup("raw");
		p->sec = strdup("raw");
		p->funcs = calloc(1, sizeof(*p->funcs));
		p->n_insns = p->n_main = len / sizeof(struct jn_insn);
		p->insns = (struct jn_insn *)buf;
		buf = NULL;
		if (p->funcs) {
			p->n_funcs = 1;
			p->funcs[0] = (struct jn_obj_func){ strdup("raw"), 0, p->n_insns };
		}
	}
	free(buf);
	if (!p || !obj->path || !p->name || !p->sec || !p->funcs || !p->funcs[0].name) {
		jn_obj_close(obj);
		return jn_errf(err, errlen, ENOMEM, "obj: %s: out of memory", path);
	}
	*out = obj;
	return 0;
}

static void free_progs(struct jn_obj_prog *p, size_t n)
{
	for (size_t i = 0; p && i < n; i++) {
		free(p[i].name);
		free(p[i].sec);
		free(p[i].insns);
		for (size_t k = 0; k < p[i].n_funcs; k++)
			free(p[i].funcs[k].name);
		free(p[i].funcs);
	}
	free(p);
}

void jn_obj_close(struct jn_obj *obj)
{
	if (!obj)
		return;
	free_progs(obj->progs, obj->n_progs);
	free_progs(obj->others, obj->n_others);
	for (size_t i = 0; i < obj->n_maps; i++) {
		free((char *)obj->maps[i].spec.name);
		free((void *)obj->maps[i].spec.init);
		free(obj->maps[i].sec);
	}
	free(obj->maps);
	btf__free(obj->btf);
	free(obj->path);
	free(obj);
}

static bool prog_is(const struct jn_obj_prog *p, const char *name)
{
	return !strcmp(p->name, name) || !strcmp(p->sec, name);
}

const struct jn_obj_prog *jn_obj_find_prog(const struct jn_obj *obj, const char *name, char *err,
					   size_t errlen)
{
	char list[256] = "";
	size_t used = 0;

	if (!name && obj->n_progs)
		return &obj->progs[0];
	for (size_t i = 0; name && i < obj->n_progs; i++)
		if (prog_is(&obj->progs[i], name))
			return &obj->progs[i];
	for (size_t i = 0; name && i < obj->n_others; i++)
		if (prog_is(&obj->others[i], name)) {
			jn_errf(err, errlen, EINVAL, "obj: %s: program %s (section %s) is not an XDP program",
				obj->path, obj->others[i].name, obj->others[i].sec);
			return NULL;
		}
	for (size_t i = 0; i < obj->n_progs + obj->n_others && used < sizeof(list); i++) {
		const struct jn_obj_prog *p = i < obj->n_progs ? &obj->progs[i] : &obj->others[i - obj->n_progs];
		int n = snprintf(list + used, sizeof(list) - used, "%s%s (%s)", used ? ", " : "", p->name, p->sec);

		used += n > 0 ? (size_t)n : 0;
	}
	if (name)
		jn_errf(err, errlen, ENOENT, "obj: %s: no program called %s (programs: %s)", obj->path, name,
			used ? list : "none");
	else
		jn_errf(err, errlen, ENOENT, "obj: %s: no XDP program (programs: %s)", obj->path,
			used ? list : "none");
	return NULL;
}

int jn_obj_find_map(const struct jn_obj *obj, const char *name)
{
	for (size_t i = 0; i < obj->n_maps; i++)
		if (!strcmp(obj->maps[i].spec.name, name))
			return (int)i;
	return -ENOENT;
}

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return x < y ? -1 : x > y;
}

size_t jn_obj_prog_helpers(const struct jn_obj_prog *p, int32_t *ids, size_t cap)
{
	int32_t seen[256];
	size_t n = 0;

	for (size_t i = 0; i < p->n_insns; i++) {
		const struct jn_insn *in = &p->insns[i];
		bool dup = false;

		if (jn_isa_is_wide(in->code)) {
			i++;
			continue;
		}
		if (in->code != 0x85 || in->src != 0)
			continue;
		for (size_t k = 0; k < n && !dup; k++)
			dup = seen[k] == in->imm;
		if (!dup && n < JN_ARRAY_SIZE(seen))
			seen[n++] = in->imm;
	}
	qsort(seen, n, sizeof(seen[0]), cmp_i32);
	for (size_t k = 0; k < n && k < cap; k++)
		ids[k] = seen[k];
	return n;
}
