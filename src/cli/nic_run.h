/* nic_run.h - what `jitnic nic`, `jitnic trace` and `jitnic sweep` share:
 * a session, the whole capture in memory, the future for Belady, one NIC
 * model run over every packet with per-verdict counts and output pcaps. */
#ifndef JN_CLI_NIC_RUN_H
#define JN_CLI_NIC_RUN_H

#include <linux/bpf.h>
#include <json-c/json.h>

#include "pkt/pkt.h"
#include "session.h"
#include "trace/trace.h"

struct nic_run_cfg {
	const char *obj, *pcap, *prog, *maps, *out;
	struct jn_nic_opts nic;      /* capacity, policy, admission, ... */
	uint64_t seed;
	bool quiet;                  /* no progress line */
	bool vliw;                   /* --engine vliw: hits on the VLIW core (jn_nic_vliw) */
	int lanes;                   /* its lanes (0: 4) */
};

struct nic_run {
	struct jn_session s;
	struct jn_pkt_set *set;
	struct jn_nic *nic;
	struct jn_nic_vliw *vliw;        /* cfg.vliw */
	uint64_t *future;
	uint64_t actions[XDP_REDIRECT + 1], faults, skipped, snap_truncated;
	char first_fault[256];
	struct json_object *targets;     /* "devmap:3" -> count, as jitnic run */
	double secs;
};

/* Load the capture once (*set, caller frees with jn_pkt_set_free). */
int nic_load(const char *cmd, const char *pcap, struct jn_pkt_set **set);
/* Open the session, build the NIC (and the future for Belady) and run every
 * packet of set (not owned) through it, writing verdict pcaps to cfg->out.
 * Returns 0 or 1 (message printed, prefixed by cmd). */
int nic_run(const char *cmd, const struct nic_run_cfg *cfg, struct jn_pkt_set *set, struct nic_run *r);
void nic_run_close(struct nic_run *r);
/* Command options to NIC options (cmd_nic.c); 1 (message printed) if bad. */
int nic_cfg_opts(const char *cmd, const char *policy, long cache, long cache_ops, long admit,
		 long admit_window, long thrash_window, struct jn_nic_opts *o);

#endif
