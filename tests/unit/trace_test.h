/* trace_test.h - what the trace tests share: an object instantiated for
 * the interpreter with its maps file applied, and the NIC model run side by
 * side with a fresh interpreter (equiv). */
#ifndef JN_TESTS_TRACE_TEST_H
#define JN_TESTS_TRACE_TEST_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "obj/obj.h"
#include "pkt/pkt.h"
#include "trace/trace.h"
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

static inline int inst_open(struct inst *in, const char *objpath, const char *entry, const char *maps)
{
	struct jn_maps_init_env env;
	char err[512];
	int rc;

	memset(in, 0, sizeof(*in));
	if ((rc = jn_obj_open(objpath, &in->obj, err, sizeof(err))))
		return rc;
	if ((rc = jn_xdp_open(in->obj, entry, NULL, &in->x, err, sizeof(err)))) {
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

static inline bool same_result(const struct jn_xdp_result *a, const struct jn_xdp_result *b)
{
	return a->action == b->action && a->len == b->len && a->meta_len == b->meta_len &&
	       !memcmp(a->data, b->data, a->len) && a->redirect_kind == b->redirect_kind &&
	       a->redirect_target == b->redirect_target && !a->err == !b->err;
}

struct eq_stats { uint64_t packets, mismatches, hits, maps_differ; struct jn_nic_stats nic; };

/* Run set through a NIC (cap, policy) and a fresh interpreter side by side. */
static inline void equiv(const char *objpath, const char *entry, const char *maps, const struct jn_pkt_set *set, uint32_t cap,
		  int policy, struct eq_stats *es)
{
	struct inst a, b, f;
	struct jn_nic *nic;
	struct jn_nic_opts o = { .sz = sizeof(o), .capacity = cap, .policy = policy, .seed = 7 };
	uint64_t *future = NULL;
	char err[256];

	assert_int_equal(inst_open(&a, objpath, entry, maps), 0);
	assert_int_equal(inst_open(&b, objpath, entry, maps), 0);
	if (policy == JN_POL_BELADY) {
		assert_int_equal(inst_open(&f, objpath, entry, maps), 0);
		assert_int_equal(jn_nic_future(f.x, set, &future, err, sizeof(err)), 0);
		inst_close(&f);
		o.future = future;
		o.n_future = set->n;
	}
	assert_int_equal(jn_nic_new(a.x, &o, &nic, err, sizeof(err)), 0);
	for (uint64_t i = 0; i < set->n; i++) {
		const struct jn_pkt *p = &set->pkts[i];
		struct jn_xdp_result ra, rb;
		bool hit;
		int rca = jn_nic_packet(nic, p, &ra, &hit);
		int rcb = jn_xdp_run(b.x, p->data, p->caplen, p->ts_ns, &rb, false);
		es->packets++;
		assert_int_equal(rca, rcb);
		if (rca)
			continue;
		es->hits += hit;
		if (!same_result(&ra, &rb)) {
			if (es->mismatches++ < 3)
				fprintf(stderr, "%s: packet %llu (%s, cap %u, %s): nic %s len %u, interp %s len %u\n",
					objpath, (unsigned long long)i, hit ? "hit" : "miss", cap,
					jn_nic_policy_name(policy), jn_xdp_action_name(ra.action), ra.len,
					jn_xdp_action_name(rb.action), rb.len);
		}
	}
	struct json_object *ma = jn_xdp_dump_maps(a.x), *mb = jn_xdp_dump_maps(b.x);
	if (strcmp(json_object_to_json_string(ma), json_object_to_json_string(mb))) {
		es->maps_differ++;
		fprintf(stderr, "%s: maps differ (cap %u, %s)\n", objpath, cap, jn_nic_policy_name(policy));
	}
	json_object_put(ma);
	json_object_put(mb);
	es->nic = *jn_nic_stats(nic);
	if (getenv("TRACE_STATS")) {
		struct json_object *js = jn_nic_stats_json(nic);
		fprintf(stderr, "%s\n", json_object_to_json_string(js));
		json_object_put(js);
	}
	jn_nic_free(nic);
	free(future);
	inst_close(&a);
	inst_close(&b);
}

#endif
