/* kern.h - the kernel oracle: an XDP object loaded with libbpf, packets run
 * through BPF_PROG_TEST_RUN, maps filled from a maps file and read back in
 * the format of jn_map_dump_json.
 *
 * Use:
 *   jn_kern_open(path, prog, &k)      open the object, pick the program (no bpf() yet)
 *   jn_maps_init_load(file, jn_kern_maps_env(k), &init)   parse the maps file
 *                                     with the kernel's view of the maps
 *   jn_kern_load(k, init)             load every XDP program, fill the maps
 *   jn_kern_run(k, pkt, len, &res)    one packet
 *   jn_kern_dump_maps(k, &json)       every map, for comparison
 *   jn_kern_close(k)
 *
 * The calling thread is pinned to CPU 0 by jn_kern_load (and its previous
 * affinity restored by jn_kern_close), so per-CPU maps and
 * bpf_get_smp_processor_id() see "cpu 0" like the interpreter.  libbpf's own
 * messages are captured (libbpf_set_print, process-wide) and end up in the
 * one-line errors instead of on stderr.
 *
 * The XDP frame BPF_PROG_TEST_RUN builds is described in docs/xdp-context.md
 * (measured on Linux 6.18); the constants below are those facts.
 */
#ifndef JN_KERN_H
#define JN_KERN_H

#include <stddef.h>
#include <stdint.h>

#include "maps/maps.h"

struct json_object;
struct jn_kern;  /* opaque; owned by the caller of jn_kern_open */

/* Errors besides negative errno values (all below -MAX_ERRNO). */
enum {
	/* bpf() itself is refused (EPERM/EACCES/ENOSYS): the message is
	 * "kernel oracle unavailable: bpf() refused (...)"; print it once
	 * and skip the kernel. */
	JN_KERN_EUNAVAIL = -4097,
	/* The kernel refused this input (a packet, a ctx field, a map value),
	 * not a divergence: the message reads "kernel refused: ...". */
	JN_KERN_EREFUSED = -4098,
};

/* The frame BPF_PROG_TEST_RUN gives an XDP program (no metadata in). */
enum {
	JN_KERN_FRAME_SZ = 4096,     /* xdp_buff.frame_sz */
	JN_KERN_HEADROOM = 256,      /* data - data_hard_start (XDP_PACKET_HEADROOM) */
	JN_KERN_TAILROOM = 320,      /* SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) */
	JN_KERN_XDP_FRAME = 40,      /* sizeof(struct xdp_frame), reserved at data_hard_start */
	JN_KERN_MAX_PKT = 3520,      /* FRAME_SZ - HEADROOM - TAILROOM: longest linear packet */
	JN_KERN_MAX_HEAD_GROW = 216, /* HEADROOM - XDP_FRAME: adjust_head/adjust_meta limit */
	JN_KERN_MIN_PKT = 14,        /* ETH_HLEN: shorter input is refused (EINVAL) */
};

/* Open an object and pick the program called prog (function or section
 * name; NULL: the first XDP program).  Sections starting with "xdp" that
 * libbpf does not know get type XDP; programs of other types are not
 * loaded.  No bpf() call yet.  0 or negative errno with a one-line message
 * ("kern: x.o: no program called foo"). */
int jn_kern_open(const char *path, const char *prog, struct jn_kern **out,
		 char *err, size_t errlen);
void jn_kern_close(struct jn_kern *k);

/* Function name and section of the picked program (owned by k). */
const char *jn_kern_prog_name(const struct jn_kern *k);
const char *jn_kern_prog_sec(const struct jn_kern *k);

/* The kernel's maps, in the object's order.  Global data maps are named by
 * section (".rodata", ".data", ".bss", ".rodata.cfg"), like the obj module
 * names them, not libbpf's "<obj>.rodata".  Per-CPU maps have
 * ncpus = libbpf_num_possible_cpus().  Specs are owned by k. */
size_t jn_kern_n_maps(const struct jn_kern *k);
const struct jn_map_spec *jn_kern_map_spec(const struct jn_kern *k, size_t i);

/* An env for jn_maps_init_load that parses a maps file against the kernel's
 * maps (sizes, per-CPU value sizes, BTF).  "prog:NAME" resolves to the
 * program's index among the object's XDP programs (libbpf's order: by
 * section, then offset); jn_kern_load turns it into the program's fd for
 * prog_array maps.  Valid while k lives. */
struct jn_maps_init_env jn_kern_maps_env(struct jn_kern *k);

/* Load the object and fill its maps from init (NULL: defaults).  Global
 * data entries (.rodata, .data, .bss, ...; key 0) become the maps' initial
 * contents before the load (.rodata is frozen afterwards); every other entry
 * is written with bpf_map_update_elem(BPF_ANY) after it (queue/stack: pushed
 * with a NULL key).  init's ctx (ingress_ifindex, rx_queue_index) is kept
 * for the runs.  Pins the thread to CPU 0.
 * Errors: JN_KERN_EUNAVAIL; negative errno with "kern: x.o: program foo:
 * verifier rejected it (Permission denied): <last lines of the log>";
 * JN_KERN_EREFUSED when the kernel refuses a map entry ("kernel refused:
 * map tx_port entry 0: No such device"). */
int jn_kern_load(struct jn_kern *k, const struct jn_maps_init *init, char *err, size_t errlen);

struct jn_kern_result {
	uint32_t action;            /* the program's return value */
	const uint8_t *data;        /* output packet (after the metadata) */
	size_t len;
	const uint8_t *meta;        /* metadata bytes before data (bpf_xdp_adjust_meta) */
	size_t meta_len;
	uint32_t duration_ns;       /* the kernel's time for the run */
};

/* Run the picked program on one packet (repeat 1).  res->data and res->meta
 * point into k and stay valid until the next run or jn_kern_close.
 * Returns 0, JN_KERN_EREFUSED for inputs the kernel refuses (shorter than
 * 14 bytes, longer than JN_KERN_MAX_PKT (the kernel would put the rest in
 * fragments), unknown ingress_ifindex, rx_queue_index past the device's
 * queues, devmap/cpumap programs), or another negative errno. */
int jn_kern_run(struct jn_kern *k, const uint8_t *pkt, size_t len,
		struct jn_kern_result *res, char *err, size_t errlen);

/* Run one packet repeat times in the kernel and give the kernel's mean
 * nanoseconds per run (BPF_PROG_TEST_RUN's duration).  Maps change as the
 * program runs.  Same errors as jn_kern_run. */
int jn_kern_bench(struct jn_kern *k, const uint8_t *pkt, size_t len, uint32_t repeat,
		  uint32_t *ns_per_run, char *err, size_t errlen);

/* Read the map called name back in jn_map_dump_json's format:
 * {"name","type","key_size","value_size","max_entries","entries":[{"key",
 * "value"}...]}, entries sorted by key bytes, lowercase hex.  Values are
 * what the syscall returns: per-CPU maps round_up(value_size, 8) bytes for
 * every possible CPU; prog_array values are the program's XDP index (as in
 * jn_kern_maps_env, 4 bytes little-endian) instead of the kernel's prog id;
 * devmap/cpumap values are raw (a program in them shows as its kernel id).
 * As in jn_map_dump_json, array and percpu_array leave out indexes whose
 * value is all zeros (global data maps keep them), and queue/stack entries
 * have only "value", in pop order (read by popping every value and pushing
 * them back).  Types user space cannot read (ringbuf, perf_event_array,
 * xskmap, map-in-map, ...) give -EOPNOTSUPP; an unknown name -ENOENT.  *out
 * is owned by the caller (json_object_put). */
int jn_kern_map_dump(struct jn_kern *k, const char *name, struct json_object **out,
		     char *err, size_t errlen);

/* Every map that can be dumped, as one JSON object {name: dump, ...}
 * (skipped types are left out).  *out is owned by the caller. */
int jn_kern_dump_maps(struct jn_kern *k, struct json_object **out, char *err, size_t errlen);

#endif
