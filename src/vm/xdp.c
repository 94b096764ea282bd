/* xdp.c - instantiating an object for the interpreter and running packets
 * through it in a frame laid out like BPF_PROG_TEST_RUN's: 256 bytes of
 * headroom, the packet, tailroom up to a 4096-byte frame less the
 * skb_shared_info reserve. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>
#include <json-c/json.h>
#include <linux/bpf.h>

#include "base/base.h"
#include "xdp_internal.h"
#include "vm_internal.h"

static int check_mem(void *user, uint64_t addr, uint32_t size, bool write)
{
	struct jn_xdp *x = user;
	uint64_t s = (uint64_t)(uintptr_t)x->scratch;

	for (size_t i = 0; i < x->n_maps; i++) {
		int rc = jn_map_check_ptr(x->maps[i], addr, size, write);
		if (rc != -EFAULT)
			return rc;
	}
	if (addr >= s && addr + size <= s + x->scratch_used)
		return 0;
	return -EFAULT;
}

static int resolve_lddw(void *user, const struct jn_insn *pair, uint64_t *val, char *err,
			size_t errlen)
{
	struct jn_xdp *x = user;
	uint32_t idx = (uint32_t)pair[0].imm;

	switch (pair[0].src) {
	case BPF_PSEUDO_MAP_IDX:
		if (idx >= x->n_maps)
			break;
		*val = (uint64_t)(uintptr_t)x->maps[idx];
		return 0;
	case BPF_PSEUDO_MAP_IDX_VALUE: {
		uint32_t key = 0;
		uint8_t *v;
		if (idx >= x->n_maps)
			break;
		v = jn_map_lookup(x->maps[idx], &key, 0);
		if (!v || (uint32_t)pair[1].imm >= jn_map_spec(x->maps[idx])->value_size)
			return jn_errf(err, errlen, EINVAL, "lddw: map %s has no value at offset %u",
				       jn_map_spec(x->maps[idx])->name, (uint32_t)pair[1].imm);
		*val = (uint64_t)(uintptr_t)(v + (uint32_t)pair[1].imm);
		return 0;
	}
	default:
		return jn_errf(err, errlen, EINVAL, "lddw src=%d (fd or BTF reference) is not supported",
			       pair[0].src);
	}
	return jn_errf(err, errlen, EINVAL, "lddw: map index %u out of range (%zu maps)", idx,
		       x->n_maps);
}

void *jn_xdp_arg_mem(struct jn_vm_run *run, uint64_t p, uint64_t size, bool write, const char *what)
{
	void *m = jn_vm_mem(run, p, size, write);

	if (!m)
		jn_vm_fault(run, -EFAULT, "pc %u: %s: %llu bytes at %#llx not accessible", run->cur_pc,
			    what, (unsigned long long)size, (unsigned long long)p);
	return m;
}

struct jn_map *jn_xdp_map_arg(struct jn_vm_run *run, uint64_t ptr)
{
	struct jn_xdp *x = run->user;

	for (size_t i = 0; i < x->n_maps; i++)
		if ((uint64_t)(uintptr_t)x->maps[i] == ptr)
			return x->maps[i];
	jn_vm_fault(run, -EINVAL, "pc %u: helper argument %#llx is not a map", run->cur_pc,
		    (unsigned long long)ptr);
	return NULL;
}

/* jn_vm_opts.map_at: the map behind a program's map pointer. */
static bool map_at(void *user, uint64_t ptr, struct jn_vm_map *out)
{
	struct jn_xdp *x = user;
	int i = jn_xdp_map_index(x, ptr);

	if (i < 0)
		return false;
	memset(out, 0, sizeof(*out));
	jn_map_array_layout(x->maps[i], &out->values, &out->stride);
	out->max_entries = jn_map_spec(x->maps[i])->max_entries;
	out->key_size = x->minfo[i].key_size;
	out->value_size = x->minfo[i].value_size;
	out->writable = x->minfo[i].writable;
	out->map = x->maps[i];
	out->lookup = jn_map_lookup;
	return true;
}

static int create_maps(struct jn_xdp *x, char *err, size_t errlen)
{
	const struct jn_obj *obj = x->obj;

	x->maps = calloc(obj->n_maps ? obj->n_maps : 1, sizeof(*x->maps));
	x->minfo = calloc(obj->n_maps ? obj->n_maps : 1, sizeof(*x->minfo));
	if (!x->maps || !x->minfo)
		return jn_errf(err, errlen, ENOMEM, "out of memory");
	for (size_t i = 0; i < obj->n_maps; i++) {
		struct jn_map_spec spec = obj->maps[i].spec;
		int rc;
		spec.ncpus = x->ncpus;
		/* libbpf sizes a perf event array without max_entries to the CPUs */
		if (spec.type == BPF_MAP_TYPE_PERF_EVENT_ARRAY && !spec.max_entries)
			spec.max_entries = x->ncpus;
		rc = jn_map_create(&spec, &x->maps[i], err, errlen);
		if (rc) {
			char why[256];
			snprintf(why, sizeof(why), "%s", err ? err : "");
			return jn_errf(err, errlen, -rc, "%s: %s", obj->path, why);
		}
		x->minfo[i].key_size = spec.key_size;
		x->minfo[i].value_size = spec.value_size;
		x->minfo[i].writable = jn_map_prog_writable(x->maps[i]);
		x->n_maps++;
	}
	return 0;
}

static int load_progs(struct jn_xdp *x, const char *entry, char *err, size_t errlen)
{
	const struct jn_obj *obj = x->obj;
	const struct jn_obj_prog *want = jn_obj_find_prog(obj, entry, err, errlen);
	struct jn_vm_opts vo = {
		.sz = sizeof(vo), .ctx_kind = JN_CTX_XDP, .helpers = x->helpers,
		.n_helpers = JN_VM_MAX_HELPERS, .resolve_lddw = resolve_lddw, .check_mem = check_mem,
		.user = x, .budget = x->opts.budget,
		.lookup_helper = BPF_FUNC_map_lookup_elem, .map_at = map_at,
	};

	if (!want)
		return -ENOENT;
	x->vms = calloc(obj->n_progs ? obj->n_progs : 1, sizeof(*x->vms));
	if (!x->vms)
		return jn_errf(err, errlen, ENOMEM, "out of memory");
	x->entry = (int)(want - obj->progs);
	for (size_t i = 0; i < obj->n_progs; i++) {
		char e[256];
		x->vms[i] = jn_vm_load(obj->progs[i].insns, obj->progs[i].n_insns, &vo, e, sizeof(e));
		if (!x->vms[i] && (int)i == x->entry)
			return jn_errf(err, errlen, EINVAL, "%s: program %s: %s", obj->path,
				       obj->progs[i].name, e);
	}
	return 0;
}

int jn_xdp_open(const struct jn_obj *obj, const char *entry, const struct jn_xdp_opts *opts,
		struct jn_xdp **out, char *err, size_t errlen)
{
	struct jn_xdp *x = calloc(1, sizeof(*x));
	int rc;

	if (!x)
		return jn_errf(err, errlen, ENOMEM, "out of memory");
	x->obj = obj;
	if (opts)
		memcpy(&x->opts, opts, opts->sz && opts->sz < sizeof(x->opts) ? opts->sz : sizeof(x->opts));
	x->ncpus = x->opts.ncpus;
	if (!x->ncpus) {
		int n = libbpf_num_possible_cpus();
		x->ncpus = n > 0 ? (uint32_t)n : 1;
	}
	x->rng = x->opts.seed ? x->opts.seed : 0x6a69746e6963ULL;
	x->ingress_ifindex = 1;
	jn_xdp_bind_helpers(x);
	rc = create_maps(x, err, errlen);
	if (!rc)
		rc = load_progs(x, entry, err, errlen);
	if (rc) {
		jn_xdp_close(x);
		return rc;
	}
	*out = x;
	return 0;
}

void jn_xdp_close(struct jn_xdp *x)
{
	if (!x)
		return;
	for (size_t i = 0; x->vms && i < x->obj->n_progs; i++)
		jn_vm_free(x->vms[i]);
	for (size_t i = 0; i < x->n_maps; i++)
		jn_map_free(x->maps[i]);
	free(x->vms);
	free(x->maps);
	free(x->minfo);
	free(x->routes);
	free(x->ifaces);
	free(x);
}

static int apply_entry(struct jn_xdp *x, const struct jn_maps_entry *e, char *err, size_t errlen)
{
	int i = jn_obj_find_map(x->obj, e->map);
	int rc;

	if (i < 0)
		return jn_errf(err, errlen, ENOENT, "maps: object %s has no map %s", x->obj->path, e->map);
	if (e->value_len != jn_map_sys_value_size(x->maps[i]) ||
	    (e->key && e->key_len != jn_map_spec(x->maps[i])->key_size))
		return jn_errf(err, errlen, EINVAL, "maps: map %s: entry of %u/%u bytes, map takes %u/%zu",
			       e->map, e->key_len, e->value_len, jn_map_spec(x->maps[i])->key_size,
			       jn_map_sys_value_size(x->maps[i]));
	if (e->key)
		rc = jn_map_sys_update(x->maps[i], e->key, e->value, BPF_ANY);
	else
		rc = jn_map_push(x->maps[i], e->value, BPF_ANY);
	if (rc)
		return jn_errf(err, errlen, -rc, "maps: map %s: update failed: %s", e->map, strerror(-rc));
	return 0;
}

int jn_xdp_apply_init(struct jn_xdp *x, const struct jn_maps_init *init, char *err, size_t errlen)
{
	for (size_t i = 0; i < init->n_entries; i++) {
		int rc = apply_entry(x, &init->entries[i], err, errlen);
		if (rc)
			return rc;
	}
	free(x->routes);
	free(x->ifaces);
	x->routes = NULL;
	x->ifaces = NULL;
	x->n_routes = x->n_ifaces = 0;
	if (init->n_routes) {
		x->routes = malloc(init->n_routes * sizeof(*x->routes));
		if (!x->routes)
			return jn_errf(err, errlen, ENOMEM, "out of memory");
		memcpy(x->routes, init->routes, init->n_routes * sizeof(*x->routes));
		x->n_routes = init->n_routes;
	}
	if (init->n_ifaces) {
		x->ifaces = malloc(init->n_ifaces * sizeof(*x->ifaces));
		if (!x->ifaces)
			return jn_errf(err, errlen, ENOMEM, "out of memory");
		memcpy(x->ifaces, init->ifaces, init->n_ifaces * sizeof(*x->ifaces));
		x->n_ifaces = init->n_ifaces;
	}
	x->ingress_ifindex = init->ingress_ifindex;
	x->rx_queue_index = init->rx_queue_index;
	return 0;
}

static const struct jn_map_spec *init_map_by_name(void *user, const char *name)
{
	struct jn_xdp *x = user;
	int i = jn_obj_find_map(x->obj, name);
	return i < 0 || (size_t)i >= x->n_maps ? NULL : jn_map_spec(x->maps[i]);
}

static long init_prog_by_name(void *user, const char *name)
{
	struct jn_xdp *x = user;

	for (size_t i = 0; i < x->obj->n_progs; i++)
		if (!strcmp(x->obj->progs[i].name, name) || !strcmp(x->obj->progs[i].sec, name))
			return (long)i;
	return -ENOENT;
}

void jn_xdp_init_env(struct jn_xdp *x, struct jn_maps_init_env *env)
{
	env->map_by_name = init_map_by_name;
	env->prog_by_name = init_prog_by_name;
	env->user = x;
}

int jn_xdp_begin(struct jn_xdp *x, const uint8_t *pkt, uint32_t len, uint64_t ts_ns,
		 struct jn_xdp_result *res)
{
	struct jn_vm_run *run = &x->run;

	res->err = 0;
	res->errmsg[0] = 0;
	res->redirect_kind = JN_REDIR_NONE;
	res->redirect_target = 0;
	res->insns = 0;
	if (len < JN_XDP_MIN_LEN || len > JN_XDP_MAX_DATA) {
		res->action = -1;
		res->err = -EINVAL;
		snprintf(res->errmsg, sizeof(res->errmsg), "packet of %u bytes: XDP takes %d..%d", len,
			 JN_XDP_MIN_LEN, JN_XDP_MAX_DATA);
		return res->err;
	}
	jn_xdp_set_clock(x, ts_ns);
	x->nondet = 0;
	x->redir_kind = JN_REDIR_NONE;
	x->scratch_used = 0;
	/* test_run's frame starts zeroed: re-zero the headroom the last packet exposed */
	if (x->low_water && x->low_water < x->frame + JN_XDP_HEADROOM)
		memset(x->low_water, 0, (size_t)(x->frame + JN_XDP_HEADROOM - x->low_water));
	x->low_water = x->frame + JN_XDP_HEADROOM;
	memcpy(x->frame + JN_XDP_HEADROOM, pkt, len);
	jn_vm_run_init_xdp(run, x->vms[x->entry], x->frame, sizeof(x->frame), JN_XDP_HEADROOM, len,
			   JN_XDP_FRAME_SZ);
	run->ingress_ifindex = x->ingress_ifindex;
	run->rx_queue_index = x->rx_queue_index;
	run->egress_ifindex = 0;
	return 0;
}

void jn_xdp_finish(struct jn_xdp *x, int rc, uint64_t r0, struct jn_xdp_result *res)
{
	struct jn_vm_run *run = &x->run;

	res->insns = run->insns;
	res->retval = r0;
	res->nondet = x->nondet;
	res->data = run->data_meta;
	res->len = (uint32_t)(run->data_end - run->data_meta);
	res->meta_len = (uint32_t)(run->data - run->data_meta);
	if (rc) {
		res->action = XDP_ABORTED;
		res->err = rc;
		snprintf(res->errmsg, sizeof(res->errmsg), "%s", run->errmsg);
		return;
	}
	/* the kernel treats unknown return codes as XDP_ABORTED after warning */
	res->action = r0 > XDP_REDIRECT ? XDP_ABORTED : (int)r0;
	if (res->action == XDP_REDIRECT) {
		res->redirect_kind = x->redir_kind;
		res->redirect_target = x->redir_target;
	}
}

int jn_xdp_run(struct jn_xdp *x, const uint8_t *pkt, uint32_t len, uint64_t ts_ns,
	       struct jn_xdp_result *res, bool count)
{
	uint64_t r0 = XDP_ABORTED;
	int rc = jn_xdp_begin(x, pkt, len, ts_ns, res);

	if (rc)
		return rc;
	rc = jn_vm_exec(&x->run, &r0, count);
	jn_xdp_finish(x, rc, r0, res);
	return 0;
}

void jn_xdp_set_clock(struct jn_xdp *x, uint64_t ts_ns)
{
	if (!x->first_ns)
		x->first_ns = ts_ns;
	x->now_ns = ts_ns;
}

struct jn_vm_run *jn_xdp_run_state(struct jn_xdp *x) { return &x->run; }
const struct jn_helper *jn_xdp_helpers(const struct jn_xdp *x) { return x->helpers; }
void jn_xdp_clear_redirect(struct jn_xdp *x) { x->redir_kind = JN_REDIR_NONE; }

int jn_xdp_map_index(const struct jn_xdp *x, uint64_t ptr)
{
	for (size_t i = 0; i < x->n_maps; i++)
		if ((uint64_t)(uintptr_t)x->maps[i] == ptr)
			return (int)i;
	return -1;
}

uint32_t jn_xdp_func_stack(const struct jn_vm *vm, uint32_t pc)
{
	if (pc >= vm->n)
		return 0;
	return pc == 0 ? vm->depth0 : vm->frame_depth[pc];
}

size_t jn_xdp_nmaps(const struct jn_xdp *x) { return x->n_maps; }
struct jn_map *jn_xdp_map(struct jn_xdp *x, size_t i) { return i < x->n_maps ? x->maps[i] : NULL; }
struct jn_vm *jn_xdp_vm(struct jn_xdp *x) { return x->vms[x->entry]; }
struct jn_vm *jn_xdp_prog_vm(struct jn_xdp *x, size_t i) { return i < x->obj->n_progs ? x->vms[i] : NULL; }
size_t jn_xdp_nprogs(const struct jn_xdp *x) { return x->obj->n_progs; }

struct json_object *jn_xdp_dump_maps(struct jn_xdp *x)
{
	struct json_object *o = json_object_new_object();

	for (size_t i = 0; o && i < x->n_maps; i++)
		json_object_object_add(o, jn_map_spec(x->maps[i])->name, jn_map_dump_json(x->maps[i]));
	return o;
}

const char *jn_xdp_action_name(int action)
{
	static const char *const names[] = {"aborted", "drop", "pass", "tx", "redirect"};
	return action >= 0 && action <= XDP_REDIRECT ? names[action] : "error";
}
