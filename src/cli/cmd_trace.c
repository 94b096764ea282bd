/* cmd_trace.c - `jitnic trace prog.o traffic.pcap`: the distinct paths the
 * capture takes through the program, each with its path condition, packet
 * count and trace size (an unlimited trace cache, so every path is recorded
 * once unless its recording aborts). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "nic_run.h"

struct trace_cfg {
	const char *prog, *maps;
	uint64_t seed;
	bool json, ir;
};

static const struct jn_opt trace_opts[] = {
	JN_OPT(struct trace_cfg, prog, "prog", JN_OPT_STR, "NAME", "program to run (function or section name)"),
	JN_OPT(struct trace_cfg, maps, "maps", JN_OPT_STR, "FILE", "fill maps from FILE (docs/maps-file.md)"),
	JN_OPT(struct trace_cfg, seed, "seed", JN_OPT_U64, "N", "seed of bpf_get_prandom_u32"),
	JN_OPT(struct trace_cfg, ir, "ir", JN_OPT_FLAG, NULL, "print each path's trace (IR) under its condition"),
	JN_OPT(struct trace_cfg, json, "json", JN_OPT_FLAG, NULL, "print the paths as JSON"),
	{ NULL }
};

static struct jn_nic_path *sorted_paths(const struct jn_nic *n, size_t *np)
{
	struct jn_nic_path *p;

	*np = jn_nic_npaths(n);
	p = calloc(*np ? *np : 1, sizeof(*p));
	if (!p)
		return NULL;
	for (size_t i = 0; i < *np; i++)
		jn_nic_path(n, i, &p[i]);
	for (size_t i = 1; i < *np; i++)   /* by packets, stable (first sighting breaks ties) */
		for (size_t j = i; j > 0 && p[j].packets > p[j - 1].packets; j--) {
			struct jn_nic_path t = p[j];
			p[j] = p[j - 1];
			p[j - 1] = t;
		}
	return p;
}

static struct json_object *path_json(const struct jn_nic_path *p)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "packets", json_object_new_int64((int64_t)p->packets));
	json_object_object_add(o, "guards", json_object_new_int64(p->info.guards));
	json_object_object_add(o, "conjuncts", json_object_new_int64(p->info.conds));
	json_object_object_add(o, "trace_ops", json_object_new_int64(p->info.ops));
	json_object_object_add(o, "trace_body", json_object_new_int64(p->info.body));
	json_object_object_add(o, "effects", json_object_new_int64(p->info.effects));
	json_object_object_add(o, "path_insns", json_object_new_int64(p->info.path_insns));
	json_object_object_add(o, "condition", json_object_new_string(p->cond));
	if (p->ir)
		json_object_object_add(o, "ir", json_object_new_string(p->ir));
	return o;
}

static void print(const struct nic_run *r, const char *prog, bool json)
{
	const struct jn_nic_stats *st = jn_nic_stats(r->nic);
	size_t np;
	struct jn_nic_path *p = sorted_paths(r->nic, &np);
	struct json_object *o, *arr, *ab;

	if (!p)
		return;
	if (!json) {
		printf("program %s: %llu packets, %zu distinct paths, %llu packets not traced\n", prog,
		       (unsigned long long)r->set->n, np, (unsigned long long)st->aborts);
		for (int e = 1; e < JN_TRERR__COUNT; e++)
			if (st->abort_by[e])
				printf("  not traced: %llu  %s (%s)\n", (unsigned long long)st->abort_by[e],
				       jn_trace_err_name(e), jn_trace_err_msg(e));
		printf("%5s %9s %6s %5s %5s %6s  %s\n", "path", "packets", "guards", "ops", "body", "insns",
		       "condition");
		for (size_t i = 0; i < np; i++) {
			printf("%5zu %9llu %6u %5u %5u %6u  %s\n", i + 1, (unsigned long long)p[i].packets,
			       p[i].info.guards, p[i].info.ops, p[i].info.body, p[i].info.path_insns, p[i].cond);
			for (const char *l = p[i].ir; l && *l;) {   /* the IR, indented */
				const char *e = strchr(l, '\n');
				int len = e ? (int)(e - l) : (int)strlen(l);
				printf("        %.*s\n", len, l);
				l += len + (e != NULL);
			}
		}
		free(p);
		return;
	}
	o = json_object_new_object();
	arr = json_object_new_array();
	ab = json_object_new_object();
	json_object_object_add(o, "program", json_object_new_string(prog));
	json_object_object_add(o, "packets", json_object_new_int64((int64_t)r->set->n));
	for (int e = 1; e < JN_TRERR__COUNT; e++)
		if (st->abort_by[e])
			json_object_object_add(ab, jn_trace_err_name(e), json_object_new_int64((int64_t)st->abort_by[e]));
	json_object_object_add(o, "not_traced", ab);
	for (size_t i = 0; i < np; i++)
		json_object_array_add(arr, path_json(&p[i]));
	json_object_object_add(o, "paths", arr);
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
	json_object_put(o);
	free(p);
}

static int trace_main(void *cfgp, int npos, char **pos)
{
	struct trace_cfg *c = cfgp;
	struct nic_run_cfg rc = { .obj = pos[0], .pcap = pos[1], .prog = c->prog, .maps = c->maps,
				  .seed = c->seed, .quiet = c->json };
	struct jn_pkt_set *set = NULL;
	struct nic_run r;
	int st;

	(void)npos;
	rc.nic.sz = sizeof(rc.nic);
	rc.nic.policy = JN_POL_LRU;
	rc.nic.keep_ir = c->ir;
	if (nic_load("trace", pos[1], &set))
		return 1;
	st = nic_run("trace", &rc, set, &r);
	if (!st)
		print(&r, jn_session_prog_name(&r.s, c->prog), c->json);
	nic_run_close(&r);
	jn_pkt_set_free(set);
	return st;
}

const struct jn_cmd jn_cmd_trace = {
	.name = "trace", .args = "prog.o traffic.pcap",
	.summary = "list the distinct paths a capture takes: path conditions, packet counts, trace sizes",
	.opts = trace_opts, .cfg_size = sizeof(struct trace_cfg), .min_pos = 2, .max_pos = 2,
	.run = trace_main,
};
