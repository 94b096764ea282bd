/* check.c - the interpreter and the simulator side by side: one object,
 * two instances with the same maps file and seed, every packet through
 * both, results compared field by field, maps compared at the end. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "base/base.h"
#include "vliw_internal.h"

struct jn_vliw_pair {
	struct jn_obj *obj;
	struct jn_maps_init *init;
	struct jn_xdp *xi, *xs;
	struct jn_vliw_prog *prog;
	struct jn_vliw_sim *sim;
	struct jn_vliw_map *maps;   /* the compiler's view of xi's maps */
};

struct jn_vliw_map *jn_vliw_maps(struct jn_xdp *x, size_t *n)
{
	size_t m = jn_xdp_nmaps(x);
	struct jn_vliw_map *k = m ? malloc(m * sizeof(*k)) : NULL;

	*n = k ? m : 0;
	for (size_t i = 0; k && i < m; i++) {
		const struct jn_map_spec *sp = jn_map_spec(jn_xdp_map(x, i));
		k[i] = (struct jn_vliw_map){ sp->type, sp->key_size, sp->value_size, sp->max_entries };
	}
	return k;
}

static int instance(struct jn_vliw_pair *pr, const char *prog, struct jn_xdp **x, char *err,
		    size_t errlen)
{
	struct jn_xdp_opts xo = { .sz = sizeof(xo), .seed = 1 };
	return jn_xdp_open(pr->obj, prog, &xo, x, err, errlen);
}

int jn_vliw_pair_open(const char *obj_path, const char *prog, const char *maps_path,
		      const struct jn_vliw_opts *vo, const struct jn_vliw_sim_opts *so,
		      struct jn_vliw_pair **out, char *err, size_t errlen)
{
	struct jn_vliw_pair *pr = calloc(1, sizeof(*pr));
	const struct jn_obj_prog *p;
	struct jn_maps_init_env env;
	int rc;

	if (!pr)
		return jn_errf(err, errlen, ENOMEM, "vliw: out of memory");
	if ((rc = jn_obj_open(obj_path, &pr->obj, err, errlen)))
		goto fail;
	if (!(p = jn_obj_find_prog(pr->obj, prog, err, errlen))) {
		rc = -ENOENT;
		goto fail;
	}
	rc = instance(pr, p->name, &pr->xi, err, errlen);
	if (!rc)
		rc = instance(pr, p->name, &pr->xs, err, errlen);
	if (!rc && maps_path) {
		jn_xdp_init_env(pr->xi, &env);
		rc = jn_maps_init_load(maps_path, &env, &pr->init, err, errlen);
	} else if (!rc && !(pr->init = jn_maps_init_empty())) {
		rc = jn_errf(err, errlen, ENOMEM, "vliw: out of memory");
	}
	if (!rc)
		rc = jn_xdp_apply_init(pr->xi, pr->init, err, errlen);
	if (!rc)
		rc = jn_xdp_apply_init(pr->xs, pr->init, err, errlen);
	if (!rc) {
		struct jn_vliw_opts o = vo ? *vo : (struct jn_vliw_opts){ .passes = JN_VLIW_ALL_PASSES };
		if (!o.maps)
			o.maps = pr->maps = jn_vliw_maps(pr->xi, &o.n_maps);
		if ((rc = jn_vliw_compile(p->insns, p->n_insns, &o, &pr->prog, err, errlen))) {
			char e[256];
			snprintf(e, sizeof(e), "%s", err);   /* "vliw: pc N: ..." -> "vliw: f.o: program P: pc N: ..." */
			jn_errf(err, errlen, -rc, "vliw: %s: program %s: %s", obj_path, p->name,
				strncmp(e, "vliw: ", 6) ? e : e + 6);
		}
	}
	if (!rc)
		rc = jn_vliw_sim_new(pr->prog, pr->xs, so, &pr->sim, err, errlen);
	if (rc)
		goto fail;
	*out = pr;
	return 0;
fail:
	jn_vliw_pair_close(pr);
	return rc;
}

void jn_vliw_pair_close(struct jn_vliw_pair *pr)
{
	if (!pr)
		return;
	jn_vliw_sim_free(pr->sim);
	jn_vliw_free(pr->prog);
	free(pr->maps);
	jn_xdp_close(pr->xi);
	jn_xdp_close(pr->xs);
	if (pr->init)
		jn_maps_init_free(pr->init);
	jn_obj_close(pr->obj);
	free(pr);
}

const struct jn_vliw_prog *jn_vliw_pair_prog(const struct jn_vliw_pair *pr) { return pr->prog; }
const struct jn_vliw_sim *jn_vliw_pair_sim(const struct jn_vliw_pair *pr) { return pr->sim; }

int jn_vliw_pair_run(struct jn_vliw_pair *pr, const uint8_t *pkt, uint32_t len, uint64_t ts_ns,
		     struct jn_vliw_timing *t, struct jn_xdp_result *res, char *err, size_t errlen)
{
	struct jn_xdp_result a, b;

	if (jn_xdp_run(pr->xi, pkt, len, ts_ns, &a, false))
		return -EINVAL;
	if (jn_vliw_sim_run(pr->sim, pkt, len, ts_ns, &b, t))
		return jn_errf(err, errlen, EINVAL, "vliw: the simulator refused a packet the "
			       "interpreter took");
	if (res)
		*res = b;
	if (a.action != b.action || !a.err != !b.err)
		return jn_errf(err, errlen, 0, "action %s%s%s, simulator %s%s%s",
			       jn_xdp_action_name(a.action), a.err ? " after fault: " : "", a.errmsg,
			       jn_xdp_action_name(b.action), b.err ? " after fault: " : "", b.errmsg), 1;
	if (a.err)
		return 0;
	if (a.retval != b.retval)
		return jn_errf(err, errlen, 0, "r0 %#llx, simulator %#llx",
			       (unsigned long long)a.retval, (unsigned long long)b.retval), 1;
	if (a.len != b.len || a.meta_len != b.meta_len || memcmp(a.data, b.data, a.len))
		return jn_errf(err, errlen, 0, "output packet differs (%u bytes, simulator %u)", a.len,
			       b.len), 1;
	if (a.redirect_kind != b.redirect_kind || a.redirect_target != b.redirect_target)
		return jn_errf(err, errlen, 0, "redirect target differs (%u, simulator %u)",
			       a.redirect_target, b.redirect_target), 1;
	return 0;
}

int jn_vliw_pair_maps(struct jn_vliw_pair *pr, char *err, size_t errlen)
{
	for (size_t i = 0; i < jn_xdp_nmaps(pr->xi); i++) {
		struct json_object *a = jn_map_dump_json(jn_xdp_map(pr->xi, i));
		struct json_object *b = jn_map_dump_json(jn_xdp_map(pr->xs, i));
		bool same = a && b && !strcmp(json_object_to_json_string(a), json_object_to_json_string(b));
		json_object_put(a);
		json_object_put(b);
		if (!same)
			return jn_errf(err, errlen, 0, "map %s differs after the run",
				       jn_map_spec(jn_xdp_map(pr->xi, i))->name), 1;
	}
	return 0;
}
