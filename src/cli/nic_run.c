/* nic_run.c - one NIC model run over a capture, for the nic, trace and
 * sweep commands. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/base.h"
#include "cli.h"
#include "nic_run.h"

int nic_load(const char *cmd, const char *pcap, struct jn_pkt_set **set)
{
	char err[512];
	int rc = jn_pkt_load(pcap, set, err, sizeof(err));

	if (rc) {
		fprintf(stderr, "jitnic %s: %s\n", cmd, err);
		jn_pkt_set_free(*set);
		*set = NULL;
		return 1;
	}
	return 0;
}

static int open_session(const struct nic_run_cfg *c, struct jn_session *s, char *err, size_t errlen)
{
	struct jn_session_opts so = { .obj_path = c->obj, .prog = c->prog, .maps_path = c->maps };

	so.xdp.sz = sizeof(so.xdp);
	so.xdp.seed = c->seed;
	return jn_session_open(s, &so, err, errlen);
}

/* Belady needs every packet's path: record them on a second instance. */
static int future(const struct nic_run_cfg *c, struct jn_pkt_set *set, uint64_t **out, char *err,
		  size_t errlen)
{
	struct jn_session s2;
	int rc = open_session(c, &s2, err, errlen);

	if (rc)
		return rc;
	rc = jn_nic_future(s2.xdp, set, out, err, errlen);
	jn_session_close(&s2);
	return rc;
}

static void count_target(struct nic_run *r, const struct jn_xdp_result *res)
{
	static const char *const kinds[] = {"none", "ifindex", "devmap", "cpumap", "xskmap"};
	char key[48];
	struct json_object *v;

	snprintf(key, sizeof(key), "%s:%u", kinds[res->redirect_kind], res->redirect_target);
	if (json_object_object_get_ex(r->targets, key, &v))
		json_object_set_int64(v, json_object_get_int64(v) + 1);
	else
		json_object_object_add(r->targets, key, json_object_new_int64(1));
}

static int packets(const struct nic_run_cfg *c, struct jn_pkt_set *set, struct nic_run *r,
		   struct jn_pkt_verdicts *vd, char *err, size_t errlen)
{
	for (uint64_t i = 0; i < set->n; i++) {
		const struct jn_pkt *p = &set->pkts[i];
		struct jn_xdp_result res;
		bool hit;
		int rc = jn_nic_packet(r->nic, p, &res, &hit);

		if (rc == -EINVAL) {
			r->skipped++;
			continue;
		}
		if (rc)
			return jn_errf(err, errlen, -rc, "nic: packet %llu: %s", (unsigned long long)i,
				       strerror(-rc));
		if (res.err && r->faults++ == 0)
			snprintf(r->first_fault, sizeof(r->first_fault), "packet %llu: %s",
				 (unsigned long long)i, res.errmsg);
		r->snap_truncated += jn_pkt_snap_truncated(p);
		r->actions[res.action]++;
		if (res.action == XDP_REDIRECT)
			count_target(r, &res);
		if (vd) {
			struct jn_pkt out = *p;
			out.data = res.data;
			out.caplen = out.len = res.len;
			if ((rc = jn_pkt_verdicts_write(vd, (uint32_t)res.action, &out, err, errlen)))
				return rc;
		}
		if (!c->quiet)
			jn_cli_progress("nic: packets", i + 1, set->n);
	}
	if (!c->quiet)
		jn_cli_progress_end();
	return 0;
}

int nic_run(const char *cmd, const struct nic_run_cfg *c, struct jn_pkt_set *set, struct nic_run *r)
{
	struct jn_nic_opts o = c->nic;
	struct jn_pkt_verdicts *vd = NULL;
	struct timespec t0, t1;
	char err[512];
	int rc;

	memset(r, 0, sizeof(*r));
	r->set = set;
	if (!(r->targets = json_object_new_object())) {
		fprintf(stderr, "jitnic %s: out of memory\n", cmd);
		return 1;
	}
	o.sz = sizeof(o);
	rc = open_session(c, &r->s, err, sizeof(err));
	if (!rc && o.policy == JN_POL_BELADY) {
		rc = future(c, set, &r->future, err, sizeof(err));
		o.future = r->future;
		o.n_future = set->n;
	}
	if (!rc && c->vliw) {
		struct jn_nic_vliw_opts vo = { .lanes = c->lanes };
		rc = jn_nic_vliw_new(r->s.xdp, &vo, &r->vliw, err, sizeof(err));
		o.run = jn_nic_vliw_run;
		o.run_arg = r->vliw;
	}
	if (!rc)
		rc = jn_nic_new(r->s.xdp, &o, &r->nic, err, sizeof(err));
	if (!rc && c->out)
		rc = jn_pkt_verdicts_open(c->out, &vd, err, sizeof(err));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!rc)
		rc = packets(c, set, r, vd, err, sizeof(err));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	r->secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (vd && jn_pkt_verdicts_close(vd, rc ? NULL : err, sizeof(err)) && !rc)
		rc = -EIO;
	if (rc) {
		fprintf(stderr, "jitnic %s: %s\n", cmd, err);
		return 1;
	}
	return 0;
}

void nic_run_close(struct nic_run *r)
{
	jn_nic_free(r->nic);
	jn_nic_vliw_free(r->vliw);
	free(r->future);
	json_object_put(r->targets);
	if (r->s.obj)
		jn_session_close(&r->s);
	memset(r, 0, sizeof(*r));
}
