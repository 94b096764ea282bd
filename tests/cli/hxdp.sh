#!/bin/sh
# hxdp.sh - `jitnic hxdp`: the listing and summary, traffic checked against
# the interpreter (exit status 0, "equals interpreter"), --json fields,
# every --no-PASS, --lanes, --emit writes rows x lanes x 8 bytes,
# --sweep-lanes with a gnuplot script, --table, clean failures, the
# libxdp dispatcher (bpf-to-bpf calls inlined).
# Uses "$JITNIC_BUILD/jitnic".
. "$(dirname "$0")/lib.inc"
P=build/progs/simple_firewall.o
M=progs/simple_firewall.maps.json
PCAP=../shared/data/pcaps/tcpreplay_test.pcap
need "$J" "$P"

# listing: numbered rows with lanes separated by " | ", then the summary
"$J" hxdp "$P" --maps "$M" >"$TMP/l.txt" 2>&1 || bad "listing exit status"
grep -q '^   0 .* | ' "$TMP/l.txt" && ok || bad "no row 0 with lanes"
grep -q '^eBPF instructions [0-9]* (.*), after lowering [0-9]*, 4 lanes: [0-9]* rows, IPC' "$TMP/l.txt" \
	&& ok || bad "summary line: $(tail -2 "$TMP/l.txt")"
grep -q '^rows: no pass [0-9]*, +zero' "$TMP/l.txt" && ok || bad "rows after each pass"

# traffic: every packet equal to the interpreter
"$J" hxdp "$P" "$PCAP" --maps "$M" --quiet >"$TMP/t.txt" 2>&1 && ok || bad "traffic exit status $(cat "$TMP/t.txt")"
grep -q 'simulator equals interpreter on every packet and map' "$TMP/t.txt" && ok || bad "traffic not equal"
grep -q '^cycles/packet min [0-9]* median [0-9]* max [0-9]* (.*), IPC [0-9.]*, [0-9.]* Mpps' "$TMP/t.txt" \
	&& ok || bad "cycles line"

# --json
"$J" hxdp "$P" "$PCAP" --maps "$M" --json >"$TMP/j.json" 2>&1 || bad "json exit status"
rows=$(json_num "$TMP/j.json" rows)
mism=$(json_num "$TMP/j.json" mismatches)
pk=$(json_num "$TMP/j.json" packets)
[ -n "$rows" ] && [ "$rows" -gt 0 ] && ok || bad "json rows '$rows'"
[ "$mism" = 0 ] && ok || bad "json mismatches '$mism'"
[ -n "$pk" ] && [ "$pk" -gt 100 ] && ok || bad "json packets '$pk'"

# each pass off: still equal; every pass off gives at least as many rows
passes=$("$J" hxdp --help 2>&1 | sed -n 's/^ *--no-\([a-z0-9]*\) *pass off:.*/\1/p')
[ "$(echo $passes | wc -w)" -ge 11 ] && ok || bad "--help lists passes: $passes"
for p in $passes; do
	"$J" hxdp "$P" "$PCAP" --maps "$M" --no-$p --json >"$TMP/n.json" 2>&1 || bad "--no-$p exit status"
	[ "$(json_num "$TMP/n.json" mismatches)" = 0 ] && ok || bad "--no-$p mismatches"
done
"$J" hxdp "$P" --maps "$M" $(for p in $passes; do printf -- '--no-%s ' $p; done) --json \
	>"$TMP/none.json" 2>&1 || bad "all passes off"
[ "$(json_num "$TMP/none.json" rows)" -ge "$rows" ] && ok || bad "no pass gave fewer rows"

# lanes: 1 lane is slower in rows than 8
r1=$("$J" hxdp "$P" --maps "$M" --lanes 1 --json | sed -n 's/^ *"rows":\([0-9]*\).*/\1/p')
r8=$("$J" hxdp "$P" --maps "$M" --lanes 8 --json | sed -n 's/^ *"rows":\([0-9]*\).*/\1/p')
[ "$r1" -gt "$r8" ] && ok || bad "1 lane $r1 rows, 8 lanes $r8"
"$J" hxdp "$P" --lanes 9 >/dev/null 2>"$TMP/e.txt" && bad "--lanes 9 accepted" || ok
grep -q 'lanes' "$TMP/e.txt" && ok || bad "--lanes 9 message"

# --emit: rows x 4 lanes x 8 bytes
"$J" hxdp "$P" --maps "$M" --emit "$TMP/imem.bin" --quiet >/dev/null || bad "--emit status"
sz=$(wc -c <"$TMP/imem.bin")
[ "$sz" -eq $((rows * 4 * 8)) ] && ok || bad "imem $sz bytes for $rows rows"

# the issue's spelling: --emit imem FILE
"$J" hxdp "$P" --maps "$M" --emit imem "$TMP/imem2.bin" --quiet >/dev/null || bad "--emit imem status"
cmp -s "$TMP/imem.bin" "$TMP/imem2.bin" && ok || bad "--emit imem FILE differs"

# --sweep-lanes with a plot script
"$J" hxdp "$P" --maps "$M" --sweep-lanes --plot "$TMP/s.gp" >"$TMP/s.txt" || bad "sweep status"
[ "$(grep -c '^ *[1-8] ' "$TMP/s.txt")" -eq 8 ] && ok || bad "sweep rows"
grep -q "^plot '-'" "$TMP/s.gp" && ok || bad "gnuplot script"

# --table: every program equal to the interpreter
"$J" hxdp --table >"$TMP/tab.txt" 2>&1 && ok || bad "table status: $(cat "$TMP/tab.txt")"
[ "$(grep -c 'all equal' "$TMP/tab.txt")" -eq 8 ] && ok || bad "table rows not all equal"
# ... and every program at most 0.8 x the paper's rows per instruction
[ "$(awk '$6 == "yes"' "$TMP/tab.txt" | wc -l)" -eq 8 ] && ok || bad "table: not every program meets 0.8 x the paper: $(cat "$TMP/tab.txt")"

# failures: one line, non-zero
"$J" hxdp /nonexistent.o >/dev/null 2>"$TMP/e.txt" && bad "missing object accepted" || ok
[ "$(wc -l <"$TMP/e.txt")" -eq 1 ] && ok || bad "missing object: $(cat "$TMP/e.txt")"
"$J" hxdp build/tests/objs/subprogs.o --prog sub_main >/dev/null 2>"$TMP/e.txt" && bad "callback accepted" || ok
grep -q 'lddw func is not supported' "$TMP/e.txt" && ok || bad "callback message: $(cat "$TMP/e.txt")"

# bpf-to-bpf calls are inlined: the dispatcher (prog0..prog9) with a chain of 4
D=/usr/lib/x86_64-linux-gnu/bpf/xdp-dispatcher.o
if [ -f "$D" ]; then
	"$J" hxdp "$D" "$PCAP" --prog xdp_dispatcher --maps tests/maps/xdp_dispatcher.maps.json --quiet \
		>"$TMP/d.txt" 2>&1 && ok || bad "dispatcher: $(cat "$TMP/d.txt")"
	grep -q 'simulator equals interpreter on every packet and map' "$TMP/d.txt" && ok || bad "dispatcher not equal"
fi

finish
