/* pcap.c - capture input and output through libpcap.
 *
 * Reading: pcap_fopen_offline on our own FILE (a file, or fmemopen over a
 * buffer), nanosecond precision, one pcap_next_ex per packet: no per-packet
 * allocation.  The file offset of each record is taken before it is read so
 * a bad record can be located.  Writing: pcap_dump into a FILE with a 1 MiB
 * buffer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "pkt/pkt.h"

enum {
	READ_BUF = 1 << 20,
	WRITE_BUF = 1 << 20,
	WRITE_SNAPLEN = 262144,
};

struct jn_pkt_reader {
	pcap_t *pcap;
	FILE *f;            /* owned by pcap once pcap_fopen_offline succeeded */
	char *iobuf;        /* stdio buffer of f; freed after f is closed */
	char *name;
	uint64_t index;     /* next packet's index */
	uint64_t off;       /* file offset of the next record (classic pcap) */
	unsigned rec_hdr;   /* record header size; 0: offsets unknown (pcapng) */
	int err;            /* sticky error, 0 if none */
	char errmsg[320];
};

static void reader_free(struct jn_pkt_reader *r)
{
	if (!r)
		return;
	if (r->pcap)
		pcap_close(r->pcap);
	else if (r->f)
		fclose(r->f);
	free(r->iobuf);
	free(r->name);
	free(r);
}

/* Classic pcap: record header size from the magic (0 for pcapng or unknown),
 * so record offsets can be tracked without an lseek per packet. */
static unsigned rec_hdr_size(const uint8_t m[4])
{
	uint32_t le = (uint32_t)m[0] | (uint32_t)m[1] << 8 | (uint32_t)m[2] << 16 | (uint32_t)m[3] << 24;
	uint32_t be = __builtin_bswap32(le);

	for (int i = 0; i < 2; i++) {
		uint32_t v = i ? be : le;
		if (v == 0xa1b2c3d4 || v == 0xa1b23c4d)
			return 16;
		if (v == 0xa1b2cd34)    /* "modified" pcap (Kuznetzov), 24-byte headers */
			return 24;
	}
	return 0;
}

/* Wrap an open FILE: check the header and the link type. */
static int reader_start(struct jn_pkt_reader *r, const uint8_t magic[4], char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	int dlt;

	r->rec_hdr = rec_hdr_size(magic);
	r->off = 24;

	r->pcap = pcap_fopen_offline_with_tstamp_precision(r->f, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (!r->pcap)
		return jn_errf(err, errlen, EINVAL, "pkt: %s: not a pcap or pcapng capture (%s)",
			       r->name, ebuf[0] ? ebuf : "unknown format");
	dlt = pcap_datalink(r->pcap);
	if (dlt != DLT_EN10MB) {
		const char *n = pcap_datalink_val_to_name(dlt);
		return jn_errf(err, errlen, EPROTONOSUPPORT,
			       "pkt: %s: link type %s (%d) is not supported (Ethernet only)",
			       r->name, n ? n : "unknown", dlt);
	}
	return 0;
}

static struct jn_pkt_reader *reader_alloc(const char *name, char *err, size_t errlen)
{
	struct jn_pkt_reader *r = calloc(1, sizeof(*r));

	if (!r || !(r->name = strdup(name))) {
		free(r);
		jn_errf(err, errlen, ENOMEM, "pkt: %s: out of memory", name);
		return NULL;
	}
	return r;
}

int jn_pkt_reader_open(const char *path, struct jn_pkt_reader **out, char *err, size_t errlen)
{
	struct jn_pkt_reader *r;
	uint8_t magic[4];
	int rc;

	*out = NULL;
	r = reader_alloc(path, err, errlen);
	if (!r)
		return -ENOMEM;
	r->f = fopen(path, "rb");
	if (!r->f) {
		rc = jn_errf(err, errlen, errno, "pkt: %s: %s", path, strerror(errno));
		reader_free(r);
		return rc;
	}
	r->iobuf = malloc(READ_BUF);
	if (r->iobuf)
		setvbuf(r->f, r->iobuf, _IOFBF, READ_BUF);
	__fsetlocking(r->f, FSETLOCKING_BYCALLER);   /* one thread reads: no stdio locks */
	if (fread(magic, 1, sizeof(magic), r->f) != sizeof(magic))
		memset(magic, 0, sizeof(magic));
	rewind(r->f);
	rc = reader_start(r, magic, err, errlen);
	if (rc) {
		reader_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

int jn_pkt_reader_open_mem(const void *buf, size_t len, const char *name,
			   struct jn_pkt_reader **out, char *err, size_t errlen)
{
	struct jn_pkt_reader *r;
	uint8_t magic[4];
	int rc;

	*out = NULL;
	if (!name)
		name = "<memory>";
	if (len == 0)
		return jn_errf(err, errlen, EINVAL, "pkt: %s: empty capture", name);
	r = reader_alloc(name, err, errlen);
	if (!r)
		return -ENOMEM;
	r->f = fmemopen((void *)buf, len, "rb");
	if (!r->f) {
		rc = jn_errf(err, errlen, errno, "pkt: %s: fmemopen: %s", name, strerror(errno));
		reader_free(r);
		return rc;
	}
	memset(magic, 0, sizeof(magic));
	memcpy(magic, buf, len < sizeof(magic) ? len : sizeof(magic));
	rc = reader_start(r, magic, err, errlen);
	if (rc) {
		reader_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

static uint64_t ts_to_ns(const struct timeval *tv)
{
	uint64_t ns;

	/* opened with nanosecond precision: tv_usec holds nanoseconds */
	if (tv->tv_sec < 0 || __builtin_mul_overflow((uint64_t)tv->tv_sec, 1000000000ull, &ns) ||
	    __builtin_add_overflow(ns, (uint64_t)tv->tv_usec, &ns))
		return UINT64_MAX;
	return ns;
}

int jn_pkt_reader_next(struct jn_pkt_reader *r, struct jn_pkt *p, char *err, size_t errlen)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;

	if (r->err)
		return jn_errf(err, errlen, -r->err, "%s", r->errmsg);
	rc = pcap_next_ex(r->pcap, &h, &data);
	if (rc == 1) {
		p->data = data;
		p->caplen = h->caplen;
		p->len = h->len;
		p->ts_ns = ts_to_ns(&h->ts);
		p->index = r->index++;
		if (h->caplen < (uint32_t)pcap_snapshot(r->pcap)) {
			r->off += r->rec_hdr + h->caplen;
		} else {
			/* libpcap cuts records longer than the snaplen and
			 * skips the rest: ask the file where we are (rare) */
			long pos = ftell(pcap_file(r->pcap));
			r->off = pos >= 0 ? (uint64_t)pos : 0;
		}
		return 1;
	}
	if (rc == PCAP_ERROR_BREAK)
		return 0;
	{
		const char *msg = pcap_geterr(r->pcap);
		bool trunc = strstr(msg, "truncated") != NULL;
		char where[48] = "";

		if (r->rec_hdr && r->off)
			snprintf(where, sizeof(where), " (offset %llu)", (unsigned long long)r->off);
		snprintf(r->errmsg, sizeof(r->errmsg), "pkt: %s: packet %llu%s: %s record (libpcap: %s)",
			 r->name, (unsigned long long)r->index, where,
			 trunc ? "truncated" : "corrupted", msg);
	}
	r->err = -EBADMSG;
	return jn_errf(err, errlen, EBADMSG, "%s", r->errmsg);
}

void jn_pkt_reader_close(struct jn_pkt_reader *r)
{
	reader_free(r);
}

const char *jn_pkt_reader_name(const struct jn_pkt_reader *r)
{
	return r->name;
}

uint32_t jn_pkt_reader_snaplen(const struct jn_pkt_reader *r)
{
	int s = pcap_snapshot(r->pcap);
	return s > 0 ? (uint32_t)s : 0;
}

/* ---- whole capture in memory ---- */

static int grow(void **buf, size_t *cap, size_t need, size_t elem)
{
	size_t ncap = *cap ? *cap : 64, bytes;
	void *nb;

	while (ncap < need)
		if (jn_size_mul(ncap, 2, &ncap))
			return -EOVERFLOW;
	if (ncap == *cap)
		return 0;
	if (jn_size_mul(ncap, elem, &bytes))
		return -EOVERFLOW;
	nb = realloc(*buf, bytes);
	if (!nb)
		return -ENOMEM;
	*buf = nb;
	*cap = ncap;
	return 0;
}

/* Append p to s; data offsets are kept in pkts[i].data until the end. */
static int set_append(struct jn_pkt_set *s, size_t *pcap_n, size_t *acap, const struct jn_pkt *p)
{
	size_t need;
	int rc;

	if (jn_size_add(s->arena_len, p->caplen, &need))
		return -EOVERFLOW;
	rc = grow((void **)&s->pkts, pcap_n, s->n + 1, sizeof(*s->pkts));
	if (!rc && need)
		rc = grow((void **)&s->arena, acap, need, 1);
	if (rc)
		return rc;
	s->pkts[s->n] = *p;
	s->pkts[s->n].data = (const uint8_t *)(uintptr_t)s->arena_len;
	if (p->caplen)
		memcpy(s->arena + s->arena_len, p->data, p->caplen);
	s->arena_len = need;
	s->n++;
	return 0;
}

int jn_pkt_load(const char *path, struct jn_pkt_set **out, char *err, size_t errlen)
{
	struct jn_pkt_reader *r;
	struct jn_pkt_set *s;
	struct jn_pkt p;
	size_t pcap_n = 0, acap = 0;
	int rc;

	*out = NULL;
	rc = jn_pkt_reader_open(path, &r, err, errlen);
	if (rc)
		return rc;
	s = calloc(1, sizeof(*s));
	if (!s) {
		jn_pkt_reader_close(r);
		return jn_errf(err, errlen, ENOMEM, "pkt: %s: out of memory", path);
	}
	while ((rc = jn_pkt_reader_next(r, &p, err, errlen)) == 1) {
		rc = set_append(s, &pcap_n, &acap, &p);
		if (rc) {
			rc = jn_errf(err, errlen, -rc, "pkt: %s: packet %llu: %s", path,
				     (unsigned long long)p.index, strerror(-rc));
			break;
		}
	}
	jn_pkt_reader_close(r);
	for (uint64_t i = 0; i < s->n; i++) {
		uintptr_t off = (uintptr_t)s->pkts[i].data;
		s->pkts[i].data = s->arena ? s->arena + off : (const uint8_t *)"";
	}
	if (rc < 0 && rc != -EBADMSG) {
		jn_pkt_set_free(s);
		return rc;
	}
	*out = s;
	return rc;
}

void jn_pkt_set_free(struct jn_pkt_set *s)
{
	if (!s)
		return;
	free(s->pkts);
	free(s->arena);
	free(s);
}

/* ---- writing ---- */

struct jn_pkt_writer {
	pcap_t *dead;
	pcap_dumper_t *dump;
	FILE *f;            /* owned by dump once pcap_dump_fopen succeeded */
	char *iobuf;
	char *name;
};

static void writer_free(struct jn_pkt_writer *w)
{
	if (w->dump)
		pcap_dump_close(w->dump);
	else if (w->f)
		fclose(w->f);
	if (w->dead)
		pcap_close(w->dead);
	free(w->iobuf);
	free(w->name);
	free(w);
}

int jn_pkt_writer_open(const char *path, struct jn_pkt_writer **out, char *err, size_t errlen)
{
	struct jn_pkt_writer *w = calloc(1, sizeof(*w));
	int rc;

	*out = NULL;
	if (!w || !(w->name = strdup(path))) {
		free(w);
		return jn_errf(err, errlen, ENOMEM, "pkt: %s: out of memory", path);
	}
	if (!strcmp(path, "-")) {
		int fd = dup(STDOUT_FILENO);   /* pcap_dump_close closes it, not stdout */
		w->f = fd >= 0 ? fdopen(fd, "wb") : NULL;
		if (!w->f && fd >= 0)
			close(fd);
	} else {
		w->f = fopen(path, "wb");
	}
	if (!w->f) {
		rc = jn_errf(err, errlen, errno, "pkt: %s: %s", path, strerror(errno));
		writer_free(w);
		return rc;
	}
	w->iobuf = malloc(WRITE_BUF);
	if (w->iobuf)
		setvbuf(w->f, w->iobuf, _IOFBF, WRITE_BUF);
	w->dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, WRITE_SNAPLEN,
						       PCAP_TSTAMP_PRECISION_NANO);
	if (w->dead)
		w->dump = pcap_dump_fopen(w->dead, w->f);
	if (!w->dump) {
		rc = jn_errf(err, errlen, EIO, "pkt: %s: cannot start a pcap file: %s", path,
			     w->dead ? pcap_geterr(w->dead) : "out of memory");
		writer_free(w);
		return rc;
	}
	*out = w;
	return 0;
}

int jn_pkt_writer_write(struct jn_pkt_writer *w, const struct jn_pkt *p, char *err, size_t errlen)
{
	struct pcap_pkthdr h;

	if (p->caplen > WRITE_SNAPLEN)
		return jn_errf(err, errlen, EINVAL, "pkt: %s: packet %llu: %u bytes exceed the snaplen %u",
			       w->name, (unsigned long long)p->index, p->caplen, WRITE_SNAPLEN);
	h.ts.tv_sec = (time_t)(p->ts_ns / 1000000000u);
	h.ts.tv_usec = (suseconds_t)(p->ts_ns % 1000000000u);
	h.caplen = p->caplen;
	h.len = p->len;
	pcap_dump((u_char *)w->dump, &h, p->data);
	return 0;
}

int jn_pkt_writer_close(struct jn_pkt_writer *w, char *err, size_t errlen)
{
	int rc = 0;

	if (!w)
		return 0;
	errno = 0;
	if (pcap_dump_flush(w->dump) || ferror(w->f))
		rc = jn_errf(err, errlen, EIO, "pkt: %s: write failed: %s", w->name,
			     strerror(errno ? errno : EIO));
	writer_free(w);
	return rc;
}
