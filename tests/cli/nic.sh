#!/bin/sh
# nic.sh - `jitnic nic`, `jitnic trace`, `jitnic sweep`: the NIC model gives
# the same verdicts, output pcaps and maps as `jitnic run`, at several cache
# sizes and policies; the statistics add up; the IPv6 filter has two paths
# for well-formed traffic with the conditions the JITNIC report gives; the
# sweep's LRU column agrees with `jitnic nic`; bad options fail with one
# line.  Uses "$JITNIC_BUILD/jitnic".
set -u
B=${JITNIC_BUILD:-build}
J="$B/jitnic"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
pass=0
fail=0
P=../shared/data/pcaps

[ -x "$J" ] || { echo "nic.sh: $J not built"; exit 1; }
cd "$(dirname "$0")/../.." || exit 1

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
num() { sed -n "s/^ *\"$2\":\([0-9.e+-]*\).*/\1/p" "$1" | head -1; }


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

# sweep: LRU at size 2 equals jitnic nic --cache 2
"$J" sweep build/progs/simple_firewall.o "$TMP/mal.pcap" --maps progs/simple_firewall.maps.json --max 4 --json > "$TMP/sw.json" || bad "sweep"
"$J" nic build/progs/simple_firewall.o "$TMP/mal.pcap" --maps progs/simple_firewall.maps.json --cache 2 --json > "$TMP/n2.json"
lru2=$(tr -d ' \n' < "$TMP/sw.json" | sed -n 's/.*"lru":\[\([0-9.e-]*\),\([0-9.e-]*\).*/\2/p')
hr=$(num "$TMP/n2.json" hit_rate)
awk -v a="$lru2" -v b="$hr" -v n="$(num "$TMP/n2.json" packets)" -v s="$(num "$TMP/n2.json" skipped)" \
	'BEGIN { d = a - b * (n - s) / n; exit !(d < 1e-6 && d > -1e-6) }' && ok || bad "sweep lru[2] $lru2 vs nic hit rate $hr"
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

echo "nic.sh: $pass passed, $fail failed"
[ "$fail" = 0 ]
