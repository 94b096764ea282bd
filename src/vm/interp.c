/* interp.c - the interpreter's dispatch loops: interp_loop.h compiled twice,
 * without and with instruction counting, plus the signed division helpers
 * whose corner cases the kernel defines (x / 0 = 0, x % 0 = x,
 * INT_MIN / -1 = INT_MIN, INT_MIN % -1 = 0). */
#include <errno.h>
#include <string.h>

#include "base/base.h"
#include "vm_internal.h"

static inline uint64_t sdiv64(uint64_t d, uint64_t s)
{
	if (s == 0)
		return 0;
	if ((int64_t)s == -1)
		return -d;
	return (uint64_t)((int64_t)d / (int64_t)s);
}

static inline uint64_t smod64(uint64_t d, uint64_t s)
{
	if (s == 0)
		return d;
	if ((int64_t)s == -1)
		return 0;
	return (uint64_t)((int64_t)d % (int64_t)s);
}

static inline uint32_t sdiv32(uint32_t d, uint32_t s)
{
	if (s == 0)
		return 0;
	if ((int32_t)s == -1)
		return -d;
	return (uint32_t)((int32_t)d / (int32_t)s);
}

static inline uint32_t smod32(uint32_t d, uint32_t s)
{
	if (s == 0)
		return d;
	if ((int32_t)s == -1)
		return 0;
	return (uint32_t)((int32_t)d % (int32_t)s);
}

enum { XDP_MD_SIZE = 24 };

/* A 4-byte field of struct xdp_md: data, data_end and data_meta load as
 * full pointers, as after the kernel's context rewrite. */
static inline uint64_t ctx_field(const struct jn_vm_run *run, uint64_t off)
{
	switch (off / 4) {
	case 0: return (uint64_t)(uintptr_t)run->data;
	case 1: return (uint64_t)(uintptr_t)run->data_end;
	case 2: return (uint64_t)(uintptr_t)run->data_meta;
	case 3: return run->ingress_ifindex;
	case 4: return run->rx_queue_index;
	default: return run->egress_ifindex;
	}
}

#define JN_COUNT 0
#define JN_INTERP_FN jn_vm_interp_fast
#include "interp_loop.h"
#undef JN_COUNT
#undef JN_INTERP_FN

#define JN_COUNT 1
#define JN_INTERP_FN jn_vm_interp_count
#include "interp_loop.h"
#undef JN_COUNT
#undef JN_INTERP_FN
