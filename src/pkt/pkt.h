/* pkt.h - packets: capture input (pcap and pcapng through libpcap), pcap
 * output, one output capture per XDP verdict, and the traffic generator.
 *
 * Errors: every function that can fail returns a negative errno and writes a
 * one-line message ("pkt: f.pcap: packet 12 (offset 4096): truncated record")
 * into err (may be NULL).  Packet numbers in messages are the 0-based index,
 * the same number as struct jn_pkt.index.
 */
#ifndef JN_PKT_H
#define JN_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One packet.  data holds caplen bytes; len is the length on the wire.
 * A packet the capture cut short (caplen < len, "snaplen-truncated") is
 * still yielded: engines run it as its caplen bytes and count it. */
struct jn_pkt {
	const uint8_t *data;
	uint32_t caplen;   /* bytes present in data */
	uint32_t len;      /* original length on the wire; damaged captures may
			    * have len < caplen: kept as read, run caplen bytes */
	uint64_t ts_ns;    /* nanoseconds since the Unix epoch */
	uint64_t index;    /* 0-based position in its capture or stream */
};

static inline bool jn_pkt_snap_truncated(const struct jn_pkt *p)
{
	return p->caplen < p->len;
}

/* ---- reading -------------------------------------------------------------
 * Ethernet (DLT_EN10MB) captures only; any other link type is refused at
 * open with -EPROTONOSUPPORT.  pcap (us or ns, either byte order) and pcapng
 * are both accepted. */
struct jn_pkt_reader;   /* opaque; owned by the caller, freed by _close */

int jn_pkt_reader_open(const char *path, struct jn_pkt_reader **out, char *err, size_t errlen);
/* Read a capture held in memory.  buf must stay valid until _close; name is
 * used in messages (copied). */
int jn_pkt_reader_open_mem(const void *buf, size_t len, const char *name,
			   struct jn_pkt_reader **out, char *err, size_t errlen);
/* Next packet.  Returns 1 with *p filled (p->data owned by the reader, valid
 * until the next call or _close), 0 at the end of the capture, or a negative
 * errno: -EBADMSG for a truncated or corrupted record, reported only after
 * every good packet before it was returned.  After an error every further
 * call returns the same error. */
int jn_pkt_reader_next(struct jn_pkt_reader *r, struct jn_pkt *p, char *err, size_t errlen);
void jn_pkt_reader_close(struct jn_pkt_reader *r);
const char *jn_pkt_reader_name(const struct jn_pkt_reader *r);  /* path or name */
uint32_t jn_pkt_reader_snaplen(const struct jn_pkt_reader *r);

/* A whole capture in memory: for engines that need the packets more than
 * once (sweeps, Belady's policy, which must see the future). */
struct jn_pkt_set {
	struct jn_pkt *pkts;   /* n packets; data points into arena */
	uint64_t n;
	uint8_t *arena;        /* every packet's bytes */
	size_t arena_len;
};
/* Load every packet of path.  On success returns 0 and a set the caller
 * frees with jn_pkt_set_free.  On a bad record returns the reader's error
 * AND still sets *out to the packets before it (callers process them, then
 * fail); on any other error *out is NULL. */
int jn_pkt_load(const char *path, struct jn_pkt_set **out, char *err, size_t errlen);
void jn_pkt_set_free(struct jn_pkt_set *s);

/* ---- writing -------------------------------------------------------------
 * Classic pcap, Ethernet, snaplen 262144, nanosecond timestamps (magic
 * 0xa1b23c4d; read by libpcap >= 1.5, tcpdump, Wireshark), written through
 * libpcap's pcap_dump with a large stdio buffer.  "-" means stdout. */
struct jn_pkt_writer;   /* opaque; owned by the caller, freed by _close */

int jn_pkt_writer_open(const char *path, struct jn_pkt_writer **out, char *err, size_t errlen);
/* Writes p->caplen bytes from p->data, with p->len and p->ts_ns.  caplen
 * above 262144 is refused with -EINVAL.  Write errors surface at _close. */
int jn_pkt_writer_write(struct jn_pkt_writer *w, const struct jn_pkt *p, char *err, size_t errlen);
/* Flush and close; returns -EIO (with a message) if anything failed to be
 * written.  Always frees w. */
int jn_pkt_writer_close(struct jn_pkt_writer *w, char *err, size_t errlen);

/* ---- one output capture per verdict --------------------------------------
 * jn_pkt_verdicts_open creates dir (one level, if missing) and, at once,
 * all five files aborted.pcap, drop.pcap, pass.pcap, tx.pcap, redirect.pcap,
 * so each exists (possibly empty) after a run.  Actions are the XDP values
 * (XDP_ABORTED 0, DROP 1, PASS 2, TX 3, REDIRECT 4); any other value goes to
 * aborted.pcap, as a driver turns an unknown action into an exception. */
enum { JN_PKT_VERDICTS = 5 };
struct jn_pkt_verdicts;  /* opaque; owned by the caller, freed by _close */

int jn_pkt_verdicts_open(const char *dir, struct jn_pkt_verdicts **out, char *err, size_t errlen);
/* p holds the packet as the program left it. */
int jn_pkt_verdicts_write(struct jn_pkt_verdicts *v, uint32_t action, const struct jn_pkt *p,
			  char *err, size_t errlen);
uint64_t jn_pkt_verdicts_count(const struct jn_pkt_verdicts *v, uint32_t action);
int jn_pkt_verdicts_close(struct jn_pkt_verdicts *v, char *err, size_t errlen);
/* "aborted", "drop", "pass", "tx", "redirect"; "unknown" above 4. */
const char *jn_pkt_verdict_name(uint32_t action);

/* ---- traffic generator ---------------------------------------------------
 * Deterministic for a seed (xoshiro256** seeded by splitmix64).  Flows are
 * per-flow header templates; each packet picks a flow (by Zipf popularity,
 * round-robin, or a burst of brand-new flows), a frame size, fills lengths,
 * sequence numbers and checksums, and may be malformed on purpose.  See
 * docs/gen.md for the model and the profiles. */
enum jn_gen_l3 { JN_GEN_IPV4, JN_GEN_IPV6, JN_GEN_ARP, JN_GEN_L3_MAX };
enum jn_gen_l4 { JN_GEN_TCP, JN_GEN_UDP, JN_GEN_ICMP, JN_GEN_L4_MAX };
enum jn_gen_encap {             /* bits of jn_gen_info.encap */
	JN_GEN_VLAN = 1,        /* one 802.1Q tag */
	JN_GEN_QINQ = 2,        /* 802.1ad outer tag (0x88a8) + 802.1Q inner */
	JN_GEN_IPIP = 4,        /* outer IPv4, protocol 4 (inner IPv4) or 41 (inner IPv6) */
};
enum jn_gen_order {
	JN_GEN_ORDER_ZIPF,      /* each packet draws a flow by popularity */
	JN_GEN_ORDER_RR,        /* cycle over order_n flows of distinct kinds */
	JN_GEN_ORDER_NEWFLOWS,  /* Zipf, plus every order_every packets a burst of
				 * order_n packets from never-seen flows */
};
enum jn_gen_attack { JN_GEN_ATTACK_BOTH, JN_GEN_ATTACK_SYN, JN_GEN_ATTACK_UDP };

/* Deliberate malformations: X(ENUM, "name", what) */
#define JN_GEN_MALFORMS(X) \
	X(NONE,       "none",         "well-formed") \
	X(TRUNC_ETH,  "trunc-eth",    "frame shorter than the Ethernet header") \
	X(TRUNC_VLAN, "trunc-vlan",   "frame ends inside a VLAN tag") \
	X(TRUNC_L3,   "trunc-l3",     "frame ends inside the IP/ARP header") \
	X(TRUNC_L4,   "trunc-l4",     "frame ends inside the TCP/UDP/ICMP header (IP lengths agree)") \
	X(LEN_LONG,   "ip-len-long",  "IPv4 total / IPv6 payload length beyond the frame") \
	X(LEN_SHORT,  "ip-len-short", "IPv4 total / IPv6 payload length too small for the headers") \
	X(VERSION,    "ip-version",   "IP version nibble does not match the ethertype") \
	X(IHL,        "ipv4-ihl",     "IPv4 IHL below 5") \
	X(ETHERTYPE,  "ethertype",    "unknown ethertype") \
	X(IP_CSUM,    "ip-csum",      "bad IPv4 header checksum") \
	X(L4_CSUM,    "l4-csum",      "bad TCP/UDP/ICMP checksum")
enum jn_gen_malform {
#define X(e, n, d) JN_GEN_MAL_##e,
	JN_GEN_MALFORMS(X)
#undef X
	JN_GEN_MAL_MAX
};

enum {
	JN_GEN_MAX_SIZES = 16,
	JN_GEN_MAX_FLOWS = 1000000,
	JN_GEN_MIN_FRAME = 14,
	JN_GEN_MAX_FRAME = 9216,
};

/* Generator configuration: start from jn_pkt_gen_profile, then change knobs. */
struct jn_gen_cfg {
	char profile[24];
	uint64_t count;         /* packets to produce */
	uint64_t seed;
	uint32_t flows;         /* flow table size, 1..JN_GEN_MAX_FLOWS */
	double zipf;            /* popularity skew s: flow k has weight 1/(k+1)^s */
	double rate_pps;        /* mean packet rate; arrivals are a Poisson process */
	uint64_t start_ns;      /* timestamp of the first packet */
	/* frame sizes (capture length, no FCS): entry i is uniform in
	 * [size_lo[i], size_hi[i]] and chosen with weight size_w[i] */
	uint32_t nsizes;
	uint32_t size_lo[JN_GEN_MAX_SIZES], size_hi[JN_GEN_MAX_SIZES], size_w[JN_GEN_MAX_SIZES];
	uint32_t l3_w[JN_GEN_L3_MAX];   /* relative weights of the flows' L3 */
	uint32_t l4_w[JN_GEN_L4_MAX];   /* relative weights among IP flows */
	double vlan, qinq, ipip;        /* fractions of traffic with that encapsulation */
	double malformed;               /* fraction of packets malformed */
	double attack;                  /* fraction of packets that are flood packets */
	enum jn_gen_attack attack_kind;
	enum jn_gen_order order;
	uint32_t order_n;               /* RR: cycle length; NEWFLOWS: burst length */
	uint32_t order_every;           /* NEWFLOWS: one burst every this many packets */
};

/* Fill cfg with a named profile (every field).  Names: see
 * jn_pkt_gen_profile_names.  -EINVAL for an unknown name. */
int jn_pkt_gen_profile(struct jn_gen_cfg *cfg, const char *name, char *err, size_t errlen);
const char *jn_pkt_gen_profile_names(void);   /* "datacenter, internet, ..." */
/* "imix" | "64" | "range:64:1514" | "dist:64:7,576:4,1500:1" (entries SIZE:W
 * or LO-HI:W) */
int jn_pkt_gen_parse_sizes(struct jn_gen_cfg *cfg, const char *spec, char *err, size_t errlen);
/* "ipv4:60,ipv6:20,arp:1,tcp:80,udp:15,icmp:5,vlan:10,qinq:1,ipip:1": L3 and
 * L4 keys are weights (naming any key of a group zeroes the group's other
 * keys); vlan, qinq and ipip are percentages (only the named ones change). */
int jn_pkt_gen_parse_mix(struct jn_gen_cfg *cfg, const char *spec, char *err, size_t errlen);
/* "zipf" | "roundrobin:N" | "newflows:BURST[:EVERY]" */
int jn_pkt_gen_parse_order(struct jn_gen_cfg *cfg, const char *spec, char *err, size_t errlen);
/* "FRACTION[:syn|udp|both]" */
int jn_pkt_gen_parse_attack(struct jn_gen_cfg *cfg, const char *spec, char *err, size_t errlen);
const char *jn_pkt_gen_malform_name(unsigned m);

/* What the generator made, per packet. */
struct jn_gen_info {
	uint64_t flow;      /* flow table index (< cfg.flows); fresh flows of
			     * new-flow bursts and flood packets number on
			     * from cfg.flows, one id each */
	uint8_t l3, l4;     /* enum jn_gen_l3 / jn_gen_l4 (l4 of the inner packet) */
	uint8_t encap;      /* enum jn_gen_encap bits */
	uint8_t malform;    /* enum jn_gen_malform, JN_GEN_MAL_NONE if well-formed */
	bool attack;        /* a flood packet */
	bool fresh;         /* first and only packet of a never-seen flow */
};

struct jn_gen_stats {
	uint64_t packets, bytes, malformed, attack, fresh;
	uint64_t malform[JN_GEN_MAL_MAX];
	uint64_t l3[JN_GEN_L3_MAX], l4[JN_GEN_L4_MAX];  /* l4 counts IP packets only */
};

struct jn_gen;   /* opaque; owned by the caller, freed by jn_pkt_gen_free */

/* Validate cfg and build the flow table.  -EINVAL with a message naming the
 * bad knob. */
int jn_pkt_gen_new(const struct jn_gen_cfg *cfg, struct jn_gen **out, char *err, size_t errlen);
/* Next packet: returns 1 with *p (data owned by the generator, valid until the
 * next call) and *info (may be NULL) filled, 0 once cfg.count packets were
 * made. */
int jn_pkt_gen_next(struct jn_gen *g, struct jn_pkt *p, struct jn_gen_info *info);
const struct jn_gen_stats *jn_pkt_gen_stats(const struct jn_gen *g);
void jn_pkt_gen_free(struct jn_gen *g);

#endif
