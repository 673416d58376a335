#!/usr/bin/env bash
# scripts/demo.sh BUILD_DIR - the README's main job: a local cluster started,
# used and shown. Run it through `./sepia-dev demo`. Today the cluster is
# three monitors (OSDs and the file system come with the next issues); the
# demo also kills the leader to show the cluster carrying on.
set -euo pipefail
B=$(cd "${1:?usage: demo.sh BUILD_DIR}" && pwd)
WORK=$(mktemp -d /tmp/sepia-demo.XXXXXX)
CLUSTER=$B/bin/sepia-cluster
SEPIA=$B/src/tools/sepia/sepia
CRUSH=$B/src/tools/crush/sepia-crush
export SEPIA_CONF=$WORK/cluster/sepia.conf

cleanup() { "$CLUSTER" down --dir "$WORK/cluster" >/dev/null 2>&1 || true; }
trap cleanup EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*" | sed "s|$B/[^ ]*/||g"; "$@"; }
leader() { "$SEPIA" --format json mon stat | sed -n 's/.*"leader_name": *"\([a-z]*\)".*/\1/p'; }

say "A three-monitor cluster on 127.0.0.1, everything under $WORK/cluster"
run "$CLUSTER" up --mons 3 --dir "$WORK/cluster"

say "The cluster as an operator sees it"
run "$SEPIA" status
run "$SEPIA" mon stat

say "A pool, its settings, and where an object of it would live"
run "$SEPIA" osd pool create rbd 32 3
run "$SEPIA" osd pool ls detail
run "$SEPIA" osd pool set rbd min_size 2
run "$SEPIA" osd map rbd my-object
echo "(no OSDs have booted yet, so the up set is empty: sepia-osd is the next issue)"

say "Central configuration, stored through consensus"
run "$SEPIA" config set osd osd_data /srv/sepia/osd
run "$SEPIA" config dump

say "The CRUSH map, through sepia-crush"
run "$SEPIA" osd getcrushmap -o "$WORK/crush.bin"
run "$CRUSH" decompile "$WORK/crush.bin" -o "$WORK/crush.txt"
sed -n '/^# rules/,$p' "$WORK/crush.txt"

say "Killing the leader: the others elect a new one and keep committing"
old=$(leader)
echo "leader is mon.$old; kill -9 $(cat "$WORK/cluster/run/mon.$old.pid")"
kill -9 "$(cat "$WORK/cluster/run/mon.$old.pid")"
run "$SEPIA" --timeout 30 osd pool create images 16
echo "new leader: mon.$(leader)"
run "$SEPIA" status

say "A daemon's admin socket"
live=$(for n in a b c; do [ "$n" != "$old" ] && echo "$n" && break; done)
run "$SEPIA" daemon "mon.$live" mon_status
run "$SEPIA" daemon "mon.$live" perf dump

say "Done. Logs and data of this run: $WORK"
