/* bytes.c - byte expressions of the maps file (docs/maps-file.md):
 * integers, address/hex/prog strings, arrays of parts, and objects laid out
 * by the map's BTF type (struct, union or data section members). */
#include "maps/maps_internal.h"

#include <arpa/inet.h>
#include <bpf/btf.h>
#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"

int jn_mf_fail(const struct jn_mf *c, const char *path, int errnum, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return jn_errf(c->err, c->errlen, errnum, "maps: %s: %s%s%s", c->file, path ? path : "",
		       path && *path ? ": " : "", msg);
}

void jn_mf_path(char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, JN_MF_PATH, fmt, ap);
	va_end(ap);
}

static int put(const struct jn_mf *c, struct jn_bytes *b, const void *p, size_t n)
{
	if (n > b->cap - b->len) {
		size_t ncap = b->cap ? b->cap : 64;
		while (ncap < b->len + n)
			ncap *= 2;
		uint8_t *np = realloc(b->p, ncap);
		if (!np)
			return jn_mf_fail(c, NULL, ENOMEM, "out of memory");
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

int jn_mf_int(const struct jn_mf *c, const char *path, struct json_object *j, uint64_t *v,
	      bool *neg)
{
	int64_t s;

	if (!json_object_is_type(j, json_type_int))
		return jn_mf_fail(c, path, EINVAL, "expected an integer, got %s",
				  json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
	s = json_object_get_int64(j);
	*neg = s < 0;
	*v = s == INT64_MAX ? json_object_get_uint64(j) : (uint64_t)s;
	return 0;
}

int jn_mf_uint(const struct jn_mf *c, const char *path, struct json_object *j, uint64_t max,
	       uint64_t *v)
{
	bool neg;
	int r = jn_mf_int(c, path, j, v, &neg);

	if (!r && (neg || *v > max))
		r = jn_mf_fail(c, path, ERANGE, "%s is out of range 0..%llu",
			       json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN),
			       (unsigned long long)max);
	return r;
}

static bool fits_bits(uint64_t v, bool neg, unsigned bits)
{
	if (bits >= 64)
		return true;
	if (neg)
		return (int64_t)v >= -((int64_t)1 << (bits - 1));
	return v < (1ULL << bits);
}

/* An integer of width bytes, little-endian or (be) network order. */
static int put_int(const struct jn_mf *c, const char *path, struct json_object *j, size_t width,
		   bool be, struct jn_bytes *b)
{
	uint64_t v;
	bool neg;
	int r = jn_mf_int(c, path, j, &v, &neg);
	uint8_t byte;

	if (r)
		return r;
	if (width == 0 || !fits_bits(v, neg, width >= 8 ? 64 : (unsigned)width * 8))
		return jn_mf_fail(c, path, ERANGE, "%s does not fit in %zu bytes",
				  json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN), width);
	for (size_t i = 0; i < width && !r; i++) {
		size_t bit = 8 * (be ? width - 1 - i : i);
		byte = bit < 64 ? (uint8_t)(v >> bit) : (neg ? 0xff : 0);
		r = put(c, b, &byte, 1);
	}
	return r;
}

bool jn_mf_parse_mac(const char *s, uint8_t mac[6])
{
	if (strlen(s) != 17)
		return false;
	for (int i = 0; i < 6; i++) {
		const char *p = s + 3 * i;
		if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]) ||
		    (i < 5 && p[2] != ':'))
			return false;
		if (jn_hex_parse((char[]){ p[0], p[1], 0 }, &mac[i], 1) != 1)
			return false;
	}
	return true;
}

static int put_prog(const struct jn_mf *c, const char *path, const char *name, struct jn_bytes *b)
{
	long v = c->env && c->env->prog_by_name ? c->env->prog_by_name(c->env->user, name) : -1;
	uint32_t u = (uint32_t)v;
	uint8_t le[4] = { (uint8_t)u, (uint8_t)(u >> 8), (uint8_t)(u >> 16), (uint8_t)(u >> 24) };

	if (v < 0)
		return jn_mf_fail(c, path, ENOENT, "no program called \"%s\" in the object", name);
	return put(c, b, le, 4);
}

static int put_string(const struct jn_mf *c, const char *path, const char *s, struct jn_bytes *b)
{
	uint8_t a[16];
	int r;

	if (!strncmp(s, "prog:", 5))
		return put_prog(c, path, s + 5, b);
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		size_t n = strlen(s + 2) / 2 + 1;
		uint8_t *tmp = malloc(n);
		long got = tmp ? jn_hex_parse(s + 2, tmp, n) : -ENOMEM;
		r = got > 0 ? put(c, b, tmp, (size_t)got)
			    : jn_mf_fail(c, path, EINVAL, "bad hex string \"%s\"", s);
		free(tmp);
		return r;
	}
	if (jn_mf_parse_mac(s, a))
		return put(c, b, a, 6);
	if (strchr(s, ':') && inet_pton(AF_INET6, s, a) == 1)
		return put(c, b, a, 16);
	if (inet_pton(AF_INET, s, a) == 1)
		return put(c, b, a, 4);
	return jn_mf_fail(c, path, EINVAL,
			  "cannot parse \"%s\" (an IPv4, IPv6 or MAC address, 0x hex or prog:NAME)", s);
}

static const struct part_kind {
	const char *name;
	size_t width;
	bool be;
} part_kinds[] = {
	{ "u8", 1, false },  { "u16", 2, false }, { "u32", 4, false }, { "u64", 8, false },
	{ "be16", 2, true }, { "be32", 4, true }, { "be64", 8, true },
};

/* Index of a part kind in part_kinds, PART_PAD for "pad", -1 if none. */
enum { PART_PAD = JN_ARRAY_SIZE(part_kinds) };
static int part_kind(const char *name)
{
	for (size_t i = 0; i < JN_ARRAY_SIZE(part_kinds); i++)
		if (!strcmp(name, part_kinds[i].name))
			return (int)i;
	return !strcmp(name, "pad") ? PART_PAD : -1;
}

/* {"be16": 80} and friends: one member naming a part kind; its kind or -1 */
static int part_object_kind(struct json_object *j, struct json_object **val)
{
	if (!json_object_is_type(j, json_type_object) || json_object_object_length(j) != 1)
		return -1;
	json_object_object_foreach(j, kind, v) {
		*val = v;
		return part_kind(kind);
	}
	return -1;
}

/* One element of an array: a string, {"u32": n}-style integer or {"pad": n}. */
static int put_part(const struct jn_mf *c, const char *path, struct json_object *j,
		    struct jn_bytes *b)
{
	struct json_object *val = NULL;
	int k = part_object_kind(j, &val), r;
	uint64_t n;

	if (json_object_is_type(j, json_type_string))
		return put_string(c, path, json_object_get_string(j), b);
	if (k >= 0 && k < PART_PAD)
		return put_int(c, path, val, part_kinds[k].width, part_kinds[k].be, b);
	if (k == PART_PAD) {
		r = jn_mf_uint(c, path, val, 1 << 20, &n);
		for (uint64_t i = 0; i < n && !r; i++)
			r = put(c, b, "", 1);
		return r;
	}
	return jn_mf_fail(c, path, EINVAL, "a part is a string or one of {\"u8\"|\"u16\"|\"u32\"|"
			  "\"u64\"|\"be16\"|\"be32\"|\"be64\"|\"pad\": n}");
}

static const char *const kind_names[] = {
	"void", "int", "ptr", "array", "struct", "union", "enum", "fwd", "typedef", "volatile",
	"const", "restrict", "func", "func_proto", "var", "datasec", "float", "decl_tag",
	"type_tag", "enum64",
};

static const char *kind_name(const struct btf_type *t)
{
	unsigned k = btf_kind(t);

	return k < JN_ARRAY_SIZE(kind_names) ? kind_names[k] : "unknown";
}

struct member {
	uint32_t type, bit_off, bits;
};

/* Member (or data section variable) called name, anonymous members searched. */
static bool find_member(const struct btf *btf, const struct btf_type *t, const char *name,
			uint32_t base, struct member *out, int depth)
{
	if (btf_is_datasec(t)) {
		const struct btf_var_secinfo *vi = btf_var_secinfos(t);
		for (unsigned i = 0; i < btf_vlen(t); i++, vi++) {
			const struct btf_type *var = btf__type_by_id(btf, vi->type);
			const char *vn = var ? btf__name_by_offset(btf, var->name_off) : NULL;
			if (var && btf_is_var(var) && vn && !strcmp(vn, name)) {
				*out = (struct member){ var->type, base + vi->offset * 8, 0 };
				return true;
			}
		}
		return false;
	}
	for (unsigned i = 0; i < btf_vlen(t); i++) {
		const struct btf_member *m = btf_members(t) + i;
		const char *mn = btf__name_by_offset(btf, m->name_off);
		uint32_t off = base + btf_member_bit_offset(t, i);
		if (mn && *mn) {
			if (strcmp(mn, name))
				continue;
			*out = (struct member){ m->type, off, btf_member_bitfield_size(t, i) };
			return true;
		}
		int rid = btf__resolve_type(btf, m->type);
		const struct btf_type *mt = rid > 0 ? btf__type_by_id(btf, rid) : NULL;
		if (mt && btf_is_composite(mt) && depth < 8 &&
		    find_member(btf, mt, name, off, out, depth + 1))
			return true;
	}
	return false;
}

static int put_bitfield(const struct jn_mf *c, const char *path, struct json_object *j,
			const struct member *mb, uint8_t *region, size_t size)
{
	uint64_t v;
	bool neg;
	int r = jn_mf_int(c, path, j, &v, &neg);

	if (r)
		return r;
	if (!fits_bits(v, neg, mb->bits))
		return jn_mf_fail(c, path, ERANGE, "%s does not fit in %u bits",
				  json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN), mb->bits);
	if ((uint64_t)mb->bit_off + mb->bits > (uint64_t)size * 8)
		return jn_mf_fail(c, path, EINVAL, "bitfield outside the type");
	for (uint32_t i = 0; i < mb->bits; i++) {
		uint32_t bit = mb->bit_off + i;
		bool set = i < 64 ? (v >> i) & 1 : neg;
		if (set)
			region[bit / 8] |= (uint8_t)(1u << (bit % 8));
		else
			region[bit / 8] &= (uint8_t)~(1u << (bit % 8));
	}
	return 0;
}

static int put_member(const struct jn_mf *c, const char *path, struct json_object *j,
		      const struct btf *btf, const struct member *mb, uint8_t *region, size_t size)
{
	int64_t ms;

	if (mb->bits)
		return put_bitfield(c, path, j, mb, region, size);
	ms = btf__resolve_size(btf, mb->type);
	if (mb->bit_off % 8 || ms <= 0 || mb->bit_off / 8 + (uint64_t)ms > size)
		return jn_mf_fail(c, path, EINVAL, "member at bit %u of size %lld does not fit the type",
				  mb->bit_off, (long long)ms);
	return jn_mf_fixed(c, path, j, (size_t)ms, "member size", btf, mb->type,
			   region + mb->bit_off / 8);
}

static int put_object(const struct jn_mf *c, const char *path, struct json_object *j,
		      const struct btf *btf, uint32_t type_id, struct jn_bytes *b)
{
	const struct btf_type *t;
	struct member mb;
	char sub[JN_MF_PATH];
	uint8_t *region;
	int id, r = 0;

	if (!btf || !type_id)
		return jn_mf_fail(c, path, EINVAL, "an object needs the map's BTF type (none known)");
	id = btf__resolve_type(btf, type_id);
	t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	if (!t || (!btf_is_composite(t) && !btf_is_datasec(t)))
		return jn_mf_fail(c, path, EINVAL, "an object needs a struct type, the BTF type is %s",
				  t ? kind_name(t) : "unknown");
	region = calloc(1, (size_t)t->size + 1);
	if (!region)
		return jn_mf_fail(c, path, ENOMEM, "out of memory");
	json_object_object_foreach(j, name, val) {
		jn_mf_path(sub, "%s.%s", path, name);
		if (!find_member(btf, t, name, 0, &mb, 0)) {
			const char *tn = btf__name_by_offset(btf, t->name_off);
			r = jn_mf_fail(c, sub, ENOENT, "no member %s in %s %s", name, kind_name(t),
				       tn && *tn ? tn : "(anonymous)");
		} else {
			r = put_member(c, sub, val, btf, &mb, region, t->size);
		}
		if (r)
			break;
	}
	if (!r)
		r = put(c, b, region, t->size);
	free(region);
	return r;
}

static bool is_struct_type(const struct btf *btf, uint32_t type_id)
{
	int id = btf && type_id ? btf__resolve_type(btf, type_id) : -1;
	const struct btf_type *t = id > 0 ? btf__type_by_id(btf, id) : NULL;

	return t && (btf_is_composite(t) || btf_is_datasec(t));
}

static int put_expr(const struct jn_mf *c, const char *path, struct json_object *j, size_t width,
		    const struct btf *btf, uint32_t type_id, struct jn_bytes *b)
{
	char sub[JN_MF_PATH];
	int r = 0;

	switch (json_object_get_type(j)) {
	case json_type_int:
		return put_int(c, path, j, width, false, b);
	case json_type_string:
		return put_string(c, path, json_object_get_string(j), b);
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(j) && !r; i++) {
			jn_mf_path(sub, "%s[%zu]", path, i);
			r = put_part(c, sub, json_object_array_get_idx(j, i), b);
		}
		return r;
	case json_type_object:
		if (part_object_kind(j, &(struct json_object *){ NULL }) >= 0 &&
		    !is_struct_type(btf, type_id))
			return put_part(c, path, j, b);
		return put_object(c, path, j, btf, type_id, b);
	default:
		return jn_mf_fail(c, path, EINVAL,
				  "expected an integer, a string, an array or an object, got %s",
				  json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
	}
}

int jn_mf_fixed(const struct jn_mf *c, const char *path, struct json_object *j, size_t width,
		const char *what, const struct btf *btf, uint32_t type_id, uint8_t *out)
{
	struct jn_bytes b = { 0 };
	int r = put_expr(c, path, j, width, btf, type_id, &b);

	if (!r && b.len > width)
		r = jn_mf_fail(c, path, EINVAL, "%zu bytes, %s is %zu", b.len, what, width);
	if (!r) {
		memset(out, 0, width);
		if (b.len)
			memcpy(out, b.p, b.len);
	}
	free(b.p);
	return r;
}
