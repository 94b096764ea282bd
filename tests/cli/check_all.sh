#!/bin/sh
# check_all.sh - the kernel oracle over the whole workload: every program in
# progs/ (with its maps file) and every XDP program in Debian's libxdp1
# objects, over every shared capture and generated traffic of each profile.
# jitnic check must agree with the kernel on every packet and on every map.
# Skips (exit 0, one line) where bpf() is refused.
. "$(dirname "$0")/lib.inc"
need "$J"

# under the sanitizer build, generated traffic is smaller
N=3000
[ "$B" = build-san ] && N=600

probe=$($J check build/progs/ipv6_filter.o ../shared/data/pcaps/gopacket_test_dns.pcap 2>&1)
case "$probe" in
*"oracle unavailable"*) echo "check_all: skipped: $probe"; exit 0 ;;
esac

for prof in internet datacenter attack malformed adversarial churn imix linerate; do
	$J gen --profile $prof --count $N --seed 11 --out "$TMP/$prof.pcap" >/dev/null || { echo "gen $prof failed"; exit 1; }
done

check() {  # obj pcap [maps [extra options]]
	agrees "check $1 $2 ${3:-} ${4:-}" "$1" "$2" ${3:+--maps "$3"} ${4:-}
}

for p in build/progs/*.o; do
	n=$(basename "$p" .o)
	for c in ../shared/data/pcaps/*.pcap "$TMP"/*.pcap; do
		check "$p" "$c" "progs/$n.maps.json"
	done
done

# every helper jitnic implements that the kernel can run in test_run
# (tail calls, bpf_loop, adjust_meta, load/store_bytes, csum_diff, check_mtu, ...)
for c in ../shared/data/pcaps/*.pcap "$TMP/internet.pcap"; do
	check build/tests/objs/helpers.o "$c" tests/maps/helpers.maps.json "--prog xdp_helpers"
done

# every XDP program of every libxdp1 object (xdpdump_bpf.o has only fentry/fexit
# programs); xdp-filter also with rules, the dispatcher also with a chain of 4
for o in /usr/lib/x86_64-linux-gnu/bpf/*.o; do
	progs=$($J info "$o" 2>/dev/null | awk '$2 == "section" && $3 ~ /^xdp/ { print $1 }')
	for prog in $progs; do
		for c in ../shared/data/pcaps/*.pcap "$TMP/internet.pcap" "$TMP/malformed.pcap"; do
			check "$o" "$c" "" "--prog $prog"
		done
	done
	[ -n "$progs" ] || continue
	for c in ../shared/data/pcaps/*.pcap "$TMP/internet.pcap" "$TMP/malformed.pcap"; do
		case $(basename "$o") in  # rules: tests/maps/xdpfilt_<kind>.maps.json
		xdpfilt_*) k=$(basename "$o" .o); check "$o" "$c" "tests/maps/xdpfilt_${k#xdpfilt_???_}.maps.json" ;;
		xdp-dispatcher.o) check "$o" "$c" tests/maps/xdp_dispatcher.maps.json "--prog xdp_dispatcher" ;;
		esac
	done
done

echo "check_all: $pass of $((pass + fail)) object/capture pairs agree with the kernel on every packet and map"
[ "$fail" = 0 ]
