/* xdp_helpers_io.c - helpers that talk to the outside: trace_printk to the
 * log, perf_event_output and ring buffers to the events file, fib_lookup
 * from the maps file's routing table, check_mtu from its interfaces. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/bpf.h>
#include <sys/socket.h>

#include "base/base.h"
#include "xdp_internal.h"

#define X(run) ((struct jn_xdp *)(run)->user)
#define arg_mem jn_xdp_arg_mem
#define HELPER(name) uint64_t jn_xdp_h_##name(struct jn_vm_run *run, uint64_t a1, uint64_t a2, \
					      uint64_t a3, uint64_t a4, uint64_t a5)

/* Expand one printf conversion of a trace_printk format into out. */
static int expand_conv(const char **fp, uint64_t arg, char *out, size_t cap)
{
	const char *f = *fp;
	int lng = 0;

	while (*f == 'l') {
		lng++;
		f++;
	}
	*fp = f + 1;
	switch (*f) {
	case 'd': case 'i':
		return snprintf(out, cap, "%lld", lng ? (long long)arg : (long long)(int32_t)arg);
	case 'u':
		return snprintf(out, cap, "%llu", lng ? (unsigned long long)arg : (unsigned long long)(uint32_t)arg);
	case 'x':
		return snprintf(out, cap, "%llx", lng ? (unsigned long long)arg : (unsigned long long)(uint32_t)arg);
	case 'p':
		return snprintf(out, cap, "0x%llx", (unsigned long long)arg);
	case 'c':
		return snprintf(out, cap, "%c", (char)arg);
	default:
		*fp = f;
		return -1;
	}
}

HELPER(trace_printk)
{
	struct jn_xdp *x = X(run);
	const char *fmt = arg_mem(run, a1, a2, false, "trace_printk format");
	uint64_t args[3] = {a3, a4, a5};
	char line[512];
	size_t n = 0;
	int ai = 0;

	if (!fmt)
		return 0;
	if (!a2 || !memchr(fmt, 0, a2))
		return (uint64_t)-EINVAL;
	for (const char *f = fmt; *f && n + 1 < sizeof(line);) {
		if (*f != '%') {
			line[n++] = *f++;
			continue;
		}
		f++;
		if (*f == '%') {
			line[n++] = '%';
			f++;
			continue;
		}
		if (ai >= 3)
			return (uint64_t)-EINVAL;
		int w = expand_conv(&f, args[ai++], line + n, sizeof(line) - n);
		if (w < 0)
			return (uint64_t)-EINVAL;
		n += (size_t)w < sizeof(line) - n ? (size_t)w : sizeof(line) - n - 1;
	}
	line[n] = 0;
	if (x->opts.log)
		fprintf(x->opts.log, "%s%s", line, n && line[n - 1] == '\n' ? "" : "\n");
	return n;
}

static void put_hex(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

static void record(struct jn_xdp *x, const char *kind, const struct jn_map *m, const void *data,
		   size_t size, const uint8_t *pkt, size_t plen)
{
	if (!x->opts.events)
		return;
	fprintf(x->opts.events, "%s %s ", kind, jn_map_spec(m)->name);
	put_hex(x->opts.events, data, size);
	if (plen) {
		fputc(' ', x->opts.events);
		put_hex(x->opts.events, pkt, plen);
	}
	fputc('\n', x->opts.events);
}

HELPER(perf_event_output)
{
	struct jn_map *m = jn_xdp_map_arg(run, a2);
	uint64_t ctxlen = (a3 & BPF_F_CTXLEN_MASK) >> 32;
	const void *data;

	if (!m)
		return 0;
	if (jn_map_spec(m)->type != BPF_MAP_TYPE_PERF_EVENT_ARRAY ||
	    (a3 & ~(BPF_F_CTXLEN_MASK | BPF_F_INDEX_MASK)))
		return (uint64_t)-EINVAL;
	if (!(data = arg_mem(run, a4, a5, false, "perf_event_output data")))
		return 0;
	if (ctxlen > (uint64_t)(run->data_end - run->data))
		return (uint64_t)-EFAULT;
	record(X(run), "perf", m, data, a5, run->data, ctxlen);
	return 0;
}

/* The ring fills as the kernel's does with nothing consuming it
 * (jn_map_ringbuf_produce): a full ring fails output with -EAGAIN and
 * reserve with NULL. */
HELPER(ringbuf_output)
{
	struct jn_map *m = jn_xdp_map_arg(run, a1);
	const void *data = m ? arg_mem(run, a2, a3, false, "ringbuf_output data") : NULL;

	if (!data)
		return 0;
	if (a4 & ~(uint64_t)(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP))
		return (uint64_t)-EINVAL;
	if (jn_map_ringbuf_produce(m, a3))
		return (uint64_t)-EAGAIN;
	record(X(run), "ringbuf", m, data, a3, NULL, 0);
	return 0;
}

HELPER(ringbuf_query)
{
	struct jn_map *m = jn_xdp_map_arg(run, a1);

	if (!m)
		return 0;
	switch (a2) {
	case BPF_RB_AVAIL_DATA: case BPF_RB_PROD_POS:   /* nothing consumed */
		return jn_map_ringbuf_pos(m);
	case BPF_RB_RING_SIZE:
		return jn_map_spec(m)->max_entries;
	default:   /* BPF_RB_CONS_POS and unknown flags */
		return 0;
	}
}

/* Reservations: [u64 size][u64 map][data...] in the per-packet scratch area. */
HELPER(ringbuf_reserve)
{
	struct jn_xdp *x = X(run);
	struct jn_map *m = jn_xdp_map_arg(run, a1);
	size_t need = 16 + ((a2 + 7) & ~(uint64_t)7);

	if (!m || a3 || a2 > JN_XDP_SCRATCH || x->scratch_used + need > JN_XDP_SCRATCH ||
	    jn_map_ringbuf_produce(m, a2))
		return 0;
	uint64_t *hdr = (uint64_t *)(x->scratch + x->scratch_used);
	hdr[0] = a2;
	hdr[1] = (uint64_t)(uintptr_t)m;
	x->scratch_used += need;
	return (uint64_t)(uintptr_t)(hdr + 2);
}

static uint64_t *reservation(struct jn_vm_run *run, uint64_t p)
{
	struct jn_xdp *x = X(run);
	uint64_t s = (uint64_t)(uintptr_t)x->scratch;

	if (p < s + 16 || p >= s + x->scratch_used || (p - s) % 8) {
		jn_vm_fault(run, -EINVAL, "pc %u: ringbuf submit/discard of %#llx: not a reservation",
			    run->cur_pc, (unsigned long long)p);
		return NULL;
	}
	return (uint64_t *)(uintptr_t)p - 2;
}

HELPER(ringbuf_submit)
{
	uint64_t *hdr = reservation(run, a1);

	if (hdr)
		record(X(run), "ringbuf", (const struct jn_map *)(uintptr_t)hdr[1], hdr + 2, hdr[0], NULL, 0);
	return 0;
}

HELPER(ringbuf_discard)
{
	reservation(run, a1);
	return 0;
}

static bool prefix_match(const uint8_t *a, const uint8_t *b, int plen)
{
	int full = plen / 8, rest = plen % 8;

	if (memcmp(a, b, (size_t)full))
		return false;
	return !rest || ((a[full] ^ b[full]) & (0xff << (8 - rest))) == 0;
}

uint32_t jn_xdp_iface_mtu(const struct jn_xdp *x, uint32_t ifindex)
{
	for (size_t i = 0; i < x->n_ifaces; i++)
		if (x->ifaces[i].ifindex == ifindex)
			return x->ifaces[i].mtu;
	return ifindex == 1 ? 65536 : 1500;   /* ifindex 1 is lo, what the oracle runs on */
}

const struct jn_fib_route *jn_xdp_routes(const struct jn_xdp *x, size_t *n)
{
	*n = x->n_routes;
	return x->routes;
}

HELPER(fib_lookup)
{
	struct jn_xdp *x = X(run);
	struct bpf_fib_lookup *p;
	const struct jn_fib_route *best = NULL;
	const uint8_t *dst;

	if (a3 < sizeof(*p) || !(p = arg_mem(run, a2, sizeof(*p), true, "fib_lookup params")))
		return a3 < sizeof(*p) ? (uint64_t)-EINVAL : 0;
	if (p->family != AF_INET && p->family != AF_INET6)
		return (uint64_t)-EAFNOSUPPORT;
	dst = p->family == AF_INET ? (const uint8_t *)&p->ipv4_dst : (const uint8_t *)p->ipv6_dst;
	for (size_t i = 0; i < x->n_routes; i++) {
		const struct jn_fib_route *r = &x->routes[i];
		if (r->family == p->family && prefix_match(dst, r->dst, r->plen) &&
		    (!best || r->plen > best->plen))
			best = r;
	}
	if (!best)
		return BPF_FIB_LKUP_RET_NOT_FWDED;
	p->ifindex = best->ifindex;
	memcpy(p->smac, best->smac, 6);
	memcpy(p->dmac, best->dmac, 6);
	if (best->has_gw)
		memcpy(p->family == AF_INET ? (void *)&p->ipv4_dst : (void *)p->ipv6_dst, best->gw,
		       p->family == AF_INET ? 4 : 16);
	p->mtu_result = (uint16_t)jn_xdp_iface_mtu(x, best->ifindex);
	return BPF_FIB_LKUP_RET_SUCCESS;
}

HELPER(check_mtu)
{
	struct jn_xdp *x = X(run);
	uint32_t *mtu_len = arg_mem(run, a3, 4, true, "check_mtu mtu_len");
	uint32_t ifindex = a2 ? (uint32_t)a2 : x->ingress_ifindex;
	uint32_t mtu = jn_xdp_iface_mtu(x, ifindex);
	int64_t len;

	if (!mtu_len)
		return 0;
	if (a5)
		return (uint64_t)-EINVAL;
	len = *mtu_len ? (int64_t)*mtu_len + 14 : (int64_t)(run->data_end - run->data);
	len += (int32_t)a4;
	*mtu_len = mtu;
	return len > (int64_t)mtu + 14 ? BPF_MTU_CHK_RET_FRAG_NEEDED : BPF_MTU_CHK_RET_SUCCESS;
}
