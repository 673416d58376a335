#!/usr/bin/env bash
# scripts/demo.sh BUILD_DIR - the README's main job: a local cluster started,
# used and shown. Run it through `./sepia-dev demo`. The cluster is three
# monitors and three OSDs; the demo stores and reads objects with
# sepia-rados, runs a short write benchmark, then kills the monitors' leader
# to show the cluster carrying on. Steps whose programs are not built yet
# (sepia-osd, sepia-rados) are skipped with a note.
set -euo pipefail
B=$(cd "${1:?usage: demo.sh BUILD_DIR}" && pwd)
WORK=$(mktemp -d /tmp/sepia-demo.XXXXXX)
CLUSTER=$B/bin/sepia-cluster
SEPIA=$B/src/tools/sepia/sepia
CRUSH=$B/src/tools/crush/sepia-crush
RADOS=$B/src/tools/rados/sepia-rados
export SEPIA_CONF=$WORK/cluster/sepia.conf

cleanup() { "$CLUSTER" down --dir "$WORK/cluster" >/dev/null 2>&1 || true; }
trap cleanup EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*" | sed "s|$B/[^ ]*/||g; s|$WORK/||g"; "$@"; }
leader() { "$SEPIA" --format json mon stat | sed -n 's/.*"leader_name": *"\([a-z]*\)".*/\1/p'; }

# The first base port from 20000 up whose monitor ports nobody listens on.
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORT=20000
while listening "$PORT" || listening $((PORT + 1)) || listening $((PORT + 2)) ||
	listening $((PORT + 100)); do
	PORT=$((PORT + 1000))
done

OSDS=3
[ -x "$B/src/osd/sepia-osd" ] || OSDS=0
OBJECTS=0
((OSDS > 0)) && [ -x "$RADOS" ] && OBJECTS=1

say "A cluster on 127.0.0.1: three monitors and $OSDS OSDs, everything under $WORK/cluster"
((OSDS > 0)) || echo "(sepia-osd is not built in $B: monitors only)"
run "$CLUSTER" up --mons 3 --osds "$OSDS" --dir "$WORK/cluster" --base-port "$PORT"

say "The cluster as an operator sees it"
run "$SEPIA" status
run "$SEPIA" mon stat
((OSDS == 0)) || run "$SEPIA" osd tree

say "A pool of three replicas, and where an object of it lives"
run "$SEPIA" osd pool create rbd 32
run "$SEPIA" osd pool set rbd size 3
run "$SEPIA" osd pool set rbd min_size 2
run "$SEPIA" osd pool ls detail
run "$SEPIA" osd map rbd my-object
((OSDS > 0)) || echo "(no OSDs, so the up set is empty)"

if ((OBJECTS)); then
	say "Objects through sepia-rados (Ceph's rados command line)"
	head -c 3000000 /dev/urandom >"$WORK/photo.jpg"
	run "$RADOS" -p rbd put my-object "$WORK/photo.jpg"
	echo "hello, sepia" | run "$RADOS" -p rbd put greeting -
	run "$RADOS" -p rbd get my-object "$WORK/photo.copy"
	run cmp "$WORK/photo.jpg" "$WORK/photo.copy" && echo "the copy is byte for byte the original"
	run "$RADOS" -p rbd get greeting -
	run "$RADOS" -p rbd ls
	run "$RADOS" -p rbd stat my-object
	run "$RADOS" -p rbd setxattr my-object camera "pinhole"
	run "$RADOS" -p rbd setomapval my-object taken 2024-05-01
	run "$RADOS" -p rbd listomapvals my-object
	run "$RADOS" -p rbd -N holidays put beach "$WORK/photo.jpg"
	run "$RADOS" -p rbd --all ls

	say "Five seconds of 4 MiB writes, 16 in flight, like rados bench"
	run "$RADOS" -p rbd bench 5 write -t 16
	run "$RADOS" df
	run "$SEPIA" status
	run "$SEPIA" osd tree
elif ((OSDS > 0)); then
	echo "(sepia-rados is not built in $B: no objects stored)"
fi

say "Central configuration, stored through consensus"
run "$SEPIA" config set osd osd_max_object_size 256M
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
if ((OSDS > 0)); then
	# PG statistics are soft state at the leader: the new one learns them
	# from the OSDs' next reports (osd_mon_report_interval).
	echo "waiting for the OSDs to report their PGs to the new leader"
	for _ in $(seq 30); do
		"$SEPIA" pg stat 2>/dev/null | grep -q unknown || break
		sleep 1
	done
fi
run "$SEPIA" status
if ((OBJECTS)); then
	run "$RADOS" -p rbd get greeting -
fi

say "A daemon's admin socket"
live=$(for n in a b c; do [ "$n" != "$old" ] && echo "$n" && break; done)
run "$SEPIA" daemon "mon.$live" mon_status
run "$SEPIA" daemon "mon.$live" perf dump
((OSDS == 0)) || run "$SEPIA" daemon osd.0 status

say "Stopping the cluster"
run "$CLUSTER" down --dir "$WORK/cluster"

say "Done. Logs and data of this run: $WORK"
