/* session.h - an object, its interpreter instance and its maps file,
 * opened together for a subcommand. */
#ifndef JN_CLI_SESSION_H
#define JN_CLI_SESSION_H

#include <stdbool.h>

#include "maps/maps.h"
#include "obj/obj.h"
#include "vm/xdp.h"

struct jn_session_opts {
	const char *obj_path;
	bool raw;                  /* --raw bytecode instead of ELF */
	const char *prog;          /* --prog NAME or NULL */
	const char *maps_path;     /* --maps FILE or NULL */
	struct jn_xdp_opts xdp;
};

struct jn_session {
	struct jn_obj *obj;
	struct jn_xdp *xdp;
	struct jn_maps_init *init;
};

int jn_session_open(struct jn_session *s, const struct jn_session_opts *o, char *err, size_t errlen);
void jn_session_close(struct jn_session *s);
const char *jn_session_prog_name(const struct jn_session *s, const char *want);

#endif
