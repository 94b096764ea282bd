/* verdicts.c - one output capture per XDP verdict in a directory. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/base.h"
#include "pkt/pkt.h"

static const char *const verdict_names[JN_PKT_VERDICTS] = {
	"aborted", "drop", "pass", "tx", "redirect",
};

struct jn_pkt_verdicts {
	struct jn_pkt_writer *w[JN_PKT_VERDICTS];
	uint64_t count[JN_PKT_VERDICTS];
};

const char *jn_pkt_verdict_name(uint32_t action)
{
	return action < JN_PKT_VERDICTS ? verdict_names[action] : "unknown";
}

int jn_pkt_verdicts_open(const char *dir, struct jn_pkt_verdicts **out, char *err, size_t errlen)
{
	struct jn_pkt_verdicts *v;
	struct stat st;
	int rc = 0;

	*out = NULL;
	if (mkdir(dir, 0777) && errno != EEXIST)
		return jn_errf(err, errlen, errno, "pkt: %s: cannot create directory: %s", dir,
			       strerror(errno));
	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		return jn_errf(err, errlen, ENOTDIR, "pkt: %s: not a directory", dir);
	v = calloc(1, sizeof(*v));
	if (!v)
		return jn_errf(err, errlen, ENOMEM, "pkt: %s: out of memory", dir);
	for (int i = 0; i < JN_PKT_VERDICTS && !rc; i++) {
		size_t n = strlen(dir) + strlen(verdict_names[i]) + 7;
		char *path = malloc(n);

		if (!path) {
			rc = jn_errf(err, errlen, ENOMEM, "pkt: %s: out of memory", dir);
			break;
		}
		snprintf(path, n, "%s/%s.pcap", dir, verdict_names[i]);
		rc = jn_pkt_writer_open(path, &v->w[i], err, errlen);
		free(path);
	}
	if (rc) {
		jn_pkt_verdicts_close(v, NULL, 0);
		return rc;
	}
	*out = v;
	return 0;
}

int jn_pkt_verdicts_write(struct jn_pkt_verdicts *v, uint32_t action, const struct jn_pkt *p,
			  char *err, size_t errlen)
{
	uint32_t i = action < JN_PKT_VERDICTS ? action : 0;
	int rc = jn_pkt_writer_write(v->w[i], p, err, errlen);

	if (!rc)
		v->count[i]++;
	return rc;
}

uint64_t jn_pkt_verdicts_count(const struct jn_pkt_verdicts *v, uint32_t action)
{
	return action < JN_PKT_VERDICTS ? v->count[action] : 0;
}

int jn_pkt_verdicts_close(struct jn_pkt_verdicts *v, char *err, size_t errlen)
{
	int rc = 0;

	if (!v)
		return 0;
	for (int i = 0; i < JN_PKT_VERDICTS; i++) {
		int r = jn_pkt_writer_close(v->w[i], rc ? NULL : err, rc ? 0 : errlen);
		if (r && !rc)
			rc = r;
	}
	free(v);
	return rc;
}
