/* gen_cfg.c - generator profiles and the parsers of --sizes, --mix,
 * --order and --attack. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "pkt/pkt.h"

#define BAD(...) jn_errf(err, errlen, EINVAL, "pkt: gen: " __VA_ARGS__)

/* Profiles, in the syntax of the command-line options (docs/gen.md). */
#define INTERNET_MIX "ipv4:70,ipv6:28,arp:2,tcp:60,udp:35,icmp:5"
static const struct profile {
	const char *name;
	uint32_t flows;
	double zipf, malformed;
	const char *sizes, *mix, *order, *attack;
} profiles[] = {
	{ "internet", 10000, 1.0, 0.005, "imix", INTERNET_MIX ",vlan:5,qinq:1,ipip:1", "zipf", "0" },
	{ "datacenter", 1000, 1.3, 0, "dist:64:5,576:1,1514:4",
	  "ipv4:95,ipv6:5,tcp:90,udp:10,vlan:10,qinq:0,ipip:5", "zipf", "0" },
	{ "attack", 1000, 1.0, 0, "64", "ipv4:90,ipv6:10,tcp:80,udp:15,icmp:5,vlan:0,qinq:0,ipip:0",
	  "zipf", "0.8:both" },
	{ "malformed", 1000, 1.0, 0.5, "imix", INTERNET_MIX ",vlan:20,qinq:10,ipip:10", "zipf", "0" },
	{ "adversarial", 64, 0, 0.1, "imix",
	  "ipv4:45,ipv6:45,arp:10,tcp:40,udp:40,icmp:20,vlan:30,qinq:20,ipip:20", "roundrobin:64", "0" },
	{ "churn", 10000, 1.0, 0.005, "imix", INTERNET_MIX ",vlan:5,qinq:1,ipip:1", "newflows:32:256", "0" },
	{ "imix", 1000, 0, 0, "imix", "ipv4:1,udp:1,vlan:0,qinq:0,ipip:0", "zipf", "0" },
	{ "linerate", 1, 0, 0, "64", "ipv4:1,udp:1,vlan:0,qinq:0,ipip:0", "zipf", "0" },
};

const char *jn_pkt_gen_profile_names(void)
{
	return "internet, datacenter, attack, malformed, adversarial, churn, imix, linerate";
}

int jn_pkt_gen_profile(struct jn_gen_cfg *cfg, const char *name, char *err, size_t errlen)
{
	for (size_t i = 0; i < JN_ARRAY_SIZE(profiles); i++) {
		const struct profile *p = &profiles[i];

		if (strcmp(name, p->name))
			continue;
		memset(cfg, 0, sizeof(*cfg));
		snprintf(cfg->profile, sizeof(cfg->profile), "%s", name);
		cfg->count = 10000;
		cfg->rate_pps = 1e6;
		cfg->start_ns = 1704067200ull * 1000000000ull;   /* 2024-01-01 00:00:00 UTC */
		cfg->flows = p->flows;
		cfg->zipf = p->zipf;
		cfg->malformed = p->malformed;
		return jn_pkt_gen_parse_sizes(cfg, p->sizes, err, errlen) ?:
		       jn_pkt_gen_parse_mix(cfg, p->mix, err, errlen) ?:
		       jn_pkt_gen_parse_order(cfg, p->order, err, errlen) ?:
		       jn_pkt_gen_parse_attack(cfg, p->attack, err, errlen);
	}
	return BAD("unknown profile '%s' (profiles: %s)", name, jn_pkt_gen_profile_names());
}

/* Unsigned decimal at *s, advancing *s.  -1 if none or above max. */
static int take_u32(const char **s, uint32_t max, uint32_t *v)
{
	char *end;
	unsigned long x;

	if (**s < '0' || **s > '9')
		return -1;
	errno = 0;
	x = strtoul(*s, &end, 10);
	if (errno || x > max)
		return -1;
	*v = (uint32_t)x;
	*s = end;
	return 0;
}

/* One --sizes dist entry: SIZE:W or LO-HI:W. */
static int take_size_entry(const char **s, uint32_t *lo, uint32_t *hi, uint32_t *w)
{
	if (take_u32(s, 1u << 20, lo))
		return -1;
	*hi = *lo;
	if (**s == '-') {
		(*s)++;
		if (take_u32(s, 1u << 20, hi))
			return -1;
	}
	if (**s != ':')
		return -1;
	(*s)++;
	return take_u32(s, 1000000, w);
}

int jn_pkt_gen_parse_sizes(struct jn_gen_cfg *cfg, const char *spec, char *err, size_t errlen)
{
	struct jn_gen_cfg c = *cfg;
	const char *s = spec;

	if (!strcmp(spec, "imix"))
		return jn_pkt_gen_parse_sizes(cfg, "dist:64:7,576:4,1500:1", err, errlen);
	c.nsizes = 1;
	c.size_w[0] = 1;
	if (!strncmp(s, "range:", 6)) {
		s += 6;
		if (take_u32(&s, 1u << 20, &c.size_lo[0]) || *s++ != ':' ||
		    take_u32(&s, 1u << 20, &c.size_hi[0]) || *s)
			return BAD("sizes '%s': expected range:LO:HI", spec);
	} else if (!strncmp(s, "dist:", 5)) {
		s += 5;
		for (c.nsizes = 0; *s; c.nsizes++) {
			uint32_t i = c.nsizes;
			if (i == JN_GEN_MAX_SIZES)
				return BAD("sizes '%s': more than %d entries", spec, JN_GEN_MAX_SIZES);
			if (take_size_entry(&s, &c.size_lo[i], &c.size_hi[i], &c.size_w[i]) ||
			    (*s && *s != ','))
				return BAD("sizes '%s': entry %u: expected SIZE:WEIGHT or LO-HI:WEIGHT",
					   spec, i + 1);
			s += *s == ',';
		}
	} else if (take_u32(&s, 1u << 20, &c.size_lo[0]) || *s) {
		return BAD("sizes '%s': expected imix, a size, range:LO:HI or dist:SIZE:W,...", spec);
	} else {
		c.size_hi[0] = c.size_lo[0];
	}
	for (uint32_t i = 0; i < c.nsizes; i++)
		if (c.size_lo[i] < JN_GEN_MIN_FRAME || c.size_hi[i] > JN_GEN_MAX_FRAME ||
		    c.size_lo[i] > c.size_hi[i])
			return BAD("sizes '%s': sizes must be %d..%d bytes", spec, JN_GEN_MIN_FRAME,
				   JN_GEN_MAX_FRAME);
	*cfg = c;
	return 0;
}

int jn_pkt_gen_parse_mix(struct jn_gen_cfg *cfg, const char *spec, char *err, size_t errlen)
{
	static const char *const keys[] = { "ipv4", "ipv6", "arp", "tcp", "udp", "icmp",
					    "vlan", "qinq", "ipip" };
	struct jn_gen_cfg c = *cfg;
	bool seen_l3 = false, seen_l4 = false;
	const char *s = spec;

	while (*s) {
		size_t klen = strcspn(s, ":,"), k;
		char *end;
		double v;

		for (k = 0; k < JN_ARRAY_SIZE(keys); k++)
			if (strlen(keys[k]) == klen && !strncmp(s, keys[k], klen))
				break;
		if (k == JN_ARRAY_SIZE(keys) || s[klen] != ':')
			return BAD("mix '%s': expected KEY:VALUE with KEY one of ipv4 ipv6 arp tcp udp "
				   "icmp vlan qinq ipip", spec);
		s += klen + 1;
		errno = 0;
		v = strtod(s, &end);
		if (end == s || errno || !(v >= 0) || (*end && *end != ',') ||
		    (k >= 6 && v > 100) || (k < 6 && (v > 1e6 || v != floor(v))))
			return BAD("mix '%s': bad value for %s (weights: integers; vlan, qinq, ipip: "
				   "percent 0..100)", spec, keys[k]);
		s = end + (*end == ',');
		if (k < 3 && !seen_l3) {
			seen_l3 = true;
			memset(c.l3_w, 0, sizeof(c.l3_w));
		}
		if (k >= 3 && k < 6 && !seen_l4) {
			seen_l4 = true;
			memset(c.l4_w, 0, sizeof(c.l4_w));
		}
		if (k < 3)
			c.l3_w[k] = (uint32_t)v;
		else if (k < 6)
			c.l4_w[k - 3] = (uint32_t)v;
		else
			*(k == 6 ? &c.vlan : k == 7 ? &c.qinq : &c.ipip) = v / 100;
	}
	*cfg = c;
	return 0;
}

int jn_pkt_gen_parse_order(struct jn_gen_cfg *cfg, const char *spec, char *err, size_t errlen)
{
	const char *s = spec;
	uint32_t n = 0, every = 0;

	if (!strcmp(spec, "zipf")) {
		cfg->order = JN_GEN_ORDER_ZIPF;
		return 0;
	}
	if (!strncmp(s, "roundrobin:", 11) || !strncmp(s, "rr:", 3)) {
		s = strchr(s, ':') + 1;
		if (take_u32(&s, JN_GEN_MAX_FLOWS, &n) || *s || !n)
			return BAD("order '%s': expected roundrobin:N with N in 1..%d", spec,
				   JN_GEN_MAX_FLOWS);
		cfg->order = JN_GEN_ORDER_RR;
		cfg->order_n = n;
		return 0;
	}
	if (!strncmp(s, "newflows:", 9)) {
		s += 9;
		if (take_u32(&s, 1u << 30, &n) || !n)
			return BAD("order '%s': expected newflows:BURST[:EVERY]", spec);
		every = 10 * n;
		if (*s == ':') {
			s++;
			if (take_u32(&s, 1u << 31, &every))
				return BAD("order '%s': expected newflows:BURST[:EVERY]", spec);
		}
		if (*s || every < n)
			return BAD("order '%s': expected newflows:BURST[:EVERY], BURST <= EVERY", spec);
		cfg->order = JN_GEN_ORDER_NEWFLOWS;
		cfg->order_n = n;
		cfg->order_every = every;
		return 0;
	}
	return BAD("order '%s': expected zipf, roundrobin:N or newflows:BURST[:EVERY]", spec);
}

int jn_pkt_gen_parse_attack(struct jn_gen_cfg *cfg, const char *spec, char *err, size_t errlen)
{
	char *end;
	double f;

	errno = 0;
	f = strtod(spec, &end);
	if (end == spec || errno || !(f >= 0 && f <= 1))
		return BAD("attack '%s': expected FRACTION[:syn|udp|both], fraction 0..1", spec);
	if (!*end)
		cfg->attack_kind = JN_GEN_ATTACK_BOTH;
	else if (!strcmp(end, ":syn"))
		cfg->attack_kind = JN_GEN_ATTACK_SYN;
	else if (!strcmp(end, ":udp"))
		cfg->attack_kind = JN_GEN_ATTACK_UDP;
	else if (!strcmp(end, ":both"))
		cfg->attack_kind = JN_GEN_ATTACK_BOTH;
	else
		return BAD("attack '%s': expected FRACTION[:syn|udp|both]", spec);
	cfg->attack = f;
	return 0;
}

const char *jn_pkt_gen_malform_name(unsigned m)
{
	static const char *const names[] = {
#define X(e, n, d) n,
		JN_GEN_MALFORMS(X)
#undef X
	};
	return m < JN_ARRAY_SIZE(names) ? names[m] : "unknown";
}
