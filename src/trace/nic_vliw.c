/* nic_vliw.c - the NIC's traces on the VLIW core (`jitnic nic --engine
 * vliw`, docs/hxdp.md "Traces on the VLIW core").
 *
 * Each cached trace is lowered once per path (to_ebpf.c), compiled by the
 * hXDP compiler and run in the Sephirot simulator inside the NIC model's
 * own jn_xdp, so its maps and results are the ones the model keeps.  A hit
 * costs the rows the simulator executes; a guard that fails in the
 * simulator (exit with JN_TRACE_MISS_CODE) is a failed try, as with the
 * executor, and the executor then classifies it (a guard over map contents
 * alone marks the trace stale), which also cross-checks the two: a try the
 * simulator calls a miss and the executor a hit is counted as a mismatch
 * (0 expected; the executor's result stands) and retires the trace to the
 * executor (refused: WRONG).  A trace the lowering
 * refuses runs on the executor and is counted by reason.
 * Compiled forms are kept by path hash (a re-recorded path reuses them),
 * checked against the trace's size; an index finds them.  A trace through
 * a tail call is compiled against the prog_array slots it reads (the core
 * cannot read them; jn_trace_ebpf_slots): before each try those slots are
 * compared with what was compiled in, on the host (the driver's part, no
 * core cycles), and the trace is lowered again if one changed.
 * Assumes: one jn_xdp, the one the NIC model runs on.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "base/base.h"
#include "trace_internal.h"
#include "vliw/vliw.h"

struct ventry {
	uint64_t hash;
	uint32_t n;                 /* the trace's IR size, to check the key */
	int reason;                 /* JN_TVLIW_* (NONE: compiled) */
	struct jn_vliw_prog *prog;
	struct jn_vliw_sim *sim;
	struct jn_trace_slot *slots;   /* the prog_array slots compiled in (tail calls) */
	size_t nslots;
};

struct jn_nic_vliw {
	struct jn_xdp *x;
	struct jn_vliw_opts vo;
	struct jn_vliw_map *maps;   /* vo.maps */
	struct jn_vliw_sim_opts so;
	struct ventry *e;
	size_t ne, cap;
	uint32_t *index;            /* by path hash: entry + 1, 0 empty (icap slots) */
	size_t icap;
	uint32_t *cyc, *cost;       /* every hit: core cycles; with the arrival (max of both) */
	size_t ncyc, capcyc;
	struct jn_nic_vliw_stats st;
	char first_refusal[200];
	struct jn_vliw_prog *full;  /* the whole entry program, for comparison */
	char full_err[200];
};

static const char *const refusal_names[] = {
#define TVDEF(n, m) #n,
	JN_TRACE_VLIW_REFUSALS(TVDEF)
#undef TVDEF
};
static const char *const refusal_msgs[] = {
#define TVDEF(n, m) m,
	JN_TRACE_VLIW_REFUSALS(TVDEF)
#undef TVDEF
};

const char *jn_trace_vliw_refusal_name(int r)
{
	return r >= 0 && r < JN_TVLIW__COUNT ? refusal_names[r] : "?";
}

const char *jn_trace_vliw_refusal_msg(int r)
{
	return r >= 0 && r < JN_TVLIW__COUNT ? refusal_msgs[r] : "?";
}

/* What an entry holds, freed (the entry itself stays). */
static void drop(struct ventry *e)
{
	jn_vliw_sim_free(e->sim);
	jn_vliw_free(e->prog);
	free(e->slots);
}

int jn_nic_vliw_new(struct jn_xdp *x, const struct jn_nic_vliw_opts *o, struct jn_nic_vliw **out,
		    char *err, size_t errlen)
{
	struct jn_nic_vliw *v = calloc(1, sizeof(*v));
	struct jn_vm *vm = jn_xdp_vm(x);

	if (!v)
		return jn_errf(err, errlen, ENOMEM, "trace-vliw: out of memory");
	v->x = x;
	v->vo.lanes = o ? o->lanes : 0;
	v->vo.passes = JN_VLIW_ALL_PASSES;
	v->vo.maps = v->maps = jn_vliw_maps(x, &v->vo.n_maps);
	v->so.clock_mhz = o ? o->clock_mhz : 0;
	v->so.helper_cycles = o ? o->helper_cycles : 0;
	if (v->vo.lanes < 0 || v->vo.lanes > JN_VLIW_MAX_LANES) {
		free(v->maps);
		free(v);
		return jn_errf(err, errlen, EINVAL, "trace-vliw: %d lanes (1..%d)", o->lanes,
			       JN_VLIW_MAX_LANES);
	}
	v->st.clock_mhz = v->so.clock_mhz > 0 ? v->so.clock_mhz : 156.25;
	if (vm && jn_vliw_compile(jn_vm_insns(vm), jn_vm_ninsns(vm), &v->vo, &v->full, v->full_err,
				  sizeof(v->full_err)) == 0) {
		v->st.full_insns = jn_vliw_stats(v->full)->ebpf_ops;
		v->st.full_rows = jn_vliw_stats(v->full)->rows;
	}
	*out = v;
	return 0;
}

void jn_nic_vliw_free(struct jn_nic_vliw *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->ne; i++)
		drop(&v->e[i]);
	free(v->e);
	free(v->index);
	free(v->cyc);
	free(v->cost);
	jn_vliw_free(v->full);
	free(v->maps);
	free(v);
}

/* Lower, compile and load t: the entry's reason says whether it worked. */
static int build(struct jn_nic_vliw *v, const struct jn_trace *t, struct ventry *e)
{
	struct jn_insn *code = NULL;
	size_t n = 0;
	char err[200];
	int rc = jn_trace_to_ebpf(t, &code, &n, err, sizeof(err));

	if (!rc && (rc = jn_trace_ebpf_slots(t, &e->slots, &e->nslots)))
		free(code);
	if (rc < 0) {
		e->n = 0;   /* built again next time */
		return rc;
	}
	if (!rc && jn_vliw_compile(code, n, &v->vo, &e->prog, err, sizeof(err)))
		rc = JN_TVLIW_COMPILE;
	if (!rc && jn_vliw_sim_new(e->prog, v->x, &v->so, &e->sim, err, sizeof(err)))
		rc = JN_TVLIW_SIM;
	free(code);
	e->reason = rc;
	if (rc) {
		jn_vliw_free(e->prog);
		e->prog = NULL;
		v->st.refused++;
		v->st.refused_by[rc]++;
		if (!v->first_refusal[0])
			snprintf(v->first_refusal, sizeof(v->first_refusal), "%s", err);
		return 0;
	}
	v->st.traces++;
	return 0;
}

/* The slot of hash in the index (open addressing): its entry + 1, or 0. */
static size_t slot(const struct jn_nic_vliw *v, uint64_t hash)
{
	size_t mask = v->icap - 1, i = (size_t)(hash * 0x9e3779b97f4a7c15ULL >> 17) & mask;

	while (v->index[i] && v->e[v->index[i] - 1].hash != hash)
		i = (i + 1) & mask;
	return i;
}

/* Room for one more entry (and its index slot); 0 or -ENOMEM. */
static int grow(struct jn_nic_vliw *v)
{
	if (v->ne == v->cap) {
		size_t cap = v->cap ? 2 * v->cap : 32;
		struct ventry *ne = realloc(v->e, cap * sizeof(*ne));
		if (!ne)
			return -ENOMEM;
		v->e = ne;
		v->cap = cap;
	}
	if (2 * (v->ne + 1) > v->icap) {
		size_t old = v->icap;
		uint32_t *oi = v->index;
		v->icap = old ? 2 * old : 64;
		if (!(v->index = calloc(v->icap, sizeof(*v->index)))) {
			v->index = oi;
			v->icap = old;
			return -ENOMEM;
		}
		for (size_t i = 0; i < old; i++)
			if (oi[i])
				v->index[slot(v, v->e[oi[i] - 1].hash)] = oi[i];
		free(oi);
	}
	return 0;
}

/* The compiled form of t's path (built on first use; another trace of the
 * same path, of another size, is built again). */
static int entry(struct jn_nic_vliw *v, const struct jn_trace *t, struct ventry **out)
{
	size_t i = v->icap ? slot(v, t->hash) : 0;
	struct ventry *e;
	int rc;

	if (v->icap && v->index[i]) {
		e = &v->e[v->index[i] - 1];
		*out = e;
		if (e->n == t->n && (e->reason || jn_trace_ebpf_slots_hold(t, e->slots, e->nslots)))
			return 0;
		if (e->n == t->n)   /* compiled against slots that changed since */
			v->st.traces--;
		drop(e);
		*e = (struct ventry){ .hash = t->hash, .n = t->n };
		return build(v, t, e);
	}
	if ((rc = grow(v)))
		return rc;
	e = &v->e[v->ne++];
	v->index[slot(v, t->hash)] = (uint32_t)v->ne;
	*e = (struct ventry){ .hash = t->hash, .n = t->n };
	*out = e;
	return build(v, t, e);
}

static void count_hit(struct jn_nic_vliw *v, const struct jn_vliw_timing *tm, uint64_t cost)
{
	if (v->ncyc == v->capcyc) {
		size_t cap = v->capcyc ? 2 * v->capcyc : 1024;
		uint32_t *c = realloc(v->cyc, cap * sizeof(*c)), *d = c ? realloc(v->cost, cap * sizeof(*d)) : NULL;
		if (c)
			v->cyc = c;
		if (d) {
			v->cost = d;
			v->capcyc = cap;
		}
	}
	if (v->ncyc < v->capcyc) {
		v->cyc[v->ncyc] = tm->cycles > UINT32_MAX ? UINT32_MAX : (uint32_t)tm->cycles;
		v->cost[v->ncyc++] = cost > UINT32_MAX ? UINT32_MAX : (uint32_t)cost;
	}
	v->st.hits++;
	v->st.hit_cycles += tm->cycles;
	v->st.hit_rows += tm->rows;
	v->st.hit_insns += tm->insns;
}

static void retire(struct jn_nic_vliw *v, struct ventry *e, const char *why)
{
	v->st.mismatches++;
	v->st.traces--;
	v->st.refused++;
	v->st.refused_by[JN_TVLIW_WRONG]++;
	e->reason = JN_TVLIW_WRONG;
	if (!v->first_refusal[0])
		snprintf(v->first_refusal, sizeof(v->first_refusal), "trace-vliw: WRONG: %s", why);
}

int jn_nic_vliw_run(void *arg, const struct jn_trace *t, struct jn_xdp *x, struct jn_trace_pkt *p,
		    struct jn_xdp_result *res, uint32_t *ops)
{
	struct jn_nic_vliw *v = arg;
	struct jn_vliw_timing tm;
	struct ventry *e;
	uint64_t cost;
	int rc;

	if ((rc = entry(v, t, &e)) < 0)
		return rc;
	if (e->reason) {   /* not lowered: the executor runs it */
		rc = jn_trace_run(t, x, p, res, ops);
		v->st.fallback_hits += rc == 1;
		return rc;
	}
	if ((rc = jn_vliw_sim_run(e->sim, p->data, p->len, p->ts_ns, res, &tm)) < 0)
		return rc;
	p->framed = false;   /* the simulator laid it out its own way */
	cost = tm.cycles > tm.frames ? tm.cycles : tm.frames;
	if (res->err) {
		v->st.faults++;
		if (!v->first_refusal[0])
			snprintf(v->first_refusal, sizeof(v->first_refusal), "simulator: %.150s", res->errmsg);
	} else if (res->retval == JN_TRACE_MISS_CODE) {
		v->st.sim_misses++;
		v->st.check_cycles += tm.cycles;
		rc = jn_trace_run(t, x, p, res, ops);
		if (rc == 1) {   /* the core is wrong on this trace: the executor runs it from now on */
			retire(v, e, "the core missed a packet the executor hit");
			v->st.fallback_hits++;
		}
		return rc;
	}
	count_hit(v, &tm, cost);
	if (ops)
		*ops = t->ord1 + t->ord2;
	return 1;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* min, median, max of n values (sorted in place). */
static void spread(uint32_t *a, size_t n, uint32_t out[3])
{
	out[0] = out[1] = out[2] = 0;
	if (!n)
		return;
	qsort(a, n, sizeof(*a), cmp_u32);
	out[0] = a[0];
	out[1] = a[n / 2];
	out[2] = a[n - 1];
}

int jn_nic_vliw_stats(const struct jn_nic_vliw *v, struct jn_nic_vliw_stats *out)
{
	uint32_t *a = malloc((v->ncyc > v->ne ? v->ncyc : v->ne) * sizeof(*a) + sizeof(*a));
	uint32_t s[3];
	size_t k = 0;

	*out = v->st;
	if (!a)
		return -ENOMEM;
	if (v->ncyc)
		memcpy(a, v->cost, v->ncyc * sizeof(*a));
	spread(a, v->ncyc, s);
	out->cost_median = s[1];
	out->mpps = s[1] ? out->clock_mhz / s[1] : 0;
	if (v->ncyc)
		memcpy(a, v->cyc, v->ncyc * sizeof(*a));
	spread(a, v->ncyc, s);
	out->cyc_min = s[0];
	out->cyc_median = s[1];
	out->cyc_max = s[2];
	out->ipc = v->st.hit_cycles ? (double)v->st.hit_insns / (double)v->st.hit_cycles : 0;
	for (size_t i = 0; i < v->ne; i++)
		if (v->e[i].prog && !v->e[i].reason)
			a[k++] = (uint32_t)jn_vliw_stats(v->e[i].prog)->rows;
	spread(a, k, s);
	out->rows_min = s[0];
	out->rows_median = s[1];
	out->rows_max = s[2];
	k = 0;
	for (size_t i = 0; i < v->ne; i++)
		if (v->e[i].prog && !v->e[i].reason)
			a[k++] = (uint32_t)jn_vliw_stats(v->e[i].prog)->ebpf_ops;
	spread(a, k, s);
	out->insns_median = s[1];
	free(a);
	return 0;
}

const char *jn_nic_vliw_note(const struct jn_nic_vliw *v)
{
	return v->first_refusal[0] ? v->first_refusal : v->full ? NULL : v->full_err;
}

struct json_object *jn_nic_vliw_json(const struct jn_nic_vliw *v)
{
	struct jn_nic_vliw_stats st;
	struct json_object *o = json_object_new_object(), *r = json_object_new_object();
	const char *note = jn_nic_vliw_note(v);

	if (!o || !r || jn_nic_vliw_stats(v, &st)) {
		json_object_put(o);
		json_object_put(r);
		return NULL;
	}
#define U(name, val) json_object_object_add(o, name, json_object_new_int64((int64_t)(val)))
	U("hits", st.hits);
	U("sim_misses", st.sim_misses);
	U("fallback_hits", st.fallback_hits);
	U("mismatches", st.mismatches);
	U("faults", st.faults);
	U("traces", st.traces);
	U("refused", st.refused);
	U("cycles_min", st.cyc_min);
	U("cycles_median", st.cyc_median);
	U("cycles_max", st.cyc_max);
	U("cost_median", st.cost_median);
	U("check_cycles", st.check_cycles);
	U("rows_min", st.rows_min);
	U("rows_median", st.rows_median);
	U("rows_max", st.rows_max);
	U("trace_insns_median", st.insns_median);
	U("full_insns", st.full_insns);
	U("full_rows", st.full_rows);
#undef U
	json_object_object_add(o, "ipc", json_object_new_double(st.ipc));
	json_object_object_add(o, "mpps", json_object_new_double(st.mpps));
	json_object_object_add(o, "clock_mhz", json_object_new_double(st.clock_mhz));
	for (int i = 1; i < JN_TVLIW__COUNT; i++)
		if (st.refused_by[i])
			json_object_object_add(r, jn_trace_vliw_refusal_name(i),
					       json_object_new_int64((int64_t)st.refused_by[i]));
	json_object_object_add(o, "refused_by", r);
	if (note)
		json_object_object_add(o, "note", json_object_new_string(note));
	return o;
}
