#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/msg/run.sh - runs the messenger benchmark and its plain-socket anchors
# in one go, interleaved, REPS times each, and prints medians and ratios.
# Usage: bench/msg/run.sh [BUILD_DIR] [REPS] [SECONDS]
#   BUILD_DIR defaults to build-msg-rel (a Release build, see BENCHMARKS.md).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build-msg-rel}
reps=${2:-5}
secs=${3:-3}
bin=$build/bench/msg/bench_msg
[ -x "$bin" ] || { echo "build first: ninja -C $build bench_msg" >&2; exit 1; }

median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
i=0
while [ $i -lt "$reps" ]; do
	for m in msg-bulk plain-bulk msg-bulk-nocrc msg-rate plain-rate msg-lat plain-lat; do
		case $m in
		msg-bulk-nocrc) "$bin" msg-bulk "$secs" nocrc >>"$tmp/$m" ;;
		*) "$bin" "$m" "$secs" >>"$tmp/$m" ;;
		esac
	done
	i=$((i + 1))
done
"$bin" msg-idle 1000 >"$tmp/idle"
for m in msg-bulk plain-bulk msg-bulk-nocrc msg-rate plain-rate msg-lat plain-lat; do
	eval "$(echo "$m" | tr '-' '_')=$(median <"$tmp/$m")"
done
idle=$(cat "$tmp/idle")
echo "messenger benchmark, loopback, $reps runs x ${secs}s each, medians ($(nproc) cores)"
printf '%-44s %12s %12s %8s\n' "case" "messenger" "plain" "ratio"
printf '%-44s %12.0f %12.0f %7.1f%%\n' "bulk 4 MiB msgs, MB/s (crc32c on data)" "$msg_bulk" "$plain_bulk" \
	"$(echo "$msg_bulk $plain_bulk" | awk '{print 100*$1/$2}')"
printf '%-44s %12.0f %12.0f %7.1f%%\n' "bulk 4 MiB msgs, MB/s (ms_crc_data=false)" "$msg_bulk_nocrc" "$plain_bulk" \
	"$(echo "$msg_bulk_nocrc $plain_bulk" | awk '{print 100*$1/$2}')"
printf '%-44s %12.0f %12.0f %7.1f%%\n' "64 B msgs, 16 in flight, round trips/s" "$msg_rate" "$plain_rate" \
	"$(echo "$msg_rate $plain_rate" | awk '{print 100*$1/$2}')"
printf '%-44s %12.1f %12.1f %7.2fx\n' "64 B round-trip latency, us (lower better)" "$msg_lat" "$plain_lat" \
	"$(echo "$msg_lat $plain_lat" | awk '{print $1/$2}')"
printf '%-44s %12.0f\n' "RSS per idle server connection, bytes" "$idle"
echo "raw runs:"; for f in "$tmp"/*; do printf '  %s: %s\n' "$(basename "$f")" "$(tr '\n' ' ' <"$f")"; done
