#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/rados/ceph_cluster.sh - a throwaway local Ceph cluster (the anchor of
# the sepia-rados benchmark), entirely under one directory.
#
#   ceph_cluster.sh up DIR [--osds N] [--pg-num N] [--mon-port PORT]
#   ceph_cluster.sh status DIR
#   ceph_cluster.sh down DIR
#
# up: one ceph-mon (monmaptool + mkfs, auth none, msgr2 only) on 127.0.0.1,
# one ceph-mgr (the PG states that `ceph pg stat` reports come from it), and
# N ceph-osd (default 3) with BlueStore on a sparse 16 GiB file each (no
# separate DB/WAL device), osd_memory_target = 896 MiB, default settings
# otherwise; one host, so CRUSH chooses leaves of type osd. Then it creates
# the pool `bench` (size 3, pg_num 32, autoscaler off, application rados)
# and waits until every PG is active+clean. Running `up` again on a healthy
# cluster does nothing; on a dead one it starts over.
# down: stops every daemon of the cluster (pid files, then any process still
# using DIR/ceph.conf) and deletes DIR. Missing DIR is fine.
# status: `ceph -s` of the cluster.
#
# Use the cluster with: rados -c DIR/ceph.conf -p bench bench 10 write
# Nothing outside DIR is touched: no /etc/ceph, no systemd, no keyrings.
# Exit status: 0 ok, 1 error, 2 usage, 77 Ceph binaries not installed (skip).
set -euo pipefail

OSDS=3
PG_NUM=32
MON_PORT=
BLOCK_SIZE=17179869184         # 16 GiB, sparse
MEMORY_TARGET=939524096        # 896 MiB
MARKER="# Written by bench/rados/ceph_cluster.sh"
TIMEOUT=${CEPH_CLUSTER_TIMEOUT:-180}   # seconds for each wait

prog=${0##*/}
die() { echo "$prog: error: $*" >&2; exit 1; }
say() { echo "$prog: $*" >&2; }
usage() { sed -n '6,8p' "$0" | sed 's/^# \{0,1\}//' >&2; exit "${1:-2}"; }

# --- helpers ---------------------------------------------------------------

check_binaries() {
	local b missing=()
	for b in ceph-mon ceph-osd ceph-mgr ceph monmaptool python3; do
		command -v "$b" >/dev/null 2>&1 || missing+=("$b")
	done
	if ((${#missing[@]})); then
		echo "$prog: skipped: not installed: ${missing[*]}" \
			"(apt-get install -y ceph-mon ceph-osd ceph-mgr ceph-common)" >&2
		exit 77
	fi
}

# A TCP port on 127.0.0.1 that nothing listens on right now: the first free
# one from 3300 (Ceph's msgr2 port) up, away from the ephemeral range where
# other local clusters (sepia-cluster: 40000 up) live.
free_port() {
	python3 -c '
import socket, sys
for port in range(3300, 3400):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    sys.exit(0)
sys.exit("no free port in 3300-3399")'
}

cephc() { timeout 60 ceph -c "$DIR/ceph.conf" --connect-timeout 20 "$@"; }

# JSON on stdin, a Python expression over it (as `j`) -> printed.
jq_py() { python3 -c "import json, sys; j = json.load(sys.stdin); print($1)"; }

pid_of() { # name -> pid if that daemon is alive
	local f="$DIR/run/$1.pid" pid
	[ -f "$f" ] || return 1
	pid=$(cat "$f")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# Pids of processes whose command line names our ceph.conf (daemons and
# clients of this cluster only).
cluster_pids() {
	local p cmd conf="$DIR/ceph.conf"
	for p in /proc/[0-9]*; do
		cmd=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) || continue
		[[ $cmd == *"$conf "* ]] || continue
		echo "${p#/proc/}"
	done
}

is_ours() { [ -f "$DIR/ceph.conf" ] && [[ $(head -n 1 "$DIR/ceph.conf") == "$MARKER"* ]]; }

start_daemon() { # binary name id
	local bin=$1 name=$2 id=$3
	setsid "$bin" -f -c "$DIR/ceph.conf" -i "$id" \
		>>"$DIR/log/$name.out" 2>&1 </dev/null &
	echo $! >"$DIR/run/$name.pid"
	say "  $name: pid $!, log $DIR/log/$name.log"
}

wait_for() { # description command... (retried until it succeeds or TIMEOUT)
	local what=$1 deadline=$((SECONDS + TIMEOUT))
	shift
	until "$@" >/dev/null 2>&1; do
		if ((SECONDS >= deadline)); then
			say "timed out after ${TIMEOUT}s waiting for $what; logs in $DIR/log/"
			cephc -s >&2 || true
			exit 1
		fi
		sleep 1
	done
}

# --- checks used with wait_for ---------------------------------------------

mon_ready() { cephc mon stat >/dev/null; }

mgr_ready() {
	[ "$(cephc mgr stat -f json | jq_py 'j.get("available", False)')" = True ]
}

osds_up() {
	local up
	up=$(cephc osd stat -f json | jq_py 'j.get("num_up_osds", j.get("osdmap", {}).get("num_up_osds", 0))')
	[ "$up" -eq "$OSDS" ]
}

# Every PG of the cluster (not only of `bench`) active+clean, and `bench`
# with all of its PGs known to the mgr.
pgs_clean() {
	local js
	js=$(cephc pg ls-by-pool bench -f json) || return 1
	[ "$(echo "$js" | jq_py 'len(j["pg_stats"] if isinstance(j, dict) else j)')" -eq "$PG_NUM" ] || return 1
	[ "$(cephc pg stat -f json | jq_py '
		sum(s["num"] for s in j["pg_summary"]["num_pg_by_state"] if s["name"] == "active+clean")
		== j["pg_summary"]["num_pgs"] > 0')" = True ]
}

healthy() { mon_ready && mgr_ready && osds_up && pgs_clean; }

# --- up ----------------------------------------------------------------------

write_conf() {
	local fsid=$1
	cat >"$DIR/ceph.conf" <<CONF
$MARKER on $(date -u +%FT%TZ).
[global]
fsid = $fsid
mon_host = [v2:127.0.0.1:$MON_PORT]
mon_initial_members = a
public_addr = 127.0.0.1
ms_bind_msgr1 = false
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
run_dir = $DIR/run
admin_socket = $DIR/run/\$name.asok
osd_pool_default_size = 3
osd_pool_default_min_size = 2
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
mon_allow_pool_delete = true

[mon]
mon_data = $DIR/mon.\$id
log_file = $DIR/log/\$name.log

[mgr]
mgr_data = $DIR/mgr.\$id
log_file = $DIR/log/\$name.log

[osd]
osd_data = $DIR/osd.\$id
log_file = $DIR/log/\$name.log
osd_objectstore = bluestore
bluestore_block_path = $DIR/osd.\$id.block
bluestore_block_size = $BLOCK_SIZE
bluestore_block_create = true
bluestore_block_db_create = false
bluestore_block_wal_create = false
osd_memory_target = $MEMORY_TARGET
CONF
}

make_osd() { # -> prints the new id
	local uuid id
	uuid=$(cat /proc/sys/kernel/random/uuid)
	id=$(cephc osd new "$uuid") || die "ceph osd new failed"
	mkdir -p "$DIR/osd.$id"
	ceph-osd -c "$DIR/ceph.conf" -i "$id" --mkfs --osd-uuid "$uuid" \
		>>"$DIR/log/osd.$id.mkfs" 2>&1 ||
		die "ceph-osd --mkfs for osd.$id failed; see $DIR/log/osd.$id.mkfs and osd.$id.log"
	echo "$id"
}

cmd_up() {
	local fsid i id
	if [ -e "$DIR" ]; then
		if is_ours && pid_of mon.a >/dev/null && healthy; then
			say "cluster in $DIR is already up and clean"
			return 0
		fi
		if is_ours; then
			say "stale or unhealthy cluster in $DIR: starting over"
			cmd_down
		elif [ -n "$(ls -A "$DIR")" ]; then
			die "$DIR exists, is not empty and was not made by $prog; refusing to use it"
		fi
	fi
	local fstype
	mkdir -p "$DIR/run" "$DIR/log"
	fstype=$(df -T "$DIR" | awk 'NR == 2 {print $2}')
	[ "$fstype" != tmpfs ] || die "$DIR is on tmpfs; BlueStore needs O_DIRECT (use a disk)"
	DIR=$(cd "$DIR" && pwd)
	[ -n "$MON_PORT" ] || MON_PORT=$(free_port)
	fsid=$(cat /proc/sys/kernel/random/uuid)
	write_conf "$fsid"

	say "mon.a on 127.0.0.1:$MON_PORT (fsid $fsid)"
	monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$MON_PORT]" \
		"$DIR/monmap" >"$DIR/log/monmaptool.out" 2>&1 ||
		die "monmaptool failed: $(cat "$DIR/log/monmaptool.out")"
	mkdir -p "$DIR/mon.a"
	ceph-mon -c "$DIR/ceph.conf" --mkfs -i a --monmap "$DIR/monmap" \
		>"$DIR/log/mon.a.mkfs" 2>&1 ||
		die "ceph-mon --mkfs failed; see $DIR/log/mon.a.mkfs"
	start_daemon ceph-mon mon.a a
	wait_for "the monitor" mon_ready

	mkdir -p "$DIR/mgr.x"
	start_daemon ceph-mgr mgr.x x
	for ((i = 0; i < OSDS; i++)); do
		id=$(make_osd)
		start_daemon ceph-osd "osd.$id" "$id"
	done
	wait_for "$OSDS OSDs up" osds_up
	wait_for "the mgr" mgr_ready

	cephc osd pool create bench "$PG_NUM" "$PG_NUM" replicated >/dev/null 2>&1 ||
		die "ceph osd pool create bench failed"
	cephc osd pool set bench size 3 >/dev/null 2>&1 || die "setting size 3 on bench failed"
	cephc osd pool application enable bench rados >/dev/null 2>&1 || true
	wait_for "pool bench active+clean" pgs_clean
	say "up: $OSDS OSDs, pool bench (size 3, pg_num $PG_NUM) active+clean; conf $DIR/ceph.conf"
}

# --- down --------------------------------------------------------------------

cmd_down() {
	local f pid pids=() i
	[ -e "$DIR" ] || { say "$DIR does not exist: nothing to do"; return 0; }
	DIR=$(cd "$DIR" && pwd)
	if ! is_ours && [ -n "$(ls -A "$DIR")" ]; then
		die "$DIR was not made by $prog (no marker in $DIR/ceph.conf); refusing to delete it"
	fi
	for f in "$DIR"/run/*.pid; do
		[ -f "$f" ] || continue
		pid=$(cat "$f")
		[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && pids+=("$pid")
	done
	while read -r pid; do
		[[ " ${pids[*]} " == *" $pid "* ]] || pids+=("$pid")
	done < <(cluster_pids)
	if ((${#pids[@]})); then
		kill -TERM "${pids[@]}" 2>/dev/null || true
		for ((i = 0; i < 100; i++)); do # up to 10 s for a clean exit
			kill -0 "${pids[@]}" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "${pids[@]}" 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do
			kill -0 "${pids[@]}" 2>/dev/null || break
			sleep 0.1
		done
		say "stopped ${#pids[@]} process(es)"
	fi
	rm -rf "$DIR"
	say "removed $DIR"
}

cmd_status() {
	is_ours || die "no cluster in $DIR"
	cephc -s
}

# --- main --------------------------------------------------------------------

case ${1:-} in -h | --help | help) usage 0 ;; esac
[ $# -ge 2 ] || usage
CMD=$1 DIR=$2
shift 2
while [ $# -gt 0 ]; do
	case $1 in
	--osds) OSDS=${2:?}; shift 2 ;;
	--pg-num) PG_NUM=${2:?}; shift 2 ;;
	--mon-port) MON_PORT=${2:?}; shift 2 ;;
	-h | --help) usage 0 ;;
	*) echo "$prog: unknown option $1" >&2; usage ;;
	esac
done
[[ $OSDS =~ ^[1-9][0-9]*$ ]] || die "--osds wants a positive number"
[[ $PG_NUM =~ ^[1-9][0-9]*$ ]] || die "--pg-num wants a positive number"
[ "$DIR" != / ] || die "refusing to use / as the cluster directory"

case $CMD in
up) check_binaries; cmd_up ;;
down) cmd_down ;;
status) check_binaries; cmd_status ;;
*) usage ;;
esac
