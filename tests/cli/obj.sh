#!/bin/sh
# obj.sh - `jitnic info` and `jitnic disasm` on the objects of tests/objs:
# programs, subprograms, helpers, maps, JSON shape, and one-line errors
# with a non-zero status.  Uses "$JITNIC_BUILD/jitnic" (jq for JSON).
. "$(dirname "$0")/lib.inc"
need "$J"
O=build/tests/objs

# has NAME FILE TEXT: FILE contains the line fragment TEXT
has() { if grep -qF -- "$3" "$2"; then ok; else bad "$1: no '$3' in:"; cat "$2"; fi; }
# eq NAME GOT WANT
eq() { if [ "$2" = "$3" ]; then ok; else bad "$1: got '$2', want '$3'"; fi; }

"$J" info "$O/subprogs.o" >"$TMP/info" 2>&1
eq "info status" $? 0
has "info programs" "$TMP/info" "programs: 2"
has "info subprograms" "$TMP/info" "subprograms: loop_cb add_twice twice"
has "info helpers" "$TMP/info" "helpers: 181 (bpf_loop)"

"$J" info "$O/global_data.o" >"$TMP/info" 2>&1
has "info rodata" "$TMP/info" "read-only (section .rodata)"
has "info maps" "$TMP/info" "maps: 5"

"$J" info --json "$O/btf_maps.o" >"$TMP/json" 2>&1
eq "info json status" $? 0
eq "info json programs" "$(jq '.programs | length' "$TMP/json")" 8
eq "info json tc not runnable" "$(jq -r '.programs[] | select(.name == "prog_tc") | .runnable' "$TMP/json")" false
eq "info json lpm" "$(jq -r '.maps[] | select(.name == "lpm") | "\(.type_name) \(.key_size) \(.value_size) \(.max_entries) \(.flags)"' "$TMP/json")" "lpm_trie 8 4 16 1"
eq "info json helpers" "$(jq -c '[.programs[0].helpers[].name]' "$TMP/json")" '["bpf_map_lookup_elem","bpf_tail_call","bpf_redirect_map"]'

"$J" disasm --prog sub_other "$O/subprogs.o" >"$TMP/dis" 2>&1
eq "disasm status" $? 0
has "disasm header" "$TMP/dis" "program sub_other (section xdp, 11 instructions):"
has "disasm label" "$TMP/dis" "<twice>:"
has "disasm call" "$TMP/dis" "       1:	85 10 00 00 03 00 00 00	call 0x3"

"$J" disasm --json "$O/global_data.o" >"$TMP/json" 2>&1
eq "disasm json insns" "$(jq '.programs[0].insns | length' "$TMP/json")" 36
eq "disasm json lddw" "$(jq -r '.programs[0].insns[0].hex' "$TMP/json")" "18 61 00 00 00 00 00 00 00 00 00 00 0c 00 00 00"

"$J" disasm --prog nope "$O/subprogs.o" >"$TMP/out" 2>&1
eq "disasm missing program status" $? 1
has "disasm missing program" "$TMP/out" "no program called nope"

"$J" info "$O/extern.o" >"$TMP/out" 2>&1
eq "info extern status" $? 1
has "info extern" "$TMP/out" "jitnic info: obj: $O/extern.o: section .relxdp: relocation 0: unsupported extern LINUX_KERNEL_VERSION"
eq "info extern one line" "$(wc -l <"$TMP/out" | tr -d ' ')" 1

printf '\267\000\000\000\002\000\000\000\225\000\000\000\000\000\000\000' >"$TMP/p.bin"
"$J" disasm --raw "$TMP/p.bin" >"$TMP/out" 2>&1
has "disasm raw" "$TMP/out" "       1:	95 00 00 00 00 00 00 00	exit"
printf 'abc' >>"$TMP/p.bin"
"$J" info --raw "$TMP/p.bin" >"$TMP/out" 2>&1
eq "info raw partial status" $? 1
has "info raw partial" "$TMP/out" "offset 16: trailing partial instruction"

finish
