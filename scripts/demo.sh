#!/usr/bin/env bash
# scripts/demo.sh BUILD_DIR - the README's main job, for what exists today.
# Run it through `./sepia-dev demo`. Until the monitors and OSDs land it shows
# the pieces that are built: versions, CRUSH placement, and a daemon's admin
# socket driven with the sepia CLI.
set -euo pipefail
B=$(cd "${1:?usage: demo.sh BUILD_DIR}" && pwd)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d /tmp/sepia-demo.XXXXXX)
SEPIA=$B/src/tools/sepia/sepia
CRUSH=$B/src/tools/crush/sepia-crush
TESTD=$B/tests/integration/testd/sepia-testd
PID=

cleanup() { [ -z "$PID" ] || kill "$PID" 2>/dev/null || true; }
trap cleanup EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*" | sed "s|$B/[^ ]*/||g"; "$@"; }

say "Built in $B"
for p in "$SEPIA" "$CRUSH" "$TESTD"; do
	[ -x "$p" ] && "$p" --version
done

if [ -x "$CRUSH" ]; then
	say "CRUSH: a 12-OSD map (3 racks x 2 hosts x 2 OSDs), straw2 buckets"
	run "$CRUSH" build --num-osds 12 -o "$WORK/crush.bin" host straw2 2 rack straw2 2 root straw2 0
	run "$CRUSH" decompile "$WORK/crush.bin" -o "$WORK/crush.txt"
	sed -n '/^# buckets/,/^# rules/p' "$WORK/crush.txt" | head -n 24
	say "Where 10 inputs go, 3 replicas each, on separate hosts"
	run "$CRUSH" test -i "$WORK/crush.bin" --rule 0 --num-rep 3 --min-x 0 --max-x 9 --show-mappings
	say "Balance over 10,000 inputs"
	run "$CRUSH" test -i "$WORK/crush.bin" --rule 0 --num-rep 3 --min-x 0 --max-x 9999 --show-utilization | head -n 14
fi

say "A daemon and its admin socket (sepia-testd stands in until sepia-mon lands)"
cat >"$WORK/sepia.conf" <<CONF
[global]
run_dir = $WORK
log_file = $WORK/testd.log
[client]
ms_workers = 3
CONF
"$TESTD" -c "$WORK/sepia.conf" &
PID=$!
for _ in $(seq 100); do [ -S "$WORK/sepia-client.testd.asok" ] && break; sleep 0.05; done
run "$SEPIA" -c "$WORK/sepia.conf" daemon client.testd version
run "$SEPIA" -c "$WORK/sepia.conf" daemon client.testd config get ms_workers
run "$SEPIA" -c "$WORK/sepia.conf" daemon client.testd config set log_level debug
run "$SEPIA" -c "$WORK/sepia.conf" daemon client.testd counter inc 42
sleep 0.3
run "$SEPIA" -c "$WORK/sepia.conf" --format json daemon client.testd perf dump
run "$SEPIA" config help ms_max_message_size
kill "$PID"
wait "$PID" || true
PID=
say "Its log ($WORK/testd.log)"
tail -n 5 "$WORK/testd.log"

say "Next: sepia-mon and sepia-osd; this demo will then start a local cluster,"
echo "create a file system, use it and show it. Files of this run: $WORK"
