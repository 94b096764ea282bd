#!/bin/sh
# nic.sh - `jitnic nic`, `jitnic trace`, `jitnic sweep`: the NIC model gives
# the same verdicts, output pcaps and maps as `jitnic run`, at several cache
# sizes and policies; the statistics add up; the IPv6 filter has two paths
# for well-formed traffic with the conditions the JITNIC report gives; the
# sweep's hit counts equal `jitnic nic`'s for every policy, with admission,
# install delays and traces invalidated by map changes; bad options fail
# with one line.  Uses "$JITNIC_BUILD/jitnic" (jq for JSON).
. "$(dirname "$0")/lib.inc"
need "$J"
P=../shared/data/pcaps
num() { json_num "$1" "$2"; }


"$J" gen --profile malformed --count 1500 --seed 4 --out "$TMP/mal.pcap" >/dev/null || bad "gen"

for prog in router_ipv4 simple_firewall adjust_tail lb_katran; do
	for cap in $P/tcpreplay_test.pcap "$TMP/mal.pcap"; do
		"$J" run "build/progs/$prog.o" "$cap" --maps "progs/$prog.maps.json" --out "$TMP/run" --json > "$TMP/run.json" || bad "run $prog"
		for conf in "--cache 1 --policy lru" "--cache 3 --policy clock" "--cache 2 --policy belady" "--cache 4 --policy random --admit 2"; do
			# shellcheck disable=SC2086
			"$J" nic "build/progs/$prog.o" "$cap" --maps "progs/$prog.maps.json" --out "$TMP/nic" --json $conf > "$TMP/nic.json" || { bad "nic $prog $conf"; continue; }
			a=$(sed -n '/"actions"/,/}/p' "$TMP/run.json"); b=$(sed -n '/"actions"/,/}/p' "$TMP/nic.json")
			[ "$a" = "$b" ] && ok || bad "nic $prog $(basename "$cap") $conf: actions differ"
			a=$(sed -n '/"redirect_targets"/,/}/p' "$TMP/run.json"); b=$(sed -n '/"redirect_targets"/,/}/p' "$TMP/nic.json")
			[ "$a" = "$b" ] && ok || bad "nic $prog $(basename "$cap") $conf: redirect targets differ"
			a=$(sed -n '/"maps"/,$p' "$TMP/run.json"); b=$(sed -n '/^  "maps"/,$p' "$TMP/nic.json")
			[ "$a" = "$b" ] && ok || bad "nic $prog $(basename "$cap") $conf: maps differ"
			for v in aborted drop pass tx redirect; do
				cmp -s "$TMP/run/$v.pcap" "$TMP/nic/$v.pcap" && ok || bad "nic $prog $(basename "$cap") $conf: $v.pcap differs"
			done
			h=$(num "$TMP/nic.json" hits); m=$(num "$TMP/nic.json" misses)
			n=$(num "$TMP/nic.json" packets); s=$(num "$TMP/nic.json" skipped)
			[ $((h + m + s)) -eq "$n" ] && ok || bad "nic $prog $conf: hits $h + misses $m + skipped $s != $n"
		done
	done
done

# the JITNIC report's IPv6 filter: two paths for well-formed traffic
"$J" gen --profile datacenter --count 2000 --seed 9 --out "$TMP/dc.pcap" >/dev/null
"$J" trace build/progs/ipv6_filter.o "$TMP/dc.pcap" > "$TMP/trace.txt" || bad "trace"
grep -q "2 distinct paths" "$TMP/trace.txt" && ok || bad "ipv6_filter: not 2 paths: $(head -1 "$TMP/trace.txt")"
grep -q " pkt\[12:2\] != 0x86dd$" "$TMP/trace.txt" && ok || bad "ipv6_filter: no IPv4 path condition"
grep -q " pkt\[12:2\] == 0x86dd$" "$TMP/trace.txt" && ok || bad "ipv6_filter: no IPv6 path condition"
"$J" trace build/progs/ipv6_filter.o "$TMP/dc.pcap" --ir | grep -q "^        [0-9]* guard  pkt\[12:2\] == 0x86dd$" && ok || bad "trace --ir"
"$J" trace build/progs/ipv6_filter.o "$TMP/dc.pcap" --json | grep -q '"condition":"pkt\[12:2\] == 0x86dd"' && ok || bad "trace --json"
"$J" nic build/progs/ipv6_filter.o "$TMP/dc.pcap" --cache 2 --json > "$TMP/f.json"
[ "$(num "$TMP/f.json" misses)" = 2 ] && ok || bad "ipv6_filter: cache of 2 misses $(num "$TMP/f.json" misses) times"

# sweep vs nic: the sweep's hit count for every policy at sizes 1..3 is
# `jitnic nic`'s ("$@": options both take: program, maps, admission, delay)
sweep_agrees() {
	obj=$1 cap=$2
	shift 2
	"$J" sweep "$obj" "$cap" --max 3 --json "$@" > "$TMP/sw.json" || { bad "sweep $obj $*"; return; }
	n=$(jq .packets "$TMP/sw.json")
	for pol in lru lfu fifo random clock belady; do
		for c in 1 2 3; do
			"$J" nic "$obj" "$cap" --cache $c --policy $pol --json "$@" > "$TMP/n.json" || { bad "nic $obj $*"; continue; }
			s=$(jq --arg p $pol --argjson c $c --argjson n "$n" '.hit_rate[$p][$c - 1] * $n | round' "$TMP/sw.json")
			h=$(jq .nic.hits "$TMP/n.json")
			[ "$s" = "$h" ] && ok || bad "sweep $(basename "$obj") $(basename "$cap") $* $pol/$c: $s hits, nic $h"
		done
	done
}
sweep_agrees build/progs/simple_firewall.o "$TMP/mal.pcap" --maps progs/simple_firewall.maps.json
sweep_agrees build/progs/simple_firewall.o "$TMP/mal.pcap" --maps progs/simple_firewall.maps.json --admit 2 --admit-window 64
sweep_agrees build/progs/simple_firewall.o "$TMP/mal.pcap" --maps progs/simple_firewall.maps.json --install-delay 3
sweep_agrees build/progs/simple_firewall.o "$TMP/mal.pcap" --maps progs/simple_firewall.maps.json --host-cost 5
# a capture whose timestamps go back (concatenated)
sweep_agrees build/progs/router_ipv4.o $P/tcpdump_tests_ether_concat.pcap --maps progs/router_ipv4.maps.json --install-delay 2
for prog in lb_katran ddos_ratelimit; do
	sweep_agrees "build/progs/$prog.o" $P/tcpreplay_test.pcap --maps "progs/$prog.maps.json" --admit 2
done

# ... and where map changes invalidate traces: h_cfg reads cfg[pkt[14]],
# pinned for keys 0 and 1; pkt[15] == 0xee sets cfg[pkt[14]] = pkt[13].
# Frames of 60 bytes, one per "key sets value" argument.
o3() { printf "\\$(printf '%03o' "$1")"; }
hcfg_pcap() {
	f=$1
	shift
	{
		printf '\324\303\262\241\002\000\004\000\000\000\000\000\000\000\000\000\377\377\000\000\001\000\000\000'
		i=0
		for p in "$@"; do
			# shellcheck disable=SC2086
			set -- $p
			i=$((i + 1))
			o3 "$i"
			printf '\000\000\000\000\000\000\000<\000\000\000<\000\000\000'
			printf '\000\000\000\000\000\000\000\000\000\000\000\000\010'
			o3 "$3"
			o3 "$1"
			if [ "$2" = 1 ]; then printf '\356'; else printf '\000'; fi
			printf '\000%.0s' $(seq 44)
		done
	} > "$f"
}
hcfg_pcap "$TMP/cfg.pcap" "1 0 0" "0 0 0" "0 1 9" "1 0 0" "0 1 0" "0 0 0" "2 0 0" "1 0 0" \
	"1 1 9" "0 0 0" "2 0 0" "0 0 0" "1 1 0" "1 0 0"
H="--prog h_cfg --maps tests/maps/trace_helpers.maps.json"
# shellcheck disable=SC2086
"$J" nic build/tests/objs/trace_helpers.o "$TMP/cfg.pcap" $H --cache 2 --json > "$TMP/n.json"
[ "$(jq '[.nic.hits, .nic.invalidations, .nic.stale_evictions]' -c "$TMP/n.json")" = "[3,2,2]" ] && ok ||
	bad "h_cfg: $(jq -c .nic "$TMP/n.json")"
# shellcheck disable=SC2086
sweep_agrees build/tests/objs/trace_helpers.o "$TMP/cfg.pcap" $H
# shellcheck disable=SC2086
sweep_agrees build/tests/objs/trace_helpers.o "$TMP/cfg.pcap" $H --admit 2
if command -v gnuplot >/dev/null 2>&1; then
	"$J" sweep build/progs/ipv6_filter.o "$TMP/dc.pcap" --plot "$TMP/curve" >/dev/null && [ -s "$TMP/curve.png" ] && [ -s "$TMP/curve.svg" ] && ok || bad "sweep --plot"
fi

# bad options: one line, non-zero
out=$("$J" nic build/progs/ipv6_filter.o "$TMP/dc.pcap" --policy mru 2>&1) && bad "nic --policy mru accepted" || ok
[ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] && ok || bad "nic --policy mru: not one line: $out"
case "$out" in *"unknown policy 'mru'"*) ok ;; *) bad "nic --policy mru: $out" ;; esac
out=$("$J" nic build/progs/ipv6_filter.o "$TMP/dc.pcap" --cache -1 2>&1) && bad "nic --cache -1 accepted" || ok
case "$out" in *"--cache: -1 is out of range"*) ok ;; *) bad "nic --cache -1: $out" ;; esac
"$J" nic build/progs/ipv6_filter.o /nonexistent.pcap >/dev/null 2>&1 && bad "missing pcap accepted" || ok

finish
