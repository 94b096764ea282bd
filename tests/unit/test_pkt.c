/* test_pkt.c - capture reading (pcap, pcapng, memory), bad records, link
 * types, snaplen-truncated packets, the writer and the verdict set. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"
#include "pkt/pkt.h"

#define PCAPS "../shared/data/pcaps/"

static char tmpdir[64];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/jn_test_pkt_XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	return nftw(tmpdir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static const char *tmp_path(const char *name)
{
	static char buf[4][128];
	static int i;
	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmpdir, name);
	return buf[i];
}

static void write_bytes(const char *path, const uint8_t *b, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static uint8_t *read_capture(const char *path, size_t *len)
{
	uint8_t *b;
	assert_int_equal(jn_read_file(path, &b, len), 0);
	return b;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Offset of record i of a little-endian classic pcap held in memory. */
static size_t record_offset(const uint8_t *b, size_t len, uint64_t i)
{
	size_t off = 24;
	while (i--) {
		assert_true(off + 16 <= len);
		off += 16 + le32(b + off + 8);
	}
	return off;
}

/* ---- every shared capture: counts from ../shared/data/pcaps/README.md ---- */
static const struct {
	const char *file;
	uint64_t packets, snap_truncated;
	uint32_t len_min, len_max;
	uint64_t cap_over_len;   /* damaged records: caplen > len (kept as read) */
} shared[] = {
	{ "gopacket_test_dns.pcap", 10, 0, 67, 89, 0 },
	{ "gopacket_test_ethernet.pcap", 10, 0, 66, 421, 0 },
	{ "ndpi_4in4tunnel.pcap", 5, 0, 170, 170, 0 },
	{ "ndpi_alexa-app.pcap", 3103, 0, 20, 1514, 0 },
	{ "ndpi_dns_fragmented.pcap", 66, 0, 52, 1818, 0 },
	{ "ndpi_fuzz-2006-06-26-2594.pcap", 691, 0, 42, 1118, 0 },
	{ "ndpi_gnutella.pcap", 3905, 1, 42, 1514, 0 },
	{ "ndpi_zoom.pcap", 781, 0, 54, 1506, 0 },
	{ "tcpdump_802.1ad_QinQ.pcap", 2, 0, 64, 64, 0 },
	{ "tcpdump_geneve.pcap", 39, 0, 116, 1108, 0 },
	{ "tcpdump_icmpv6.pcap", 5, 0, 90, 230, 0 },
	{ "tcpdump_ipv6-routing-header.pcap", 4, 0, 86, 102, 0 },
	{ "tcpdump_tests_ether_concat.pcap", 8510, 472, 0, 262144, 3 },
	{ "tcpdump_vxlan.pcap", 10, 0, 92, 148, 0 },
	{ "tcpreplay_test.pcap", 179, 0, 42, 1514, 0 },
};

static void test_reader_counts_every_shared_capture(void **state)
{
	char err[256], path[256];

	for (size_t i = 0; i < JN_ARRAY_SIZE(shared); i++) {
		struct jn_pkt_reader *r;
		struct jn_pkt p;
		uint64_t n = 0, trunc = 0, over = 0;
		uint32_t lmin = UINT32_MAX, lmax = 0;
		int rc;

		snprintf(path, sizeof(path), PCAPS "%s", shared[i].file);
		assert_int_equal(jn_pkt_reader_open(path, &r, err, sizeof(err)), 0);
		while ((rc = jn_pkt_reader_next(r, &p, err, sizeof(err))) == 1) {
			assert_int_equal(p.index, n);
			over += p.caplen > p.len;
			n++;
			trunc += jn_pkt_snap_truncated(&p);
			lmin = p.len < lmin ? p.len : lmin;
			lmax = p.len > lmax ? p.len : lmax;
		}
		assert_int_equal(rc, 0);
		assert_int_equal(n, shared[i].packets);
		assert_int_equal(trunc, shared[i].snap_truncated);
		assert_int_equal(over, shared[i].cap_over_len);
		assert_int_equal(lmin, shared[i].len_min);
		assert_int_equal(lmax, shared[i].len_max);
		jn_pkt_reader_close(r);
	}
}

static void test_reader_timestamp_is_ns_from_record_header(void **state)
{
	size_t len;
	uint8_t *b = read_capture(PCAPS "gopacket_test_dns.pcap", &len);
	struct jn_pkt_reader *r;
	struct jn_pkt p;
	char err[256];

	assert_int_equal(jn_pkt_reader_open_mem(b, len, "dns", &r, err, sizeof(err)), 0);
	assert_int_equal(jn_pkt_reader_next(r, &p, err, sizeof(err)), 1);
	/* microsecond pcap: ts = sec * 1e9 + usec * 1000 */
	assert_int_equal(p.ts_ns, (uint64_t)le32(b + 24) * 1000000000u + (uint64_t)le32(b + 28) * 1000u);
	assert_int_equal(p.caplen, le32(b + 32));
	assert_memory_equal(p.data, b + 40, p.caplen);
	jn_pkt_reader_close(r);
	free(b);
}

/* Read a capture cut short: exactly `good` packets, then the error. */
static void expect_cut(struct jn_pkt_reader *r, uint64_t good, const char *must1, const char *must2)
{
	struct jn_pkt p;
	char err[256];
	uint64_t n = 0;
	int rc;

	while ((rc = jn_pkt_reader_next(r, &p, err, sizeof(err))) == 1)
		n++;
	assert_int_equal(n, good);
	assert_int_equal(rc, -EBADMSG);
	assert_non_null(strstr(err, must1));
	assert_non_null(strstr(err, must2));
	/* the error sticks */
	err[0] = 0;
	assert_int_equal(jn_pkt_reader_next(r, &p, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, must1));
	jn_pkt_reader_close(r);
}

static void test_reader_truncated_record_after_every_good_packet(void **state)
{
	size_t len, off;
	uint8_t *b = read_capture(PCAPS "tcpreplay_test.pcap", &len);
	struct jn_pkt_reader *r;
	char err[256], want[64];

	off = record_offset(b, len, 100);
	snprintf(want, sizeof(want), "packet 100 (offset %zu)", off);

	/* cut inside record 100's data, through a file */
	write_bytes(tmp_path("cut.pcap"), b, off + 16 + le32(b + off + 8) / 2);
	assert_int_equal(jn_pkt_reader_open(tmp_path("cut.pcap"), &r, err, sizeof(err)), 0);
	expect_cut(r, 100, want, "truncated record");

	/* cut inside record 100's header, from memory */
	assert_int_equal(jn_pkt_reader_open_mem(b, off + 5, "cut", &r, err, sizeof(err)), 0);
	expect_cut(r, 100, want, "pkt: cut: ");

	/* cut exactly at a record boundary: a clean end */
	{
		struct jn_pkt p;
		uint64_t n = 0;
		int rc;
		assert_int_equal(jn_pkt_reader_open_mem(b, off, "cut", &r, err, sizeof(err)), 0);
		while ((rc = jn_pkt_reader_next(r, &p, err, sizeof(err))) == 1)
			n++;
		assert_int_equal(rc, 0);
		assert_int_equal(n, 100);
		jn_pkt_reader_close(r);
	}
	free(b);
}

static void test_reader_corrupted_caplen_is_an_error(void **state)
{
	size_t len, off;
	uint8_t *b = read_capture(PCAPS "tcpreplay_test.pcap", &len);
	struct jn_pkt_reader *r;
	char err[256], want[64];

	off = record_offset(b, len, 3);
	b[off + 8] = b[off + 9] = b[off + 10] = 0xff;   /* caplen 16 MB */
	b[off + 11] = 0x00;
	snprintf(want, sizeof(want), "packet 3 (offset %zu)", off);
	assert_int_equal(jn_pkt_reader_open_mem(b, len, "bad.pcap", &r, err, sizeof(err)), 0);
	expect_cut(r, 3, want, "corrupted record");
	free(b);
}

static void test_reader_refuses_non_ethernet_link_type(void **state)
{
	const char *path = tmp_path("raw.pcap");
	pcap_t *dead = pcap_open_dead(DLT_RAW, 65535);
	pcap_dumper_t *d = pcap_dump_open(dead, path);
	struct pcap_pkthdr h = { .caplen = 20, .len = 20 };
	uint8_t ip[20] = { 0x45 };
	struct jn_pkt_reader *r = (void *)1;
	char err[256];

	assert_non_null(d);
	pcap_dump((u_char *)d, &h, ip);
	pcap_dump_close(d);
	pcap_close(dead);
	assert_int_equal(jn_pkt_reader_open(path, &r, err, sizeof(err)), -EPROTONOSUPPORT);
	assert_null(r);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "link type RAW"));
	assert_null(strchr(err, '\n'));
}

static void test_reader_open_errors_name_the_file(void **state)
{
	static const uint8_t junk[40] = "this is not a capture file at all......";
	struct jn_pkt_reader *r;
	char err[256];

	assert_int_equal(jn_pkt_reader_open("/nonexistent/x.pcap", &r, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "pkt: /nonexistent/x.pcap: No such file or directory");
	assert_int_equal(jn_pkt_reader_open_mem(junk, sizeof(junk), "junk", &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "pkt: junk: not a pcap or pcapng capture"));
	assert_int_equal(jn_pkt_reader_open_mem(junk, 0, "empty", &r, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "pkt: empty: empty capture");
}

/* ---- pcapng, written by hand ---- */
struct buf {
	uint8_t b[1024];
	size_t n;
};

static void put32(struct buf *b, uint32_t v)
{
	memcpy(b->b + b->n, &v, 4);   /* host order: little-endian section */
	b->n += 4;
}

static void put_epb(struct buf *b, uint64_t ts, const uint8_t *d, uint32_t caplen, uint32_t len)
{
	uint32_t pad = (caplen + 3) & ~3u, total = 32 + pad;
	put32(b, 6);
	put32(b, total);
	put32(b, 0);
	put32(b, (uint32_t)(ts >> 32));
	put32(b, (uint32_t)ts);
	put32(b, caplen);
	put32(b, len);
	memset(b->b + b->n, 0, pad);
	memcpy(b->b + b->n, d, caplen);
	b->n += pad;
	put32(b, total);
}

static void make_pcapng(struct buf *b, const uint8_t *pkt)
{
	b->n = 0;
	put32(b, 0x0a0d0d0a);   /* section header */
	put32(b, 28);
	put32(b, 0x1a2b3c4d);
	put32(b, 1);            /* version 1.0 */
	put32(b, 0xffffffff);   /* section length unknown */
	put32(b, 0xffffffff);
	put32(b, 28);
	put32(b, 1);            /* interface: Ethernet, if_tsresol 9 (ns) */
	put32(b, 32);
	put32(b, 1);
	put32(b, 0);
	put32(b, 9 | 1 << 16);
	put32(b, 9);
	put32(b, 0);
	put32(b, 32);
	put_epb(b, 1700000000123456789ull, pkt, 60, 60);
	put_epb(b, 1700000000123456999ull, pkt, 61, 61);
	put_epb(b, 1700000001000000000ull, pkt, 30, 1514);
}

static void test_reader_pcapng_packets_and_ns_timestamps(void **state)
{
	struct buf b;
	uint8_t pkt[64];
	struct jn_pkt_reader *r;
	struct jn_pkt p;
	char err[256];

	for (int i = 0; i < 64; i++)
		pkt[i] = (uint8_t)(i * 7 + 1);
	make_pcapng(&b, pkt);
	write_bytes(tmp_path("a.pcapng"), b.b, b.n);
	assert_int_equal(jn_pkt_reader_open(tmp_path("a.pcapng"), &r, err, sizeof(err)), 0);
	assert_int_equal(jn_pkt_reader_next(r, &p, err, sizeof(err)), 1);
	assert_int_equal(p.ts_ns, 1700000000123456789ull);
	assert_int_equal(p.caplen, 60);
	assert_memory_equal(p.data, pkt, 60);
	assert_int_equal(jn_pkt_reader_next(r, &p, err, sizeof(err)), 1);
	assert_int_equal(p.caplen, 61);
	assert_int_equal(p.ts_ns, 1700000000123456999ull);
	assert_int_equal(jn_pkt_reader_next(r, &p, err, sizeof(err)), 1);
	assert_int_equal(p.index, 2);
	assert_int_equal(p.caplen, 30);
	assert_int_equal(p.len, 1514);
	assert_true(jn_pkt_snap_truncated(&p));
	assert_int_equal(jn_pkt_reader_next(r, &p, err, sizeof(err)), 0);
	jn_pkt_reader_close(r);

	/* cut inside the second packet block: one packet, then the error */
	assert_int_equal(jn_pkt_reader_open_mem(b.b, 28 + 32 + 92 + 40, "cut.pcapng", &r, err,
						sizeof(err)), 0);
	expect_cut(r, 1, "pkt: cut.pcapng: packet 1: truncated record", "libpcap");
}

/* ---- writing ---- */
static void test_writer_round_trip_keeps_bytes_lengths_and_ns(void **state)
{
	const char *path = tmp_path("rt.pcap");
	struct jn_pkt_writer *w;
	struct jn_pkt_reader *r;
	struct jn_pkt p;
	uint8_t data[2048];
	char err[256];
	const uint32_t caps[] = { 0, 1, 14, 60, 1514, 2000, 60 };
	const uint32_t lens[] = { 0, 1, 14, 60, 1514, 2000, 9000 };

	for (int i = 0; i < 2048; i++)
		data[i] = (uint8_t)(i ^ (i >> 8));
	assert_int_equal(jn_pkt_writer_open(path, &w, err, sizeof(err)), 0);
	for (unsigned i = 0; i < JN_ARRAY_SIZE(caps); i++) {
		p = (struct jn_pkt){ data + i, caps[i], lens[i], 1700000000000000000ull + i * 1001, i };
		assert_int_equal(jn_pkt_writer_write(w, &p, err, sizeof(err)), 0);
	}
	assert_int_equal(jn_pkt_writer_close(w, err, sizeof(err)), 0);

	assert_int_equal(jn_pkt_reader_open(path, &r, err, sizeof(err)), 0);
	assert_int_equal(jn_pkt_reader_snaplen(r), 262144);
	for (unsigned i = 0; i < JN_ARRAY_SIZE(caps); i++) {
		assert_int_equal(jn_pkt_reader_next(r, &p, err, sizeof(err)), 1);
		assert_int_equal(p.caplen, caps[i]);
		assert_int_equal(p.len, lens[i]);
		assert_int_equal(p.ts_ns, 1700000000000000000ull + i * 1001);
		assert_memory_equal(p.data, data + i, caps[i]);
		assert_int_equal(jn_pkt_snap_truncated(&p), caps[i] < lens[i]);
	}
	assert_int_equal(jn_pkt_reader_next(r, &p, err, sizeof(err)), 0);
	jn_pkt_reader_close(r);
}

static void test_writer_refuses_caplen_above_snaplen(void **state)
{
	static uint8_t big[262145];
	struct jn_pkt_writer *w;
	struct jn_pkt p = { big, sizeof(big), sizeof(big), 0, 7 };
	char err[256];

	assert_int_equal(jn_pkt_writer_open(tmp_path("big.pcap"), &w, err, sizeof(err)), 0);
	assert_int_equal(jn_pkt_writer_write(w, &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "packet 7"));
	assert_int_equal(jn_pkt_writer_close(w, err, sizeof(err)), 0);
	assert_int_equal(jn_pkt_writer_open("/nonexistent/dir/x.pcap", &w, err, sizeof(err)), -ENOENT);
}

static uint64_t count_packets(const char *path)
{
	struct jn_pkt_reader *r;
	struct jn_pkt p;
	char err[256];
	uint64_t n = 0;

	assert_int_equal(jn_pkt_reader_open(path, &r, err, sizeof(err)), 0);
	while (jn_pkt_reader_next(r, &p, err, sizeof(err)) == 1)
		n++;
	jn_pkt_reader_close(r);
	return n;
}

static void test_verdicts_one_file_per_action_unknown_to_aborted(void **state)
{
	const char *dir = tmp_path("out");
	static const char *const names[] = { "aborted", "drop", "pass", "tx", "redirect" };
	const uint32_t actions[] = { 2, 2, 2, 1, 3, 4, 4, 0, 9, 2 };
	const uint64_t want[] = { 2, 1, 4, 1, 2 };
	struct jn_pkt_verdicts *v;
	uint8_t d[64] = { 0 };
	char err[256], path[256];

	assert_int_equal(jn_pkt_verdicts_open(dir, &v, err, sizeof(err)), 0);
	for (unsigned i = 0; i < JN_ARRAY_SIZE(actions); i++) {
		struct jn_pkt p = { d, 60, 60, i, i };
		assert_int_equal(jn_pkt_verdicts_write(v, actions[i], &p, err, sizeof(err)), 0);
	}
	for (uint32_t a = 0; a < 5; a++)
		assert_int_equal(jn_pkt_verdicts_count(v, a), want[a]);
	assert_int_equal(jn_pkt_verdicts_close(v, err, sizeof(err)), 0);
	for (uint32_t a = 0; a < 5; a++) {
		assert_string_equal(jn_pkt_verdict_name(a), names[a]);
		snprintf(path, sizeof(path), "%s/%s.pcap", dir, names[a]);
		assert_int_equal(count_packets(path), want[a]);
	}
	assert_string_equal(jn_pkt_verdict_name(5), "unknown");

	/* every file exists even when nothing was written; reopening truncates */
	assert_int_equal(jn_pkt_verdicts_open(dir, &v, err, sizeof(err)), 0);
	assert_int_equal(jn_pkt_verdicts_close(v, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/tx.pcap", dir);
	assert_int_equal(count_packets(path), 0);
	/* a plain file where the directory should be */
	write_bytes(tmp_path("notadir"), d, 4);
	assert_int_equal(jn_pkt_verdicts_open(tmp_path("notadir"), &v, err, sizeof(err)), -ENOTDIR);
}

static void test_load_keeps_packets_before_a_bad_record(void **state)
{
	size_t len, off;
	uint8_t *b = read_capture(PCAPS "tcpreplay_test.pcap", &len);
	struct jn_pkt_reader *r;
	struct jn_pkt_set *s;
	struct jn_pkt p;
	char err[256];

	assert_int_equal(jn_pkt_load(PCAPS "tcpreplay_test.pcap", &s, err, sizeof(err)), 0);
	assert_int_equal(s->n, 179);
	assert_int_equal(jn_pkt_reader_open(PCAPS "tcpreplay_test.pcap", &r, err, sizeof(err)), 0);
	for (uint64_t i = 0; i < s->n; i++) {
		assert_int_equal(jn_pkt_reader_next(r, &p, err, sizeof(err)), 1);
		assert_int_equal(s->pkts[i].caplen, p.caplen);
		assert_int_equal(s->pkts[i].ts_ns, p.ts_ns);
		assert_int_equal(s->pkts[i].index, i);
		assert_memory_equal(s->pkts[i].data, p.data, p.caplen);
	}
	jn_pkt_reader_close(r);
	jn_pkt_set_free(s);

	off = record_offset(b, len, 42);
	write_bytes(tmp_path("cut42.pcap"), b, off + 20);
	assert_int_equal(jn_pkt_load(tmp_path("cut42.pcap"), &s, err, sizeof(err)), -EBADMSG);
	assert_non_null(s);
	assert_int_equal(s->n, 42);
	assert_non_null(strstr(err, "packet 42"));
	assert_memory_equal(s->pkts[41].data, b + record_offset(b, len, 41) + 16, s->pkts[41].caplen);
	jn_pkt_set_free(s);
	assert_int_equal(jn_pkt_load("/nonexistent.pcap", &s, err, sizeof(err)), -ENOENT);
	assert_null(s);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reader_counts_every_shared_capture),
		cmocka_unit_test(test_reader_timestamp_is_ns_from_record_header),
		cmocka_unit_test(test_reader_truncated_record_after_every_good_packet),
		cmocka_unit_test(test_reader_corrupted_caplen_is_an_error),
		cmocka_unit_test(test_reader_refuses_non_ethernet_link_type),
		cmocka_unit_test(test_reader_open_errors_name_the_file),
		cmocka_unit_test(test_reader_pcapng_packets_and_ns_timestamps),
		cmocka_unit_test(test_writer_round_trip_keeps_bytes_lengths_and_ns),
		cmocka_unit_test(test_writer_refuses_caplen_above_snaplen),
		cmocka_unit_test(test_verdicts_one_file_per_action_unknown_to_aborted),
		cmocka_unit_test(test_load_keeps_packets_before_a_bad_record),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
