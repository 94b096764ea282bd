#!/bin/sh
# gen.sh - `jitnic gen`: every profile writes a valid pcap (checked by walking
# the records with od, independent of jitnic's reader), the JSON summary
# agrees with the file, a seed gives the same bytes, stdout output works,
# bad options fail with one line.  Uses "$JITNIC_BUILD/jitnic".
. "$(dirname "$0")/lib.inc"
need "$J"

u32() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }

# walk FILE: prints "packets bytes" or "bad <why>" (one od, one awk)
walk() {
	od -An -v -tu1 "$1" | awk '
	{ for (i = 1; i <= NF; i++) b[n++] = $i }
	function u32(o) { return b[o] + 256 * (b[o + 1] + 256 * (b[o + 2] + 256 * b[o + 3])) }
	END {
		if (u32(0) != 2712812621) { print "bad magic " u32(0); exit }
		if (u32(20) != 1) { print "bad linktype"; exit }
		for (off = 24; off < n; k++) {
			cap = u32(off + 8); len = u32(off + 12)
			if (cap != len || cap > 9216) { print "bad record " k ": caplen " cap " len " len; exit }
			off += 16 + cap; bytes += cap
		}
		if (off != n) { print "bad end: record runs past the file"; exit }
		print k + 0, bytes + 0
	}'
}

for p in internet datacenter attack malformed adversarial churn imix linerate; do
	if ! "$J" gen --profile "$p" --count 150 --seed 5 --json "$TMP/$p.pcap" >"$TMP/$p.json" 2>"$TMP/err"; then
		bad "$p: exit status $? ($(cat "$TMP/err"))"
		continue
	fi
	got=$(walk "$TMP/$p.pcap")
	want="$(json_num "$TMP/$p.json" packets) $(json_num "$TMP/$p.json" bytes)"
	if [ "$got" != "150 ${want#* }" ] || [ "${want% *}" != 150 ]; then
		bad "$p: file has '$got', JSON says '$want' (want 150 packets)"
	else
		ok
	fi
	prof=$(sed -n 's/^ *"profile":"\([a-z]*\)".*/\1/p' "$TMP/$p.json")
	[ "$prof" = "$p" ] && ok || bad "$p: JSON profile '$prof'"
done

# the benchmark reads elapsed_s and pps from the JSON
e=$(json_num "$TMP/internet.json" elapsed_s)
r=$(json_num "$TMP/internet.json" pps)
[ -n "$e" ] && [ -n "$r" ] && ok || bad "JSON lacks elapsed_s/pps"

# same seed, same bytes; another seed, other bytes; --out same as the argument
"$J" gen --profile malformed --count 500 --seed 9 "$TMP/a.pcap" >/dev/null
"$J" gen --profile malformed --count 500 --seed 9 --out "$TMP/b.pcap" >/dev/null
"$J" gen --profile malformed --count 500 --seed 10 "$TMP/c.pcap" >/dev/null
cmp -s "$TMP/a.pcap" "$TMP/b.pcap" && ok || bad "seed 9 twice: files differ"
cmp -s "$TMP/a.pcap" "$TMP/c.pcap" && bad "seeds 9 and 10: identical files" || ok

# stdout: the same pcap, the summary on stderr
"$J" gen --profile malformed --count 500 --seed 9 - >"$TMP/d.pcap" 2>"$TMP/err"
cmp -s "$TMP/a.pcap" "$TMP/d.pcap" && ok || bad "stdout output differs from the file"
grep -q "^gen: 500 packets" "$TMP/err" && ok || bad "stdout output: no summary on stderr"

# knobs on top of a profile
"$J" gen --count 200 --sizes 128 --mix ipv4:1,udp:1,vlan:0,qinq:0,ipip:0 --malformed 0 --order roundrobin:4 \
	--rate 10M --zipf 0 --attack 0 --json "$TMP/k.pcap" >"$TMP/k.json" || bad "knobs: exit $?"
[ "$(walk "$TMP/k.pcap")" = "200 25600" ] && ok || bad "knobs: 200 packets of 128 bytes expected, got $(walk "$TMP/k.pcap")"
# timestamps: 10 Mpps puts packet 199 about 20 us after packet 0
first=$(u32 "$TMP/k.pcap" 28)
off=$((24 + 199 * (16 + 128)))
last=$(u32 "$TMP/k.pcap" $((off + 4)))
span=$(( (last - first + 1000000000) % 1000000000 ))
[ "$span" -gt 10000 ] && [ "$span" -lt 40000 ] && ok || bad "rate 10M: 200 packets span $span ns"

# zero packets: just the header
"$J" gen --count 0 "$TMP/z.pcap" >/dev/null && [ "$(stat -c %s "$TMP/z.pcap")" = 24 ] && ok || bad "count 0"

# errors: status 2 for bad options, 1 for a failed write; one line on stderr
expect_fail() {
	want_status=$1 want=$2
	shift 2
	"$J" gen "$@" >"$TMP/out" 2>"$TMP/err"
	status=$?
	if [ "$status" != "$want_status" ] || ! grep -q -- "$want" "$TMP/err" || [ "$(wc -l <"$TMP/err")" != 1 ]; then
		bad "gen $*: status $status, stderr '$(cat "$TMP/err")' (want $want_status, '$want')"
	else
		ok
	fi
}
expect_fail 2 "unknown profile 'nope'" --profile nope "$TMP/x.pcap"
expect_fail 2 "sizes 'dist:64'" --sizes dist:64 "$TMP/x.pcap"
expect_fail 2 "mix 'ipv5:1'" --mix ipv5:1 "$TMP/x.pcap"
expect_fail 2 "order 'roundrobin:0'" --order roundrobin:0 "$TMP/x.pcap"
expect_fail 2 "\-\-count: bad value" --count 1.5 "$TMP/x.pcap"
expect_fail 2 "flows must be" --flows 2000000 "$TMP/x.pcap"
expect_fail 2 "give the output file once" --count 1
expect_fail 1 "pkt: /nonexistent/x.pcap: No such file" /nonexistent/x.pcap

finish
