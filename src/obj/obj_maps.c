/* obj_maps.c - the maps of an object: legacy "maps" definitions, BTF ".maps"
 * definitions and global data sections as single-entry arrays.  Order as
 * libbpf's: legacy, BTF (DATASEC order), global data (section order).
 */
#include "obj_internal.h"

#include <bpf/btf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"

enum { MAX_MAP_TYPE = 255 };  /* beyond: garbage, not a future kernel type */

/* Offsets in the object's BTF are 0 and DATASEC sizes too until the loader
 * fills them from the symbol table and section headers, as libbpf does. */
int ld_fixup_datasecs(struct ld *ld)
{
	struct btf *btf = ld->obj->btf;
	uint32_t n = btf__type_cnt(btf);

	for (uint32_t id = 1; id < n; id++) {
		/* the BTF was copied by btf__new, so its types are ours to edit */
		struct btf_type *t = (struct btf_type *)btf__type_by_id(btf, id);
		struct btf_var_secinfo *vi;
		const char *name;
		size_t sec;

		if (!t || !btf_is_datasec(t))
			continue;
		name = btf__name_by_offset(btf, t->name_off);
		sec = name ? ld_sec_by_name(ld, name) : 0;
		if (!sec || ld->secs[sec].sh.sh_size > UINT32_MAX)
			continue;
		t->size = (uint32_t)ld->secs[sec].sh.sh_size;
		vi = btf_var_secinfos(t);
		for (uint16_t k = 0; k < btf_vlen(t); k++) {
			const struct btf_type *v = btf__type_by_id(btf, vi[k].type);
			const char *vname = v && btf_is_var(v) ? btf__name_by_offset(btf, v->name_off) : NULL;
			GElf_Sym sym;

			if (vname && !ld_sym_in_sec(ld, sec, vname, &sym) && sym.st_value <= UINT32_MAX)
				vi[k].offset = (uint32_t)sym.st_value;
		}
	}
	return 0;
}

static int add_map(struct ld *ld, const struct jn_map_spec *spec, const char *sec, size_t off)
{
	struct jn_obj *obj = ld->obj;
	struct jn_obj_map *m = realloc(obj->maps, (obj->n_maps + 1) * sizeof(*m));
	size_t *mo = realloc(ld->map_off, (obj->n_maps + 1) * sizeof(*mo));

	if (m)
		obj->maps = m;
	if (mo)
		ld->map_off = mo;
	if (!m || !mo)
		return ld_errf(ld, ENOMEM, "out of memory");
	if (spec->type == 0 || spec->type > MAX_MAP_TYPE)
		return ld_errf(ld, EINVAL, "section %s: map %s: %s map type %u", sec, spec->name,
			       spec->type ? "unknown" : "invalid", spec->type);
	m = &obj->maps[obj->n_maps];
	*m = (struct jn_obj_map){ .spec = *spec, .sec = strdup(sec) };
	m->spec.name = strdup(spec->name);
	m->spec.btf = obj->btf;
	m->spec.init = NULL;
	if (!m->sec || !m->spec.name) {
		free(m->sec);
		free((char *)m->spec.name);
		return ld_errf(ld, ENOMEM, "out of memory");
	}
	ld->map_off[obj->n_maps++] = off;
	return 0;
}

static uint32_t get_u32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* struct bpf_map_def { type, key_size, value_size, max_entries, map_flags }
 * and longer variants (iproute2's adds id, pinning, inner map fields). */
static int legacy_maps(struct ld *ld, size_t sec)
{
	const struct ld_sec *s = &ld->secs[sec];
	size_t nr = 0;

	for (size_t pass = 0; pass < 2; pass++) {
		for (size_t i = 1; i < ld->nsyms; i++) {
			struct jn_map_spec spec = { 0 };
			const uint8_t *d = s->data->d_buf;
			GElf_Sym sym;
			const char *name;
			size_t sz;
			int rc = ld_sym(ld, i, &sym, &name);

			if (rc)
				return rc;
			if (sym.st_shndx != sec || GELF_ST_TYPE(sym.st_info) == STT_SECTION)
				continue;
			if (!pass) {
				nr++;
				continue;
			}
			/* old compilers leave st_size 0: libbpf divides the section evenly */
			sz = sym.st_size ? sym.st_size : s->sh.sh_size / nr;
			if (sz < 16)
				return ld_errf(ld, EINVAL, "section maps: map %s: definition of %zu bytes is too short",
					       name, sz);
			if (sym.st_value > s->sh.sh_size || sz > s->sh.sh_size - sym.st_value)
				return ld_errf(ld, EINVAL, "section maps: map %s: definition at offset %llu crosses the section",
					       name, (unsigned long long)sym.st_value);
			d += sym.st_value;
			spec = (struct jn_map_spec){ .name = name, .type = get_u32(d), .key_size = get_u32(d + 4),
						     .value_size = get_u32(d + 8), .max_entries = get_u32(d + 12),
						     .map_flags = sz >= 20 ? get_u32(d + 16) : 0 };
			rc = add_map(ld, &spec, "maps", sym.st_value);
			if (rc)
				return rc;
		}
	}
	return 0;
}

/* __uint(name, N): a pointer to an array of N elements */
static int btf_uint(struct ld *ld, const char *map, const char *field, uint32_t id, uint32_t *val)
{
	const struct btf *btf = ld->obj->btf;
	const struct btf_type *t = ld_btf_skip_mods(btf, id, NULL);
	const struct btf_type *a = t && btf_is_ptr(t) ? btf__type_by_id(btf, t->type) : NULL;

	if (!a || !btf_is_array(a))
		return ld_errf(ld, EINVAL, "section .maps: map %s: field %s is not __uint() (pointer to array)",
			       map, field);
	*val = btf_array(a)->nelems;
	return 0;
}

/* __type(name, T): a pointer to T */
static int btf_typed(struct ld *ld, const char *map, const char *field, uint32_t id, uint32_t *size,
		     uint32_t *tid)
{
	const struct btf *btf = ld->obj->btf;
	const struct btf_type *t = ld_btf_skip_mods(btf, id, NULL);
	long long sz = t && btf_is_ptr(t) ? btf__resolve_size(btf, t->type) : -1;

	if (!t || !btf_is_ptr(t))
		return ld_errf(ld, EINVAL, "section .maps: map %s: field %s is not __type() (pointer)", map, field);
	if (sz < 0 || sz > UINT32_MAX)
		return ld_errf(ld, EINVAL, "section .maps: map %s: field %s: type %u has no size", map, field,
			       t->type);
	if (*size && *size != sz)
		return ld_errf(ld, EINVAL, "section .maps: map %s: %s type size %lld conflicts with %s_size %u",
			       map, field, sz, field, *size);
	*size = (uint32_t)sz;
	*tid = t->type;
	return 0;
}

static int btf_member(struct ld *ld, const char *map, const char *f, uint32_t type, struct jn_map_spec *spec)
{
	static const char *const ignored[] = { "numa_node", "map_extra", "pinning" };
	uint32_t v = 0;
	int rc;

	if (!strcmp(f, "key"))
		return btf_typed(ld, map, f, type, &spec->key_size, &spec->btf_key_type_id);
	if (!strcmp(f, "value"))
		return btf_typed(ld, map, f, type, &spec->value_size, &spec->btf_value_type_id);
	if (!strcmp(f, "values"))
		return ld_errf(ld, ENOTSUP, "section .maps: map %s: inner maps and initial values "
			       "(field values) are not supported", map);
	rc = btf_uint(ld, map, f, type, &v);
	if (rc)
		return rc;
	if (!strcmp(f, "type"))
		spec->type = v;
	else if (!strcmp(f, "max_entries"))
		spec->max_entries = v;
	else if (!strcmp(f, "map_flags"))
		spec->map_flags = v;
	else if (!strcmp(f, "key_size") || !strcmp(f, "value_size")) {
		uint32_t *sz = f[0] == 'k' ? &spec->key_size : &spec->value_size;

		if (*sz && *sz != v)
			return ld_errf(ld, EINVAL, "section .maps: map %s: %s %u conflicts with type size %u",
				       map, f, v, *sz);
		*sz = v;
	} else {
		for (size_t i = 0; i < JN_ARRAY_SIZE(ignored); i++)
			if (!strcmp(f, ignored[i]))
				return 0;
		return ld_errf(ld, ENOTSUP, "section .maps: map %s: unknown field %s", map, f);
	}
	return 0;
}

static int btf_map(struct ld *ld, size_t sec, uint32_t var_id)
{
	const struct btf *btf = ld->obj->btf;
	const struct btf_type *v = btf__type_by_id(btf, var_id), *def;
	const struct btf_member *m;
	struct jn_map_spec spec = { 0 };
	const char *name;
	GElf_Sym sym;

	if (!v || !btf_is_var(v))
		return ld_errf(ld, EINVAL, "section .maps: BTF type %u is not a variable", var_id);
	name = btf__name_by_offset(btf, v->name_off);
	if (!name || !*name)
		return ld_errf(ld, EINVAL, "section .maps: BTF variable %u has no name", var_id);
	if (btf_var(v)->linkage != BTF_VAR_GLOBAL_ALLOCATED && btf_var(v)->linkage != BTF_VAR_STATIC)
		return ld_errf(ld, ENOTSUP, "section .maps: map %s: unsupported linkage %u", name,
			       btf_var(v)->linkage);
	def = ld_btf_skip_mods(btf, v->type, NULL);
	if (!def || !btf_is_struct(def))
		return ld_errf(ld, EINVAL, "section .maps: map %s: definition is not a struct", name);
	m = btf_members(def);
	for (uint16_t i = 0; i < btf_vlen(def); i++) {
		const char *f = btf__name_by_offset(btf, m[i].name_off);
		int rc = btf_member(ld, name, f ? f : "", m[i].type, &spec);

		if (rc)
			return rc;
	}
	if (ld_sym_in_sec(ld, sec, name, &sym))
		return ld_errf(ld, EINVAL, "section .maps: map %s: no symbol for it", name);
	spec.name = name;
	return add_map(ld, &spec, ".maps", sym.st_value);
}

static int btf_maps(struct ld *ld, size_t sec)
{
	const struct btf *btf = ld->obj->btf;
	const struct btf_type *t;
	const struct btf_var_secinfo *vi;
	int id;

	if (!btf)
		return ld_errf(ld, EINVAL, "section .maps: needs BTF (section .BTF missing or unreadable)");
	id = btf__find_by_name_kind(btf, ".maps", BTF_KIND_DATASEC);
	t = id > 0 ? btf__type_by_id(btf, (uint32_t)id) : NULL;
	if (!t)
		return ld_errf(ld, EINVAL, "section .maps: no DATASEC .maps in BTF");
	vi = btf_var_secinfos(t);
	for (uint16_t k = 0; k < btf_vlen(t); k++) {
		int rc = btf_map(ld, sec, vi[k].type);

		if (rc)
			return rc;
	}
	return 0;
}

/* .data/.rodata/.bss[.*]: an array with one value, the section */
static int data_map(struct ld *ld, size_t sec)
{
	struct ld_sec *s = &ld->secs[sec];
	bool ro = s->kind == SK_RODATA;
	int id = ld->obj->btf ? btf__find_by_name_kind(ld->obj->btf, s->name, BTF_KIND_DATASEC) : -1;
	struct jn_map_spec spec = {
		.name = s->name, .type = BPF_MAP_TYPE_ARRAY, .key_size = 4,
		.value_size = (uint32_t)s->sh.sh_size, .max_entries = 1,
		.map_flags = ro ? BPF_F_RDONLY_PROG : 0, .readonly = ro,
		.btf_value_type_id = id > 0 ? (uint32_t)id : 0,
	};
	struct jn_obj_map *m;
	void *init = NULL;
	int rc;

	if (s->sh.sh_size > UINT32_MAX)
		return ld_errf(ld, EINVAL, "section %s: %llu bytes is too large for a map", s->name,
			       (unsigned long long)s->sh.sh_size);
	if (s->kind != SK_BSS) {
		init = malloc(s->sh.sh_size);
		if (!init)
			return ld_errf(ld, ENOMEM, "section %s: out of memory", s->name);
		memcpy(init, s->data->d_buf, s->sh.sh_size);
	}
	rc = add_map(ld, &spec, s->name, 0);
	if (rc) {
		free(init);
		return rc;
	}
	m = &ld->obj->maps[ld->obj->n_maps - 1];
	m->spec.init = init;
	m->spec.init_len = init ? s->sh.sh_size : 0;
	s->map = (int)ld->obj->n_maps - 1;
	return 0;
}

int ld_collect_maps(struct ld *ld)
{
	static const enum ld_sec_kind order[] = { SK_MAPS, SK_BTF_MAPS, SK_DATA };

	for (size_t o = 0; o < JN_ARRAY_SIZE(order); o++) {
		for (size_t i = 1; i < ld->nsec; i++) {
			enum ld_sec_kind k = ld->secs[i].kind;
			int rc = 0;

			if (k == SK_MAPS && order[o] == SK_MAPS)
				rc = legacy_maps(ld, i);
			else if (k == SK_BTF_MAPS && order[o] == SK_BTF_MAPS)
				rc = btf_maps(ld, i);
			else if ((k == SK_DATA || k == SK_RODATA || k == SK_BSS) && order[o] == SK_DATA)
				rc = data_map(ld, i);
			if (rc)
				return rc;
		}
	}
	return 0;
}
