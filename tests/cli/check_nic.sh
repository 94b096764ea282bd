#!/bin/sh
# check_nic.sh - `jitnic check --engine nic|all`: the JITNIC NIC model held
# to the kernel packet by packet (action, output bytes; the redirect target
# against the interpreter's) and on every map at the end, for every shipped
# program over shared captures and generated traffic, at cache sizes 1, 2
# and 16 under several policies; bad --engine values fail with one line.
# Skips (exit 0, one line) where bpf() is refused.  Uses "$JITNIC_BUILD/jitnic".
. "$(dirname "$0")/lib.inc"
need "$J"
P=../shared/data/pcaps
probe=$($J check build/progs/ipv6_filter.o $P/gopacket_test_dns.pcap 2>&1)
case "$probe" in
*"oracle unavailable"*) echo "check_nic: skipped: $probe"; exit 0 ;;
esac

# the sanitizer build is several times slower: less traffic, fewer captures
N=1500
CAPS="$P/gopacket_test_dns.pcap $P/ndpi_4in4tunnel.pcap $P/tcpdump_802.1ad_QinQ.pcap $P/tcpdump_geneve.pcap
      $P/tcpdump_icmpv6.pcap $P/tcpdump_ipv6-routing-header.pcap $P/tcpdump_vxlan.pcap $P/tcpreplay_test.pcap
      $P/ndpi_fuzz-2006-06-26-2594.pcap $P/ndpi_dns_fragmented.pcap $P/ndpi_zoom.pcap"
if [ "$B" = build-san ]; then
	N=300
	CAPS="$P/tcpdump_vxlan.pcap $P/tcpreplay_test.pcap"
fi
for prof in internet malformed adversarial; do
	$J gen --profile $prof --count $N --seed 5 --out "$TMP/$prof.pcap" >/dev/null || bad "gen $prof"
done
CAPS="$CAPS $TMP/internet.pcap $TMP/malformed.pcap"
[ "$B" = build-san ] || CAPS="$CAPS $TMP/adversarial.pcap"

check() {  # obj maps pcap options...
	o=$1 m=$2 c=$3
	shift 3
	agrees "check $o $(basename "$c") $*" "$o" "$c" --maps "$m" "$@"
}

for p in build/progs/*.o; do
	n=$(basename "$p" .o)
	for c in $CAPS; do
		check "$p" "progs/$n.maps.json" "$c" --engine nic --cache 1 --policy lru
		check "$p" "progs/$n.maps.json" "$c" --engine nic --cache 2 --policy clock
		check "$p" "progs/$n.maps.json" "$c" --engine all --cache 16 --policy random --seed 3
	done
	check "$p" "progs/$n.maps.json" "$TMP/internet.pcap" --engine nic --cache 2 --policy belady
	check "$p" "progs/$n.maps.json" "$TMP/adversarial.pcap" --engine nic --cache 2 --policy fifo
done
# helpers the recorder follows (tail calls, bpf_loop, check_mtu, fib_lookup, ...)
for c in $CAPS; do
	check build/tests/objs/helpers.o tests/maps/helpers.maps.json "$c" --prog xdp_helpers --engine nic --cache 2 --policy lfu
done

# helpers the recorder expresses, against the kernel (bpf_loop, queue and stack
# pushes, pops and peeks, spin locks, tail calls from subprograms, ring buffer
# records until the ring is full and its fill level; fib_lookup's routes and the
# interfaces' MTUs are not the kernel's)
for prog in h_loop h_queue h_pop h_subtail h_subtail_call h_ringbuf h_ringq; do
	for c in $P/tcpreplay_test.pcap "$TMP/internet.pcap"; do
		check build/tests/objs/trace_helpers.o tests/maps/trace_helpers.maps.json "$c" --prog $prog --engine all --cache 2
	done
done

# the NIC engine is reported with its cache figures; the traces were used
$J check build/progs/router_ipv4.o "$TMP/internet.pcap" --maps progs/router_ipv4.maps.json --engine all --cache 16 --json > "$TMP/c.json"
hits=$(tr -d ' \n' < "$TMP/c.json" | sed -n 's/.*"nic":{[^}]*"hits":\([0-9]*\).*/\1/p')
[ -n "$hits" ] && [ "$hits" -gt 0 ] && ok || bad "check --json: no NIC hits ($hits)"
grep -q '"interpreter"' "$TMP/c.json" && ok || bad "check --json --engine all: no interpreter engine"
grep -q '"ok":true' "$TMP/c.json" && ok || bad "check --json: not ok"

# bad options: one line, non-zero
out=$($J check build/progs/ipv6_filter.o $P/gopacket_test_dns.pcap --engine fpga 2>&1) && bad "--engine fpga accepted" || ok
[ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] && ok || bad "--engine fpga: not one line: $out"
case "$out" in *"unknown engine 'fpga'"*) ok ;; *) bad "--engine fpga: $out" ;; esac
out=$($J check build/progs/ipv6_filter.o $P/gopacket_test_dns.pcap --engine nic --policy mru 2>&1) && bad "--policy mru accepted" || ok
case "$out" in *"unknown policy 'mru'"*) ok ;; *) bad "--policy mru: $out" ;; esac

finish
