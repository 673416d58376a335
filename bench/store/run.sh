#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/store/run.sh - the local object store benchmark: BlockStore (bench_store)
# side by side with dd and fio on the same filesystem, interleaved, REPS
# times each; prints medians and ratios against the targets.
# Usage: bench/store/run.sh [BUILD_DIR] [REPS] [OBJECTS] [SECONDS] [META_OBJECTS]
#   BUILD_DIR defaults to build-storetool-rel (Release). Scratch space goes
#   under $SEPIA_BENCH_DIR (default /var/tmp; must not be tmpfs) and is
#   removed at the end. Page cache is dropped before each read phase when
#   /proc/sys/vm/drop_caches is writable (the output says whether it was).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build-storetool-rel}
reps=${2:-5}
nobj=${3:-256}
secs=${4:-5}
nmeta=${5:-200000}
bin=$build/bench/store/bench_store
[ -x "$bin" ] || { echo "build first: ninja -C $build bench_store" >&2; exit 1; }
command -v fio >/dev/null || apt-get install -y fio >/dev/null
base=${SEPIA_BENCH_DIR:-/var/tmp}
fstype=$(df -T "$base" | awk 'NR==2 {print $2}')
[ "$fstype" != tmpfs ] || { echo "$base is tmpfs; set SEPIA_BENCH_DIR to a disk" >&2; exit 1; }
dir=$(mktemp -d "$base/sepia-storebench.XXXXXX")
tmp=$(mktemp -d)
trap 'rm -rf "$dir" "$tmp"' EXIT

median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
drop() { sync; if echo 3 >/proc/sys/vm/drop_caches 2>/dev/null; then echo yes; else echo no; fi; }
# dd's summary line -> MB/s (bytes / seconds, as dd itself computes it).
ddrate() { tail -n 1 | awk '{for (i = 1; i <= NF; i++) if ($i == "s,") s = $(i-1); print $1 / s / 1e6}'; }
fio_iops() {
	fio --name=x --filename="$dir/fio" --rw=randwrite --bs=4k --fdatasync=1 --iodepth=1 \
	    --ioengine=psync --size=64M --runtime="$secs" --time_based --output-format=json |
	    python3 -c 'import json,sys; print(json.load(sys.stdin)["jobs"][0]["write"]["iops"])'
}

i=0
while [ $i -lt "$reps" ]; do
	rm -rf "$dir/s" "$dir/dd"
	"$bin" write "$dir/s" "$nobj" >>"$tmp/w_store"
	dd if=/dev/zero of="$dir/dd" bs=4M count="$nobj" oflag=direct 2>&1 | ddrate >>"$tmp/w_dd"
	drop >"$tmp/dropped"
	"$bin" read "$dir/s" "$nobj" >>"$tmp/r_store"
	drop >/dev/null
	dd if="$dir/dd" of=/dev/null bs=4M iflag=direct 2>&1 | ddrate >>"$tmp/r_dd"
	rm -f "$dir/dd"
	"$bin" overwrite "$dir/s" 16 "$secs" >>"$tmp/ow16"
	"$bin" overwrite "$dir/s" 1 "$secs" >>"$tmp/ow1"
	fio_iops >>"$tmp/fio"
	rm -f "$dir/fio"
	i=$((i + 1))
done
rm -rf "$dir/s"
"$bin" meta "$dir/m" "$nmeta" >"$tmp/meta"

for m in w_store w_dd r_store r_dd ow16 ow1 fio; do
	eval "$m=$(median <"$tmp/$m")"
done
rss=$(awk '{print $1}' "$tmp/meta")
db=$(awk '{print $2}' "$tmp/meta")
ratio() { echo "$1 $2" | awk '{printf "%.2f", $1 / $2}'; }
echo "local object store benchmark: $reps runs, $nobj x 4 MiB objects, ${secs}s commit runs,"
echo "  $(nproc) cores, $base on $fstype ($(df "$base" | awk 'NR==2 {print $1}')), page cache dropped: $(cat "$tmp/dropped")"
printf '%-46s %10s %10s %7s %8s\n' "case" "store" "anchor" "ratio" "target"
printf '%-46s %10.0f %10.0f %7s %8s\n' "(a) 4 MiB writes QD4 vs dd oflag=direct, MB/s" "$w_store" "$w_dd" "$(ratio "$w_store" "$w_dd")" ">=0.85"
printf '%-46s %10.0f %10.0f %7s %8s\n' "(b) 4 MiB reads vs dd iflag=direct, MB/s" "$r_store" "$r_dd" "$(ratio "$r_store" "$r_dd")" ">=0.85"
printf '%-46s %10.0f %10.0f %7s %8s\n' "(c) 4 KiB overwrites QD16 vs fio fdatasync, /s" "$ow16" "$fio" "$(ratio "$ow16" "$fio")" ">=2"
printf '%-46s %10.0f %10.0f %7s %8s\n' "(d) 4 KiB commits QD1 vs fio fdatasync, /s" "$ow1" "$fio" "$(ratio "$ow1" "$fio")" ">=0.8"
echo "memory: $nmeta empty objects: RSS +$rss bytes, RocksDB $db bytes;" \
	"per million: RSS $(echo "$rss $nmeta" | awk '{printf "%.0f MiB", $1 / $2 * 1e6 / 1048576}'), RocksDB $(echo "$db $nmeta" | awk '{printf "%.0f MiB", $1 / $2 * 1e6 / 1048576}')"
echo "raw runs:"; for f in w_store w_dd r_store r_dd ow16 ow1 fio; do printf '  %s: %s\n' "$f" "$(tr '\n' ' ' <"$tmp/$f")"; done
