/* main.c - `jitnic <command> [options] [args]`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct jn_cmd *const cmds[] = {
#define CMD(name) &jn_cmd_##name,
#include "commands.h"
#undef CMD
};

static void usage(FILE *f)
{
	fprintf(f, "usage: jitnic <command> [options] [args]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-8s %s\n", cmds[i]->name, cmds[i]->summary);
	fprintf(f, "\n`jitnic <command> --help` describes a command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		const struct jn_cmd *cmd = cmds[i];
		if (strcmp(argv[1], cmd->name))
			continue;
		void *cfg = calloc(1, cmd->cfg_size ? cmd->cfg_size : 1);
		char **pos = calloc((size_t)argc, sizeof(*pos));
		int npos = 0, rc;
		if (!cfg || !pos) {
			fprintf(stderr, "jitnic: out of memory\n");
			return 1;
		}
		rc = jn_cli_parse(cmd, cfg, argc - 2, argv + 2, &npos, pos);
		if (rc == 0)
			rc = cmd->run(cfg, npos, pos);
		else
			rc = rc > 0 ? 0 : 2;
		free(pos);
		free(cfg);
		return rc;
	}
	fprintf(stderr, "jitnic: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
