/* opts.c - option parsing and help generated from a command's option table. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

void jn_cli_usage(const struct jn_cmd *cmd, FILE *f)
{
	fprintf(f, "usage: jitnic %s [options] %s\n  %s\n", cmd->name, cmd->args ? cmd->args : "",
		cmd->summary);
	if (!cmd->opts || !cmd->opts[0].name)
		return;
	fprintf(f, "\noptions:\n");
	for (const struct jn_opt *o = cmd->opts; o->name; o++) {
		char lhs[64];
		snprintf(lhs, sizeof(lhs), "--%s%s%s", o->name, o->metavar ? " " : "",
			 o->metavar ? o->metavar : "");
		fprintf(f, "  %-22s %s\n", lhs, o->help);
	}
}

static const struct jn_opt *find_opt(const struct jn_cmd *cmd, const char *name, size_t len)
{
	for (const struct jn_opt *o = cmd->opts; o && o->name; o++)
		if (strlen(o->name) == len && !strncmp(o->name, name, len))
			return o;
	return NULL;
}

static int set_value(const struct jn_cmd *cmd, const struct jn_opt *o, void *cfg, const char *val)
{
	char *end;
	char *field = (char *)cfg + o->off;

	errno = 0;
	switch (o->type) {
	case JN_OPT_FLAG:
		*(bool *)field = true;
		return 0;
	case JN_OPT_STR:
		*(const char **)field = val;
		return 0;
	case JN_OPT_INT:
		*(long *)field = strtol(val, &end, 0);
		break;
	case JN_OPT_U64:
		if (val[0] == '-')
			goto bad;
		*(uint64_t *)field = strtoull(val, &end, 0);
		break;
	case JN_OPT_DOUBLE:
		*(double *)field = strtod(val, &end);
		break;
	case JN_OPT_LIST: {
		struct jn_strlist *l = (struct jn_strlist *)field;
		if (l->n >= (int)(sizeof(l->v) / sizeof(l->v[0]))) {
			fprintf(stderr, "jitnic %s: too many --%s\n", cmd->name, o->name);
			return -EINVAL;
		}
		l->v[l->n++] = val;
		return 0;
	}
	}
	if (errno || end == val || *end)
		goto bad;
	return 0;
bad:
	fprintf(stderr, "jitnic %s: --%s: bad value '%s'\n", cmd->name, o->name, val);
	return -EINVAL;
}

int jn_cli_parse(const struct jn_cmd *cmd, void *cfg, int argc, char **argv,
		 int *npos, char **pos)
{
	int only_pos = 0;

	*npos = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (only_pos || a[0] != '-' || !a[1]) {
			pos[(*npos)++] = argv[i];
			continue;
		}
		if (!strcmp(a, "--")) {
			only_pos = 1;
			continue;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			jn_cli_usage(cmd, stdout);
			return 1;
		}
		if (a[1] != '-') {
			fprintf(stderr, "jitnic %s: unknown option '%s' (see --help)\n", cmd->name, a);
			return -EINVAL;
		}
		const char *name = a + 2, *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);
		const struct jn_opt *o = find_opt(cmd, name, len);
		if (!o) {
			fprintf(stderr, "jitnic %s: unknown option '%s' (see --help)\n", cmd->name, a);
			return -EINVAL;
		}
		const char *val = NULL;
		if (o->type != JN_OPT_FLAG) {
			if (eq)
				val = eq + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else {
				fprintf(stderr, "jitnic %s: --%s needs a value\n", cmd->name, o->name);
				return -EINVAL;
			}
		} else if (eq) {
			fprintf(stderr, "jitnic %s: --%s takes no value\n", cmd->name, o->name);
			return -EINVAL;
		}
		int rc = set_value(cmd, o, cfg, val);
		if (rc)
			return rc;
	}
	if (*npos < cmd->min_pos || *npos > cmd->max_pos) {
		fprintf(stderr, "jitnic %s: expected %s\n", cmd->name, cmd->args ? cmd->args : "no arguments");
		jn_cli_usage(cmd, stderr);
		return -EINVAL;
	}
	return 0;
}

bool jn_cli_tty(void)
{
	return isatty(STDERR_FILENO);
}

void jn_cli_progress(const char *label, uint64_t done, uint64_t total)
{
	static int tty = -1;

	if (done & 0x3fff)
		return;
	if (tty < 0)
		tty = jn_cli_tty();
	if (!tty)
		return;
	if (total)
		fprintf(stderr, "\r%s %llu/%llu (%llu%%)", label, (unsigned long long)done,
			(unsigned long long)total, (unsigned long long)(done * 100 / total));
	else
		fprintf(stderr, "\r%s %llu", label, (unsigned long long)done);
}

void jn_cli_progress_end(void)
{
	if (jn_cli_tty())
		fprintf(stderr, "\r\033[K");
}
