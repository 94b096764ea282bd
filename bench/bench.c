/* bench.c - `make bench`: the interpreter's ns per executed instruction on
 * packet-parsing programs against the kernel's JIT on the same bytecode
 * (BPF_PROG_TEST_RUN with repeat), the cost per packet outside the
 * interpreter, and `jitnic run` throughput.  Medians of several runs; ratios
 * against references measured in the same run. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kern/kern.h"
#include "maps/maps.h"
#include "obj/obj.h"
#include "pkt/pkt.h"
#include "trace/trace.h"
#include "vliw/vliw.h"
#include "vm/xdp.h"

enum { REPS = 7, IREPS = 21, NPKTS = 4096, KSAMPLE = 256, KREPEAT = 2000 };

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static struct jn_pkt_set *make_traffic(const char *profile, uint64_t n)
{
	struct jn_gen_cfg cfg;
	struct jn_gen *g;
	struct jn_pkt_set *s = calloc(1, sizeof(*s));
	struct jn_pkt p;
	char err[256];
	size_t off = 0;

	if (!s || jn_pkt_gen_profile(&cfg, profile, err, sizeof(err)))
		return NULL;
	cfg.count = n;
	cfg.seed = 42;
	if (jn_pkt_gen_new(&cfg, &g, err, sizeof(err)))
		return NULL;
	s->pkts = calloc(n, sizeof(*s->pkts));
	s->arena = malloc(n * 1600);
	while (s->pkts && s->arena && jn_pkt_gen_next(g, &p, NULL) == 1) {
		uint32_t len = p.caplen > 1600 ? 1600 : p.caplen;
		memcpy(s->arena + off, p.data, len);
		s->pkts[s->n] = p;
		s->pkts[s->n].data = s->arena + off;
		s->pkts[s->n].caplen = len;
		s->n++;
		off += len;
	}
	jn_pkt_gen_free(g);
	return s;
}

struct inst { struct jn_obj *obj; struct jn_xdp *x; };

static int instantiate(const char *objpath, const char *maps, struct inst *in)
{
	struct jn_maps_init *init = NULL;
	struct jn_maps_init_env env;
	char err[512];
	int rc = jn_obj_open(objpath, &in->obj, err, sizeof(err));

	if (!rc)
		rc = jn_xdp_open(in->obj, NULL, NULL, &in->x, err, sizeof(err));
	if (!rc && maps) {
		jn_xdp_init_env(in->x, &env);
		rc = jn_maps_init_load(maps, &env, &init, err, sizeof(err));
		if (!rc)
			rc = jn_xdp_apply_init(in->x, init, err, sizeof(err));
		if (init)
			jn_maps_init_free(init);
	}
	if (rc)
		fprintf(stderr, "bench: %s\n", err);
	return rc;
}

static void release(struct inst *in)
{
	jn_xdp_close(in->x);
	jn_obj_close(in->obj);
}

/* One pass over the traffic on a fresh instance: ns, and instructions if counted. */
static int pass(const char *objpath, const char *maps, const struct jn_pkt_set *t, bool count,
		double *ns, uint64_t *insns)
{
	struct inst in;
	struct jn_xdp_result r;
	double t0;

	if (instantiate(objpath, maps, &in))
		return -1;
	*insns = 0;
	t0 = now_ns();
	for (uint64_t i = 0; i < t->n; i++) {
		jn_xdp_run(in.x, t->pkts[i].data, t->pkts[i].caplen, t->pkts[i].ts_ns, &r, count);
		*insns += r.insns;
	}
	*ns = now_ns() - t0;
	release(&in);
	return 0;
}

static double kernel_ns_per_insn(const char *objpath, const char *maps, const struct jn_pkt_set *t,
				 bool *ok)
{
	struct jn_kern *k;
	struct jn_maps_init *init = NULL;
	struct jn_maps_init_env env;
	struct inst in;
	struct jn_xdp_result r;
	char err[1024];
	double kns = 0;
	uint64_t insns = 0;

	*ok = false;
	if (jn_kern_open(objpath, NULL, &k, err, sizeof(err)))
		return 0;
	env = jn_kern_maps_env(k);
	if ((maps && jn_maps_init_load(maps, &env, &init, err, sizeof(err))) ||
	    jn_kern_load(k, init, err, sizeof(err))) {
		fprintf(stderr, "bench: kernel: %s\n", err);
		goto out;
	}
	if (instantiate(objpath, maps, &in))
		goto out;
	for (uint64_t i = 0; i < t->n && i < KSAMPLE; i++) {
		uint32_t ns;
		if (jn_kern_bench(k, t->pkts[i].data, t->pkts[i].caplen, KREPEAT, &ns, err, sizeof(err)))
			continue;
		jn_xdp_run(in.x, t->pkts[i].data, t->pkts[i].caplen, t->pkts[i].ts_ns, &r, true);
		kns += ns;
		insns += r.insns;
	}
	release(&in);
	*ok = insns > 0;
out:
	if (init)
		jn_maps_init_free(init);
	jn_kern_close(k);
	return insns ? kns / (double)insns : 0;
}

/* An instance of "r0 = XDP_PASS; exit": what a packet costs outside the
 * interpreter's loop (frame setup, copy, entry and exit). */
static struct jn_obj pass_obj;
static struct jn_xdp *pass_instance(void)
{
	static const struct jn_insn pass_prog[] = {{0xb7, 0, 0, 0, 2}, {0x95, 0, 0, 0, 0}};
	static struct jn_obj_prog prog = {.name = "pass", .sec = "xdp", .insns = (struct jn_insn *)pass_prog,
					  .n_insns = 2, .n_main = 2};
	struct jn_xdp *x;
	char err[256];

	pass_obj.path = (char *)"pass";
	pass_obj.progs = &prog;
	pass_obj.n_progs = 1;
	if (jn_xdp_open(&pass_obj, NULL, NULL, &x, err, sizeof(err))) {
		fprintf(stderr, "bench: %s\n", err);
		return NULL;
	}
	return x;
}

/* One pass of the 2-instruction program over t on x: the cost outside the
 * interpreter (context set-up, packet copy, entry and exit). */
static double base_once(struct jn_xdp *x, const struct jn_pkt_set *t)
{
	struct jn_xdp_result r;
	double t0 = now_ns();

	for (uint64_t i = 0; i < t->n; i++)
		jn_xdp_run(x, t->pkts[i].data, t->pkts[i].caplen, t->pkts[i].ts_ns, &r, false);
	return now_ns() - t0;
}

static double baseline_ns(const struct jn_pkt_set *t)
{
	struct jn_xdp *x = pass_instance();
	double v[IREPS];

	if (!x)
		return 0;
	for (int k = 0; k < IREPS; k++)
		v[k] = base_once(x, t);
	jn_xdp_close(x);
	return median(v, IREPS);
}


/* build/progs/<name>.o into objpath; progs/<name>.maps.json into maps,
 * returned if that file exists (else NULL). */
static const char *prog_paths(const char *name, char objpath[256], char maps[256])
{
	FILE *f;

	snprintf(objpath, 256, "build/progs/%s.o", name);
	snprintf(maps, 256, "progs/%s.maps.json", name);
	f = fopen(maps, "r");
	if (!f)
		return NULL;
	fclose(f);
	return maps;
}

static void bench_program(const char *name, const struct jn_pkt_set *t)
{
	char objpath[256], maps[256];
	double v[IREPS], d[IREPS];
	uint64_t insns = 0, counted;
	bool kok;
	const char *mp = prog_paths(name, objpath, maps);
	struct jn_xdp *bx = pass_instance();

	if (!bx || pass(objpath, mp, t, true, &v[0], &counted)) {
		jn_xdp_close(bx);
		return;
	}
	/* each pass is paired with a baseline pass measured right before it, so
	 * a slow or fast moment of the machine moves both */
	for (int i = 0; i < IREPS; i++) {
		double b = base_once(bx, t);
		if (pass(objpath, mp, t, false, &v[i], &insns)) {
			jn_xdp_close(bx);
			return;
		}
		d[i] = v[i] - b;
	}
	jn_xdp_close(bx);
	double total = median(v, IREPS);
	double ns = median(d, IREPS) / (double)counted;
	double kns = kernel_ns_per_insn(objpath, mp, t, &kok);
	if (kok)
		printf("| %-16s | %8.1f | %8.1f | %8.3f | %8.3f | %6.2f |\n", name,
		       (double)counted / (double)t->n, total / (double)t->n, ns, kns, ns / kns);
	else
		printf("| %-16s | %8.1f | %8.1f | %8.3f | %8s | %6s |\n", name,
		       (double)counted / (double)t->n, total / (double)t->n, ns, "skipped", "-");
}

/* Per-packet cost outside the interpreter: read + frame setup + copy, with a
 * program that returns at once. */
static void bench_overhead(const char *pcap)
{
	struct jn_xdp *x = pass_instance();
	struct jn_xdp_result r;
	struct jn_pkt_reader *rd;
	struct jn_pkt p;
	double rv[REPS], sv[REPS];
	uint64_t n = 0;
	char err[256];

	if (!x)
		return;
	for (int i = 0; i < REPS; i++) {
		double t0 = now_ns(), t1;
		n = 0;
		if (jn_pkt_reader_open(pcap, &rd, err, sizeof(err))) {
			fprintf(stderr, "bench: %s\n", err);
			jn_xdp_close(x);
			return;
		}
		while (jn_pkt_reader_next(rd, &p, err, sizeof(err)) == 1)
			n++;
		jn_pkt_reader_close(rd);
		t1 = now_ns();
		rv[i] = (t1 - t0) / (double)n;
		jn_pkt_reader_open(pcap, &rd, err, sizeof(err));
		uint64_t m = 0;
		t0 = now_ns();
		while (jn_pkt_reader_next(rd, &p, err, sizeof(err)) == 1) {
			jn_xdp_run(x, p.data, p.caplen, p.ts_ns, &r, false);
			m++;
		}
		t1 = now_ns();
		jn_pkt_reader_close(rd);
		sv[i] = (t1 - t0) / (double)m - rv[i];
	}
	double rd_ns = median(rv, REPS), setup = median(sv, REPS);
	printf("\nper-packet cost outside the interpreter (%s, %llu packets, median of %d):\n", pcap,
	       (unsigned long long)n, REPS);
	printf("| pcap read | context setup + copy + 2-insn run | total | target |\n");
	printf("| %6.1f ns | %6.1f ns | %6.1f ns | <= 100 ns |\n", rd_ns, setup, rd_ns + setup);
	jn_xdp_close(x);
}

/* JITNIC: an LRU cache of 16 traces; a first pass installs the traces, a
 * second pass over the same traffic measures the NIC model on hits. */
static void bench_nic(const char *name, const struct jn_pkt_set *t)
{
	char objpath[256], maps[256];
	struct inst in;
	struct jn_nic *n;
	struct jn_nic_opts o = {.sz = sizeof(o), .capacity = 16, .policy = JN_POL_LRU};
	struct jn_xdp_result r;
	char err[256];
	bool hit;
	double v[REPS];

	if (instantiate(objpath, prog_paths(name, objpath, maps), &in))
		return;
	if (jn_nic_new(in.x, &o, &n, err, sizeof(err))) {
		fprintf(stderr, "bench: %s\n", err);
		release(&in);
		return;
	}
	for (uint64_t i = 0; i < t->n; i++)
		jn_nic_packet(n, &t->pkts[i], &r, &hit);
	const struct jn_nic_stats st0 = *jn_nic_stats(n);
	double host_median = jn_nic_host_median_us(n);
	for (int k = 0; k < REPS; k++) {
		double t0 = now_ns();
		for (uint64_t i = 0; i < t->n; i++)
			jn_nic_packet(n, &t->pkts[i], &r, &hit);
		v[k] = now_ns() - t0;
	}
	const struct jn_nic_stats *st = jn_nic_stats(n);
	double per = median(v, REPS) / (double)t->n;
	printf("| %-16s | %5llu | %7.4f | %6.1f | %6.1f | %7.1f | %6.2f |\n", name,
	       (unsigned long long)st->distinct_paths, (double)st0.hits / (double)(st0.packets - st0.skipped),
	       st->hits ? (double)st->ops_hit / (double)st->hits : 0,
	       st->hits ? (double)st->insns_full_hits / (double)st->hits : 0,
	       host_median,
	       1000.0 / per);
	jn_nic_free(n);
	release(&in);
}

int main(int argc, char **argv)
{
	static const char *const progs[] = {"ipv6_filter", "xdp1_count", "xdp2_reflect", "router_ipv4",
					    "simple_firewall", "lb_katran", "ipv6_exthdr", "vlan_classifier"};
	const char *pcap = argc > 1 ? argv[1] : "../shared/data/pcaps/tcpdump_tests_ether_concat.pcap";
	struct jn_pkt_set *t = make_traffic("internet", NPKTS);

	if (!t) {
		fprintf(stderr, "bench: cannot generate traffic\n");
		return 1;
	}
	printf("interpreter vs kernel JIT, %d generated packets (internet profile), median of %d passes\n",
	       NPKTS, IREPS);
	double base = baseline_ns(t);
	printf("(setup outside the interpreter, about %.1f ns/packet, is measured by a 2-instruction program\n"
	       " right before each pass and subtracted from jitnic ns/insn; the kernel column is\n"
	       " BPF_PROG_TEST_RUN's duration per run divided by the same instruction count)\n",
	       base / (double)t->n);
	printf("| program          | insn/pkt | jitnic ns/pkt | jitnic ns/insn | kernel JIT ns/insn | ratio |\n");
	printf("|------------------|----------|----------|----------|----------|--------|\n");
	const char *only = getenv("JN_BENCH_ONLY");
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		if (!only || !strcmp(only, progs[i]))
			bench_program(progs[i], t);
	bench_overhead(pcap);
	printf("\nJITNIC on the NIC model: LRU cache of 16 traces, the same traffic; hit rate of a cold\n"
	       "first pass, instructions per hit (guards + trace body) against the full path, host time\n"
	       "per miss (recording + interpreter, median), and NIC packets/s on a warm second pass\n");
	printf("| program          | paths | hit rate | ops/hit | path insns | host us/miss | warm Mpps |\n");
	printf("|------------------|-------|----------|---------|------------|--------------|-----------|\n");
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		if (!only || !strcmp(only, progs[i]))
			bench_nic(progs[i], t);
	if (!only) {
		printf("\nhXDP (the paper's Table 3): eBPF instructions / VLIW rows, IPC, cycles, Mpps on the simulator\n");
		fflush(stdout);
		jn_vliw_bench_table(stdout, false);
		printf("\nhXDP for traces (JITNIC traces lowered to VLIW): the whole program vs the NIC's hits on the core\n");
		fflush(stdout);
		jn_trace_vliw_table(stdout, false);
	}
	free(t->pkts);
	free(t->arena);
	free(t);
	return 0;
}
