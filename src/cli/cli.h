/* cli.h - the jitnic command: subcommands described by option tables.
 *
 * Each subcommand is a `const struct jn_cmd jn_cmd_<name>` in its own file
 * (cmd_<name>.c) with a config struct and an option table that knows each
 * field's offset and type; parsing and --help come from that table.
 * Register a new subcommand with one line in commands.h.
 */
#ifndef JN_CLI_H
#define JN_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum jn_opt_type {
	JN_OPT_FLAG,    /* bool, set to true */
	JN_OPT_STR,     /* const char * */
	JN_OPT_INT,     /* long */
	JN_OPT_U64,     /* uint64_t */
	JN_OPT_DOUBLE,  /* double */
	JN_OPT_LIST,    /* struct jn_strlist: repeatable string */
};

struct jn_strlist {
	const char *v[32];
	int n;
};

struct jn_opt {
	const char *name;      /* long name without "--" */
	enum jn_opt_type type;
	size_t off;            /* offsetof(config, field) */
	const char *metavar;   /* "N", "FILE"; NULL for flags */
	const char *help;
};
#define JN_OPT(cfgtype, field, name, type, metavar, help) \
	{ name, type, offsetof(cfgtype, field), metavar, help }

struct jn_cmd {
	const char *name;
	const char *args;      /* positional arguments, for usage: "prog.o traffic.pcap" */
	const char *summary;
	const struct jn_opt *opts;  /* terminated by { NULL } */
	size_t cfg_size;
	int min_pos, max_pos;  /* positional argument count bounds */
	/* Run with a parsed config (zeroed, then options applied) and the
	 * positional arguments.  Returns the process exit status. */
	int (*run)(void *cfg, int npos, char **pos);
};

/* Parse argv (after the subcommand name) into cfg; collect positionals.
 * Returns 0, 1 if --help was printed, or -EINVAL (message on stderr). */
int jn_cli_parse(const struct jn_cmd *cmd, void *cfg, int argc, char **argv,
		 int *npos, char **pos);
void jn_cli_usage(const struct jn_cmd *cmd, FILE *f);

/* stderr is a terminal and --json not given: progress lines are welcome. */
bool jn_cli_tty(void);
/* Progress line "\r<label> done/total" on a terminal, throttled. */
void jn_cli_progress(const char *label, uint64_t done, uint64_t total);
void jn_cli_progress_end(void);

#define CMD(name) extern const struct jn_cmd jn_cmd_##name;
#include "commands.h"
#undef CMD

#endif
