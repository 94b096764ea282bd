/* session.c - what most subcommands start with: an object opened, its
 * program instantiated for the interpreter, its maps filled from --maps. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "session.h"

int jn_session_open(struct jn_session *s, const struct jn_session_opts *o, char *err, size_t errlen)
{
	struct jn_maps_init_env env;
	int rc;

	memset(s, 0, sizeof(*s));
	rc = o->raw ? jn_obj_open_raw(o->obj_path, &s->obj, err, errlen)
		    : jn_obj_open(o->obj_path, &s->obj, err, errlen);
	if (rc)
		return rc;
	rc = jn_xdp_open(s->obj, o->prog, &o->xdp, &s->xdp, err, errlen);
	if (rc)
		goto fail;
	if (o->maps_path) {
		jn_xdp_init_env(s->xdp, &env);
		rc = jn_maps_init_load(o->maps_path, &env, &s->init, err, errlen);
	} else {
		s->init = jn_maps_init_empty();
		rc = s->init ? 0 : jn_errf(err, errlen, ENOMEM, "out of memory");
	}
	if (!rc)
		rc = jn_xdp_apply_init(s->xdp, s->init, err, errlen);
	if (!rc)
		return 0;
fail:
	jn_session_close(s);
	return rc;
}

void jn_session_close(struct jn_session *s)
{
	jn_xdp_close(s->xdp);
	if (s->init)
		jn_maps_init_free(s->init);
	jn_obj_close(s->obj);
	memset(s, 0, sizeof(*s));
}

const char *jn_session_prog_name(const struct jn_session *s, const char *want)
{
	const struct jn_obj_prog *p = jn_obj_find_prog(s->obj, want, NULL, 0);
	return p ? p->name : "?";
}
