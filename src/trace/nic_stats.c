/* nic_stats.c - the NIC model's statistics as JSON. */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "nic_internal.h"

static void add_u(struct json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_int64((int64_t)v));
}

static void add_d(struct json_object *o, const char *k, double v)
{
	json_object_object_add(o, k, json_object_new_double(v));
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

double jn_nic_host_median_us(const struct jn_nic *n)
{
	uint32_t *c;
	double m;

	if (!n->nmiss_ns || !(c = malloc(n->nmiss_ns * sizeof(*c))))
		return 0.0;
	memcpy(c, n->miss_ns, n->nmiss_ns * sizeof(*c));
	qsort(c, n->nmiss_ns, sizeof(*c), cmp_u32);
	m = c[n->nmiss_ns / 2] / 1000.0;
	free(c);
	return m;
}

static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0.0;
}

struct json_object *jn_nic_stats_json(const struct jn_nic *n)
{
	const struct jn_nic_stats *s = &n->st;
	struct json_object *o = json_object_new_object(), *ab = json_object_new_object();
	uint64_t run = s->packets - s->skipped;

	json_object_object_add(o, "policy", json_object_new_string(jn_nic_policy_name(n->o.policy)));
	add_u(o, "capacity", n->o.capacity);
	add_u(o, "capacity_ops", n->o.cap_ops);
	add_u(o, "admit", n->o.admit);
	add_u(o, "install_delay", n->o.install_delay);
	add_d(o, "host_cost_us", (double)n->o.host_cost_ns / 1000.0);
	add_u(o, "packets", s->packets);
	add_u(o, "skipped", s->skipped);
	add_u(o, "hits", s->hits);
	add_d(o, "hit_rate", ratio(s->hits, run));
	add_u(o, "misses", s->misses);
	add_u(o, "cold_misses", s->cold_misses);
	add_u(o, "capacity_misses", s->capacity_misses);
	add_u(o, "aborted_misses", s->aborts);
	add_u(o, "evictions", s->evictions);
	add_u(o, "invalidations", s->invalidations);
	add_u(o, "revalidations", s->revalidations);
	add_u(o, "state_checks", s->state_checks);
	add_u(o, "stale_evictions", s->stale_evictions);
	add_u(o, "retraces", s->retraces);
	add_u(o, "installs", s->installs);
	add_u(o, "not_admitted", s->not_admitted);
	add_u(o, "distinct_paths", s->distinct_paths);
	for (int e = 1; e < JN_TRERR__COUNT; e++)
		if (s->abort_by[e])
			add_u(ab, jn_trace_err_name(e), s->abort_by[e]);
	json_object_object_add(o, "aborts", ab);
	add_d(o, "guards_per_trace", ratio(s->guards_sum, s->installs));
	add_d(o, "trace_ops_per_trace", ratio(s->ops_sum, s->installs));
	add_d(o, "trace_body_per_trace", ratio(s->body_sum, s->installs));
	add_d(o, "path_insns_per_trace", ratio(s->path_sum, s->installs));
	add_d(o, "ops_per_hit", ratio(s->ops_hit, s->hits));
	add_d(o, "full_path_insns_per_hit", ratio(s->insns_full_hits, s->hits));
	add_d(o, "insns_per_miss", ratio(s->insns_miss, s->misses));
	add_d(o, "check_ops_per_packet", ratio(s->check_ops, run));
	add_d(o, "host_us_per_miss", ratio(s->host_ns, s->misses) / 1000.0);
	add_d(o, "host_us_per_miss_median", jn_nic_host_median_us(n));
	add_u(o, "thrash_window", n->o.thrash_window);
	add_d(o, "thrash_level", n->o.thrash_level);
	add_u(o, "thrashing_packets", s->thrash_packets);
	add_u(o, "thrashing_onsets", s->thrash_onsets);
	add_d(o, "max_window_miss_rate", s->max_window_miss);
	return o;
}
