/* mem.c - memory checks outside the interpreter's fast path: the XDP
 * context (whose 32-bit data/data_end/data_meta fields load as 64-bit
 * pointers, as after the kernel's context rewrite), regions the embedder
 * vouches for (map values, read-only data), and the messages of faults. */
#include <errno.h>
#include <string.h>

#include "base/base.h"
#include "vm_internal.h"

enum { XDP_MD_SIZE = 24 };

static bool in_range(uint64_t a, uint64_t size, const void *lo, const void *hi)
{
	uint64_t l = (uint64_t)(uintptr_t)lo, h = (uint64_t)(uintptr_t)hi;
	return a >= l && h >= l + size && a <= h - size;
}

static bool in_ctx(const struct jn_vm_run *run, uint64_t a)
{
	uint64_t c = (uint64_t)(uintptr_t)run->ctx_words;
	return run->vm->opts.ctx_kind == JN_CTX_XDP && a >= c && a < c + XDP_MD_SIZE;
}

/* Where is addr?  For the message of a fault. */
static void describe(const struct jn_vm_run *run, uint64_t a, char *buf, size_t len)
{
	int64_t d = (int64_t)(a - (uint64_t)(uintptr_t)run->data);
	uint64_t plen = (uint64_t)(run->data_end - run->data);
	uint64_t s = (uint64_t)(uintptr_t)run->stack;

	if (d >= -4096 && d <= (int64_t)plen + 4096)
		snprintf(buf, len, "packet offset %lld (data is %llu bytes)", (long long)d,
			 (unsigned long long)plen);
	else if (a >= s - 4096 && a < s + sizeof(run->stack) + 4096)
		snprintf(buf, len, "stack offset %lld", (long long)(a - (s + sizeof(run->stack))));
	else
		snprintf(buf, len, "no accessible region");
}

static int fault(struct jn_vm_run *run, uint32_t pc, const char *what, uint64_t a, unsigned size)
{
	char where[96];

	describe(run, a, where, sizeof(where));
	run->cur_pc = pc;
	return jn_vm_fault(run, -EFAULT, "pc %u: %s of %u bytes at %#llx out of bounds (%s)", pc, what,
			   size, (unsigned long long)a, where);
}

static int ctx_load(struct jn_vm_run *run, uint32_t pc, uint64_t a, unsigned size, uint64_t *val)
{
	unsigned off = (unsigned)(a - (uint64_t)(uintptr_t)run->ctx_words);

	run->cur_pc = pc;
	if (size != 4 || off % 4)
		return jn_vm_fault(run, -EACCES,
				   "pc %u: xdp_md access of %u bytes at offset %u (fields are 4-byte)", pc,
				   size, off);
	switch (off / 4) {
	case 0: *val = (uint64_t)(uintptr_t)run->data; break;
	case 1: *val = (uint64_t)(uintptr_t)run->data_end; break;
	case 2: *val = (uint64_t)(uintptr_t)run->data_meta; break;
	case 3: *val = run->ingress_ifindex; break;
	case 4: *val = run->rx_queue_index; break;
	default: *val = run->egress_ifindex; break;
	}
	return 0;
}

int jn_vm_slow_load(struct jn_vm_run *run, uint32_t pc, uint64_t a, unsigned size, uint64_t *val)
{
	const struct jn_vm_opts *o = &run->vm->opts;

	if (in_ctx(run, a))
		return ctx_load(run, pc, a, size, val);
	if (o->check_mem && o->check_mem(o->user, a, size, false) == 0) {
		*val = 0;
		memcpy(val, (const void *)(uintptr_t)a, size);
		return 0;
	}
	return fault(run, pc, "load", a, size);
}

int jn_vm_slow_check(struct jn_vm_run *run, uint32_t pc, uint64_t a, unsigned size)
{
	const struct jn_vm_opts *o = &run->vm->opts;
	int rc;

	if (in_ctx(run, a)) {
		run->cur_pc = pc;
		return jn_vm_fault(run, -EACCES, "pc %u: store into the XDP context (xdp_md is read-only)",
				   pc);
	}
	if (o->check_mem) {
		rc = o->check_mem(o->user, a, size, true);
		if (rc == 0)
			return 0;
		if (rc == -EACCES) {
			run->cur_pc = pc;
			return jn_vm_fault(run, -EACCES, "pc %u: store of %u bytes at %#llx: read-only memory",
					   pc, size, (unsigned long long)a);
		}
	}
	return fault(run, pc, "store", a, size);
}

void *jn_vm_mem(struct jn_vm_run *run, uint64_t addr, uint64_t size, bool write)
{
	const struct jn_vm_opts *o = &run->vm->opts;

	if (size == 0)
		return (void *)(uintptr_t)addr;
	const uint8_t *frame_lo = run->stack + sizeof(run->stack) - (size_t)(run->depth + 1) * JN_ISA_STACK;

	if (in_range(addr, size, run->data_meta, run->data_end) ||
	    in_range(addr, size, frame_lo, run->stack + sizeof(run->stack)))
		return (void *)(uintptr_t)addr;
	if (size <= UINT32_MAX && o->check_mem && o->check_mem(o->user, addr, (uint32_t)size, write) == 0)
		return (void *)(uintptr_t)addr;
	return NULL;
}
