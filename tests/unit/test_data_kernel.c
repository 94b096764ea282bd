/* test_data_kernel.c - the expected results of tests/data/ (*.data files)
 * checked against the Linux kernel: each case that expects a result (no
 * "-- error", no "-- nokernel") is loaded with bpf(BPF_PROG_LOAD) and run
 * once with BPF_PROG_TEST_RUN, and the kernel's return value must equal the
 * low 32 bits of the case's result (XDP and tc return values are 32 bits).
 *
 * How a case becomes a kernel program:
 *   no memory           XDP program, the case's code as it is
 *   memory              XDP program behind a prolog that sets r1 = data,
 *                       r2 = length (after the bounds check the verifier
 *                       wants); the packet is the memory, padded to 64
 *                       bytes (the kernel wants at least an Ethernet header)
 *   ld_abs / ld_ind     tc (sched_cls) program behind "r6 = r1" (the skb);
 *                       the packet is the memory unpadded (padding would
 *                       move the end the loads check), at least 14 bytes
 * Programs the verifier refuses (recursion, callx, immediate shift counts
 * out of range, ...) are skipped and counted; so are cases the kernel
 * cannot express.  Without bpf() (not root, seccomp) the test skips.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include "data_cases.h"

#define DATA_DIR "tests/data"

enum { MIN_PACKET = 64, ETH_HDR = 14 };

static struct data_cases cases;
static int n_agree, n_differ, n_rejected, n_skipped, n_refused_too;

/* The case's program with the prolog its memory needs; which prog type
 * and which packet to run it on.  0, or -1 with why set (skip). */
struct kprog {
	struct jn_insn *insns;
	size_t n;
	enum bpf_prog_type type;
	uint8_t *data;
	size_t datalen;
};

static bool uses_ldabs(const struct jn_insn *insns, size_t n)
{
	for (size_t pc = 0; pc < n; pc++) {
		enum jn_op op = jn_isa_decode(&insns[pc]);

		if (op != JN_OP_INVALID && (jn_isa_info[op].form == JN_FORM_LDABS ||
					    jn_isa_info[op].form == JN_FORM_LDIND))
			return true;
	}
	return false;
}

/* prolog + body into one malloc'd array. */
static int join(const char *prolog_text, struct kprog *kp, char *why, size_t whylen)
{
	struct jn_insn *pro, *all;
	size_t npro;
	char err[256];

	if (jn_isa_assemble(prolog_text, &pro, &npro, err, sizeof(err)) < 0) {
		snprintf(why, whylen, "prolog does not assemble: %s", err);
		return -1;
	}
	all = malloc((npro + kp->n) * sizeof(*all));
	if (!all) {
		free(pro);
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	memcpy(all, pro, npro * sizeof(*all));
	memcpy(all + npro, kp->insns, kp->n * sizeof(*all));
	free(pro);
	free(kp->insns);
	kp->insns = all;
	kp->n += npro;
	return 0;
}

static int build(const struct data_case *c, struct kprog *kp, char *why, size_t whylen)
{
	char err[256], prolog[512];

	memset(kp, 0, sizeof(*kp));
	if (data_program(c, &kp->insns, &kp->n, err, sizeof(err)) < 0) {
		snprintf(why, whylen, "does not assemble: %s", err);
		return -1;
	}
	if (uses_ldabs(kp->insns, kp->n)) {
		if (c->memlen < ETH_HDR) {
			snprintf(why, whylen, "ld_abs case with less than %d bytes of memory", ETH_HDR);
			return -1;
		}
		kp->type = BPF_PROG_TYPE_SCHED_CLS;
		kp->datalen = c->memlen;
		if (join("r6 = r1\n", kp, why, whylen) < 0)
			return -1;
	} else {
		kp->type = BPF_PROG_TYPE_XDP;
		kp->datalen = c->memlen > MIN_PACKET ? c->memlen : MIN_PACKET;
		snprintf(prolog, sizeof(prolog),
			 "r6 = r1\n"
			 "r1 = *(u32 *)(r6 + 0)\n"     /* xdp_md.data */
			 "r2 = *(u32 *)(r6 + 4)\n"     /* xdp_md.data_end */
			 "r3 = r1\n"
			 "r3 += %zu\n"
			 "if r3 <= r2 goto +2\n"
			 "r0 = 0\n"
			 "exit\n"
			 "r2 = %zu\n", c->memlen, c->memlen);
		if (c->memlen && join(prolog, kp, why, whylen) < 0)
			return -1;
	}
	kp->data = calloc(1, kp->datalen);
	if (!kp->data) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if (c->memlen)
		memcpy(kp->data, c->mem, c->memlen);
	return 0;
}

/* The verifier's reason: its last log line that is not a statistic. */
static const char *reason(char *log)
{
	char *line = NULL;

	for (char *p = strtok(log, "\n"); p; p = strtok(NULL, "\n"))
		if (strncmp(p, "processed ", 10) && strncmp(p, "verification time", 17) &&
		    strncmp(p, "stack depth", 11))
			line = p;
	return line ? line : "(no log)";
}

static char vlog[1 << 16];

/* Build and load the case; the fd, or skip() (not expressible) or -1 with
 * the verifier's reason in vlog.  kp->data is the packet (caller frees). */
static int load_case(const struct data_case *c, struct kprog *kp)
{
	char why[512] = "";
	int fd;

	if (build(c, kp, why, sizeof(why)) < 0) {
		free(kp->insns);
		free(kp->data);
		n_skipped++;
		print_message("%s: skipped: %s\n", c->id, why);
		skip();
	}
	/* without a log first: a long but valid verification would fill it */
	fd = bpf_prog_load(kp->type, "jn_data", "GPL", (const struct bpf_insn *)kp->insns, kp->n,
			   NULL);
	if (fd < 0) {
		LIBBPF_OPTS(bpf_prog_load_opts, lopts, .log_buf = vlog, .log_size = sizeof(vlog),
			    .log_level = 1);
		vlog[0] = 0;
		bpf_prog_load(kp->type, "jn_data", "GPL", (const struct bpf_insn *)kp->insns, kp->n,
			      &lopts);
	}
	free(kp->insns);
	kp->insns = NULL;
	return fd;
}

/* A case with a result: the kernel must return its low 32 bits. */
static void kernel_case(void **state)
{
	const struct data_case *c = *state;
	struct kprog kp;
	int fd = load_case(c, &kp), rc;

	if (fd < 0) {
		free(kp.data);
		n_rejected++;
		print_message("%s: the verifier refuses it: %s\n", c->id, reason(vlog));
		skip();
	}
	LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = kp.data, .data_size_in = (uint32_t)kp.datalen,
		    .repeat = 1);
	rc = bpf_prog_test_run_opts(fd, &topts);
	close(fd);
	free(kp.data);
	if (rc < 0)
		fail_msg("%s: BPF_PROG_TEST_RUN failed: %s", c->id, strerror(errno));
	if (topts.retval == (uint32_t)c->result) {
		n_agree++;
		return;
	}
	n_differ++;
	fail_msg("%s (line %d): the kernel returns 0x%x, the case expects 0x%" PRIx64
		 " (low 32 bits 0x%x)", c->id, c->line, topts.retval, c->result,
		 (uint32_t)c->result);
}

/* A case that expects an error: the kernel must refuse the program too
 * (what stops our run at run time, its verifier finds before). */
static void kernel_refuses(void **state)
{
	const struct data_case *c = *state;
	struct kprog kp;
	int fd = load_case(c, &kp);

	free(kp.data);
	if (fd >= 0) {
		close(fd);
		n_differ++;
		fail_msg("%s (line %d): the kernel accepts a program the case expects to fail (%s)",
			 c->id, c->line, c->error);
	}
	n_refused_too++;
	print_message("%s: refused by the kernel too: %s\n", c->id, reason(vlog));
}

/* Can we load programs at all?  NULL if yes, else the reason. */
static const char *bpf_refused(void)
{
	static const struct bpf_insn prog[] = {
		{ .code = 0xb7 }, /* r0 = 0 */
		{ .code = 0x95 }, /* exit */
	};
	static char why[128];
	int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "jn_probe", "GPL", prog, 2, NULL);

	if (fd >= 0) {
		close(fd);
		return NULL;
	}
	snprintf(why, sizeof(why), "%s", strerror(errno));
	return why;
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

int main(void)
{
	struct CMUnitTest *tests;
	const char *refused;
	char err[256];
	size_t n = 0;
	int rc;

	libbpf_set_print(quiet);
	refused = bpf_refused();
	if (refused) {
		printf("test_data_kernel: skipped: bpf() refused: %s\n", refused);
		return 0;
	}
	if (data_load_dir(DATA_DIR, &cases, err, sizeof(err)) < 0) {
		fprintf(stderr, "test_data_kernel: %s\n", err);
		return 1;
	}
	tests = calloc(cases.n + 1, sizeof(*tests));
	if (!tests) {
		data_free(&cases);
		return 1;
	}
	int not_applicable = 0;
	for (size_t i = 0; i < cases.n; i++) {
		if (cases.v[i].nokernel) {
			not_applicable++;
			continue;
		}
		tests[n].name = cases.v[i].id;
		tests[n].test_func = cases.v[i].error ? kernel_refuses : kernel_case;
		tests[n].initial_state = &cases.v[i];
		n++;
	}
	rc = _cmocka_run_group_tests("data_kernel", tests, n, NULL, NULL);
	printf("test_data_kernel: %d results agree with the kernel, %d error cases refused by it "
	       "too, %d differ; %d refused by the verifier, %d not expressible, %d nokernel\n",
	       n_agree, n_refused_too, n_differ, n_rejected, n_skipped, not_applicable);
	free(tests);
	data_free(&cases);
	return rc;
}
