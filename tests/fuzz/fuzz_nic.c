/* fuzz_nic.c - libFuzzer harness: the JITNIC model against the interpreter.
 *
 * The input is one configuration byte followed by a capture (pcap bytes):
 * bits 0-2 pick a shipped program (with its maps file), bits 3-4 the cache
 * size (1..4 traces), bits 5-7 the policy (Belady, which needs the future,
 * is left out).  Every packet (at most MAX_PKTS) runs through a fresh NIC
 * model and a fresh interpreter side by side; any difference in the run's
 * status, action, output bytes, redirect or in the maps at the end aborts
 * (the fuzzer reports it as a crash).  Objects and maps files are read once;
 * each input gets new instances, so a finding reproduces from its bytes.
 * Run from the repository root (build/progs/ and progs/ relative to it).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "obj/obj.h"
#include "pkt/pkt.h"
#include "trace/trace.h"
#include "vm/xdp.h"

enum { MAX_PKTS = 64 };

static const char *const progs[8] = {
	"simple_firewall", "router_ipv4", "lb_katran", "xdp2_reflect",
	"vlan_classifier", "ipv6_filter", "xdp1_count", "ipv6_exthdr",
};

struct loaded { struct jn_obj *obj; struct jn_maps_init *init; };
static struct loaded cache[8];

static struct jn_xdp *instance(unsigned k)
{
	struct loaded *l = &cache[k];
	struct jn_maps_init_env env;
	struct jn_xdp *x;
	char path[128], err[512];

	if (!l->obj) {
		snprintf(path, sizeof(path), "build/progs/%s.o", progs[k]);
		if (jn_obj_open(path, &l->obj, err, sizeof(err))) {
			fprintf(stderr, "fuzz_nic: %s (run from the repository root after make)\n", err);
			abort();
		}
	}
	if (jn_xdp_open(l->obj, NULL, NULL, &x, err, sizeof(err)))
		abort();
	if (!l->init) {
		snprintf(path, sizeof(path), "progs/%s.maps.json", progs[k]);
		jn_xdp_init_env(x, &env);
		if (jn_maps_init_load(path, &env, &l->init, err, sizeof(err))) {
			fprintf(stderr, "fuzz_nic: %s\n", err);
			abort();
		}
	}
	if (jn_xdp_apply_init(x, l->init, err, sizeof(err)))
		abort();
	return x;
}

static bool same(const struct jn_xdp_result *a, const struct jn_xdp_result *b)
{
	return a->action == b->action && a->len == b->len && a->meta_len == b->meta_len &&
	       !memcmp(a->data, b->data, a->len) && a->redirect_kind == b->redirect_kind &&
	       a->redirect_target == b->redirect_target && !a->err == !b->err;
}

static void compare_maps(struct jn_xdp *a, struct jn_xdp *b, unsigned k)
{
	struct json_object *ma = jn_xdp_dump_maps(a), *mb = jn_xdp_dump_maps(b);

	if (strcmp(json_object_to_json_string(ma), json_object_to_json_string(mb))) {
		fprintf(stderr, "fuzz_nic: %s: maps differ at the end\n", progs[k]);
		abort();
	}
	json_object_put(ma);
	json_object_put(mb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jn_pkt_reader *r;
	struct jn_pkt p;
	struct jn_nic *nic;
	char err[256];
	unsigned k, n = 0;

	if (size < 2 || jn_pkt_reader_open_mem(data + 1, size - 1, "fuzz", &r, err, sizeof(err)))
		return 0;
	k = data[0] & 7;
	struct jn_nic_opts o = { .sz = sizeof(o), .capacity = 1 + ((data[0] >> 3) & 3),
				 .policy = (data[0] >> 5) % JN_POL_BELADY, .seed = 7 };
	struct jn_xdp *a = instance(k), *b = instance(k);
	if (jn_nic_new(a, &o, &nic, err, sizeof(err)))
		abort();
	while (n++ < MAX_PKTS && jn_pkt_reader_next(r, &p, err, sizeof(err)) == 1) {
		struct jn_xdp_result ra, rb;
		bool hit;
		int rca = jn_nic_packet(nic, &p, &ra, &hit);
		int rcb = jn_xdp_run(b, p.data, p.caplen, p.ts_ns, &rb, false);
		if (rca != rcb || (!rca && !same(&ra, &rb))) {
			fprintf(stderr, "fuzz_nic: %s cache %u %s: packet %u (%s) differs: nic %d %s len %u, "
				"interpreter %d %s len %u\n", progs[k], o.capacity, jn_nic_policy_name(o.policy),
				n - 1, hit ? "hit" : "miss", rca, jn_xdp_action_name(ra.action), ra.len, rcb,
				jn_xdp_action_name(rb.action), rb.len);
			abort();
		}
	}
	compare_maps(a, b, k);
	jn_nic_free(nic);
	jn_xdp_close(a);
	jn_xdp_close(b);
	jn_pkt_reader_close(r);
	return 0;
}
