/* kern_run.c - packets through BPF_PROG_TEST_RUN. */
#define _GNU_SOURCE
#include "kern/kern_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "base/base.h"

static int refused(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refused(char *err, size_t errlen, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	jn_errf(err, errlen, 0, "kernel refused: %s", msg);
	return JN_KERN_EREFUSED;
}

/* What BPF_PROG_TEST_RUN refuses, or where its frame is not one buffer. */
static int check_input(struct jn_kern *k, size_t len, char *err, size_t errlen)
{
	enum bpf_attach_type at = bpf_program__expected_attach_type(k->progs[k->pick].prog);

	if (!k->loaded)
		return jn_errf(err, errlen, EINVAL, "kern: %s: not loaded", k->base);
	if (at == BPF_XDP_DEVMAP || at == BPF_XDP_CPUMAP)
		return refused(err, errlen, "program %s is a %s program, BPF_PROG_TEST_RUN does not run those",
			       jn_kern_prog_name(k), at == BPF_XDP_DEVMAP ? "devmap" : "cpumap");
	if (len < JN_KERN_MIN_PKT)
		return refused(err, errlen, "packet of %zu bytes is shorter than an Ethernet header (%d)",
			       len, JN_KERN_MIN_PKT);
	if (len > JN_KERN_MAX_PKT)
		return refused(err, errlen, "packet of %zu bytes does not fit one XDP buffer (%d bytes; "
			       "the kernel would pass the rest as fragments)", len, JN_KERN_MAX_PKT);
	if (k->ifindex == 0 && k->rxq != 0)
		return refused(err, errlen, "rx_queue_index %u needs an ingress_ifindex", k->rxq);
	return 0;
}

/* Turn a failed BPF_PROG_TEST_RUN into our error. */
static int run_error(struct jn_kern *k, int e, char *err, size_t errlen)
{
	if (e == EPERM || e == EACCES || e == ENOSYS) {
		jn_errf(err, errlen, 0, "kernel oracle unavailable: bpf() refused (%s)", strerror(e));
		return JN_KERN_EUNAVAIL;
	}
	if (e == ENODEV)
		return refused(err, errlen, "ingress_ifindex %u: no such device", k->ifindex);
	if (e == EINVAL && k->rxq)
		return refused(err, errlen, "rx_queue_index %u: not a registered rx queue of ifindex %u",
			       k->rxq, k->ifindex);
	if (e == EINVAL)
		return refused(err, errlen, "BPF_PROG_TEST_RUN: %s", strerror(e));
	return jn_errf(err, errlen, e, "kern: %s: BPF_PROG_TEST_RUN: %s", k->base, strerror(e));
}

/* One test run.  The kernel needs ctx_in whenever ctx_out is given (a
 * zeroed ctx would mean "no linear data"), so always pass both. */
static int test_run(struct jn_kern *k, const uint8_t *pkt, size_t len, uint32_t repeat,
		    struct xdp_md *ctx_out, struct bpf_test_run_opts *o, char *err, size_t errlen)
{
	struct xdp_md ctx = {
		.data = 0,
		.data_end = (uint32_t)len,
		.data_meta = 0,
		.ingress_ifindex = k->ifindex,
		.rx_queue_index = k->rxq,
	};
	int ret = check_input(k, len, err, errlen);

	if (ret)
		return ret;
	memset(ctx_out, 0, sizeof(*ctx_out));
	o->sz = sizeof(*o);
	o->data_in = pkt;
	o->data_size_in = (uint32_t)len;
	o->data_out = k->out;
	o->data_size_out = sizeof(k->out);
	o->ctx_in = &ctx;
	o->ctx_size_in = sizeof(ctx);
	o->ctx_out = ctx_out;
	o->ctx_size_out = sizeof(*ctx_out);
	o->repeat = (int)repeat;
	if (bpf_prog_test_run_opts(k->progs[k->pick].fd, o))
		return run_error(k, errno, err, errlen);
	return 0;
}

int jn_kern_run(struct jn_kern *k, const uint8_t *pkt, size_t len,
		struct jn_kern_result *res, char *err, size_t errlen)
{
	struct bpf_test_run_opts o;
	struct xdp_md out;
	int ret;

	memset(res, 0, sizeof(*res));
	memset(&o, 0, sizeof(o));
	ret = test_run(k, pkt, len, 1, &out, &o, err, errlen);
	if (ret)
		return ret;
	/* data_out is data_meta .. data_end; ctx_out says where data starts */
	if (out.data > out.data_end || out.data_end != o.data_size_out || o.data_size_out > sizeof(k->out))
		return jn_errf(err, errlen, EPROTO, "kern: %s: BPF_PROG_TEST_RUN gave %u bytes, ctx data %u..%u",
			       k->base, o.data_size_out, out.data, out.data_end);
	res->action = o.retval;
	res->meta = k->out;
	res->meta_len = out.data;
	res->data = k->out + out.data;
	res->len = out.data_end - out.data;
	res->duration_ns = o.duration;
	return 0;
}

int jn_kern_bench(struct jn_kern *k, const uint8_t *pkt, size_t len, uint32_t repeat,
		  uint32_t *ns_per_run, char *err, size_t errlen)
{
	struct bpf_test_run_opts o;
	struct xdp_md out;
	int ret;

	*ns_per_run = 0;
	if (repeat == 0 || repeat > INT32_MAX)
		return jn_errf(err, errlen, EINVAL, "kern: bench: repeat %u out of range", repeat);
	memset(&o, 0, sizeof(o));
	ret = test_run(k, pkt, len, repeat, &out, &o, err, errlen);
	if (ret)
		return ret;
	*ns_per_run = o.duration;
	return 0;
}
