/* helpers_names.c - helper names from linux/bpf.h's __BPF_FUNC_MAPPER table. */
#include <linux/bpf.h>

#include "obj/obj.h"

/* FN(name) or, in newer headers, FN(name, id, ...) */
#define NAME_(x, ...) [BPF_FUNC_##x] = "bpf_" #x

static const char *const names[] = {
	__BPF_FUNC_MAPPER(NAME_)
};

const char *jn_obj_helper_name(int32_t id)
{
	if (id <= 0 || (size_t)id >= sizeof(names) / sizeof(names[0]))
		return NULL;
	return names[id];
}
