#!/bin/sh
# bench/mon/run.sh BUILD_DIR [OPS] [RUNS] - the monitor benchmark: Sepia's
# monitors (run.py), then Ceph's own monitors under the same loads
# (ceph_anchor.py), one after the other on the same machine.
set -e
B=${1:?usage: run.sh BUILD_DIR [OPS] [RUNS]}
OPS=${2:-1000}
RUNS=${3:-3}
HERE=$(dirname "$0")
if ! command -v ceph-mon >/dev/null || ! /usr/bin/python3 -c 'import rados' 2>/dev/null; then
	apt-get install -y ceph-mon ceph-common python3-rados
fi
/usr/bin/python3 "$HERE/run.py" "$B" --ops "$OPS" --runs "$RUNS"
/usr/bin/python3 "$HERE/ceph_anchor.py" --ops "$OPS" --runs "$RUNS"
