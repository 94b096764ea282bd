/* cmd_gen.c - `jitnic gen --out out.pcap`: synthetic traffic (docs/gen.md).
 * A profile sets every knob; the other options override single knobs. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "cli.h"
#include "pkt/pkt.h"

struct gen_cmd_cfg {
	const char *out, *profile, *count, *zipf, *sizes, *mix, *malformed, *order, *attack, *rate;
	uint64_t seed, flows;
	bool json;
};

static const struct jn_opt gen_opts[] = {
	JN_OPT(struct gen_cmd_cfg, out, "out", JN_OPT_STR, "FILE", "output pcap (or the positional argument; - = stdout)"),
	JN_OPT(struct gen_cmd_cfg, profile, "profile", JN_OPT_STR, "NAME",
	       "internet (default), datacenter, attack, malformed, adversarial, churn, imix, linerate"),
	JN_OPT(struct gen_cmd_cfg, count, "count", JN_OPT_STR, "N", "packets to write (default 10000; 10k, 1M)"),
	JN_OPT(struct gen_cmd_cfg, seed, "seed", JN_OPT_U64, "S", "PRNG seed (default 0); same seed, same bytes"),
	JN_OPT(struct gen_cmd_cfg, flows, "flows", JN_OPT_U64, "F", "flow table size (1..1000000)"),
	JN_OPT(struct gen_cmd_cfg, zipf, "zipf", JN_OPT_STR, "S", "flow popularity skew: weight 1/(rank)^S, 0 = uniform"),
	JN_OPT(struct gen_cmd_cfg, sizes, "sizes", JN_OPT_STR, "SPEC", "imix | 64 | range:64:1514 | dist:64:7,576:4,1500:1"),
	JN_OPT(struct gen_cmd_cfg, mix, "mix", JN_OPT_STR, "SPEC", "ipv4:60,ipv6:20,arp:1,tcp:80,udp:15,icmp:5,vlan:10,qinq:1,ipip:1"),
	JN_OPT(struct gen_cmd_cfg, malformed, "malformed", JN_OPT_STR, "FRAC", "fraction of packets malformed on purpose (0..1)"),
	JN_OPT(struct gen_cmd_cfg, order, "order", JN_OPT_STR, "SPEC", "zipf | roundrobin:N | newflows:BURST[:EVERY]"),
	JN_OPT(struct gen_cmd_cfg, attack, "attack", JN_OPT_STR, "FRAC[:K]", "fraction of flood packets, K = syn|udp|both"),
	JN_OPT(struct gen_cmd_cfg, rate, "rate", JN_OPT_STR, "PPS", "mean packet rate for timestamps (default 1M)"),
	JN_OPT(struct gen_cmd_cfg, json, "json", JN_OPT_FLAG, NULL, "print the summary as JSON"),
	{ NULL }
};

/* A number with an optional k/M/G suffix. */
static int parse_num(const char *opt, const char *s, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	if (end != s && *end && !end[1]) {
		const char *sfx = "kMG";
		const char *p = strchr(sfx, *end);
		if (p) {
			*v *= pow(1000, (double)(p - sfx + 1));
			end++;
		}
	}
	if (end == s || *end || errno || !isfinite(*v)) {
		fprintf(stderr, "jitnic gen: --%s: bad value '%s'\n", opt, s);
		return -EINVAL;
	}
	return 0;
}

/* The profile, then every option given on top of it. */
static int build_cfg(const struct gen_cmd_cfg *c, struct jn_gen_cfg *g)
{
	char err[256];
	double v;
	int rc = jn_pkt_gen_profile(g, c->profile ? c->profile : "internet", err, sizeof(err));

	if (rc) {
		fprintf(stderr, "jitnic gen: %s\n", err);
		return rc;
	}
	if (c->count) {
		if (parse_num("count", c->count, &v))
			return -EINVAL;
		if (v < 0 || v > 1e15 || v != floor(v)) {
			fprintf(stderr, "jitnic gen: --count: bad value '%s'\n", c->count);
			return -EINVAL;
		}
		g->count = (uint64_t)v;
	}
	g->seed = c->seed;
	if (c->flows)
		g->flows = c->flows > UINT32_MAX ? UINT32_MAX : (uint32_t)c->flows;
	if (c->zipf && !(rc = parse_num("zipf", c->zipf, &v)))
		g->zipf = v;
	if (!rc && c->malformed && !(rc = parse_num("malformed", c->malformed, &v)))
		g->malformed = v;
	if (!rc && c->rate && !(rc = parse_num("rate", c->rate, &v)))
		g->rate_pps = v;
	if (rc)
		return rc;
	if ((c->sizes && jn_pkt_gen_parse_sizes(g, c->sizes, err, sizeof(err))) ||
	    (c->mix && jn_pkt_gen_parse_mix(g, c->mix, err, sizeof(err))) ||
	    (c->order && jn_pkt_gen_parse_order(g, c->order, err, sizeof(err))) ||
	    (c->attack && jn_pkt_gen_parse_attack(g, c->attack, err, sizeof(err))))
		rc = -EINVAL;
	if (rc)
		fprintf(stderr, "jitnic gen: %s\n", err);
	return rc;
}

static struct json_object *counts_json(const uint64_t *n, unsigned k, const char *(*name)(unsigned))
{
	struct json_object *o = json_object_new_object();

	for (unsigned i = 0; i < k; i++)
		if (n[i])
			json_object_object_add(o, name(i), json_object_new_int64((int64_t)n[i]));
	return o;
}

static const char *l3_name(unsigned i)
{
	return (const char *[]){ "ipv4", "ipv6", "arp" }[i];
}

static const char *l4_name(unsigned i)
{
	return (const char *[]){ "tcp", "udp", "icmp" }[i];
}

static const char *malform_name(unsigned i)
{
	return jn_pkt_gen_malform_name(i + 1);   /* counted from the first malformation */
}

static void print_json(FILE *f, const char *out, const struct jn_gen_cfg *g, const struct jn_gen_stats *st,
		       double secs)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "output", json_object_new_string(out));
	json_object_object_add(o, "profile", json_object_new_string(g->profile));
	json_object_object_add(o, "seed", json_object_new_uint64(g->seed));
	json_object_object_add(o, "packets", json_object_new_int64((int64_t)st->packets));
	json_object_object_add(o, "bytes", json_object_new_int64((int64_t)st->bytes));
	json_object_object_add(o, "flows", json_object_new_int64(g->order == JN_GEN_ORDER_RR ? g->order_n : g->flows));
	json_object_object_add(o, "malformed", json_object_new_int64((int64_t)st->malformed));
	json_object_object_add(o, "attack", json_object_new_int64((int64_t)st->attack));
	json_object_object_add(o, "fresh_flows", json_object_new_int64((int64_t)st->fresh));
	json_object_object_add(o, "l3", counts_json(st->l3, JN_GEN_L3_MAX, l3_name));
	json_object_object_add(o, "l4", counts_json(st->l4, JN_GEN_L4_MAX, l4_name));
	json_object_object_add(o, "malform", counts_json(st->malform + 1, JN_GEN_MAL_MAX - 1, malform_name));
	json_object_object_add(o, "elapsed_s", json_object_new_double(secs));
	json_object_object_add(o, "pps", json_object_new_double(secs > 0 ? st->packets / secs : 0));
	json_object_object_add(o, "mbps", json_object_new_double(secs > 0 ? st->bytes * 8 / secs / 1e6 : 0));
	fprintf(f, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

/* Write every packet of gen to out; 0 or -errno (message printed). */
static int generate(struct jn_gen *gen, const char *out, bool json, uint64_t count)
{
	bool progress = !json && jn_cli_tty();
	struct jn_pkt_writer *w = NULL;
	struct jn_pkt p;
	char err[256];
	int rc;

	rc = jn_pkt_writer_open(out, &w, err, sizeof(err));
	while (!rc && jn_pkt_gen_next(gen, &p, NULL) == 1) {
		rc = jn_pkt_writer_write(w, &p, err, sizeof(err));
		if (progress && !((p.index + 1) & 0x3fff))
			jn_cli_progress("gen: packets", p.index + 1, count);
	}
	if (progress)
		jn_cli_progress_end();
	if (w) {
		int rc2 = jn_pkt_writer_close(w, rc ? NULL : err, sizeof(err));
		rc = rc ? rc : rc2;
	}
	if (rc)
		fprintf(stderr, "jitnic gen: %s\n", err);
	return rc;
}

static int gen_main(void *cfgp, int npos, char **pos)
{
	struct gen_cmd_cfg *c = cfgp;
	const char *out = c->out ? c->out : npos ? pos[0] : NULL;
	struct jn_gen_stats st;
	struct jn_gen_cfg g;
	struct jn_gen *gen;
	char err[256];
	int rc;
	struct timespec t0, t1;
	FILE *sink;
	double secs;

	if (!out || (c->out && npos)) {
		fprintf(stderr, "jitnic gen: give the output file once, as --out FILE or an argument\n");
		return 2;
	}
	if (build_cfg(c, &g))
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (jn_pkt_gen_new(&g, &gen, err, sizeof(err))) {
		fprintf(stderr, "jitnic gen: %s\n", err);
		return 2;
	}
	rc = generate(gen, out, c->json, g.count);
	st = *jn_pkt_gen_stats(gen);
	jn_pkt_gen_free(gen);
	if (rc)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	sink = strcmp(out, "-") ? stdout : stderr;   /* never mix text into a pcap on stdout */
	if (c->json) {
		print_json(sink, out, &g, &st, secs);
		return 0;
	}
	fprintf(sink,
		"gen: %llu packets, %.1f MB (%llu malformed, %llu flood) -> %s; profile %s, seed %llu; "
		"%.3f s, %.2f Mpps\n",
		(unsigned long long)st.packets, st.bytes / 1e6, (unsigned long long)st.malformed,
		(unsigned long long)st.attack, out, g.profile, (unsigned long long)g.seed, secs,
		secs > 0 ? st.packets / secs / 1e6 : 0);
	return 0;
}

const struct jn_cmd jn_cmd_gen = {
	.name = "gen", .args = "[out.pcap]",
	.summary = "generate synthetic traffic into a pcap (profiles, Zipf flows, malformed packets)",
	.opts = gen_opts, .cfg_size = sizeof(struct gen_cmd_cfg), .min_pos = 0, .max_pos = 1,
	.run = gen_main,
};
