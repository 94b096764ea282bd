#!/bin/sh
# fuzz.sh - build every libFuzzer harness in tests/fuzz/ with clang (ASan +
# UBSan) and run each for FUZZ_TIME seconds (default 60), seeded with real
# inputs (FUZZ_ONLY=fuzz_x runs one).  Prints the executions each ran clean;
# non-zero exit on a crash.
set -e
cd "$(dirname "$0")/.."
T=${FUZZ_TIME:-60}
O=build-fuzz
mkdir -p $O/obj $O/corpus
FLAGS="-g -O1 -std=gnu11 -Isrc $(pkg-config --cflags libbpf libelf libpcap json-c) -fsanitize=fuzzer-no-link,address,undefined"
LIBS="$(pkg-config --libs libbpf libelf libpcap json-c) -lm"
objs=""
newest_h=$(ls -t src/*/*.h | head -1)   # a changed header rebuilds everything
for f in $(ls src/*/*.c | grep -v -e '^src/cli/' -e '^src/conformance/'); do
	o=$O/obj/$(echo "$f" | tr / _).o
	if [ ! -f "$o" ] || [ "$f" -nt "$o" ] || [ "$newest_h" -nt "$o" ]; then clang $FLAGS -c "$f" -o "$o"; fi
	objs="$objs $o"
done
make -s progs >/dev/null
status=0
summary=""
for h in tests/fuzz/fuzz_*.c; do
	name=$(basename "$h" .c)
	[ -n "$FUZZ_ONLY" ] && [ "$FUZZ_ONLY" != "$name" ] && continue
	clang $FLAGS -fsanitize=fuzzer "$h" $objs $LIBS -o $O/$name
	corpus=$O/corpus/$name
	mkdir -p "$corpus"
	case $name in
	fuzz_pcap) cp ../shared/data/pcaps/gopacket_test_dns.pcap ../shared/data/pcaps/tcpdump_icmpv6.pcap "$corpus"/ 2>/dev/null || true ;;
	fuzz_obj) cp build/progs/*.o "$corpus"/ 2>/dev/null || true ;;
	fuzz_vm|fuzz_isa)  # seeds: the code of the shipped programs
		for p in build/progs/*.o; do
			llvm-objcopy-19 -O binary --only-section=xdp "$p" "$corpus/$(basename "$p" .o).bin" 2>/dev/null || true
		done ;;
	fuzz_nic)  # seeds: one config byte (program, cache, policy) + a small generated capture
		make -s build/jitnic >/dev/null
		i=0
		for prof in internet malformed adversarial churn datacenter attack; do
			build/jitnic gen --profile $prof --count 48 --seed $i --out $O/seed.pcap >/dev/null
			for c in $i $((i + 8 + 32)) $((i + 16 + 64 + 1)) $((i + 24 + 96 + 2)); do
				{ printf "\\$(printf %03o $((c % 256)))"; cat $O/seed.pcap; } >"$corpus/seed_${prof}_$c"
			done
			i=$((i + 1))
		done ;;
	fuzz_hxdp)  # seeds: one config byte (program, lanes or pass off) + generated packets as
		# 2-byte little-endian words (length | clock step << 12) each followed by its bytes
		make -s build/jitnic >/dev/null
		i=0
		for prof in internet malformed adversarial churn datacenter attack; do
			build/jitnic gen --profile $prof --count 24 --seed $i --out $O/seed.pcap >/dev/null
			off=24 k=0 end=$(wc -c <$O/seed.pcap)
			while [ $off -lt $end ]; do
				len=$(od -An -tu4 -j $((off + 8)) -N4 $O/seed.pcap | tr -d ' ')
				w=$((len | (4 + k % 8) << 12))
				printf "\\$(printf %03o $((w % 256)))\\$(printf %03o $((w / 256)))"
				tail -c +$((off + 17)) $O/seed.pcap | head -c "$len"
				off=$((off + 16 + len)) k=$((k + 1))
			done >$O/seed.seq
			for p in 0 1 2 3 4 5 6 7 8 9 10 11; do
				c=$((p + 12 * ((p + 5 * i) % 19)))
				{ printf "\\$(printf %03o $c)"; cat $O/seed.seq; } >"$corpus/seed_${prof}_$c"
			done
			i=$((i + 1))
		done ;;
	esac
	echo "=== $name (${T}s)"
	extra=""
	# fuzz_nic's and fuzz_hxdp's corpora hold many features per input: entropic
	# scheduling spends most of the time on bookkeeping there (3x, 9x fewer executions)
	case $name in fuzz_nic|fuzz_hxdp) extra=-entropic=0 ;; esac
	if $O/$name $extra -max_total_time="$T" -rss_limit_mb=2048 -print_final_stats=1 "$corpus" >$O/$name.log 2>&1; then
		runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' $O/$name.log | grep -o '[0-9]*$')
		summary="$summary\n$name: $runs executions, no crash"
	else
		status=1
		summary="$summary\n$name: CRASH (see $O/$name.log)"
		tail -30 $O/$name.log
	fi
done
printf "fuzz summary:$summary\n"
exit $status
