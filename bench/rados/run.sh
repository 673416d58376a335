#!/usr/bin/env bash
# shellcheck disable=SC2317 # cleanup (a trap) and rados_of (via bash -c) are called indirectly
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/rados/run.sh - sepia-rados bench against rados bench, side by side:
# a local Ceph 16.2 cluster (ceph_cluster.sh) and a local Sepia cluster
# (sepia-cluster), each with 1 monitor, 3 OSDs and a pool `bench` of size 3
# and 32 PGs, running at the same time on this host.
#
#   bench/rados/run.sh [--seconds N] [--rounds R] [--only ceph|sepia] [--keep]
#
# Cases, on both systems, interleaved case by case (the order of the two
# systems alternates from round to round), R rounds (default 3) of N seconds
# (default 10) each:
#   (a) bench N write -b 4194304 -t 16 --no-cleanup   4 MiB writes -> MB/s
#   (b) bench N seq -t 16                             reads (a)'s objects -> MB/s
#       (like rados bench, it ends early once it has read all of them)
#   (c) bench N write -b 4096 -t 16                   4 KiB writes -> IOPS
# (a)'s objects are removed (`cleanup`) after (b) in each round; (c) removes
# its own. Page cache is dropped before (b) when /proc/sys/vm/drop_caches is
# writable. After the last round the resident memory (VmRSS from
# /proc/PID/status) of each system's OSD processes is summed.
# Prints a markdown table of medians with the ratio Sepia/Ceph on stdout
# (progress on stderr), then the raw figures of every round.
#
# Environment:
#   SEPIA_BUILD_DIR  build tree with bin/sepia-cluster, src/tools/sepia/sepia
#                    and src/tools/rados/sepia-rados (default build-release);
#                    if any is missing the Sepia side is skipped. Sepia's OSDs
#                    get 8 GiB preallocated stores (needs ~25 GiB free).
#   SEPIA_BENCH_DIR  where the two clusters live (default /tmp; not tmpfs:
#                    BlueStore wants O_DIRECT). Ceph's OSDs use sparse 16 GiB
#                    files; everything is removed at the end unless --keep.
# A failed run is reported and the others go on; its outputs and the
# clusters' logs are then kept in $SEPIA_BENCH_DIR/sepia-radosbench-failed.*.
# Exit status: 0 ok, 1 a run failed, 2 usage, 77 neither system available.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SECS=10
ROUNDS=3
KEEP=0
ONLY=
BUILD=${SEPIA_BUILD_DIR:-$ROOT/build-release}
BASE=${SEPIA_BENCH_DIR:-/tmp}
PG_NUM=32
OBJ_4M=4194304

prog=${0##*/}
say() { echo "$prog: $*" >&2; }
die() { echo "$prog: error: $*" >&2; exit 1; }
usage() { sed -n '9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit "${1:-2}"; }

while [ $# -gt 0 ]; do
	case $1 in
	--seconds) SECS=${2:?}; shift 2 ;;
	--rounds) ROUNDS=${2:?}; shift 2 ;;
	--only) ONLY=${2:?}; shift 2 ;;
	--keep) KEEP=1; shift ;;
	-h | --help) usage 0 ;;
	*) echo "$prog: unknown option $1" >&2; usage ;;
	esac
done
[[ $SECS =~ ^[1-9][0-9]*$ ]] || die "--seconds wants a positive number"
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "--rounds wants a positive number"
[[ $ONLY =~ ^(|ceph|sepia)$ ]] || die "--only wants ceph or sepia"

SEPIA_CLUSTER=$BUILD/bin/sepia-cluster
SEPIA=$BUILD/src/tools/sepia/sepia
SEPIA_RADOS=$BUILD/src/tools/rados/sepia-rados

# Work directory: both clusters and the raw outputs.
[ -d "$BASE" ] || die "$BASE does not exist"
[ "$(df -T "$BASE" | awk 'NR == 2 {print $2}')" != tmpfs ] ||
	die "$BASE is tmpfs; set SEPIA_BENCH_DIR to a directory on a disk"
WORK=$(mktemp -d "$BASE/sepia-radosbench.XXXXXX")
CEPH_DIR=$WORK/ceph
SEPIA_DIR=$WORK/sepia
OUT=$WORK/out # raw bench outputs and per-case figures
mkdir -p "$OUT"
SYSTEMS=()   # the systems that are up, ceph and/or sepia
FAILED=0

# --- cleanup -----------------------------------------------------------------

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if ((KEEP)); then
		say "--keep: clusters left running under $WORK"
		say "  stop them with: $HERE/ceph_cluster.sh down $CEPH_DIR;" \
			"$SEPIA_CLUSTER down --dir $SEPIA_DIR; rm -rf $WORK"
		exit "$rc"
	fi
	if ((FAILED || (rc && rc != 77))); then # keep what explains the failure
		local keep
		keep=$(mktemp -d "$BASE/sepia-radosbench-failed.XXXXXX")
		cp -r "$OUT" "$keep/out"
		[ ! -d "$CEPH_DIR/log" ] || cp -r "$CEPH_DIR/log" "$keep/ceph-log"
		[ ! -d "$SEPIA_DIR/log" ] || cp -r "$SEPIA_DIR/log" "$keep/sepia-log"
		say "outputs and logs kept in $keep"
	fi
	if [ -d "$CEPH_DIR" ]; then
		"$HERE/ceph_cluster.sh" down "$CEPH_DIR" 2>/dev/null ||
			say "warning: stopping the Ceph cluster failed; check for ceph-* processes using $CEPH_DIR"
	fi
	if [ -d "$SEPIA_DIR" ] && [ -x "$SEPIA_CLUSTER" ]; then
		"$SEPIA_CLUSTER" down --dir "$SEPIA_DIR" >/dev/null 2>&1 ||
			say "warning: sepia-cluster down failed; check for sepia-* processes using $SEPIA_DIR"
	fi
	rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- the two systems ---------------------------------------------------------

start_ceph() {
	local rc=0
	say "starting Ceph (1 mon, 1 mgr, 3 OSDs) in $CEPH_DIR"
	"$HERE/ceph_cluster.sh" up "$CEPH_DIR" --osds 3 --pg-num "$PG_NUM" || rc=$?
	case $rc in
	0) SYSTEMS+=(ceph) ;;
	77) say "Ceph side skipped (binaries missing)" ;;
	*) die "the Ceph cluster did not come up (ceph_cluster.sh exit $rc)" ;;
	esac
}

start_sepia() {
	local b missing=() deadline extra=()
	for b in "$SEPIA_CLUSTER" "$SEPIA" "$SEPIA_RADOS"; do
		[ -x "$b" ] || missing+=("$b")
	done
	if ((${#missing[@]})); then
		say "Sepia side skipped: not built: ${missing[*]}"
		return 0
	fi
	say "starting Sepia (1 mon, 3 OSDs) in $SEPIA_DIR"
	# 8 GiB per OSD: enough for every round (objects are removed after
	# each), and unlike Ceph's sparse block files BlockStore preallocates
	# its data file, so 3 x 16 GiB would need 48 GiB of real disk.
	if [[ $("$SEPIA_CLUSTER" --help 2>&1 || true) == *--conf-extra* ]]; then
		printf '[osd]\nstore_data_file_size = 8G\n' >"$OUT/sepia-extra.conf"
		extra=(--conf-extra "$OUT/sepia-extra.conf")
	fi
	"$SEPIA_CLUSTER" up --mons 1 --osds 3 --dir "$SEPIA_DIR" "${extra[@]}" >&2 ||
		die "sepia-cluster up failed; logs in $SEPIA_DIR/log/"
	sepia osd pool create bench "$PG_NUM" >&2 || die "sepia osd pool create bench $PG_NUM failed"
	sepia osd pool set bench size 3 >&2 || die "sepia osd pool set bench size 3 failed"
	[[ $(sepia osd pool get bench size) =~ (^|$'\n')size:\ *3($|$'\n') ]] ||
		die "Sepia pool bench does not have size 3: $(sepia osd pool get bench size 2>&1)"
	# Ready when an object can be written and removed (every PG is not
	# checked: there is no `pg stat` to ask yet).
	echo probe >"$OUT/probe"
	deadline=$((SECONDS + 120))
	until timeout 30 "$SEPIA_RADOS" -c "$SEPIA_DIR/sepia.conf" -p bench put bench-probe "$OUT/probe" \
		>/dev/null 2>&1; do
		((SECONDS < deadline)) || die "Sepia pool bench took no write within 120 s; logs in $SEPIA_DIR/log/"
		sleep 1
	done
	timeout 30 "$SEPIA_RADOS" -c "$SEPIA_DIR/sepia.conf" -p bench rm bench-probe >/dev/null 2>&1 || true
	SYSTEMS+=(sepia)
}

sepia() { timeout 60 "$SEPIA" -c "$SEPIA_DIR/sepia.conf" "$@"; }

# The object tool of a system, with its conf and the pool.
rados_of() { # system args...
	local sys=$1
	shift
	case $sys in
	ceph) rados -c "$CEPH_DIR/ceph.conf" -p bench "$@" ;;
	sepia) "$SEPIA_RADOS" -c "$SEPIA_DIR/sepia.conf" -p bench "$@" ;;
	esac
}

# Pids of a system's OSD processes: its pid files, else a /proc scan for
# OSD processes naming the cluster's conf.
osd_pids() { # system
	local sys=$1 dir conf comm f p cmd found=0
	case $sys in
	ceph) dir=$CEPH_DIR conf=$CEPH_DIR/ceph.conf comm=ceph-osd ;;
	sepia) dir=$SEPIA_DIR conf=$SEPIA_DIR/sepia.conf comm=sepia-osd ;;
	esac
	for f in "$dir"/run/osd.*.pid; do
		[ -f "$f" ] || continue
		p=$(cat "$f")
		[ -n "$p" ] && [ -r "/proc/$p/status" ] || continue
		echo "$p"
		found=1
	done
	((found)) && return 0
	for p in /proc/[0-9]*; do
		[ "$(cat "$p/comm" 2>/dev/null)" = "$comm" ] || continue
		cmd=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) || continue
		[[ $cmd == *"$conf"* ]] || continue
		echo "${p#/proc/}"
	done
}

# Sum of VmRSS over a system's OSDs, in MiB, and how many there were.
osd_rss() { # system -> "MiB count"
	local p kib total=0 n=0
	for p in $(osd_pids "$1"); do
		kib=$(awk '$1 == "VmRSS:" {print $2}' "/proc/$p/status" 2>/dev/null) || continue
		[ -n "$kib" ] || continue
		total=$((total + kib))
		n=$((n + 1))
	done
	echo "$((total / 1024)) $n"
}

# --- one run -------------------------------------------------------------------

# A value from rados bench's summary, e.g. field "Bandwidth (MB/sec)".
field() { # file label
	awk -F: -v k="$2" '$1 == k {gsub(/[ \t]/, "", $2); print $2; exit}' "$1"
}

drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null && echo yes || echo no; }

# Runs case $2 on system $1 in round $3 and appends its figures to
# $OUT/SYSTEM.CASE.{bw,iops,lat}.
run_case() { # system case round
	local sys=$1 c=$2 r=$3 f args=() rc=0 bw iops lat
	case $c in
	a) args=(bench "$SECS" write -b "$OBJ_4M" -t 16 --no-cleanup) ;;
	b) args=(bench "$SECS" seq -t 16) ;;
	c) args=(bench "$SECS" write -b 4096 -t 16) ;;
	esac
	f=$OUT/$sys.$c.$r.out
	say "round $r: $sys ($c) ${args[*]}"
	timeout $((SECS * 4 + 120)) bash -c '"$@"' _ rados_of "$sys" "${args[@]}" >"$f" 2>&1 || rc=$?
	bw=$(field "$f" "Bandwidth (MB/sec)")
	iops=$(field "$f" "Average IOPS")
	lat=$(field "$f" "Average Latency(s)")
	if ((rc)) || [ -z "$bw" ] || [ -z "$iops" ] || [ -z "$lat" ]; then
		say "FAILED: $sys ($c) round $r (exit $rc); the end of its output:"
		tail -n 5 "$f" >&2
		FAILED=1
		return 0
	fi
	echo "$bw" >>"$OUT/$sys.$c.bw"
	echo "$iops" >>"$OUT/$sys.$c.iops"
	echo "$lat" >>"$OUT/$sys.$c.lat"
}
export -f rados_of
export CEPH_DIR SEPIA_DIR SEPIA_RADOS

remove_objects() { # system
	local rc=0
	timeout 300 bash -c '"$@"' _ rados_of "$1" cleanup >"$OUT/$1.cleanup.out" 2>&1 || rc=$?
	((rc == 0)) || say "warning: $1 cleanup failed (exit $rc): $(tail -n 1 "$OUT/$1.cleanup.out")"
}

# --- report ------------------------------------------------------------------

median() { # file -> median of its lines, or nothing
	[ -s "$1" ] || return 0
	sort -g "$1" | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}

fmt() { [ -n "$1" ] && printf "%.${2:-1}f" "$1" || printf 'n/a'; }

ratio() { # sepia ceph
	if [ -n "$1" ] && [ -n "$2" ] && awk -v d="$2" 'BEGIN {exit !(d > 0)}'; then
		awk -v n="$1" -v d="$2" 'BEGIN {printf "%.2f", n / d}'
	else
		printf 'n/a'
	fi
}

row() { # label case metric digits scale
	local ceph sepia
	ceph=$(median "$OUT/ceph.$2.$3")
	sepia=$(median "$OUT/sepia.$2.$3")
	[ -z "$ceph" ] || ceph=$(awk -v x="$ceph" -v s="$5" 'BEGIN {print x * s}')
	[ -z "$sepia" ] || sepia=$(awk -v x="$sepia" -v s="$5" 'BEGIN {print x * s}')
	printf '| %s | %s | %s | %s |\n' "$1" "$(fmt "$ceph" "$4")" "$(fmt "$sepia" "$4")" \
		"$(ratio "$sepia" "$ceph")"
}

report() {
	local cm='' cn='' sm='' sn='' f
	[ ! -s "$OUT/ceph.rss" ] || read -r cm cn <"$OUT/ceph.rss"
	[ ! -s "$OUT/sepia.rss" ] || read -r sm sn <"$OUT/sepia.rss"
	echo "## sepia-rados bench vs rados bench"
	echo
	echo "$(date -u +%F), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo) RAM," \
		"clusters on $(df -T "$BASE" | awk 'NR == 2 {print $2}') ($BASE); rounds: $ROUNDS of ${SECS} s each, medians;" \
		"pools of size 3, 32 PGs, 3 OSDs, 1 mon, all on 127.0.0.1."
	echo "Ceph: $(ceph-osd --version 2>/dev/null | awk '{print $3}') (BlueStore on sparse 16 GiB files," \
		"osd_memory_target 896 MiB, 1 mgr); Sepia: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')" \
		"($BUILD)$([[ " ${SYSTEMS[*]} " == *" sepia "* ]] || echo ', not run')." \
		"Page cache dropped before (b): $(cat "$OUT/dropped" 2>/dev/null || echo n/a)."
	echo "Load average (1 min) before the runs $LOAD0, after $(cut -d' ' -f1 /proc/loadavg);" \
		"other work on the machine shares the cores and the disk."
	echo
	echo "| case | Ceph | Sepia | Sepia/Ceph |"
	echo "|---|---:|---:|---:|"
	row "(a) 4 MiB write, 16 in flight, MB/s" a bw 1 1
	row "(b) 4 MiB seq read, 16 in flight, MB/s" b bw 1 1
	row "(c) 4 KiB write, 16 in flight, IOPS" c iops 0 1
	row "(a) average latency, ms" a lat 1 1000
	row "(b) average latency, ms" b lat 1 1000
	row "(c) average latency, ms" c lat 2 1000
	printf '| OSD resident memory after the runs (VmRSS, sum), MiB | %s | %s | %s |\n' \
		"$( [ -n "$cm" ] && echo "$cm ($cn OSDs)" || echo n/a)" \
		"$( [ -n "$sm" ] && echo "$sm ($sn OSDs)" || echo n/a)" "$(ratio "$sm" "$cm")"
	echo
	echo "MB/s as rados bench prints it (2^20 bytes/s). Raw figures per round (bandwidth MB/s, IOPS, latency s):"
	echo
	for f in "$OUT"/*.[abc].bw; do
		[ -e "$f" ] || continue
		f=${f%.bw}
		printf -- '- %s: bw %s; IOPS %s; latency %s\n' "${f##*/}" "$(paste -sd' ' "$f.bw")" \
			"$(paste -sd' ' "$f.iops")" "$(paste -sd' ' "$f.lat")"
	done
}

# --- main --------------------------------------------------------------------

[ "$ONLY" = sepia ] || start_ceph
[ "$ONLY" = ceph ] || start_sepia
((${#SYSTEMS[@]})) || { say "skipped: neither Ceph nor Sepia is available"; exit 77; }
LOAD0=$(cut -d' ' -f1 /proc/loadavg)

for ((r = 1; r <= ROUNDS; r++)); do
	# Alternate which system goes first.
	order=("${SYSTEMS[@]}")
	if ((r % 2 == 0)) && ((${#order[@]} == 2)); then order=("${order[1]}" "${order[0]}"); fi
	for s in "${order[@]}"; do run_case "$s" a "$r"; done
	drop_caches >"$OUT/dropped"
	for s in "${order[@]}"; do run_case "$s" b "$r"; done
	for s in "${order[@]}"; do remove_objects "$s"; done
	for s in "${order[@]}"; do run_case "$s" c "$r"; done
done

for s in "${SYSTEMS[@]}"; do osd_rss "$s" >"$OUT/$s.rss"; done
report
exit "$FAILED"
