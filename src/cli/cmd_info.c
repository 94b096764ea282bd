/* cmd_info.c - `jitnic info prog.o [--raw] [--json]`: what an object holds
 * as the loader sees it: license, CO-RE target, programs (section, size,
 * subprograms, helpers called) and maps (type, sizes, flags).  See
 * docs/obj.md. */
#include <json-c/json.h>
#include <stdio.h>

#include "cli.h"
#include "maps/maps.h"
#include "obj/obj.h"

struct info_cfg {
	bool raw, json;
};

static const struct jn_opt info_opts[] = {
	JN_OPT(struct info_cfg, raw, "raw", JN_OPT_FLAG, NULL, "the file is raw 8-byte instruction slots"),
	JN_OPT(struct info_cfg, json, "json", JN_OPT_FLAG, NULL, "print JSON"),
	{ NULL }
};

enum { MAX_HELPERS = 128 };

static struct json_object *prog_json(const struct jn_obj_prog *p, bool runnable)
{
	struct json_object *o = json_object_new_object(), *fs = json_object_new_array();
	struct json_object *hs = json_object_new_array();
	int32_t ids[MAX_HELPERS];
	size_t n = jn_obj_prog_helpers(p, ids, MAX_HELPERS);

	json_object_object_add(o, "name", json_object_new_string(p->name));
	json_object_object_add(o, "section", json_object_new_string(p->sec));
	json_object_object_add(o, "runnable", json_object_new_boolean(runnable));
	json_object_object_add(o, "frags", json_object_new_boolean(p->frags));
	json_object_object_add(o, "insns", json_object_new_int64((int64_t)p->n_insns));
	json_object_object_add(o, "main_insns", json_object_new_int64((int64_t)p->n_main));
	for (size_t k = 1; k < p->n_funcs; k++)
		json_object_array_add(fs, json_object_new_string(p->funcs[k].name));
	json_object_object_add(o, "subprograms", fs);
	for (size_t k = 0; k < n && k < MAX_HELPERS; k++) {
		struct json_object *h = json_object_new_object();
		const char *name = jn_obj_helper_name(ids[k]);

		json_object_object_add(h, "id", json_object_new_int(ids[k]));
		json_object_object_add(h, "name", name ? json_object_new_string(name) : NULL);
		json_object_array_add(hs, h);
	}
	json_object_object_add(o, "helpers", hs);
	return o;
}

static struct json_object *map_json(const struct jn_obj_map *m)
{
	struct json_object *o = json_object_new_object();
	const char *type = jn_map_type_name(m->spec.type);

	json_object_object_add(o, "name", json_object_new_string(m->spec.name));
	json_object_object_add(o, "section", json_object_new_string(m->sec));
	json_object_object_add(o, "type", json_object_new_int64(m->spec.type));
	json_object_object_add(o, "type_name", type ? json_object_new_string(type) : NULL);
	json_object_object_add(o, "key_size", json_object_new_int64(m->spec.key_size));
	json_object_object_add(o, "value_size", json_object_new_int64(m->spec.value_size));
	json_object_object_add(o, "max_entries", json_object_new_int64(m->spec.max_entries));
	json_object_object_add(o, "flags", json_object_new_int64(m->spec.map_flags));
	json_object_object_add(o, "readonly", json_object_new_boolean(m->spec.readonly));
	return o;
}

static struct json_object *obj_json(const struct jn_obj *obj)
{
	struct json_object *o = json_object_new_object(), *ps = json_object_new_array();
	struct json_object *ms = json_object_new_array();

	json_object_object_add(o, "file", json_object_new_string(obj->path));
	json_object_object_add(o, "license", json_object_new_string(obj->license));
	json_object_object_add(o, "core_target", obj->core_target ? json_object_new_string(obj->core_target) : NULL);
	json_object_object_add(o, "core_relocations", json_object_new_int64((int64_t)obj->n_core_relos));
	for (size_t i = 0; i < obj->n_progs; i++)
		json_object_array_add(ps, prog_json(&obj->progs[i], true));
	for (size_t i = 0; i < obj->n_others; i++)
		json_object_array_add(ps, prog_json(&obj->others[i], false));
	json_object_object_add(o, "programs", ps);
	for (size_t i = 0; i < obj->n_maps; i++)
		json_object_array_add(ms, map_json(&obj->maps[i]));
	json_object_object_add(o, "maps", ms);
	return o;
}

/* The text form is printed from the JSON so both always say the same. */
static void print_prog(struct json_object *p)
{
	struct json_object *subs = json_object_object_get(p, "subprograms");
	struct json_object *hs = json_object_object_get(p, "helpers");

	printf("  %-24s section %-18s %5lld insns (%lld main)%s\n", json_object_get_string(json_object_object_get(p, "name")),
	       json_object_get_string(json_object_object_get(p, "section")),
	       (long long)json_object_get_int64(json_object_object_get(p, "insns")),
	       (long long)json_object_get_int64(json_object_object_get(p, "main_insns")),
	       json_object_get_boolean(json_object_object_get(p, "runnable")) ? "" : "  [not runnable]");
	if (json_object_array_length(subs)) {
		printf("    subprograms:");
		for (size_t k = 0; k < json_object_array_length(subs); k++)
			printf(" %s", json_object_get_string(json_object_array_get_idx(subs, k)));
		printf("\n");
	}
	if (json_object_array_length(hs)) {
		printf("    helpers:");
		for (size_t k = 0; k < json_object_array_length(hs); k++) {
			struct json_object *h = json_object_array_get_idx(hs, k), *n = json_object_object_get(h, "name");

			printf(" %d (%s)", json_object_get_int(json_object_object_get(h, "id")),
			       n ? json_object_get_string(n) : "unknown");
		}
		printf("\n");
	}
}

static void print_text(struct json_object *o)
{
	struct json_object *ps = json_object_object_get(o, "programs"), *ms = json_object_object_get(o, "maps");
	struct json_object *core = json_object_object_get(o, "core_target");

	printf("file: %s\nlicense: %s\n", json_object_get_string(json_object_object_get(o, "file")),
	       json_object_get_string(json_object_object_get(o, "license")));
	if (core)
		printf("CO-RE: %lld relocations against %s BTF\n",
		       (long long)json_object_get_int64(json_object_object_get(o, "core_relocations")),
		       json_object_get_string(core));
	printf("programs: %zu\n", json_object_array_length(ps));
	for (size_t i = 0; i < json_object_array_length(ps); i++)
		print_prog(json_object_array_get_idx(ps, i));
	printf("maps: %zu\n", json_object_array_length(ms));
	for (size_t i = 0; i < json_object_array_length(ms); i++) {
		struct json_object *m = json_object_array_get_idx(ms, i), *t = json_object_object_get(m, "type_name");

		printf("  %-24s %-16s key %-4lld value %-6lld max %-8lld flags 0x%llx%s (section %s)\n",
		       json_object_get_string(json_object_object_get(m, "name")),
		       t ? json_object_get_string(t) : "unknown",
		       (long long)json_object_get_int64(json_object_object_get(m, "key_size")),
		       (long long)json_object_get_int64(json_object_object_get(m, "value_size")),
		       (long long)json_object_get_int64(json_object_object_get(m, "max_entries")),
		       (long long)json_object_get_int64(json_object_object_get(m, "flags")),
		       json_object_get_boolean(json_object_object_get(m, "readonly")) ? " read-only" : "",
		       json_object_get_string(json_object_object_get(m, "section")));
	}
}

static int info_run(void *cfgp, int npos, char **pos)
{
	struct info_cfg *cfg = cfgp;
	struct jn_obj *obj;
	struct json_object *o;
	char err[512];
	int rc = cfg->raw ? jn_obj_open_raw(pos[0], &obj, err, sizeof(err)) : jn_obj_open(pos[0], &obj, err, sizeof(err));

	(void)npos;
	if (rc) {
		fprintf(stderr, "jitnic info: %s\n", err);
		return 1;
	}
	o = obj_json(obj);
	if (cfg->json)
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		print_text(o);
	json_object_put(o);
	jn_obj_close(obj);
	return 0;
}

const struct jn_cmd jn_cmd_info = {
	.name = "info",
	.args = "prog.o",
	.summary = "list an object's programs, helpers and maps",
	.opts = info_opts,
	.cfg_size = sizeof(struct info_cfg),
	.min_pos = 1,
	.max_pos = 1,
	.run = info_run,
};
