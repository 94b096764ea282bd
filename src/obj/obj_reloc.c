/* obj_reloc.c - ELF relocations of code sections (maps, global data, calls,
 * function addresses) and linking: each program gets its subprograms
 * appended and its calls pointed at them.
 */
#include "obj_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"

enum {
	CODE_LDDW = 0x18,
	CODE_CALL = 0x85,
	SRC_CALL = 1,        /* BPF_PSEUDO_CALL */
	SRC_BTF_ID = 3,      /* BPF_PSEUDO_BTF_ID */
	SRC_FUNC = 4,        /* BPF_PSEUDO_FUNC */
	SRC_MAP_IDX = 5,     /* BPF_PSEUDO_MAP_IDX */
	SRC_MAP_IDX_VAL = 6, /* BPF_PSEUDO_MAP_IDX_VALUE */
};

static int add_call(struct ld *ld, struct ld_sec *s, size_t insn, size_t tsec, size_t tinsn)
{
	if (s->n_calls == s->cap_calls) {
		size_t cap = s->cap_calls ? 2 * s->cap_calls : 16;
		struct ld_call *c = realloc(s->calls, cap * sizeof(*c));

		if (!c)
			return ld_errf(ld, ENOMEM, "out of memory");
		s->calls = c;
		s->cap_calls = cap;
	}
	s->calls[s->n_calls++] = (struct ld_call){ insn, tsec, tinsn };
	return 0;
}

/* Target instruction index base + delta inside section t, or -ERANGE. */
static long long target_in(const struct ld_sec *t, long long base, long long delta)
{
	long long v = base + delta;

	return v >= 0 && (unsigned long long)v < t->n ? v : -ERANGE;
}

static int rel_map(struct ld *ld, const char *where, struct jn_insn *in, const struct ld_sec *t,
		   const GElf_Sym *sym, const char *name)
{
	for (size_t k = 0; k < ld->obj->n_maps; k++) {
		if (strcmp(ld->obj->maps[k].sec, t->name) || ld->map_off[k] != sym->st_value)
			continue;
		in->src = SRC_MAP_IDX;
		in->imm = (int32_t)k;
		return 0;
	}
	return ld_errf(ld, EINVAL, "%s: symbol %s at offset %llu of section %s is not a map", where, name,
		       (unsigned long long)sym->st_value, t->name);
}

static int rel_lddw(struct ld *ld, const char *where, struct ld_sec *s, size_t ii, const GElf_Sym *sym,
		    const char *name)
{
	struct ld_sec *t = &ld->secs[sym->st_shndx];
	struct jn_insn *in = &s->insns[ii];
	long long v;

	if (ii + 1 >= s->n)
		return ld_errf(ld, EINVAL, "%s: lddw at instruction %zu is truncated", where, ii);
	switch (t->kind) {
	case SK_CODE:   /* address of a function: callback */
		v = sym->st_value % 8 || in->imm % 8 ? -EINVAL :
			target_in(t, (long long)(sym->st_value / 8), in->imm / 8);
		if (v < 0)
			return ld_errf(ld, EINVAL, "%s: function address %s%+d is not an instruction of section %s",
				       where, name, in->imm, t->name);
		in->src = SRC_FUNC;
		return add_call(ld, s, ii, sym->st_shndx, (size_t)v);
	case SK_MAPS:
	case SK_BTF_MAPS:
		return rel_map(ld, where, in, t, sym, name);
	case SK_DATA:
	case SK_RODATA:
	case SK_BSS:
		/* libbpf: offset = symbol value + the addend clang left in imm */
		v = (long long)in->imm + (long long)sym->st_value;
		if (v < INT32_MIN || v > INT32_MAX || sym->st_value > UINT32_MAX)
			return ld_errf(ld, EINVAL, "%s: offset of %s in %s out of range", where, name, t->name);
		in->src = SRC_MAP_IDX_VAL;
		in->imm = t->map;
		in[1].imm = (int32_t)v;
		return 0;
	default:
		return ld_errf(ld, EINVAL, "%s: symbol %s is in section %s, not a map, global data or code", where,
			       name, t->name ? t->name : "?");
	}
}

static int apply_rel(struct ld *ld, const char *rsec, size_t ri, struct ld_sec *s, const GElf_Rel *rel)
{
	size_t symi = GELF_R_SYM(rel->r_info), ii = rel->r_offset / 8;
	char where[160];
	struct jn_insn *in;
	const char *name;
	GElf_Sym sym;
	long long v;

	snprintf(where, sizeof(where), "section %s: relocation %zu", rsec, ri);
	if (rel->r_offset % 8 || ii >= s->n)
		return ld_errf(ld, EINVAL, "%s: offset %llu is not an instruction of %s", where,
			       (unsigned long long)rel->r_offset, s->name);
	if (!symi || symi >= ld->nsyms)
		return ld_errf(ld, EINVAL, "%s: symbol %zu out of range (%zu symbols)", where, symi, ld->nsyms);
	if (ld_sym(ld, symi, &sym, &name))
		return -EINVAL;
	in = &s->insns[ii];
	if (s->relocated[ii])
		return ld_errf(ld, EINVAL, "%s: second relocation for instruction %zu", where, ii);
	s->relocated[ii] = 1;
	if (sym.st_shndx == SHN_UNDEF)
		return ld_errf(ld, ENOTSUP, "%s: unsupported extern %s", where, *name ? name : "(unnamed)");
	if (in->code != CODE_LDDW && in->code != CODE_CALL)
		return ld_errf(ld, EINVAL, "%s: instruction %zu (opcode 0x%02x) is neither lddw nor call", where, ii,
			       in->code);
	if (sym.st_shndx >= ld->nsec)
		return ld_errf(ld, EINVAL, "%s: symbol %s has special section index 0x%x", where, name,
			       sym.st_shndx);
	if (in->code == CODE_LDDW)
		return rel_lddw(ld, where, s, ii, &sym, name);
	if (in->src != SRC_CALL)
		return ld_errf(ld, EINVAL, "%s: call at instruction %zu relocated against %s is not a bpf-to-bpf call",
			       where, ii, name);
	if (ld->secs[sym.st_shndx].kind != SK_CODE)
		return ld_errf(ld, EINVAL, "%s: call to %s in section %s, which is not code", where, name,
			       ld->secs[sym.st_shndx].name);
	/* global function: imm -1; static: section symbol, imm = offset - 1 */
	v = sym.st_value % 8 ? -EINVAL :
		target_in(&ld->secs[sym.st_shndx], (long long)(sym.st_value / 8), (long long)in->imm + 1);
	if (v < 0)
		return ld_errf(ld, EINVAL, "%s: call target %s%+d is outside section %s", where, name, in->imm,
			       ld->secs[sym.st_shndx].name);
	return add_call(ld, s, ii, sym.st_shndx, (size_t)v);
}

static int rel_section(struct ld *ld, size_t ri)
{
	struct ld_sec *r = &ld->secs[ri];
	struct ld_sec *s = &ld->secs[r->sh.sh_info];
	Elf_Data *d = elf_getdata(elf_getscn(ld->elf, ri), NULL);
	size_t n;

	if (!d || d->d_size != r->sh.sh_size)
		return ld_errf(ld, EINVAL, "section %s: cannot read relocations: %s", r->name, elf_errmsg(-1));
	if (r->sh.sh_link != ld->symtab)
		return ld_errf(ld, EINVAL, "section %s: relocations refer to section %u, not the symbol table",
			       r->name, r->sh.sh_link);
	n = d->d_size / sizeof(Elf64_Rel);
	for (size_t i = 0; i < n; i++) {
		GElf_Rel rel;
		int rc;

		if (!gelf_getrel(d, (int)i, &rel))
			return ld_errf(ld, EINVAL, "section %s: relocation %zu: unreadable: %s", r->name, i,
				       elf_errmsg(-1));
		rc = apply_rel(ld, r->name, i, s, &rel);
		if (rc)
			return rc;
	}
	return 0;
}

/* Calls and function addresses without relocation are relative to the
 * instruction, inside the same section; map references need one. */
static int local_calls(struct ld *ld, size_t si)
{
	struct ld_sec *s = &ld->secs[si];

	for (size_t i = 0; i < s->n; i++) {
		const struct jn_insn *in = &s->insns[i];
		bool wide = in->code == CODE_LDDW;
		long long v;

		if (!s->relocated[i] && wide && in->src && in->src != SRC_FUNC && in->src != SRC_BTF_ID)
			return ld_errf(ld, EINVAL, "section %s: instruction %zu: map reference (lddw src %u) without relocation",
				       s->name, i, in->src);
		if (!s->relocated[i] && ((wide && in->src == SRC_FUNC) || (in->code == CODE_CALL && in->src == SRC_CALL))) {
			v = target_in(s, (long long)i + 1, in->imm);
			if (v < 0)
				return ld_errf(ld, EINVAL, "section %s: instruction %zu: call target %+d is outside the section",
					       s->name, i, in->imm);
			if (add_call(ld, s, i, si, (size_t)v))
				return -ENOMEM;
		}
		i += wide;
	}
	return 0;
}

static int cmp_call(const void *a, const void *b)
{
	const struct ld_call *x = a, *y = b;

	return x->insn < y->insn ? -1 : x->insn > y->insn;
}

int ld_apply_relocs(struct ld *ld)
{
	for (size_t i = 1; i < ld->nsec; i++) {
		const GElf_Shdr *sh = &ld->secs[i].sh;
		int rc;

		if (sh->sh_type != SHT_REL || !sh->sh_info || sh->sh_info >= ld->nsec ||
		    ld->secs[sh->sh_info].kind != SK_CODE)
			continue;
		rc = rel_section(ld, i);
		if (rc)
			return rc;
	}
	for (size_t i = 1; i < ld->nsec; i++) {
		if (ld->secs[i].kind != SK_CODE)
			continue;
		int rc = local_calls(ld, i);

		if (rc)
			return rc;
		if (ld->secs[i].n_calls)
			qsort(ld->secs[i].calls, ld->secs[i].n_calls, sizeof(struct ld_call), cmp_call);
	}
	return 0;
}

static const struct ld_func *func_at(const struct ld_sec *s, size_t insn)
{
	size_t lo = 0, hi = s->n_funcs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct ld_func *f = &s->funcs[mid];

		if (insn < f->start)
			hi = mid;
		else if (insn >= f->start + f->len)
			lo = mid + 1;
		else
			return f;
	}
	return NULL;
}

/* The program being linked: functions placed so far and their code. */
struct link {
	struct piece { size_t sec; const struct ld_func *f; size_t out; } *pieces;
	size_t n_pieces;
	struct jn_insn *insns;
	size_t n;
};

/* Index of the piece for function f of section sec, appending it if new. */
static long place(struct ld *ld, struct link *l, size_t sec, const struct ld_func *f)
{
	struct piece *np;
	struct jn_insn *ni;

	for (size_t i = 0; i < l->n_pieces; i++)
		if (l->pieces[i].sec == sec && l->pieces[i].f == f)
			return (long)i;
	if (l->n + f->len > JN_ISA_MAX_INSNS)
		return ld_errf(ld, E2BIG, "program over %d instructions with function %s", JN_ISA_MAX_INSNS, f->name);
	np = realloc(l->pieces, (l->n_pieces + 1) * sizeof(*np));
	if (np)
		l->pieces = np;
	ni = realloc(l->insns, (l->n + f->len) * sizeof(*ni));
	if (ni)
		l->insns = ni;
	if (!np || !ni)
		return ld_errf(ld, ENOMEM, "out of memory");
	memcpy(l->insns + l->n, ld->secs[sec].insns + f->start, f->len * sizeof(*ni));
	l->pieces[l->n_pieces] = (struct piece){ sec, f, l->n };
	l->n += f->len;
	return (long)l->n_pieces++;
}

/* Point call at its target, placing the target function if it is new:
 * returns the new piece's index (to be linked next), the piece count if
 * the target was placed already, or <0. */
static long link_call(struct ld *ld, struct link *l, size_t k, const struct ld_call *call)
{
	const struct ld_sec *s = &ld->secs[l->pieces[k].sec];
	const struct ld_func *f = l->pieces[k].f;
	const struct ld_func *tf = func_at(&ld->secs[call->tsec], call->tinsn);
	size_t before = l->n_pieces, at;
	long j;

	if (!tf)
		return ld_errf(ld, EINVAL, "section %s: instruction %zu: call target %zu of section %s is outside any function",
			       s->name, call->insn, call->tinsn, ld->secs[call->tsec].name);
	j = place(ld, l, call->tsec, tf);
	if (j < 0)
		return j;
	at = l->pieces[k].out + (call->insn - f->start);
	l->insns[at].imm = (int32_t)((long long)(l->pieces[j].out + (call->tinsn - tf->start)) - (long long)at - 1);
	return l->n_pieces > before ? j : (long)l->n_pieces;
}

/* Depth-first from the entry, in instruction order, as libbpf does, so the
 * layout (and every pc) is the one the kernel sees. */
static int link_all(struct ld *ld, struct link *l)
{
	struct frame { size_t k, c; } *st = malloc(sizeof(*st));
	size_t depth = 1, cap = 1;
	int rc = 0;

	if (!st)
		return ld_errf(ld, ENOMEM, "out of memory");
	st[0] = (struct frame){ 0, 0 };
	while (depth && !rc) {
		struct frame *fr = &st[depth - 1];
		const struct ld_sec *s = &ld->secs[l->pieces[fr->k].sec];
		const struct ld_func *f = l->pieces[fr->k].f;
		const struct ld_call *call;
		long j;

		if (fr->c == s->n_calls) {
			depth--;
			continue;
		}
		call = &s->calls[fr->c++];
		if (call->insn < f->start || call->insn >= f->start + f->len)
			continue;
		j = link_call(ld, l, fr->k, call);
		if (j < 0)
			rc = (int)j;
		else if ((size_t)j < l->n_pieces) {
			if (depth == cap) {
				struct frame *ns = realloc(st, 2 * cap * sizeof(*ns));

				if (!ns) {
					rc = ld_errf(ld, ENOMEM, "out of memory");
					break;
				}
				st = ns;
				cap *= 2;
			}
			st[depth++] = (struct frame){ (size_t)j, 0 };
		}
	}
	free(st);
	return rc;
}

int ld_link_prog(struct ld *ld, size_t sec, const struct ld_func *entry, struct jn_obj_prog *p)
{
	struct link l = { 0 };
	int rc = 0;
	long first;

	p->name = strdup(entry->name);
	p->sec = strdup(ld->secs[sec].name);
	if (!p->name || !p->sec)
		return ld_errf(ld, ENOMEM, "out of memory");
	first = place(ld, &l, sec, entry);
	if (first < 0)
		rc = (int)first;
	if (!rc)
		rc = link_all(ld, &l);
	if (!rc) {
		p->funcs = calloc(l.n_pieces, sizeof(*p->funcs));
		if (!p->funcs)
			rc = ld_errf(ld, ENOMEM, "out of memory");
	}
	for (size_t k = 0; !rc && k < l.n_pieces; k++) {
		p->funcs[k] = (struct jn_obj_func){ strdup(l.pieces[k].f->name), l.pieces[k].out, l.pieces[k].f->len };
		p->n_funcs++;
		if (!p->funcs[k].name)
			rc = ld_errf(ld, ENOMEM, "out of memory");
	}
	free(l.pieces);
	if (rc) {
		free(l.insns);
		return rc;
	}
	p->insns = l.insns;
	p->n_insns = l.n;
	p->n_main = entry->len;
	return 0;
}
