#!/bin/sh
# nic_vliw.sh - `jitnic nic --engine vliw`: the NIC model with its hits run
# on the hXDP VLIW core gives, for every shipped program over shared
# captures and generated traffic, the same verdict pcaps and maps as the
# default engine; hits happen on the core with no disagreement, fault or
# refused trace; a hit's median rows are below the whole program's; the
# text and JSON reports carry the cycles; bad --engine / --lanes values
# fail with one line.  Uses "$JITNIC_BUILD/jitnic" (jq for JSON).
. "$(dirname "$0")/lib.inc"
need "$J"
T=$TMP
P=../shared/data/pcaps
N=1500
CAPS="$P/ndpi_zoom.pcap $P/tcpdump_vxlan.pcap $P/tcpreplay_test.pcap $P/tcpdump_icmpv6.pcap"
case "$B" in *build-san) N=300; CAPS="$P/tcpreplay_test.pcap" ;; esac
"$J" gen --profile datacenter --count $N --seed 3 --out "$T/dc.pcap" >/dev/null || bad "gen"
"$J" gen --profile malformed --count $N --seed 4 --out "$T/mal.pcap" >/dev/null || bad "gen"
CAPS="$CAPS $T/dc.pcap $T/mal.pcap"

for o in build/progs/*.o; do
	prog=$(basename "$o" .o)
	m=progs/$prog.maps.json
	[ -f "$m" ] || continue
	hits=0
	for c in $CAPS; do
		rm -rf "$T/a" "$T/b"
		"$J" nic "$o" "$c" --maps "$m" --out "$T/a" --json > "$T/a.json" || { bad "$prog $(basename "$c"): interp"; continue; }
		"$J" nic "$o" "$c" --maps "$m" --out "$T/b" --json --engine vliw > "$T/b.json" || { bad "$prog $(basename "$c"): vliw"; continue; }
		for f in "$T"/a/*.pcap; do
			cmp -s "$f" "$T/b/$(basename "$f")" && ok || bad "$prog $(basename "$c"): $(basename "$f") differs"
		done
		[ "$(jq -c '.maps' "$T/a.json")" = "$(jq -c '.maps' "$T/b.json")" ] && ok || bad "$prog $(basename "$c"): maps differ"
		[ "$(jq -c '.actions' "$T/a.json")" = "$(jq -c '.actions' "$T/b.json")" ] && ok || bad "$prog $(basename "$c"): actions differ"
		[ "$(jq '.vliw.mismatches + .vliw.faults + .vliw.refused + .vliw.fallback_hits' "$T/b.json")" = 0 ] && ok ||
			bad "$prog $(basename "$c"): $(jq -c '.vliw' "$T/b.json")"
		[ "$(jq '.vliw.hits' "$T/b.json")" = "$(jq '.nic.hits' "$T/b.json")" ] && ok || bad "$prog $(basename "$c"): hits not all on the core"
		[ "$(jq '.vliw.full_differ' "$T/b.json")" = 0 ] && ok || bad "$prog $(basename "$c"): whole program differs on the core"
		jq -e '.vliw.traces == 0 or .vliw.rows_median < .vliw.full_rows' "$T/b.json" >/dev/null && ok ||
			bad "$prog $(basename "$c"): trace rows $(jq '.vliw.rows_median' "$T/b.json") vs $(jq '.vliw.full_rows' "$T/b.json")"
		hits=$((hits + $(jq '.vliw.hits' "$T/b.json")))
	done
	[ "$hits" -gt 0 ] && ok || bad "$prog: no hit on the core"
done

# the text report; lanes
out=$("$J" nic build/progs/router_ipv4.o "$T/dc.pcap" --maps progs/router_ipv4.maps.json --engine vliw --lanes 2)
case "$out" in *"hits on the core"*"cycles min/median/max"*"whole program on core"*"each equal to the interpreter"*) ok ;; *) bad "text report: $out" ;; esac
r2=$(printf '%s\n' "$out" | sed -n 's/.*traces lowered.*rows min\/median\/max [0-9]*\/\([0-9]*\)\/.*/\1/p')
r8=$("$J" nic build/progs/router_ipv4.o "$T/dc.pcap" --maps progs/router_ipv4.maps.json --engine vliw --lanes 8 |
	sed -n 's/.*traces lowered.*rows min\/median\/max [0-9]*\/\([0-9]*\)\/.*/\1/p')
[ -n "$r2" ] && [ -n "$r8" ] && [ "$r8" -lt "$r2" ] && ok || bad "rows with 8 lanes ($r8) not below 2 lanes ($r2)"

# bad options: one line, non-zero
out=$("$J" nic build/progs/ipv6_filter.o "$T/dc.pcap" --engine fpga 2>&1) && bad "--engine fpga accepted" || ok
[ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] && ok || bad "--engine fpga: not one line: $out"
case "$out" in *"unknown engine 'fpga'"*) ok ;; *) bad "--engine fpga: $out" ;; esac
out=$("$J" nic build/progs/ipv6_filter.o "$T/dc.pcap" --engine vliw --lanes 9 2>&1) && bad "--lanes 9 accepted" || ok
case "$out" in *"--lanes: 9 is out of range"*) ok ;; *) bad "--lanes 9: $out" ;; esac

finish
