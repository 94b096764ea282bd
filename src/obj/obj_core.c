/* obj_core.c - CO-RE: the .BTF.ext relocations clang emits for
 * preserve_access_index accesses, resolved against a target BTF (the
 * kernel's, or the object's own) with libbpf's rules: candidates share the
 * "essential" name (up to a ___flavor suffix) and kind, fields are matched by
 * name through anonymous members, all matching candidates must agree, and an
 * unresolvable access is poisoned (call to helper 0xbad2310) rather than
 * refused, so guarded dead code still loads.  libbpf 1.1 does not export its
 * relocation engine; this is our own.
 */
#include "obj_internal.h"

#include <bpf/btf.h>
#include <errno.h>
#include <limits.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"

enum { SPEC_MAX = 64, MOD_DEPTH = 32, POISON_IMM = 0xbad2310 };

const struct btf_type *ld_btf_skip_mods(const struct btf *btf, uint32_t id, uint32_t *res_id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	for (int d = 0; t && d < MOD_DEPTH; d++) {
		if (!btf_is_mod(t) && !btf_is_typedef(t)) {
			if (res_id)
				*res_id = id;
			return t;
		}
		id = t->type;
		t = btf__type_by_id(btf, id);
	}
	return NULL;
}

/* One step of an access: a named member (name set) or an array index. */
struct acc {
	uint32_t type_id, idx;
	const char *name;
};

struct spec {
	const struct btf *btf;
	uint32_t root, kind;
	struct acc acc[SPEC_MAX];
	int len, raw_len;
	uint64_t bit_off;
};

struct res {
	uint64_t orig, val;
	uint32_t orig_sz, new_sz, orig_tid, new_tid;
	bool poison, validate, bad_memsz;
};

static bool field_based(uint32_t k) { return k <= BPF_CORE_FIELD_RSHIFT_U64; }
static bool enum_based(uint32_t k) { return k == BPF_CORE_ENUMVAL_EXISTS || k == BPF_CORE_ENUMVAL_VALUE; }

static const char *kind_name(uint32_t k)
{
	static const char *const names[] = {
		"field_byte_offset", "field_byte_size", "field_exists", "field_signed", "field_lshift_u64",
		"field_rshift_u64", "type_id_local", "type_id_target", "type_exists", "type_size",
		"enumval_exists", "enumval_value", "type_matches",
	};
	return k < JN_ARRAY_SIZE(names) ? names[k] : "unknown";
}

static const char *bname(const struct btf *btf, uint32_t off)
{
	const char *n = btf__name_by_offset(btf, off);

	return n ? n : "";
}

/* Length of name without its ___flavor suffix (libbpf: flavor >= 2 chars). */
static size_t essential_len(const char *n)
{
	size_t len = strlen(n);

	for (size_t i = len >= 5 ? len - 5 + 1 : 0; i-- > 0;)
		if (!strncmp(n + i, "___", 3))
			return i;
	return len;
}

static bool same_essential(const char *a, const char *b)
{
	size_t la = essential_len(a);

	return la == essential_len(b) && !strncmp(a, b, la);
}

static bool is_flex(const struct btf *btf, const struct acc *parent, const struct btf_array *a)
{
	const struct btf_type *t;

	if (!parent->name || a->nelems)
		return false;
	t = btf__type_by_id(btf, parent->type_id);
	return t && parent->idx + 1 == btf_vlen(t);
}

static int add_bits(uint64_t *bit_off, uint64_t idx, long long sz)
{
	uint64_t v;

	if (sz < 0)
		return (int)sz;
	if (__builtin_mul_overflow(idx, (uint64_t)sz * 8, &v) || __builtin_add_overflow(*bit_off, v, bit_off))
		return -E2BIG;
	return 0;
}

static int parse_access(const char *s, int *raw, int *n)
{
	*n = 0;
	if (!*s || *s == ':')
		return -EINVAL;
	while (*s) {
		char *end;
		long v;

		if (*s == ':')
			s++;
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = strtol(s, &end, 10);
		if (v > INT_MAX || *n == SPEC_MAX)
			return -E2BIG;
		raw[(*n)++] = (int)v;
		s = end;
	}
	return *n ? 0 : -EINVAL;
}

/* Walk the local access string through the local types. */
static int parse_local(const struct btf *btf, const struct bpf_core_relo *r, struct spec *sp)
{
	const struct btf_type *t;
	int raw[SPEC_MAX], n, rc;
	uint32_t id;

	memset(sp, 0, sizeof(*sp));
	*sp = (struct spec){ .btf = btf, .root = r->type_id, .kind = r->kind };
	if (!field_based(r->kind) && !enum_based(r->kind))
		return strcmp(bname(btf, r->access_str_off), "0") ? -EINVAL : 0;
	rc = parse_access(bname(btf, r->access_str_off), raw, &n);
	t = rc ? NULL : ld_btf_skip_mods(btf, r->type_id, &id);
	if (!t)
		return -EINVAL;
	sp->acc[0] = (struct acc){ id, (uint32_t)raw[0], NULL };
	sp->len = 1;
	if (enum_based(r->kind)) {
		if (!btf_is_any_enum(t) || n > 1 || raw[0] >= btf_vlen(t))
			return -EINVAL;
		sp->acc[0].name = bname(btf, btf_is_enum(t) ? btf_enum(t)[raw[0]].name_off :
						 btf_enum64(t)[raw[0]].name_off);
		return 0;
	}
	rc = add_bits(&sp->bit_off, (uint64_t)raw[0], btf__resolve_size(btf, id));
	for (int i = 1; !rc && i < n; i++) {
		uint32_t idx = (uint32_t)raw[i];

		t = ld_btf_skip_mods(btf, id, &id);
		if (t && btf_is_composite(t)) {
			const struct btf_member *m;

			if (idx >= btf_vlen(t))
				return -EINVAL;
			m = btf_members(t) + idx;
			sp->bit_off += btf_member_bit_offset(t, idx);
			if (m->name_off) {
				if (!*bname(btf, m->name_off))
					return -EINVAL;
				sp->acc[sp->len++] = (struct acc){ id, idx, bname(btf, m->name_off) };
			}
			id = m->type;
		} else if (t && btf_is_array(t)) {
			const struct btf_array *a = btf_array(t);

			if (!ld_btf_skip_mods(btf, a->type, &id) ||
			    (!is_flex(btf, &sp->acc[sp->len - 1], a) && idx >= a->nelems))
				return -EINVAL;
			sp->acc[sp->len++] = (struct acc){ id, idx, NULL };
			rc = add_bits(&sp->bit_off, idx, btf__resolve_size(btf, id));
		} else {
			return -EINVAL;
		}
	}
	return rc;
}

/* libbpf's field compatibility: composites match composites, pointers and
 * floats always, enums/fwds by essential name, ints unless bitfield-like,
 * arrays by element type. */
static int fields_compat(const struct btf *lb, uint32_t lid, const struct btf *tb, uint32_t tid)
{
	for (int d = 0; d < MOD_DEPTH; d++) {
		const struct btf_type *lt = ld_btf_skip_mods(lb, lid, &lid);
		const struct btf_type *tt = ld_btf_skip_mods(tb, tid, &tid);

		if (!lt || !tt)
			return -EINVAL;
		if (btf_is_composite(lt) && btf_is_composite(tt))
			return 1;
		if (!btf_kind_core_compat(lt, tt))
			return 0;
		switch (btf_kind(lt)) {
		case BTF_KIND_PTR:
		case BTF_KIND_FLOAT:
			return 1;
		case BTF_KIND_FWD:
		case BTF_KIND_ENUM:
		case BTF_KIND_ENUM64: {
			const char *ln = bname(lb, lt->name_off), *tn = bname(tb, tt->name_off);

			return !essential_len(ln) || !essential_len(tn) || same_essential(ln, tn);
		}
		case BTF_KIND_INT:
			return btf_int_offset(lt) == 0 && btf_int_offset(tt) == 0;
		case BTF_KIND_ARRAY:
			lid = btf_array(lt)->type;
			tid = btf_array(tt)->type;
			continue;
		default:
			return 0;
		}
	}
	return -EINVAL;
}

/* libbpf's type compatibility for type-based relocations. */
static int types_compat(const struct btf *lb, uint32_t lid, const struct btf *tb, uint32_t tid, int level)
{
	for (int d = 0; d < MOD_DEPTH; d++) {
		const struct btf_type *lt = ld_btf_skip_mods(lb, lid, &lid);
		const struct btf_type *tt = ld_btf_skip_mods(tb, tid, &tid);

		if (!lt || !tt)
			return -EINVAL;
		if (!btf_kind_core_compat(lt, tt))
			return 0;
		switch (btf_kind(lt)) {
		case BTF_KIND_UNKN:
		case BTF_KIND_STRUCT:
		case BTF_KIND_UNION:
		case BTF_KIND_ENUM:
		case BTF_KIND_ENUM64:
		case BTF_KIND_FWD:
			return 1;
		case BTF_KIND_INT:
			return btf_int_offset(lt) == 0 && btf_int_offset(tt) == 0;
		case BTF_KIND_PTR:
			lid = lt->type;
			tid = tt->type;
			continue;
		case BTF_KIND_ARRAY:
			lid = btf_array(lt)->type;
			tid = btf_array(tt)->type;
			continue;
		case BTF_KIND_FUNC_PROTO: {
			const struct btf_param *lp = btf_params(lt), *tp = btf_params(tt);

			if (btf_vlen(lt) != btf_vlen(tt))
				return 0;
			for (uint16_t i = 0; i < btf_vlen(lt); i++) {
				int rc = level > 0 ? types_compat(lb, lp[i].type, tb, tp[i].type, level - 1) : -EINVAL;

				if (rc <= 0)
					return rc;
			}
			lid = lt->type;
			tid = tt->type;
			continue;
		}
		default:
			return 0;
		}
	}
	return -EINVAL;
}

/* Find the target member named like the local accessor la, looking
 * through anonymous struct/union members.  1 found, 0 not, <0 error. */
static int match_member(const struct btf *lb, const struct acc *la, const struct btf *tb, uint32_t tid,
			struct spec *ts, uint32_t *next)
{
	const struct btf_type *tt = ld_btf_skip_mods(tb, tid, &tid);
	const struct btf_member *lm = btf_members(btf__type_by_id(lb, la->type_id)) + la->idx;
	const struct btf_member *m;

	if (!tt)
		return -EINVAL;
	if (!btf_is_composite(tt))
		return 0;
	m = btf_members(tt);
	for (uint16_t i = 0; i < btf_vlen(tt); i++) {
		uint32_t bit = btf_member_bit_offset(tt, i);
		const char *tn = bname(tb, m[i].name_off);
		int found;

		if (ts->raw_len >= SPEC_MAX || ts->len >= SPEC_MAX)
			return -E2BIG;
		ts->bit_off += bit;
		ts->raw_len++;
		if (!*tn) {
			found = match_member(lb, la, tb, m[i].type, ts, next);
			if (found)
				return found;
		} else if (!strcmp(la->name, tn)) {
			ts->acc[ts->len++] = (struct acc){ tid, i, tn };
			*next = m[i].type;
			found = fields_compat(lb, lm->type, tb, m[i].type);
			if (found <= 0)
				ts->len--;
			return found;
		}
		ts->bit_off -= bit;
		ts->raw_len--;
	}
	return 0;
}

static int match_enumval(const struct spec *ls, const struct btf *tb, uint32_t tid, struct spec *ts)
{
	const struct btf_type *tt = ld_btf_skip_mods(tb, tid, &tid);

	if (!tt || !btf_is_any_enum(tt))
		return 0;
	for (uint16_t i = 0; i < btf_vlen(tt); i++) {
		const char *tn = bname(tb, btf_is_enum(tt) ? btf_enum(tt)[i].name_off : btf_enum64(tt)[i].name_off);

		if (same_essential(ls->acc[0].name, tn)) {
			ts->acc[0] = (struct acc){ tid, i, tn };
			ts->len = 1;
			return 1;
		}
	}
	return 0;
}

/* Match the local spec against target type tid: 1 and *ts, 0, or <0. */
static int spec_match(const struct spec *ls, const struct btf *tb, uint32_t tid, struct spec *ts)
{
	memset(ts, 0, sizeof(*ts));
	*ts = (struct spec){ .btf = tb, .root = tid, .kind = ls->kind };
	if (!field_based(ls->kind) && !enum_based(ls->kind))
		return types_compat(ls->btf, ls->root, tb, tid, MOD_DEPTH);
	if (enum_based(ls->kind))
		return match_enumval(ls, tb, tid, ts);
	for (int i = 0; i < ls->len; i++) {
		const struct acc *la = &ls->acc[i];
		const struct btf_type *tt = ld_btf_skip_mods(tb, tid, &tid);
		int rc;

		if (!tt)
			return -EINVAL;
		if (la->name) {
			rc = match_member(ls->btf, la, tb, tid, ts, &tid);
			if (rc <= 0)
				return rc;
			continue;
		}
		if (i > 0) {
			const struct btf_array *a;

			if (!btf_is_array(tt))
				return 0;
			a = btf_array(tt);
			if (!is_flex(tb, &ts->acc[ts->len - 1], a) && la->idx >= a->nelems)
				return 0;
			if (!ld_btf_skip_mods(tb, a->type, &tid))
				return -EINVAL;
		}
		if (ts->raw_len >= SPEC_MAX || ts->len >= SPEC_MAX)
			return -E2BIG;
		ts->acc[ts->len++] = (struct acc){ tid, la->idx, NULL };
		ts->raw_len++;
		rc = add_bits(&ts->bit_off, la->idx, btf__resolve_size(tb, tid));
		if (rc)
			return rc;
	}
	return 1;
}

/* Value of a field relocation for spec sp (NULL: no match). */
static int calc_field(uint32_t kind, const struct spec *sp, uint64_t *val, uint32_t *fsz, uint32_t *tid,
		      bool *validate)
{
	const struct acc *a;
	const struct btf_type *t, *mt;
	const struct btf_member *m;
	uint32_t mid = 0, bit_sz, byte_sz;
	uint64_t byte_off, bit_off;
	long long sz;
	bool bitfield;

	*fsz = 0;
	if (kind == BPF_CORE_FIELD_EXISTS) {
		*val = sp != NULL;
		return 0;
	}
	if (!sp)
		return -EUCLEAN;   /* poison */
	a = &sp->acc[sp->len - 1];
	t = btf__type_by_id(sp->btf, a->type_id);
	if (!a->name) {   /* array element */
		sz = btf__resolve_size(sp->btf, a->type_id);
		if (sz < 0 || (kind != BPF_CORE_FIELD_BYTE_OFFSET && kind != BPF_CORE_FIELD_BYTE_SIZE))
			return -EINVAL;
		*val = kind == BPF_CORE_FIELD_BYTE_OFFSET ? sp->bit_off / 8 : (uint64_t)sz;
		if (kind == BPF_CORE_FIELD_BYTE_OFFSET) {
			*fsz = (uint32_t)sz;
			*tid = a->type_id;
		}
		if (validate)
			*validate = true;
		return 0;
	}
	if (!t || !btf_is_composite(t) || a->idx >= btf_vlen(t))
		return -EINVAL;
	m = btf_members(t) + a->idx;
	mt = ld_btf_skip_mods(sp->btf, m->type, &mid);
	if (!mt)
		return -EINVAL;
	bit_off = sp->bit_off;
	bit_sz = btf_member_bitfield_size(t, a->idx);
	bitfield = bit_sz > 0;
	if (bitfield) {
		byte_sz = mt->size;
		if (!byte_sz || byte_sz > 8)
			return -EINVAL;
		byte_off = bit_off / 8 / byte_sz * byte_sz;
		while (bit_off + bit_sz - byte_off * 8 > byte_sz * 8) {
			if (byte_sz >= 8)
				return -E2BIG;
			byte_sz *= 2;
			byte_off = bit_off / 8 / byte_sz * byte_sz;
		}
	} else {
		sz = btf__resolve_size(sp->btf, mid);
		if (sz < 0 || sz > UINT32_MAX / 8)
			return -EINVAL;
		byte_sz = (uint32_t)sz;
		byte_off = bit_off / 8;
		bit_sz = byte_sz * 8;
	}
	/* bitfield layouts may legitimately differ from clang's guess */
	if (validate)
		*validate = !bitfield || kind == BPF_CORE_FIELD_SIGNED || kind == BPF_CORE_FIELD_RSHIFT_U64;
	switch (kind) {
	case BPF_CORE_FIELD_BYTE_OFFSET:
		*val = byte_off;
		if (!bitfield) {
			*fsz = byte_sz;
			*tid = mid;
		}
		return 0;
	case BPF_CORE_FIELD_BYTE_SIZE:
		*val = byte_sz;
		return 0;
	case BPF_CORE_FIELD_SIGNED:
		*val = (btf_is_any_enum(mt) && btf_kflag(mt)) || (btf_is_int(mt) && (btf_int_encoding(mt) & BTF_INT_SIGNED));
		return 0;
	case BPF_CORE_FIELD_LSHIFT_U64:
		*val = 64 - (bit_off + bit_sz - byte_off * 8);
		return 0;
	case BPF_CORE_FIELD_RSHIFT_U64:
		*val = 64 - bit_sz;
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

static int calc_other(uint32_t kind, const struct spec *sp, uint64_t *val, bool *validate)
{
	const struct btf_type *t;
	long long sz;

	if (validate)
		*validate = kind != BPF_CORE_TYPE_ID_TARGET;
	switch (kind) {
	case BPF_CORE_ENUMVAL_EXISTS:
	case BPF_CORE_TYPE_EXISTS:
		*val = sp != NULL;
		return 0;
	case BPF_CORE_TYPE_ID_TARGET:
		*val = sp ? sp->root : 0;
		return 0;
	case BPF_CORE_TYPE_SIZE:
		sz = sp ? btf__resolve_size(sp->btf, sp->root) : 0;
		*val = (uint64_t)sz;
		return sz < 0 ? -EINVAL : 0;
	case BPF_CORE_ENUMVAL_VALUE:
		if (!sp)
			return -EUCLEAN;
		t = btf__type_by_id(sp->btf, sp->acc[0].type_id);
		*val = btf_is_enum(t) ? (uint64_t)(int64_t)btf_enum(t)[sp->acc[0].idx].val :
					btf_enum64_value(btf_enum64(t) + sp->acc[0].idx);
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

static bool unsigned_int(const struct btf_type *t)
{
	return t && btf_is_int(t) && btf_int_encoding(t) != BTF_INT_SIGNED;
}

/* Original (local) and new (target) values; ts NULL when nothing matched. */
static int calc(const struct spec *ls, const struct spec *ts, struct res *r)
{
	int rc;

	memset(r, 0, sizeof(*r));
	r->validate = true;
	if (field_based(ls->kind)) {
		rc = calc_field(ls->kind, ls, &r->orig, &r->orig_sz, &r->orig_tid, &r->validate);
		rc = rc ? rc : calc_field(ls->kind, ts, &r->val, &r->new_sz, &r->new_tid, NULL);
		if (!rc && r->orig_sz != r->new_sz) {
			/* only pointers and unsigned ints survive a load-size change */
			const struct btf_type *o = btf__type_by_id(ls->btf, r->orig_tid);
			const struct btf_type *n = btf__type_by_id(ts->btf, r->new_tid);

			r->bad_memsz = !(o && n && btf_is_ptr(o) && btf_is_ptr(n)) &&
				       !(unsigned_int(o) && unsigned_int(n));
		}
	} else {
		rc = calc_other(ls->kind, ls, &r->orig, &r->validate);
		rc = rc ? rc : calc_other(ls->kind, ts, &r->val, NULL);
	}
	if (rc == -EUCLEAN) {
		r->poison = true;
		rc = 0;
	}
	return rc;
}

/* The state of CO-RE resolution for one object. */
struct core {
	struct ld *ld;
	const struct btf *local, *target;
	char where[192];
};

static int resolve(struct core *c, const struct bpf_core_relo *r, struct res *out)
{
	struct spec ls, cand, ts;
	const struct btf_type *lt = btf__type_by_id(c->local, r->type_id);
	const char *lname = lt ? bname(c->local, lt->name_off) : "";
	uint32_t n = btf__type_cnt(c->target);
	int matched = 0, rc;

	ts.bit_off = 0;
	if (!lt || parse_local(c->local, r, &ls))
		return ld_errf(c->ld, EINVAL, "%s: bad access string \"%s\" for type %u", c->where,
			       bname(c->local, r->access_str_off), r->type_id);
	if (r->kind == BPF_CORE_TYPE_ID_LOCAL) {
		*out = (struct res){ .orig = r->type_id, .val = r->type_id };
		return 0;
	}
	if (r->kind > BPF_CORE_ENUMVAL_VALUE)
		return ld_errf(c->ld, ENOTSUP, "%s: unsupported kind %s", c->where, kind_name(r->kind));
	if (!*lname)
		return ld_errf(c->ld, ENOTSUP, "%s: anonymous types are not supported", c->where);
	for (uint32_t id = 1; id < n; id++) {
		const struct btf_type *tt = btf__type_by_id(c->target, id);
		struct res cr;

		if (!tt || !btf_kind_core_compat(tt, lt) || !same_essential(lname, bname(c->target, tt->name_off)))
			continue;
		rc = spec_match(&ls, c->target, id, &cand);
		if (rc < 0)
			return ld_errf(c->ld, EINVAL, "%s: matching target type %u failed (%d)", c->where, id, rc);
		if (!rc)
			continue;
		if (calc(&ls, &cand, &cr))
			return ld_errf(c->ld, EINVAL, "%s: cannot compute the value for target type %u", c->where, id);
		if (matched && (cand.bit_off != ts.bit_off || cr.poison != out->poison || cr.val != out->val))
			return ld_errf(c->ld, EINVAL, "%s: ambiguous: target types give %llu and %llu", c->where,
				       (unsigned long long)out->val, (unsigned long long)cr.val);
		if (!matched++) {
			*out = cr;
			ts = cand;
		}
	}
	if (!matched && calc(&ls, NULL, out))
		return ld_errf(c->ld, EINVAL, "%s: cannot compute the value", c->where);
	return 0;
}

static void poison(struct jn_insn *in)
{
	*in = (struct jn_insn){ .code = 0x85, .imm = POISON_IMM };
}

static int patch_mem(struct core *c, struct jn_insn *in, const struct res *r)
{
	static const uint8_t size_bits[9] = { [1] = 0x10, [2] = 0x08, [4] = 0x00, [8] = 0x18 };

	if (r->validate && (uint64_t)(int64_t)in->off != r->orig)
		return ld_errf(c->ld, EINVAL, "%s: instruction offset %d, expected %llu", c->where, in->off,
			       (unsigned long long)r->orig);
	if (r->val > SHRT_MAX)
		return ld_errf(c->ld, ERANGE, "%s: offset %llu does not fit an instruction", c->where,
			       (unsigned long long)r->val);
	if (r->bad_memsz) {
		poison(in);
		return 0;
	}
	in->off = (int16_t)r->val;
	if (r->new_sz == r->orig_sz)
		return 0;
	if (jn_isa_size(in->code) != r->orig_sz || r->new_sz > 8 || (r->new_sz & (r->new_sz - 1)) || !r->new_sz)
		return ld_errf(c->ld, EINVAL, "%s: cannot resize a %u-byte access to %u bytes", c->where,
			       jn_isa_size(in->code), r->new_sz);
	in->code = (uint8_t)((in->code & 0xe7) | size_bits[r->new_sz]);
	return 0;
}

static int patch(struct core *c, struct jn_insn *in, size_t avail, const struct res *r)
{
	uint8_t cls = JN_CLASS(in->code);

	if (r->poison) {
		if (in->code == 0x18 && avail > 1)
			poison(in + 1);
		poison(in);
		return 0;
	}
	switch (cls) {
	case JN_CLS_ALU:
	case JN_CLS_ALU64:
		if (in->code & 0x08)
			return ld_errf(c->ld, EINVAL, "%s: ALU instruction with a register operand", c->where);
		if (r->validate && (uint64_t)(int64_t)in->imm != r->orig)
			return ld_errf(c->ld, EINVAL, "%s: instruction immediate %d, expected %llu", c->where, in->imm,
				       (unsigned long long)r->orig);
		in->imm = (int32_t)r->val;
		return 0;
	case JN_CLS_LDX:
	case JN_CLS_ST:
	case JN_CLS_STX:
		return patch_mem(c, in, r);
	case JN_CLS_LD:
		if (in->code != 0x18 || avail < 2 || in->src || in->off || in[1].code || in[1].dst || in[1].src ||
		    in[1].off)
			return ld_errf(c->ld, EINVAL, "%s: unexpected lddw form", c->where);
		if (r->validate && ((uint64_t)(uint32_t)in->imm | (uint64_t)(uint32_t)in[1].imm << 32) != r->orig)
			return ld_errf(c->ld, EINVAL, "%s: lddw value differs from the expected %llu", c->where,
				       (unsigned long long)r->orig);
		in[0].imm = (int32_t)(uint32_t)r->val;
		in[1].imm = (int32_t)(uint32_t)(r->val >> 32);
		return 0;
	default:
		return ld_errf(c->ld, EINVAL, "%s: cannot relocate opcode 0x%02x", c->where, in->code);
	}
}

static int apply_one(struct core *c, struct ld_sec *s, const struct bpf_core_relo *r)
{
	struct res res;
	size_t ii = r->insn_off / 8;
	int rc;

	if (r->insn_off % 8 || ii >= s->n)
		return ld_errf(c->ld, EINVAL, "%s: instruction offset %u outside the section", c->where, r->insn_off);
	rc = resolve(c, r, &res);
	rc = rc ? rc : patch(c, &s->insns[ii], s->n - ii, &res);
	if (!rc)
		c->ld->obj->n_core_relos++;
	return rc;
}

static int load_target(struct core *c, struct btf **owned)
{
	const struct jn_obj_opts *o = c->ld->opts;

	*owned = NULL;
	c->target = c->local;
	c->ld->obj->core_target = "object";
	if (o->core_btf) {
		c->target = o->core_btf;
		c->ld->obj->core_target = "custom";
	} else if (!o->core_own && !access("/sys/kernel/btf/vmlinux", R_OK)) {
		*owned = btf__load_vmlinux_btf();
		if (!*owned)
			return ld_errf(c->ld, EIO, "CO-RE: cannot read /sys/kernel/btf/vmlinux");
		c->target = *owned;
		c->ld->obj->core_target = "vmlinux";
	}
	return 0;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* Walk the core_relo subsection of .BTF.ext: rec_size, then per section
 * {name_off, count, records}. */
static int walk(struct core *c, const uint8_t *p, size_t len)
{
	uint32_t rec;
	size_t pos = 4;

	rec = len >= 4 ? rd32(p) : 0;
	if (rec < sizeof(struct bpf_core_relo))
		return ld_errf(c->ld, EINVAL, "section .BTF.ext: CO-RE record size %u", rec);
	while (len - pos >= 8) {
		const char *sname = bname(c->local, rd32(p + pos));
		uint32_t cnt = rd32(p + pos + 4);
		size_t si = ld_sec_by_name(c->ld, sname), bytes;

		pos += 8;
		if (jn_size_mul(cnt, rec, &bytes) || bytes > len - pos)
			return ld_errf(c->ld, EINVAL, "section .BTF.ext: CO-RE records of %s overrun", sname);
		if (!si || c->ld->secs[si].kind != SK_CODE)
			return ld_errf(c->ld, EINVAL, "section .BTF.ext: CO-RE records for unknown code section %s", sname);
		for (uint32_t i = 0; i < cnt; i++, pos += rec) {
			struct bpf_core_relo r;
			int rc;

			memcpy(&r, p + pos, sizeof(r));
			snprintf(c->where, sizeof(c->where), "section %s: CO-RE relocation %u (%s)", sname, i,
				 kind_name(r.kind));
			rc = apply_one(c, &c->ld->secs[si], &r);
			if (rc)
				return rc;
		}
	}
	return 0;
}

int ld_apply_core(struct ld *ld)
{
	struct core c = { .ld = ld, .local = ld->obj->btf };
	uint32_t hdr_len, off, len;
	size_t end;
	struct btf *owned;
	int rc;

	/* header: magic, version, flags, hdr_len, func/line info, core_relo_off/len */
	if (!ld->ext || ld->ext_len < 32 || !c.local)
		return 0;
	hdr_len = rd32(ld->ext + 4);
	if (hdr_len < 32)
		return 0;
	off = rd32(ld->ext + 24);
	len = rd32(ld->ext + 28);
	if (!len)
		return 0;
	if (jn_size_add((size_t)hdr_len + off, len, &end) || end > ld->ext_len)
		return ld_errf(ld, EINVAL, "section .BTF.ext: CO-RE subsection overruns the section");
	rc = load_target(&c, &owned);
	rc = rc ? rc : walk(&c, ld->ext + hdr_len + off, len);
	btf__free(owned);
	return rc;
}
