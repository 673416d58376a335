#!/usr/bin/env bash
# shellcheck disable=SC2317 # cleanup is a trap
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/recovery/run.sh - recovery after an OSD failure (issue 8), Ceph
# 16.2 and Sepia side by side on this host, one cluster at a time:
#
#   bench/recovery/run.sh [--timeout S] [--rounds R] [--only ceph|sepia] [--victim N]
#
# Each system: 1 monitor (+ 1 mgr for Ceph, from bench/rados/ceph_cluster.sh),
# 4 OSDs, pool `bench` of size 3, min_size 2, 32 PGs. A round:
#   1. fill: bench write -b 4 MiB -t 16 --max-objects 512 --no-cleanup (2 GiB)
#   2. wait until every PG is active+clean
#   3. a client writer starts: bench write -b 4 MiB -t 16, run name `during`,
#      at most 1024 objects (4 GiB, so that the disks do not fill up: the
#      "during" window is from the kill to active+clean or to the writer's
#      end, whichever comes first; its length is reported)
#   4. 5 s later osd.N (default 1) is killed with SIGKILL and at once
#      marked out (`ceph osd out N` / `sepia osd out N`)
#   5. PG states are polled every second until every PG is active+clean
#      again (after having been seen otherwise) or --timeout (default 600 s);
#      states that never leave active+clean in 60 s are reported as such
#   6. the fill objects are read back and verified (bench seq); a system
#      that reports active+clean without them counts as not recovered
# Reported: seconds from the kill to active+clean, the writer's MB/s from the
# kill to active+clean and in the PRE (5) s before the kill (reference), ratio
# Sepia/Ceph; medians over R rounds (default 1). The writer's per-second
# lines are time-stamped as they arrive, so the windows are wall-clock ones.
# Ceph is told mgr_stats_period = 1 so that its PG states are 1 s fresh;
# everything else is default on both (Ceph's recovery throttles included).
#
# Environment: SEPIA_BUILD_DIR (default build-release), SEPIA_BENCH_DIR
# (default /tmp, not tmpfs). Sepia's OSDs get 6 GiB preallocated stores
# (28 GiB of disk); Ceph's sparse files take what is written (~15 GiB).
# Everything is removed at the end; a failed round keeps its outputs and logs
# in $SEPIA_BENCH_DIR/sepia-recovery-failed.*.
# Exit status: 0 ok (a system that does not recover is a result, not an
# error), 1 a round failed, 2 usage.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CEPH_CLUSTER=$ROOT/bench/rados/ceph_cluster.sh
TIMEOUT=600
ROUNDS=1
ONLY=
VICTIM=1
PG_NUM=32
FILL_OBJECTS=512
WRITER_OBJECTS=1024
PRE=5
OBJ=4194304
BUILD=${SEPIA_BUILD_DIR:-$ROOT/build-release}
BASE=${SEPIA_BENCH_DIR:-/tmp}

prog=${0##*/}
say() { echo "$prog: $(date +%T) $*" >&2; }
die() { echo "$prog: error: $*" >&2; exit 1; }
usage() { sed -n '6p' "$0" | sed 's/^# \{0,1\}//' >&2; exit "${1:-2}"; }

while [ $# -gt 0 ]; do
	case $1 in
	--timeout) TIMEOUT=${2:?}; shift 2 ;;
	--rounds) ROUNDS=${2:?}; shift 2 ;;
	--only) ONLY=${2:?}; shift 2 ;;
	--victim) VICTIM=${2:?}; shift 2 ;;
	-h | --help) usage 0 ;;
	*) echo "$prog: unknown option $1" >&2; usage ;;
	esac
done
[[ $TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "--timeout wants a positive number"
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "--rounds wants a positive number"
[[ $VICTIM =~ ^[0-3]$ ]] || die "--victim wants an OSD id from 0 to 3"
[[ $ONLY =~ ^(|ceph|sepia)$ ]] || die "--only wants ceph or sepia"

SEPIA_CLUSTER=$BUILD/bin/sepia-cluster
SEPIA=$BUILD/src/tools/sepia/sepia
SEPIA_RADOS=$BUILD/src/tools/rados/sepia-rados

[ "$(df -T "$BASE" | awk 'NR == 2 {print $2}')" != tmpfs ] ||
	die "$BASE is tmpfs; set SEPIA_BENCH_DIR to a directory on a disk"
WORK=$(mktemp -d "$BASE/sepia-recovery.XXXXXX")
OUT=$WORK/out
mkdir -p "$OUT"
DIR=          # the cluster of the round in progress
SYS=          # its system
WRITER=       # pid (and process group) of the running writer
FAILED=0

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	stop_writer
	if ((FAILED || rc)); then
		local keep
		keep=$(mktemp -d "$BASE/sepia-recovery-failed.XXXXXX")
		cp -r "$OUT" "$keep/out"
		[ -z "$DIR" ] || [ ! -d "$DIR/log" ] || cp -r "$DIR/log" "$keep/log"
		say "outputs and logs kept in $keep"
	fi
	cluster_down
	rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- the two systems behind one set of verbs -----------------------------------

cephc() { timeout 60 ceph -c "$DIR/ceph.conf" --connect-timeout 20 "$@"; }
sepiac() { timeout 60 "$SEPIA" -c "$DIR/sepia.conf" "$@"; }

objargv() { # -> OBJARGV: the system's rados tool on pool bench
	case $SYS in
	ceph) OBJARGV=(rados -c "$DIR/ceph.conf" -p bench) ;;
	sepia) OBJARGV=("$SEPIA_RADOS" -c "$DIR/sepia.conf" -p bench) ;;
	esac
}

objtool() { objargv; "${OBJARGV[@]}" "$@"; }

cluster_up() {
	DIR=$WORK/$SYS
	case $SYS in
	ceph)
		"$CEPH_CLUSTER" up "$DIR" --osds 4 --pg-num "$PG_NUM" >&2 ||
			die "the Ceph cluster did not come up"
		cephc osd pool set bench min_size 2 >/dev/null 2>&1
		cephc config set mgr mgr_stats_period 1 >/dev/null 2>&1
		;;
	sepia)
		printf '[osd]\nstore_data_file_size = 7G\n' >"$OUT/sepia-extra.conf"
		"$SEPIA_CLUSTER" up --mons 1 --osds 4 --dir "$DIR" \
			--conf-extra "$OUT/sepia-extra.conf" >&2 || die "sepia-cluster up failed"
		sepiac osd pool create bench "$PG_NUM" >/dev/null
		sepiac osd pool set bench size 3 >/dev/null
		sepiac osd pool set bench min_size 2 >/dev/null
		;;
	esac
}

cluster_down() {
	[ -n "$DIR" ] && [ -d "$DIR" ] || return 0
	case $SYS in
	ceph) "$CEPH_CLUSTER" down "$DIR" >/dev/null 2>&1 || say "warning: ceph_cluster.sh down failed" ;;
	sepia)
		"$SEPIA_CLUSTER" down --dir "$DIR" >/dev/null 2>&1 || say "warning: sepia-cluster down failed"
		rm -rf "$DIR"
		;;
	esac
	DIR=
}

# "CLEAN TOTAL STATE=COUNT,..." for every PG of the cluster, or nothing.
pg_states() {
	case $SYS in
	ceph)
		cephc pg stat -f json 2>/dev/null | python3 -c '
import json, sys
s = json.load(sys.stdin)["pg_summary"]
by = {x["name"]: x["num"] for x in s["num_pg_by_state"]}
print(by.get("active+clean", 0), s["num_pgs"], ",".join(f"{k}={v}" for k, v in sorted(by.items())))'
		;;
	sepia)
		sepiac --format json pg dump 2>/dev/null | python3 -c '
import collections, json, sys
by = collections.Counter(p["state"] for p in json.load(sys.stdin)["pg_stats"])
print(by["active+clean"], sum(by.values()), ",".join(f"{k}={v}" for k, v in sorted(by.items())))'
		;;
	esac
}

is_clean() { # -> 0 if every PG is active+clean
	local clean total rest
	read -r clean total rest <<<"$(pg_states)" || return 1
	[ -n "$total" ] && ((total > 0 && clean == total))
}

kill_osd() { # id
	case $SYS in
	ceph) kill -9 "$(cat "$DIR/run/osd.$1.pid")" ;;
	sepia) "$SEPIA_CLUSTER" osd kill "$1" --dir "$DIR" >/dev/null ;;
	esac
}

mark_out() { # id
	case $SYS in
	ceph) cephc osd out "$1" >/dev/null 2>&1 ;;
	sepia) sepiac osd out "$1" >/dev/null ;;
	esac
}

# --- one round ------------------------------------------------------------------------

now() { date +%s.%N; }

wait_clean() { # seconds
	local deadline=$((SECONDS + $1))
	until is_clean; do
		((SECONDS < deadline)) || return 1
		sleep 1
	done
}

start_writer() { # output file
	# its own process group, so that stop_writer ends the pipeline and nothing else
	setsid bash -c 'stdbuf -oL "$@" 2>&1 | python3 -u -c "
import sys, time
for line in sys.stdin:
    print(f\"{time.time():.3f} {line}\", end=\"\")"' _ "$@" >"$OUTFILE" &
	WRITER=$!
}

stop_writer() {
	[ -n "$WRITER" ] || return 0
	kill -INT -- "-$WRITER" 2>/dev/null || true
	sleep 2
	kill -KILL -- "-$WRITER" 2>/dev/null || true
	wait "$WRITER" 2>/dev/null || true
	WRITER=
}

# Polls the PG states once a second (logged with a time stamp) until all
# are active+clean after some were not; prints the time of that poll, or
# nothing at the timeout. A system whose states never leave active+clean
# within 60 s counts as clean at the first poll after those 60 s.
poll_recovery() { # t_kill log
	local t0=$1 log=$2 seen=0 st clean total t
	while :; do
		t=$(now)
		st=$(pg_states || true)
		echo "$t $st" >>"$log"
		read -r clean total _ <<<"$st" || true
		if [ -n "$total" ] && ((total > 0)); then
			((clean == total)) || seen=1
			if ((clean == total && seen)); then
				echo "$t"
				return 0
			fi
			if ((!seen)) && awk -v a="$t" -v b="$t0" 'BEGIN {exit !(a - b > 60)}'; then
				echo never-degraded
				return 0
			fi
		fi
		awk -v a="$t" -v b="$t0" -v m="$TIMEOUT" 'BEGIN {exit !(a - b > m)}' && return 0
		sleep 1
	done
}

round() { # system round
	SYS=$1
	local r=$2 t_start t_kill t_clean tag=$1.$2
	say "round $r: $SYS: starting the cluster"
	cluster_up
	say "round $r: $SYS: filling 2 GiB ($FILL_OBJECTS x 4 MiB)"
	local t0=$SECONDS
	objtool bench 900 write -b "$OBJ" -t 16 --max-objects "$FILL_OBJECTS" --no-cleanup \
		--run-name fill >"$OUT/$tag.fill" 2>&1 || { say "fill failed"; tail -n 5 "$OUT/$tag.fill" >&2; return 1; }
	echo "$((SECONDS - t0))" >"$OUT/$tag.fill_secs"
	wait_clean 300 || { say "not active+clean after the fill: $(pg_states)"; return 1; }
	say "round $r: $SYS: filled in $((SECONDS - t0)) s, active+clean; writer starts"
	OUTFILE=$OUT/$tag.writer
	t_start=$(now)
	objargv
	start_writer "${OBJARGV[@]}" bench $((TIMEOUT + PRE + 120)) write -b "$OBJ" -t 16 \
		--max-objects "$WRITER_OBJECTS" --run-name during --no-cleanup
	sleep "$PRE"
	t_kill=$(now)
	kill_osd "$VICTIM"
	mark_out "$VICTIM"
	say "round $r: $SYS: osd.$VICTIM killed and marked out; polling PG states (timeout $TIMEOUT s)"
	t_clean=$(poll_recovery "$t_kill" "$OUT/$tag.states")
	stop_writer
	# reported clean is not enough: every fill object must read back (verified)
	if [[ $t_clean =~ ^[0-9] ]] && ! objtool bench 300 seq -t 16 --run-name fill >"$OUT/$tag.verify" 2>&1; then
		say "round $r: $SYS: reported active+clean, but the fill objects do not read back: $(grep -v '^ *[0-9]' "$OUT/$tag.verify" | tail -n 2 | tr '\n' ' ')"
		t_clean=unverified
	fi
	echo "$t_start $t_kill ${t_clean:-none}" >"$OUT/$tag.times"
	say "round $r: $SYS: $(summarize "$tag")"
	cluster_down
}

# --- figures ----------------------------------------------------------------------------

# "recovery S s; writer X MB/s during, Y MB/s before" of one round, from its
# files; also appends the figures to $OUT/SYSTEM.{secs,during,before}.
summarize() { # tag
	python3 - "$OUT" "$1" "$TIMEOUT" "$OBJ" <<'PY'
import sys
out, tag, timeout, obj = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
t_start, t_kill, t_clean = open(f"{out}/{tag}.times").read().split()
t_start, t_kill = float(t_start), float(t_kill)
sysname = tag.split(".")[0]
rows = []  # (arrival time, objects finished) from the writer's per-second lines
for line in open(f"{out}/{tag}.writer", errors="replace"):
    f = line.split()
    if len(f) >= 5 and all(x.isdigit() for x in f[1:5]):
        rows.append((float(f[0]), int(f[4])))
def done(t):
    return max([n for ts, n in rows if ts <= t], default=0)
def mbs(a, b):
    return (done(b) - done(a)) * obj / 2**20 / (b - a) if b > a else float("nan")
last = rows[-1][0] if rows else t_kill
before = mbs(max(t_start, t_kill - 10), t_kill)
if t_clean in ("none", "never-degraded", "unverified"):
    secs, during = None, mbs(t_kill, last)
    why = {"never-degraded": "PG states never left active+clean in 60 s",
           "unverified": "reported active+clean but the data did not read back",
           "none": f"NOT active+clean within {timeout:.0f} s"}[t_clean]
    print(f"{why}; writer {during:.1f} MB/s in the {last - t_kill:.0f} s after the kill, "
          f"{before:.1f} MB/s before")
    open(f"{out}/{sysname}.never", "a").write(f"{t_clean}\n")
else:
    secs, during = float(t_clean) - t_kill, mbs(t_kill, min(float(t_clean), last))
    print(f"active+clean {secs:.1f} s after the kill; writer {during:.1f} MB/s during the "
          f"first {min(float(t_clean), last) - t_kill:.0f} s of it, {before:.1f} MB/s before")
    open(f"{out}/{sysname}.secs", "a").write(f"{secs:.1f}\n")
open(f"{out}/{sysname}.during", "a").write(f"{during:.1f}\n")
open(f"{out}/{sysname}.before", "a").write(f"{before:.1f}\n")
PY
}

report() {
	python3 - "$OUT" "$ROUNDS" "$TIMEOUT" <<'PY'
import os, statistics, sys
out, rounds, timeout = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def vals(s, k):
    p = f"{out}/{s}.{k}"
    return [float(x) for x in open(p).read().split()] if os.path.exists(p) else []
def med(s, k):
    v = vals(s, k)
    return statistics.median(v) if v else None
def cell(s, k):
    m = med(s, k)
    if m is None:
        ran = os.path.exists(f"{out}/{s}.before")
        never = os.path.exists(f"{out}/{s}.never") and open(f"{out}/{s}.never").read().split()
        if ran and k == "secs" and never:
            return {"never-degraded": "never left active+clean",
                    "unverified": "claimed, data missing"}.get(never[0], f"not reached in {timeout} s")
        return "n/a"
    return f"{m:.1f}"
def ratio(k):
    a, b = med("sepia", k), med("ceph", k)
    return f"{a / b:.2f}" if a is not None and b else "n/a"
print("| 2 GiB, osd.N killed and marked out | Ceph | Sepia | Sepia/Ceph |")
print("|---|---:|---:|---:|")
print(f"| seconds from the kill to all PGs active+clean | {cell('ceph', 'secs')} | {cell('sepia', 'secs')} | {ratio('secs')} |")
print(f"| client 4 MiB writes during recovery, MB/s | {cell('ceph', 'during')} | {cell('sepia', 'during')} | {ratio('during')} |")
print(f"| client 4 MiB writes in the 5 s before the kill, MB/s | {cell('ceph', 'before')} | {cell('sepia', 'before')} | {ratio('before')} |")
print()
print(f"Medians of {rounds} round(s). Raw: " + "; ".join(
    f"{s} {k} {' '.join(str(x) for x in vals(s, k))}"
    for s in ("ceph", "sepia") for k in ("secs", "during", "before") if vals(s, k)))
PY
}

# --- main ----------------------------------------------------------------------------------

say "work directory $WORK; $(df -h "$BASE" | awk 'NR == 2 {print $4}') free on $BASE"
SYSTEMS=()
[ "$ONLY" = sepia ] || SYSTEMS+=(ceph)
if [ "$ONLY" != ceph ]; then
	if [ -x "$SEPIA_CLUSTER" ] && [ -x "$SEPIA" ] && [ -x "$SEPIA_RADOS" ]; then
		SYSTEMS+=(sepia)
	else
		say "Sepia side skipped: not built in $BUILD"
	fi
fi
LOAD0=$(cut -d' ' -f1 /proc/loadavg)
for ((r = 1; r <= ROUNDS; r++)); do
	for s in "${SYSTEMS[@]}"; do
		if ! round "$s" "$r"; then
			say "round $r: $s FAILED"
			FAILED=1
			stop_writer
			cluster_down
		fi
	done
done
echo "## Recovery after an OSD failure"
echo
echo "$(date -u +%F), $(nproc) cores, load average $LOAD0 before, $(cut -d' ' -f1 /proc/loadavg) after;" \
	"4 OSDs, pool size 3 min_size 2, $PG_NUM PGs, one cluster at a time;" \
	"Ceph $(ceph-osd --version 2>/dev/null | awk '{print $3}'), Sepia $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')."
echo
report
exit "$FAILED"
