/* cmd_asm.c - `jitnic asm FILE.s`: assemble llvm-objdump syntax into raw
 * 8-byte instruction slots, or one line of hex bytes (--hex, the form the
 * bpf_conformance plugins read).  See docs/asm.md. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "cli.h"
#include "isa/isa.h"

struct asm_cfg {
	const char *out;
	bool hex;
	bool json;
};

static const struct jn_opt asm_opts[] = {
	JN_OPT(struct asm_cfg, out, "out", JN_OPT_STR, "FILE", "write to FILE instead of stdout"),
	JN_OPT(struct asm_cfg, hex, "hex", JN_OPT_FLAG, NULL,
	       "one line of hex bytes (\"b7 00 00 00 ...\") instead of raw bytes"),
	JN_OPT(struct asm_cfg, json, "json", JN_OPT_FLAG, NULL,
	       "print {\"slots\": N, \"hex\": \"b7 00 ...\"} (with --out, the bytes still go to FILE)"),
	{ NULL }
};

static int write_code(FILE *f, const struct jn_insn *code, size_t n, bool hex)
{
	const uint8_t *b = (const uint8_t *)code;
	size_t len = n * sizeof(*code);

	if (!hex)
		return fwrite(b, 1, len, f) == len ? 0 : -EIO;
	for (size_t i = 0; i < len; i++)
		fprintf(f, i ? " %02x" : "%02x", b[i]);
	fputc('\n', f);
	return ferror(f) ? -EIO : 0;
}

static int asm_run(void *cfgp, int npos, char **pos)
{
	struct asm_cfg *cfg = cfgp;
	const char *path = pos[0];
	struct jn_insn *code = NULL;
	uint8_t *text = NULL;
	size_t len, n;
	char err[256];
	int rc;

	rc = jn_read_file(strcmp(path, "-") ? path : "/dev/stdin", &text, &len);
	if (rc) {
		fprintf(stderr, "jitnic asm: %s: %s\n", path, strerror(-rc));
		return 1;
	}
	if (strlen((char *)text) != len) {
		fprintf(stderr, "jitnic asm: %s: contains a NUL byte; not a text file\n", path);
		free(text);
		return 1;
	}
	rc = jn_isa_assemble((char *)text, &code, &n, err, sizeof(err));
	free(text);
	if (rc) {
		fprintf(stderr, "jitnic asm: %s: %s\n", path, err);
		return 1;
	}
	FILE *f = cfg->out ? fopen(cfg->out, cfg->hex ? "w" : "wb") : stdout;
	if (!f) {
		fprintf(stderr, "jitnic asm: %s: %s\n", cfg->out, strerror(errno));
		free(code);
		return 1;
	}
	if (cfg->json) {
		const uint8_t *b = (const uint8_t *)code;
		printf("{\"slots\": %zu, \"hex\": \"", n);
		for (size_t i = 0; i < n * sizeof(*code); i++)
			printf(i ? " %02x" : "%02x", b[i]);
		printf("\"}\n");
	}
	rc = cfg->json && !cfg->out ? 0 : write_code(f, code, n, cfg->hex);
	if (cfg->out && fclose(f) && !rc)
		rc = -EIO;
	free(code);
	if (rc) {
		fprintf(stderr, "jitnic asm: %s: write failed\n", cfg->out ? cfg->out : "stdout");
		return 1;
	}
	return 0;
}

const struct jn_cmd jn_cmd_asm = {
	.name = "asm",
	.args = "FILE.s",
	.summary = "assemble eBPF text (llvm-objdump syntax) into instruction bytes",
	.opts = asm_opts,
	.cfg_size = sizeof(struct asm_cfg),
	.min_pos = 1,
	.max_pos = 1,
	.run = asm_run,
};
