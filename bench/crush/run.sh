#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/crush/run.sh - CRUSH mappings per second, sepia-crush vs crushtool,
# side by side in one run: same maps, same rule (3 replicas), same x range,
# each timed as a whole process writing --show-mappings to a file; the
# outputs must be identical. sepia-crush runs single-threaded (its default,
# like crushtool) and with --threads $(nproc). Prints per-run times, medians,
# rates and the ratios to crushtool.
#
# usage: bench/crush/run.sh PATH/TO/sepia-crush [N_1000 [N_12 [REPS]]]
#   (build sepia-crush in Release first; this script builds nothing)
set -euo pipefail

SEPIA=${1:?usage: $0 PATH/TO/sepia-crush [N_1000 [N_12 [REPS]]]}
N1000=${2:-1000000}
N12=${3:-2000000}
REPS=${4:-5}
NT=$(nproc)	# the multi-threaded variant uses every CPU

if ! command -v crushtool >/dev/null; then
	apt-get install -y ceph-common >/dev/null
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The two hierarchies: root -> 10 racks -> 10 hosts -> 10 OSDs, and 3 x 4 OSDs.
crushtool --outfn "$tmp/m1000.bin" --build --num_osds 1000 \
	host straw2 10 rack straw2 10 root straw2 0 >/dev/null
crushtool --outfn "$tmp/m12.bin" --build --num_osds 12 host straw2 4 root straw2 0 >/dev/null
# Both tools read the very same Ceph binary map file.

now() { date +%s.%N; }

# time_run OUT CMD... : seconds for one whole process
time_run() {
	local out=$1 t0 t1
	shift
	t0=$(now)
	"$@" >"$out"
	t1=$(now)
	echo "$t1 - $t0" | bc -l
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

bench() {
	local name=$1 n=$2 i ct sp s1
	local args=(--test --rule 0 --num-rep 3 --min-x 0 --max-x $((n - 1)) --show-mappings)
	: >"$tmp/ct.times"
	: >"$tmp/sp.times"
	: >"$tmp/s1.times"
	for ((i = 0; i < REPS; i++)); do	# interleaved so all see the same machine state
		time_run "$tmp/ct.out" crushtool -i "$tmp/$name.bin" "${args[@]}" >>"$tmp/ct.times"
		time_run "$tmp/sp.out" "$SEPIA" -i "$tmp/$name.bin" "${args[@]}" >>"$tmp/sp.times"
		cmp -s "$tmp/ct.out" "$tmp/sp.out" || { echo "$name: OUTPUT DIFFERS" >&2; exit 1; }
		time_run "$tmp/sp.out" "$SEPIA" --threads "$NT" -i "$tmp/$name.bin" "${args[@]}" >>"$tmp/s1.times"
		cmp -s "$tmp/ct.out" "$tmp/sp.out" || { echo "$name: OUTPUT DIFFERS" >&2; exit 1; }
	done
	ct=$(median <"$tmp/ct.times")
	sp=$(median <"$tmp/sp.times")
	s1=$(median <"$tmp/s1.times")
	printf '%s n=%d (%s replicas, outputs identical)\n' "$name" "$n" 3
	printf '  %-26s median %.3fs  %9.0f mappings/s\n' crushtool "$ct" "$(echo "$n / $ct" | bc -l)"
	printf '  %-26s median %.3fs  %9.0f mappings/s  ratio %.2fx\n' "sepia-crush" "$sp" \
		"$(echo "$n / $sp" | bc -l)" "$(echo "$ct / $sp" | bc -l)"
	printf '  %-26s median %.3fs  %9.0f mappings/s  ratio %.2fx\n' "sepia-crush --threads $NT" "$s1" \
		"$(echo "$n / $s1" | bc -l)" "$(echo "$ct / $s1" | bc -l)"
	echo "  runs (s): crushtool $(tr '\n' ' ' <"$tmp/ct.times")"
	echo "            sepia     $(tr '\n' ' ' <"$tmp/sp.times")"
	echo "            sepia -t$NT $(tr '\n' ' ' <"$tmp/s1.times")"
}

echo "crushtool: ceph-common $(dpkg-query -W -f='${Version}' ceph-common 2>/dev/null); sepia-crush: $SEPIA; reps: $REPS"
bench m1000 "$N1000"
bench m12 "$N12"
