/* xdp_helpers.c - the XDP helpers, with the kernel's argument checks and
 * return codes (net/core/filter.c, kernel/bpf/helpers.c).  Pointers from the
 * program are checked with jn_vm_mem; a bad one faults the run, as the
 * verifier would have refused the program.  Time is a virtual clock driven
 * by packet timestamps; random numbers come from a seeded generator. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/bpf.h>
#include <sys/socket.h>

#include "base/base.h"
#include "xdp_internal.h"

#define X(run) ((struct jn_xdp *)(run)->user)
#define HELPER(name) static uint64_t h_##name(struct jn_vm_run *run, uint64_t a1, uint64_t a2, \
					      uint64_t a3, uint64_t a4, uint64_t a5)

/* jn_xdp_arg_mem with the common case inline: [p, p+size) inside the active
 * stack frames (map keys and values the program built on its stack). */
static inline void *arg_mem(struct jn_vm_run *run, uint64_t p, uint64_t size, bool write,
			     const char *what)
{
	uint64_t hi = (uint64_t)(uintptr_t)(run->stack + sizeof(run->stack));
	uint64_t lo = hi - (uint64_t)(run->depth + 1) * JN_ISA_STACK;

	if (p >= lo && p <= hi && size && size <= hi - p)
		return (void *)(uintptr_t)p;
	return jn_xdp_arg_mem(run, p, size, write, what);
}

/* ---- maps ---- */

/* The index of the map behind a program's map pointer; faults if none. */
static inline int map_slot(struct jn_vm_run *run, uint64_t ptr)
{
	struct jn_xdp *x = X(run);

	for (size_t i = 0; i < x->n_maps; i++)
		if ((uint64_t)(uintptr_t)x->maps[i] == ptr)
			return (int)i;
	jn_xdp_map_arg(run, ptr);   /* raises the fault */
	return -1;
}

HELPER(map_lookup_elem)
{
	struct jn_xdp *x = X(run);
	int i = map_slot(run, a1);
	const void *key;
	void *v;

	if (i < 0 || !(key = arg_mem(run, a2, x->minfo[i].key_size, false, "map key")))
		return 0;
	v = jn_map_lookup(x->maps[i], key, 0);
	if (v && x->minfo[i].writable)
		jn_vm_set_value_range(run, v, x->minfo[i].value_size);
	return (uint64_t)(uintptr_t)v;
}

HELPER(map_update_elem)
{
	struct jn_map *m = jn_xdp_map_arg(run, a1);
	const void *key, *val;

	if (!m || !(key = arg_mem(run, a2, jn_map_spec(m)->key_size, false, "map key")) ||
	    !(val = arg_mem(run, a3, jn_map_spec(m)->value_size, false, "map value")))
		return 0;
	return (uint64_t)jn_map_update(m, key, val, a4, 0);
}

HELPER(map_delete_elem)
{
	struct jn_map *m = jn_xdp_map_arg(run, a1);
	const void *key = m ? arg_mem(run, a2, jn_map_spec(m)->key_size, false, "map key") : NULL;
	return key ? (uint64_t)jn_map_delete(m, key) : 0;
}

HELPER(map_push_elem)
{
	struct jn_map *m = jn_xdp_map_arg(run, a1);
	const void *val = m ? arg_mem(run, a2, jn_map_spec(m)->value_size, false, "map value") : NULL;
	return val ? (uint64_t)jn_map_push(m, val, a3) : 0;
}

HELPER(map_pop_elem)
{
	struct jn_map *m = jn_xdp_map_arg(run, a1);
	void *val = m ? arg_mem(run, a2, jn_map_spec(m)->value_size, true, "map value") : NULL;
	return val ? (uint64_t)jn_map_pop(m, val) : 0;
}

HELPER(map_peek_elem)
{
	struct jn_map *m = jn_xdp_map_arg(run, a1);
	void *val = m ? arg_mem(run, a2, jn_map_spec(m)->value_size, true, "map value") : NULL;
	return val ? (uint64_t)jn_map_peek(m, val) : 0;
}

/* ---- redirects and tail calls ---- */
HELPER(redirect)
{
	struct jn_xdp *x = X(run);

	if (a2)
		return XDP_ABORTED;
	x->redir_kind = JN_REDIR_IFINDEX;
	x->redir_target = (uint32_t)a1;
	return XDP_REDIRECT;
}

HELPER(redirect_map)
{
	struct jn_xdp *x = X(run);
	struct jn_map *m = jn_xdp_map_arg(run, a1);
	uint32_t target;
	uint32_t type;

	if (!m)
		return 0;
	if (a3 & ~(uint64_t)(BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS | 3))
		return XDP_ABORTED;
	if (jn_map_redirect_target(m, (uint32_t)a2, &target))
		return a3 & 3;
	type = jn_map_spec(m)->type;
	x->redir_kind = type == BPF_MAP_TYPE_CPUMAP ? JN_REDIR_CPUMAP :
			type == BPF_MAP_TYPE_XSKMAP ? JN_REDIR_XSKMAP : JN_REDIR_DEVMAP;
	x->redir_target = target;
	return XDP_REDIRECT;
}

HELPER(tail_call)
{
	struct jn_xdp *x = X(run);
	struct jn_map *m = jn_xdp_map_arg(run, a2);
	uint32_t prog;

	if (!m)
		return 0;
	if (jn_map_spec(m)->type != BPF_MAP_TYPE_PROG_ARRAY) {
		jn_vm_fault(run, -EINVAL, "pc %u: tail_call on a map that is not a prog_array",
			    run->cur_pc);
		return 0;
	}
	if (jn_map_prog_at(m, (uint32_t)a3, &prog) == 0 && prog < x->obj->n_progs && x->vms[prog])
		jn_vm_set_tail_call(run, x->vms[prog]);
	return 0;
}

/* ---- packet geometry (layout in docs/xdp-context.md) ---- */
static void lower_water(struct jn_xdp *x, uint8_t *p)
{
	if (p < x->low_water)
		x->low_water = p;
}

HELPER(xdp_adjust_head)
{
	struct jn_xdp *x = X(run);
	long off = (long)(int32_t)a2;
	size_t metalen = (size_t)(run->data - run->data_meta);
	uint8_t *start = run->buf + JN_XDP_FRAME_HDR + metalen, *data = run->data + off;

	if (data < start || data > run->data_end - JN_XDP_MIN_LEN)
		return (uint64_t)-EINVAL;
	if (metalen)
		memmove(run->data_meta + off, run->data_meta, metalen);
	run->data_meta += off;
	run->data = data;
	lower_water(x, run->data_meta);
	return 0;
}

HELPER(xdp_adjust_meta)
{
	struct jn_xdp *x = X(run);
	uint8_t *meta = run->data_meta + (int32_t)a2;
	size_t metalen;

	if (meta < run->buf + JN_XDP_FRAME_HDR || meta > run->data)
		return (uint64_t)-EINVAL;
	metalen = (size_t)(run->data - meta);
	if (metalen > 32 || (metalen & 3))
		return (uint64_t)-EACCES;
	run->data_meta = meta;
	lower_water(x, meta);
	return 0;
}

HELPER(xdp_adjust_tail)
{
	uint8_t *hard_end = run->buf + run->frame_sz - JN_XDP_TAILROOM;
	uint8_t *end = run->data_end + (int32_t)a2;

	if (end > hard_end || end < run->data + JN_XDP_MIN_LEN)
		return (uint64_t)-EINVAL;
	if ((int32_t)a2 > 0)
		memset(run->data_end, 0, (size_t)(int32_t)a2);
	run->data_end = end;
	return 0;
}

HELPER(xdp_get_buff_len)
{
	return (uint64_t)(run->data_end - run->data);
}

static uint8_t *xdp_bytes(struct jn_vm_run *run, uint64_t off, uint64_t len, long *rc)
{
	if (off > 0xffff || len > 0xffff) {
		*rc = -EFAULT;
		return NULL;
	}
	if (off + len > (uint64_t)(run->data_end - run->data)) {
		*rc = -EINVAL;
		return NULL;
	}
	return run->data + off;
}

HELPER(xdp_load_bytes)
{
	long rc = 0;
	uint8_t *p = xdp_bytes(run, a2, a4, &rc);
	void *buf = arg_mem(run, a3, a4, true, "xdp_load_bytes buffer");

	if (!buf)
		return 0;
	if (!p)
		return (uint64_t)rc;
	memcpy(buf, p, a4);
	return 0;
}

HELPER(xdp_store_bytes)
{
	long rc = 0;
	uint8_t *p = xdp_bytes(run, a2, a4, &rc);
	const void *buf = arg_mem(run, a3, a4, false, "xdp_store_bytes buffer");

	if (!buf)
		return 0;
	if (!p)
		return (uint64_t)rc;
	memmove(p, buf, a4);
	return 0;
}

/* ---- checksums: csum_diff as csum_partial over ~from ++ to ---- */
HELPER(csum_diff)
{
	uint32_t diff[128];
	uint64_t sum = (uint32_t)a5;
	size_t n = 0;
	const uint32_t *from = NULL, *to = NULL;

	if (((a2 | a4) & 3) || a2 + a4 > sizeof(diff) || a2 > sizeof(diff) || a4 > sizeof(diff))
		return (uint64_t)-EINVAL;
	if (a2 && !(from = arg_mem(run, a1, a2, false, "csum_diff from")))
		return 0;
	if (a4 && !(to = arg_mem(run, a3, a4, false, "csum_diff to")))
		return 0;
	for (size_t i = 0; i < a2 / 4; i++) {
		uint32_t w;
		memcpy(&w, from + i, 4);
		diff[n++] = ~w;
	}
	for (size_t i = 0; i < a4 / 4; i++)
		memcpy(&diff[n++], to + i, 4);
	for (size_t i = 0; i < n; i++)
		sum += diff[i];
	while (sum >> 32)
		sum = (sum & 0xffffffffu) + (sum >> 32);
	return sum;
}

/* ---- time, randomness, cpu ---- */
HELPER(ktime_get_ns)
{
	X(run)->nondet |= JN_ND_TIME;
	return X(run)->now_ns;
}

HELPER(jiffies64)
{
	X(run)->nondet |= JN_ND_TIME;
	return X(run)->now_ns / 4000000;   /* HZ=250 */
}

HELPER(get_prandom_u32)
{
	struct jn_xdp *x = X(run);
	uint64_t z = (x->rng += 0x9e3779b97f4a7c15ULL);

	x->nondet |= JN_ND_RANDOM;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (uint32_t)(z ^ (z >> 31));
}

HELPER(get_smp_processor_id) { return 0; }
HELPER(get_numa_node_id) { return 0; }

/* ---- spin locks: one CPU runs at a time, so only the pointer is checked ---- */
HELPER(spin_lock)
{
	arg_mem(run, a1, 4, true, "spin_lock");
	return 0;
}

/* ---- bpf_loop ---- */
HELPER(loop)
{
	uint64_t i, ret;

	if (a4)
		return (uint64_t)-EINVAL;
	if (a1 > (1u << 23))
		return (uint64_t)-E2BIG;
	for (i = 0; i < a1; i++) {
		uint64_t args[5] = {i, a3, 0, 0, 0};
		if (jn_vm_callback(run, a2, args, &ret))
			return 0;
		if (ret)
			return i + 1;
	}
	return i;
}

void jn_xdp_bind_helpers(struct jn_xdp *x)
{
#define BIND(name) x->helpers[BPF_FUNC_##name].fn = h_##name;
	BIND(map_lookup_elem) BIND(map_update_elem) BIND(map_delete_elem)
	BIND(map_push_elem) BIND(map_pop_elem) BIND(map_peek_elem)
	BIND(redirect) BIND(redirect_map) BIND(tail_call)
	BIND(xdp_adjust_head) BIND(xdp_adjust_meta) BIND(xdp_adjust_tail)
	BIND(xdp_get_buff_len) BIND(xdp_load_bytes) BIND(xdp_store_bytes)
	BIND(csum_diff) BIND(ktime_get_ns) BIND(jiffies64) BIND(get_prandom_u32)
	BIND(get_smp_processor_id) BIND(get_numa_node_id) BIND(loop)
#undef BIND
#define BIND_IO(name) x->helpers[BPF_FUNC_##name].fn = jn_xdp_h_##name;
	JN_XDP_IO_HELPERS(BIND_IO)
#undef BIND_IO
	x->helpers[BPF_FUNC_ktime_get_boot_ns].fn = h_ktime_get_ns;
	x->helpers[BPF_FUNC_spin_lock].fn = h_spin_lock;
	x->helpers[BPF_FUNC_spin_unlock].fn = h_spin_lock;
	for (int id = 0; id < JN_VM_MAX_HELPERS; id++)
		x->helpers[id].name = jn_obj_helper_name(id);
}

unsigned jn_xdp_nondet_helpers(const struct jn_xdp *x)
{
	unsigned nd = 0;

	for (size_t p = 0; p < x->obj->n_progs; p++) {
		const struct jn_obj_prog *prog = &x->obj->progs[p];
		for (size_t i = 0; i < prog->n_insns; i++) {
			const struct jn_insn *in = &prog->insns[i];
			if (in->code != 0x85 || in->src != 0)
				continue;
			switch (in->imm) {
			case BPF_FUNC_ktime_get_ns: case BPF_FUNC_ktime_get_boot_ns:
			case BPF_FUNC_jiffies64:
				nd |= JN_ND_TIME; break;
			case BPF_FUNC_get_prandom_u32:
				nd |= JN_ND_RANDOM; break;
			}
		}
	}
	return nd;
}
