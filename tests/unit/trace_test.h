/* trace_test.h - what the trace tests share: an object instantiated for
 * the interpreter with its maps file applied. */
#ifndef JN_TESTS_TRACE_TEST_H
#define JN_TESTS_TRACE_TEST_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "obj/obj.h"
#include "vm/xdp.h"

struct inst {
	struct jn_obj *obj;
	struct jn_xdp *x;
	struct jn_maps_init *init;
};

static inline void inst_close(struct inst *in)
{
	jn_xdp_close(in->x);
	if (in->init)
		jn_maps_init_free(in->init);
	jn_obj_close(in->obj);
}

static inline int inst_open(struct inst *in, const char *objpath, const char *maps)
{
	struct jn_maps_init_env env;
	char err[512];
	int rc;

	memset(in, 0, sizeof(*in));
	if ((rc = jn_obj_open(objpath, &in->obj, err, sizeof(err))))
		return rc;
	if ((rc = jn_xdp_open(in->obj, NULL, NULL, &in->x, err, sizeof(err)))) {
		jn_obj_close(in->obj);
		return rc;
	}
	jn_xdp_init_env(in->x, &env);
	rc = maps ? jn_maps_init_load(maps, &env, &in->init, err, sizeof(err))
		  : ((in->init = jn_maps_init_empty()) ? 0 : -ENOMEM);
	if (!rc)
		rc = jn_xdp_apply_init(in->x, in->init, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "%s: %s\n", objpath, err);
		inst_close(in);
	}
	return rc;
}

#endif
