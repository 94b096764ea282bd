/* test_kern.c - the kernel oracle: loading, runs, the XDP frame layout of
 * BPF_PROG_TEST_RUN (docs/xdp-context.md), maps in and out.  Every test
 * skips with one line when bpf() is refused. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <json-c/json.h>
#include <linux/audit.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "kern/kern.h"

#define PROBE "build/tests/objs/kern_probe.o"
#define MAPS  "build/tests/objs/kern_maps.o"
#define BAD   "build/tests/objs/kern_bad.o"

/* kern_probe.bpf.c's cfg and res slots */
enum { CFG_META, CFG_HEAD, CFG_TAIL, CFG_ACTION, CFG_IFINDEX, CFG_FLAGS, CFG_KEY, CFG_N };
enum {
	RES_LEN, RES_METALEN, RES_IFINDEX, RES_RXQ, RES_CPU, RES_META_RET, RES_HEAD_RET,
	RES_TAIL_RET, RES_LEN_AFTER, RES_METALEN_AFTER, RES_BUFF_LEN, RES_MAX
};

static bool available;
static char errbuf[512];

static int group_setup(void **state)
{
	struct jn_kern *k;
	int ret = jn_kern_open(PROBE, NULL, &k, errbuf, sizeof(errbuf));

	if (ret) {
		fprintf(stderr, "test_kern: %s\n", errbuf);
		return -1;
	}
	ret = jn_kern_load(k, NULL, errbuf, sizeof(errbuf));
	jn_kern_close(k);
	available = ret == 0;
	if (ret == JN_KERN_EUNAVAIL)
		fprintf(stderr, "test_kern: skipped: %s\n", errbuf);
	else if (ret)
		fprintf(stderr, "test_kern: %s\n", errbuf);
	return ret == 0 || ret == JN_KERN_EUNAVAIL ? 0 : -1;
}

#define NEED_BPF() do { if (!available) { skip(); return; } } while (0)

/* ---- helpers ---- */

struct init_buf {
	struct jn_maps_init init;
	struct jn_maps_entry e[16];
	uint8_t bytes[16][64];
	char names[16][32];
	int nb;
};

static void init_reset(struct init_buf *b)
{
	memset(b, 0, sizeof(*b));
	b->init.entries = b->e;
	b->init.ingress_ifindex = 1;
}

static uint8_t *stash(struct init_buf *b, const void *p, size_t n)
{
	assert_true(b->nb < 16 && n <= 64);
	memcpy(b->bytes[b->nb], p, n);
	return b->bytes[b->nb++];
}

static void add(struct init_buf *b, const char *map, const void *key, uint32_t klen,
		const void *val, uint32_t vlen)
{
	struct jn_maps_entry *e = &b->e[b->init.n_entries];

	assert_true(b->init.n_entries < 16);
	snprintf(b->names[b->init.n_entries], 32, "%s", map);
	e->map = b->names[b->init.n_entries];
	e->key = key ? stash(b, key, klen) : NULL;
	e->key_len = key ? klen : 0;
	e->value = stash(b, val, vlen);
	e->value_len = vlen;
	b->init.n_entries++;
}

static void add_cfg(struct init_buf *b, uint32_t slot, int64_t v)
{
	add(b, "cfg", &slot, 4, &v, 8);
}

static struct jn_kern *load(const char *path, const char *prog, const struct jn_maps_init *init)
{
	struct jn_kern *k = NULL;

	assert_int_equal(jn_kern_open(path, prog, &k, errbuf, sizeof(errbuf)), 0);
	if (jn_kern_load(k, init, errbuf, sizeof(errbuf)))
		fail_msg("load: %s", errbuf);
	return k;
}

static int64_t res_at(struct jn_kern *k, uint32_t slot)
{
	struct json_object *d, *entries;
	int64_t v = 0;
	char keyhex[9];

	assert_int_equal(jn_kern_map_dump(k, "res", &d, errbuf, sizeof(errbuf)), 0);
	snprintf(keyhex, sizeof(keyhex), "%02x000000", slot);
	entries = json_object_object_get(d, "entries");
	for (size_t i = 0; i < json_object_array_length(entries); i++) {
		struct json_object *e = json_object_array_get_idx(entries, i);
		if (strcmp(json_object_get_string(json_object_object_get(e, "key")), keyhex))
			continue;
		const char *h = json_object_get_string(json_object_object_get(e, "value"));
		uint8_t b[8];
		for (int j = 0; j < 8; j++)
			sscanf(h + 2 * j, "%2hhx", &b[j]);
		memcpy(&v, b, 8);
	}
	json_object_put(d);
	return v;
}

static uint8_t pkt[4096];

static void fill_pkt(void)
{
	for (size_t i = 0; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)i;
}

/* Run kern_probe's xdp_adjust with meta/head/tail deltas on a len-byte packet. */
static struct jn_kern *adjust(int meta, int head, int tail, size_t len, struct jn_kern_result *r)
{
	struct init_buf b;
	struct jn_kern *k;

	init_reset(&b);
	add_cfg(&b, CFG_META, meta);
	add_cfg(&b, CFG_HEAD, head);
	add_cfg(&b, CFG_TAIL, tail);
	add_cfg(&b, CFG_ACTION, XDP_PASS);
	k = load(PROBE, "xdp_adjust", &b.init);
	fill_pkt();
	if (jn_kern_run(k, pkt, len, r, errbuf, sizeof(errbuf)))
		fail_msg("run: %s", errbuf);
	return k;
}

/* What the helper recorded in slot said, for a 60-byte packet (output length in *len). */
static int64_t adjust_ret(int meta, int head, int tail, uint32_t slot, size_t *len)
{
	struct jn_kern_result r;
	struct jn_kern *k = adjust(meta, head, tail, 60, &r);
	int64_t v = res_at(k, slot);

	if (len)
		*len = r.len;
	jn_kern_close(k);
	return v;
}

/* ---- opening and loading ---- */

static void open_picks_first_xdp_program_by_default(void **state)
{
	struct jn_kern *k;

	assert_int_equal(jn_kern_open(PROBE, NULL, &k, errbuf, sizeof(errbuf)), 0);
	assert_string_equal(jn_kern_prog_name(k), "xdp_adjust");
	assert_string_equal(jn_kern_prog_sec(k), "xdp");
	jn_kern_close(k);
}

static void open_finds_program_by_function_or_section_name(void **state)
{
	struct jn_kern *k;

	assert_int_equal(jn_kern_open(PROBE, "xdp_redirect_map", &k, errbuf, sizeof(errbuf)), 0);
	assert_string_equal(jn_kern_prog_name(k), "xdp_redirect_map");
	jn_kern_close(k);
	assert_int_equal(jn_kern_open(PROBE, "xdp_odd", &k, errbuf, sizeof(errbuf)), 0);
	assert_string_equal(jn_kern_prog_name(k), "xdp_odd_section");
	jn_kern_close(k);
}

static void open_unknown_program_names_it(void **state)
{
	struct jn_kern *k = (void *)1;

	assert_int_equal(jn_kern_open(PROBE, "nope", &k, errbuf, sizeof(errbuf)), -ENOENT);
	assert_null(k);
	assert_string_equal(errbuf, "kern: kern_probe.o: no XDP program called nope");
}

static void open_missing_file_fails_with_message(void **state)
{
	struct jn_kern *k;

	assert_true(jn_kern_open("build/tests/objs/none.o", NULL, &k, errbuf, sizeof(errbuf)) < 0);
	assert_non_null(strstr(errbuf, "kern: none.o: libbpf cannot open it"));
}

static void unknown_xdp_section_is_loaded_as_xdp(void **state)
{
	struct jn_kern_result r;
	struct jn_kern *k;

	NEED_BPF();
	k = load(PROBE, "xdp_odd_section", NULL);
	fill_pkt();
	assert_int_equal(jn_kern_run(k, pkt, 60, &r, errbuf, sizeof(errbuf)), 0);
	assert_int_equal(r.action, XDP_TX);
	jn_kern_close(k);
}

static void verifier_rejection_names_program_and_reason(void **state)
{
	struct jn_kern *k;
	int ret;

	NEED_BPF();
	assert_int_equal(jn_kern_open(BAD, NULL, &k, errbuf, sizeof(errbuf)), 0);
	ret = jn_kern_load(k, NULL, errbuf, sizeof(errbuf));
	assert_int_equal(ret, -EACCES);
	assert_non_null(strstr(errbuf, "kern: kern_bad.o: program xdp_bad: verifier rejected it (Permission denied)"));
	assert_non_null(strstr(errbuf, "invalid bpf_context access off=20 size=4"));
	assert_null(strchr(errbuf, '\n'));
	jn_kern_close(k);
}

/* In a child where seccomp makes bpf() fail with EPERM, loading reports
 * the oracle as unavailable. */
static void refused_bpf_syscall_reports_unavailable(void **state)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_bpf, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = 4, .filter = f };
	int status, pipefd[2];
	char msg[200] = "";
	pid_t pid;

	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct jn_kern *k;
		int ret = 1;

		close(pipefd[0]);
		if (!prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) &&
		    !prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) &&
		    !jn_kern_open(PROBE, NULL, &k, errbuf, sizeof(errbuf))) {
			ret = jn_kern_load(k, NULL, errbuf, sizeof(errbuf)) == JN_KERN_EUNAVAIL ? 0 : 2;
			if (write(pipefd[1], errbuf, strlen(errbuf)) < 0)
				ret = 3;
			jn_kern_close(k);
		}
		_exit(ret);
	}
	close(pipefd[1]);
	assert_true(read(pipefd[0], msg, sizeof(msg) - 1) > 0);
	close(pipefd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_string_equal(msg, "kernel oracle unavailable: bpf() refused (Operation not permitted)");
}

/* ---- runs and the frame layout ---- */

static void run_returns_action_and_output_bytes(void **state)
{
	struct jn_kern_result r;
	struct jn_kern *k;

	NEED_BPF();
	k = adjust(0, 0, 0, 60, &r);
	assert_int_equal(r.action, XDP_PASS);
	assert_int_equal(r.len, 60);
	assert_int_equal(r.meta_len, 0);
	assert_int_equal(r.data[0], 0xee);
	assert_memory_equal(r.data + 1, pkt + 1, 59);
	assert_int_equal(res_at(k, RES_LEN), 60);
	assert_int_equal(res_at(k, RES_METALEN), 0);
	assert_int_equal(res_at(k, RES_BUFF_LEN), 60);
	jn_kern_close(k);
}

static void run_sees_default_ctx_and_cpu0(void **state)
{
	struct jn_kern_result r;
	struct jn_kern *k;

	NEED_BPF();
	k = adjust(0, 0, 0, 60, &r);
	assert_int_equal(res_at(k, RES_IFINDEX), 1);
	assert_int_equal(res_at(k, RES_RXQ), 0);
	assert_int_equal(res_at(k, RES_CPU), 0);
	jn_kern_close(k);
}

static void actions_come_back_verbatim_and_ifindex_0_is_loopback(void **state)
{
	struct jn_kern_result r;
	struct init_buf b;
	struct jn_kern *k;

	NEED_BPF();
	init_reset(&b);
	add_cfg(&b, CFG_ACTION, 7);
	b.init.ingress_ifindex = 0;
	k = load(PROBE, "xdp_adjust", &b.init);
	fill_pkt();
	assert_int_equal(jn_kern_run(k, pkt, 60, &r, errbuf, sizeof(errbuf)), 0);
	assert_int_equal(r.action, 7);
	assert_int_equal(res_at(k, RES_IFINDEX), 1);
	jn_kern_close(k);
}

static void head_grows_by_216_at_most(void **state)
{
	struct jn_kern_result r;
	struct jn_kern *k;
	size_t len;

	NEED_BPF();
	k = adjust(0, -216, 0, 60, &r);
	assert_int_equal(res_at(k, RES_HEAD_RET), 0);
	assert_int_equal(r.len, 276);
	assert_int_equal(r.data[0], 0xee);
	for (int i = 1; i < 216; i++)
		assert_int_equal(r.data[i], 0);     /* headroom is zeroed */
	assert_memory_equal(r.data + 216, pkt, 60);
	jn_kern_close(k);
	assert_int_equal(adjust_ret(0, -217, 0, RES_HEAD_RET, &len), -EINVAL);
	assert_int_equal(len, 60);
}

static void head_shrinks_to_an_ethernet_header(void **state)
{
	struct jn_kern_result r;
	struct jn_kern *k;

	NEED_BPF();
	k = adjust(0, 46, 0, 60, &r);
	assert_int_equal(res_at(k, RES_HEAD_RET), 0);
	assert_int_equal(r.len, 14);
	assert_memory_equal(r.data + 1, pkt + 47, 13);
	jn_kern_close(k);
	assert_int_equal(adjust_ret(0, 47, 0, RES_HEAD_RET, NULL), -EINVAL);
}

static void tail_grows_to_3520_bytes_with_zeros(void **state)
{
	struct jn_kern_result r;
	struct jn_kern *k;
	size_t len;

	NEED_BPF();
	k = adjust(0, 0, 3460, 60, &r);
	assert_int_equal(res_at(k, RES_TAIL_RET), 0);
	assert_int_equal(r.len, JN_KERN_MAX_PKT);
	assert_memory_equal(r.data + 1, pkt + 1, 59);
	for (size_t i = 60; i < r.len; i++)
		assert_int_equal(r.data[i], 0);
	jn_kern_close(k);
	assert_int_equal(adjust_ret(0, 0, 3461, RES_TAIL_RET, &len), -EINVAL);
	assert_int_equal(len, 60);
	/* the limit is the frame's end, wherever data starts */
	assert_int_equal(adjust_ret(0, -100, 3461, RES_TAIL_RET, NULL), -EINVAL);
	assert_int_equal(adjust_ret(0, -100, 3460, RES_TAIL_RET, &len), 0);
	assert_int_equal(len, 3620);
}

static void tail_shrinks_to_an_ethernet_header(void **state)
{
	size_t len;

	NEED_BPF();
	assert_int_equal(adjust_ret(0, 0, -46, RES_TAIL_RET, &len), 0);
	assert_int_equal(len, 14);
	assert_int_equal(adjust_ret(0, 0, -47, RES_TAIL_RET, &len), -EINVAL);
	assert_int_equal(len, 60);
}

static void metadata_comes_back_before_the_packet(void **state)
{
	static const uint8_t mark[4] = { 0xdd, 0xcc, 0xbb, 0xaa };
	struct jn_kern_result r;
	struct jn_kern *k;

	NEED_BPF();
	k = adjust(-8, 0, 0, 60, &r);
	assert_int_equal(res_at(k, RES_META_RET), 0);
	assert_int_equal(res_at(k, RES_METALEN_AFTER), 8);
	assert_int_equal(r.meta_len, 8);
	assert_ptr_equal(r.data, r.meta + 8);
	assert_memory_equal(r.meta, mark, 4);
	assert_int_equal(r.meta[4], 0);         /* unwritten metadata is zero */
	assert_int_equal(r.len, 60);
	assert_int_equal(r.data[0], 0xee);
	jn_kern_close(k);
}

static void metadata_limits_216_bytes_and_4_byte_multiples(void **state)
{
	struct jn_kern_result r;
	struct jn_kern *k;

	NEED_BPF();
	k = adjust(-216, 0, 0, 60, &r);
	assert_int_equal(res_at(k, RES_META_RET), 0);
	assert_int_equal(r.meta_len, 216);
	jn_kern_close(k);
	k = adjust(-220, 0, 0, 60, &r);
	assert_int_equal(res_at(k, RES_META_RET), -EINVAL);
	assert_int_equal(r.meta_len, 0);
	jn_kern_close(k);
	assert_int_equal(adjust_ret(-2, 0, 0, RES_META_RET, NULL), -EACCES);
	assert_int_equal(adjust_ret(4, 0, 0, RES_META_RET, NULL), -EINVAL);
}

static void metadata_shares_the_headroom_with_adjust_head(void **state)
{
	struct jn_kern_result r;
	struct jn_kern *k;

	NEED_BPF();
	k = adjust(-8, -208, 0, 60, &r);
	assert_int_equal(res_at(k, RES_HEAD_RET), 0);
	assert_int_equal(r.meta_len, 8);
	assert_int_equal(r.len, 268);
	jn_kern_close(k);
	assert_int_equal(adjust_ret(-8, -209, 0, RES_HEAD_RET, NULL), -EINVAL);
}

static void kernel_refuses_short_and_long_packets(void **state)
{
	struct jn_kern_result r;
	struct jn_kern *k;

	NEED_BPF();
	k = adjust(0, 0, 0, 14, &r);
	assert_int_equal(r.len, 14);
	assert_int_equal(jn_kern_run(k, pkt, 13, &r, errbuf, sizeof(errbuf)), JN_KERN_EREFUSED);
	assert_string_equal(errbuf, "kernel refused: packet of 13 bytes is shorter than an Ethernet header (14)");
	assert_int_equal(jn_kern_run(k, pkt, 3520, &r, errbuf, sizeof(errbuf)), 0);
	assert_int_equal(r.len, 3520);
	assert_int_equal(jn_kern_run(k, pkt, 3521, &r, errbuf, sizeof(errbuf)), JN_KERN_EREFUSED);
	assert_non_null(strstr(errbuf, "kernel refused: packet of 3521 bytes does not fit one XDP buffer"));
	jn_kern_close(k);
}

static void kernel_refuses_unknown_ifindex_and_queue(void **state)
{
	struct jn_kern_result r;
	struct init_buf b;
	struct jn_kern *k;

	NEED_BPF();
	init_reset(&b);
	b.init.ingress_ifindex = 999999;
	k = load(PROBE, "xdp_adjust", &b.init);
	assert_int_equal(jn_kern_run(k, pkt, 60, &r, errbuf, sizeof(errbuf)), JN_KERN_EREFUSED);
	assert_string_equal(errbuf, "kernel refused: ingress_ifindex 999999: no such device");
	jn_kern_close(k);
	init_reset(&b);
	b.init.rx_queue_index = 64;   /* lo has one rx queue */
	k = load(PROBE, "xdp_adjust", &b.init);
	assert_int_equal(jn_kern_run(k, pkt, 60, &r, errbuf, sizeof(errbuf)), JN_KERN_EREFUSED);
	assert_string_equal(errbuf, "kernel refused: rx_queue_index 64: not a registered rx queue of ifindex 1");
	jn_kern_close(k);
}

static int64_t run_redirect(const char *prog, int64_t ifindex, int64_t flags, int64_t key,
			    bool devmap_entry, struct jn_kern_result *r)
{
	struct init_buf b;
	struct jn_kern *k;
	uint32_t zero = 0, lo = 1;
	int64_t act;

	init_reset(&b);
	add_cfg(&b, CFG_IFINDEX, ifindex);
	add_cfg(&b, CFG_FLAGS, flags);
	add_cfg(&b, CFG_KEY, key);
	if (devmap_entry)
		add(&b, "ports", &zero, 4, &lo, 4);
	k = load(PROBE, prog, &b.init);
	fill_pkt();
	assert_int_equal(jn_kern_run(k, pkt, 60, r, errbuf, sizeof(errbuf)), 0);
	assert_int_equal(r->len, 60);
	assert_memory_equal(r->data, pkt, 60);
	act = r->action;
	jn_kern_close(k);
	return act;
}

static void redirect_returns_action_without_sending(void **state)
{
	struct jn_kern_result r;

	NEED_BPF();
	assert_int_equal(run_redirect("xdp_redirect", 1, 0, 0, false, &r), XDP_REDIRECT);
	assert_int_equal(run_redirect("xdp_redirect", 999999, 0, 0, false, &r), XDP_REDIRECT);
	assert_int_equal(run_redirect("xdp_redirect", 1, 1, 0, false, &r), XDP_ABORTED);
	assert_int_equal(run_redirect("xdp_redirect_map", 0, XDP_PASS, 0, false, &r), XDP_PASS);
	assert_int_equal(run_redirect("xdp_redirect_map", 0, XDP_PASS, 0, true, &r), XDP_REDIRECT);
	assert_int_equal(run_redirect("xdp_redirect_map", 0, XDP_TX + 1, 0, true, &r), XDP_ABORTED);
}

/* ---- maps ---- */

static void maps_env_describes_kernel_maps(void **state)
{
	struct jn_maps_init_env env;
	const struct jn_map_spec *s;
	struct jn_kern *k;

	assert_int_equal(jn_kern_open(MAPS, NULL, &k, errbuf, sizeof(errbuf)), 0);
	env = jn_kern_maps_env(k);
	s = env.map_by_name(env.user, ".rodata");
	assert_non_null(s);
	assert_string_equal(s->name, ".rodata");
	assert_true(s->readonly);
	assert_int_equal(s->value_size, 4);
	assert_int_equal(s->init_len, 4);
	assert_int_equal(*(const uint32_t *)s->init, XDP_PASS);
	s = env.map_by_name(env.user, ".data");
	assert_false(s->readonly);
	assert_int_equal(*(const uint64_t *)s->init, 100);
	s = env.map_by_name(env.user, "percpu");
	assert_int_equal(s->type, BPF_MAP_TYPE_PERCPU_ARRAY);
	assert_int_equal(s->ncpus, libbpf_num_possible_cpus());
	assert_non_null(s->btf);
	assert_true(s->btf_value_type_id > 0);
	assert_null(env.map_by_name(env.user, "kern_map.rodata"));
	assert_int_equal(env.prog_by_name(env.user, "xdp_count"), 0);
	assert_int_equal(env.prog_by_name(env.user, "xdp_stage2"), 1);
	assert_true(env.prog_by_name(env.user, "nope") < 0);
	assert_int_equal(jn_kern_n_maps(k), 10);
	assert_null(jn_kern_map_spec(k, 10));
	jn_kern_close(k);
}

static char *hexs(const void *p, size_t n)
{
	static char buf[4][1024];
	static int which;
	char *b = buf[which++ & 3];

	for (size_t i = 0; i < n; i++)
		sprintf(b + 2 * i, "%02x", ((const uint8_t *)p)[i]);
	b[2 * n] = 0;
	return b;
}

/* Fill every kind of map, run two packets, compare the dumps byte for byte. */
static void maps_applied_run_and_dumped_in_key_order(void **state)
{
	int ncpus = libbpf_num_possible_cpus();
	struct jn_kern_result r;
	struct init_buf b;
	struct jn_kern *k;
	struct json_object *d;
	char want[2048];
	uint32_t pc[2 * 64] = { 0 }, q = 1000, zero = 0, drop = XDP_DROP;
	uint64_t cnt = 5, pk = 7;
	uint8_t key = 0x0a, lpm[8] = { 32, 0, 0, 0, 9, 9, 9, 9 };
	uint32_t stage2 = 1;

	NEED_BPF();
	assert_true(ncpus > 0 && ncpus <= 64);
	init_reset(&b);
	add(&b, "by_first", &key, 1, &cnt, 8);
	pc[0] = 41;   /* cpu 0 of key 0 (values are 4 bytes padded to 8) */
	add(&b, "percpu", &zero, 4, pc, (uint32_t)(8 * ncpus));
	add(&b, "routes", lpm, 8, &drop, 4);
	add(&b, "fifo", NULL, 0, &q, 4);
	add(&b, "jmp", &zero, 4, &stage2, 4);
	add(&b, ".data", &zero, 4, &pk, 8);
	k = load(MAPS, NULL, &b.init);
	memset(pkt, 0, 64);
	pkt[0] = 0x0a;
	assert_int_equal(jn_kern_run(k, pkt, 60, &r, errbuf, sizeof(errbuf)), 0);
	assert_int_equal(r.action, XDP_TX);      /* tail call into xdp_stage2 */
	memset(pkt, 9, 4);
	assert_int_equal(jn_kern_run(k, pkt, 64, &r, errbuf, sizeof(errbuf)), 0);
	assert_int_equal(r.action, XDP_DROP);    /* routes hit */

	assert_int_equal(jn_kern_map_dump(k, "by_first", &d, errbuf, sizeof(errbuf)), 0);
	assert_string_equal(json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN),
		"{\"name\":\"by_first\",\"type\":\"hash\",\"key_size\":1,\"value_size\":8,\"max_entries\":16,"
		"\"entries\":[{\"key\":\"09\",\"value\":\"0100000000000000\"},"
		"{\"key\":\"0a\",\"value\":\"0600000000000000\"}]}");
	json_object_put(d);

	pc[0] = 43;
	assert_int_equal(jn_kern_map_dump(k, "percpu", &d, errbuf, sizeof(errbuf)), 0);
	/* key 1 is all zeros: left out, as jn_map_dump_json does */
	snprintf(want, sizeof(want), "{\"name\":\"percpu\",\"type\":\"percpu_array\",\"key_size\":4,"
		 "\"value_size\":4,\"max_entries\":2,\"entries\":[{\"key\":\"00000000\",\"value\":\"%s\"}]}",
		 hexs(pc, 8 * ncpus));
	assert_string_equal(json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN), want);
	json_object_put(d);

	assert_int_equal(jn_kern_map_dump(k, ".data", &d, errbuf, sizeof(errbuf)), 0);
	assert_string_equal(json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN),
		"{\"name\":\".data\",\"type\":\"array\",\"key_size\":4,\"value_size\":8,\"max_entries\":1,"
		"\"entries\":[{\"key\":\"00000000\",\"value\":\"0900000000000000\"}]}");
	json_object_put(d);

	/* .bss: 60 + 64 bytes + the 1000 popped from the queue */
	assert_int_equal(jn_kern_map_dump(k, ".bss", &d, errbuf, sizeof(errbuf)), 0);
	assert_string_equal(json_object_to_json_string_ext(json_object_object_get(d, "entries"), JSON_C_TO_STRING_PLAIN),
		"[{\"key\":\"00000000\",\"value\":\"6404000000000000\"}]");
	json_object_put(d);

	assert_int_equal(jn_kern_map_dump(k, "jmp", &d, errbuf, sizeof(errbuf)), 0);
	assert_string_equal(json_object_to_json_string_ext(json_object_object_get(d, "entries"), JSON_C_TO_STRING_PLAIN),
		"[{\"key\":\"00000000\",\"value\":\"01000000\"}]");
	json_object_put(d);

	assert_int_equal(jn_kern_map_dump(k, "routes", &d, errbuf, sizeof(errbuf)), 0);
	assert_string_equal(json_object_to_json_string_ext(json_object_object_get(d, "entries"), JSON_C_TO_STRING_PLAIN),
		"[{\"key\":\"2000000009090909\",\"value\":\"01000000\"}]");
	json_object_put(d);
	jn_kern_close(k);
}

static void rodata_from_init_sets_verdict(void **state)
{
	struct jn_kern_result r;
	struct init_buf b;
	struct jn_kern *k;
	uint32_t zero = 0, drop = XDP_DROP;
	struct json_object *d;

	NEED_BPF();
	init_reset(&b);
	add(&b, ".rodata", &zero, 4, &drop, 4);
	k = load(MAPS, NULL, &b.init);
	fill_pkt();
	assert_int_equal(jn_kern_run(k, pkt, 60, &r, errbuf, sizeof(errbuf)), 0);
	assert_int_equal(r.action, XDP_DROP);    /* no tail call target, no route */
	assert_int_equal(jn_kern_map_dump(k, ".rodata", &d, errbuf, sizeof(errbuf)), 0);
	assert_string_equal(json_object_to_json_string_ext(json_object_object_get(d, "entries"), JSON_C_TO_STRING_PLAIN),
		"[{\"key\":\"00000000\",\"value\":\"01000000\"}]");
	json_object_put(d);
	jn_kern_close(k);
}

static void dump_maps_skips_ringbuf_and_names_globals_by_section(void **state)
{
	struct json_object *all, *d;
	struct jn_kern *k;

	NEED_BPF();
	k = load(MAPS, NULL, NULL);
	assert_int_equal(jn_kern_dump_maps(k, &all, errbuf, sizeof(errbuf)), 0);
	assert_int_equal(json_object_object_length(all), 9);
	assert_null(json_object_object_get(all, "events"));
	assert_non_null(json_object_object_get(all, ".rodata"));
	assert_non_null(json_object_object_get(all, ".bss"));
	assert_string_equal(json_object_get_string(json_object_object_get(
		json_object_object_get(all, "routes"), "entries")), "[ ]");
	/* an all-zero array is empty, but global data keeps its entry */
	assert_string_equal(json_object_get_string(json_object_object_get(
		json_object_object_get(all, "percpu"), "entries")), "[ ]");
	assert_int_equal(json_object_array_length(json_object_object_get(
		json_object_object_get(all, ".bss"), "entries")), 1);
	json_object_put(all);
	assert_int_equal(jn_kern_map_dump(k, "events", &d, errbuf, sizeof(errbuf)), -EOPNOTSUPP);
	assert_string_equal(errbuf, "kern: kern_maps.o: map events: a ringbuf map cannot be dumped");
	assert_int_equal(jn_kern_map_dump(k, "nope", &d, errbuf, sizeof(errbuf)), -ENOENT);
	assert_null(d);
	jn_kern_close(k);
}

static const char *entries_of(struct jn_kern *k, const char *map, struct json_object **d)
{
	assert_int_equal(jn_kern_map_dump(k, map, d, errbuf, sizeof(errbuf)), 0);
	return json_object_to_json_string_ext(json_object_object_get(*d, "entries"), JSON_C_TO_STRING_PLAIN);
}

/* Queue and stack dumps list values in pop order and leave the map as it was. */
static void queue_and_stack_dumps_keep_contents(void **state)
{
	struct jn_kern_result r;
	struct json_object *d;
	struct init_buf b;
	struct jn_kern *k;
	uint32_t q[3] = { 1, 2, 3 };
	uint16_t s[3] = { 10, 11, 12 };

	NEED_BPF();
	init_reset(&b);
	for (int i = 0; i < 3; i++) {
		add(&b, "fifo", NULL, 0, &q[i], 4);
		add(&b, "lifo", NULL, 0, &s[i], 2);
	}
	k = load(MAPS, NULL, &b.init);
	for (int pass = 0; pass < 2; pass++) {
		assert_string_equal(entries_of(k, "fifo", &d),
			"[{\"value\":\"01000000\"},{\"value\":\"02000000\"},{\"value\":\"03000000\"}]");
		json_object_put(d);
		assert_string_equal(entries_of(k, "lifo", &d),
			"[{\"value\":\"0c00\"},{\"value\":\"0b00\"},{\"value\":\"0a00\"}]");
		json_object_put(d);
	}
	fill_pkt();
	assert_int_equal(jn_kern_run(k, pkt, 60, &r, errbuf, sizeof(errbuf)), 0);   /* pops 1 */
	assert_string_equal(entries_of(k, "fifo", &d), "[{\"value\":\"02000000\"},{\"value\":\"03000000\"}]");
	json_object_put(d);
	jn_kern_close(k);
}

static void bad_map_entries_are_refused(void **state)
{
	struct init_buf b;
	struct jn_kern *k;
	uint32_t zero = 0, bad = 999999, nine = 9;

	NEED_BPF();
	init_reset(&b);
	add(&b, "ports", &zero, 4, &bad, 4);
	assert_int_equal(jn_kern_open(PROBE, NULL, &k, errbuf, sizeof(errbuf)), 0);
	assert_int_equal(jn_kern_load(k, &b.init, errbuf, sizeof(errbuf)), JN_KERN_EREFUSED);
	assert_string_equal(errbuf, "kernel refused: map ports key 00000000: Invalid argument");
	jn_kern_close(k);
	init_reset(&b);
	add(&b, "jmp", &zero, 4, &nine, 4);
	assert_int_equal(jn_kern_open(MAPS, NULL, &k, errbuf, sizeof(errbuf)), 0);
	assert_int_equal(jn_kern_load(k, &b.init, errbuf, sizeof(errbuf)), -EINVAL);
	assert_string_equal(errbuf, "kern: kern_maps.o: map jmp: value 9 is not a loaded XDP program");
	jn_kern_close(k);
}

static void bench_runs_repeat_times(void **state)
{
	struct json_object *d;
	struct jn_kern *k;
	uint32_t ns = 0;

	NEED_BPF();
	k = load(MAPS, NULL, NULL);
	fill_pkt();
	assert_int_equal(jn_kern_bench(k, pkt, 60, 1000, &ns, errbuf, sizeof(errbuf)), 0);
	assert_true(ns > 0 && ns < 1000000);
	assert_int_equal(jn_kern_map_dump(k, ".data", &d, errbuf, sizeof(errbuf)), 0);
	/* packets started at 100 */
	assert_string_equal(json_object_to_json_string_ext(json_object_object_get(d, "entries"), JSON_C_TO_STRING_PLAIN),
		"[{\"key\":\"00000000\",\"value\":\"4c04000000000000\"}]");
	json_object_put(d);
	assert_int_equal(jn_kern_bench(k, pkt, 10, 5, &ns, errbuf, sizeof(errbuf)), JN_KERN_EREFUSED);
	assert_int_equal(jn_kern_bench(k, pkt, 60, 0, &ns, errbuf, sizeof(errbuf)), -EINVAL);
	jn_kern_close(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(open_picks_first_xdp_program_by_default),
		cmocka_unit_test(open_finds_program_by_function_or_section_name),
		cmocka_unit_test(open_unknown_program_names_it),
		cmocka_unit_test(open_missing_file_fails_with_message),
		cmocka_unit_test(unknown_xdp_section_is_loaded_as_xdp),
		cmocka_unit_test(verifier_rejection_names_program_and_reason),
		cmocka_unit_test(refused_bpf_syscall_reports_unavailable),
		cmocka_unit_test(run_returns_action_and_output_bytes),
		cmocka_unit_test(run_sees_default_ctx_and_cpu0),
		cmocka_unit_test(actions_come_back_verbatim_and_ifindex_0_is_loopback),
		cmocka_unit_test(head_grows_by_216_at_most),
		cmocka_unit_test(head_shrinks_to_an_ethernet_header),
		cmocka_unit_test(tail_grows_to_3520_bytes_with_zeros),
		cmocka_unit_test(tail_shrinks_to_an_ethernet_header),
		cmocka_unit_test(metadata_comes_back_before_the_packet),
		cmocka_unit_test(metadata_limits_216_bytes_and_4_byte_multiples),
		cmocka_unit_test(metadata_shares_the_headroom_with_adjust_head),
		cmocka_unit_test(kernel_refuses_short_and_long_packets),
		cmocka_unit_test(kernel_refuses_unknown_ifindex_and_queue),
		cmocka_unit_test(redirect_returns_action_without_sending),
		cmocka_unit_test(maps_env_describes_kernel_maps),
		cmocka_unit_test(maps_applied_run_and_dumped_in_key_order),
		cmocka_unit_test(rodata_from_init_sets_verdict),
		cmocka_unit_test(dump_maps_skips_ringbuf_and_names_globals_by_section),
		cmocka_unit_test(queue_and_stack_dumps_keep_contents),
		cmocka_unit_test(bad_map_entries_are_refused),
		cmocka_unit_test(bench_runs_repeat_times),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
