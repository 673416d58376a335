#!/usr/bin/env python3
"""Monitor benchmark: committed updates per second and command latency with
1 and 3 monitors, and the time from SIGKILL of the leader to a new agreed
leader. Medians over --runs runs. Usage:
    bench/mon/run.py BUILD_DIR [--ops N] [--runs R]
BUILD_DIR holds src/mon/sepia-mon, src/tools/sepia/sepia and
bench/mon/sepia-bench-mon (a Release build)."""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--ops", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    os.environ["SEPIA_BUILD_DIR"] = str(Path(args.build).resolve())
    sys.path.insert(0, str(REPO / "tests/integration"))
    from monutil import MonCluster  # noqa: E402 (needs SEPIA_BUILD_DIR first)
    driver = Path(args.build) / "bench/mon/sepia-bench-mon"
    results = {}
    for n in (1, 3):
        for kind, depth, ops in (("write", 1, args.ops // 2), ("write", 16, args.ops),
                                 ("pool", 1, args.ops // 4), ("read", 1, args.ops)):
            runs = []
            for _ in range(args.runs):
                with tempfile.TemporaryDirectory() as d:
                    c = MonCluster(d, n)
                    try:
                        c.start_all()
                        c.leader()
                        if kind == "pool":
                            c.ok("osd", "pool", "create", "bench", "8")
                        r = subprocess.run([str(driver), "-c", str(c.conf), "--ops", str(ops),
                                            "--depth", str(depth), "--kind", kind],
                                           capture_output=True, text=True, timeout=600)
                        runs.append(json.loads(r.stdout))
                    finally:
                        c.stop_all()
            key = f"{n} mon, {kind}, depth {depth}"
            results[key] = {f: statistics.median(x[f] for x in runs)
                            for f in ("ops_per_sec", "p50_ms", "p99_ms", "errors")}
            print(key, results[key], flush=True)
    for label, timing in (("election timeout 0.5 s", MonCluster.FAST),
                          ("defaults: election timeout 1 s", "")):
        failover = []
        for _ in range(max(args.runs, 5)):
            with tempfile.TemporaryDirectory() as d:
                c = MonCluster(d, 3, timing=timing)
                try:
                    c.start_all()
                    old = c.leader()
                    c.kill(old)
                    t0 = time.monotonic()
                    c.leader(among=[m for m in c.names if m != old], exclude=old, timeout=30)
                    failover.append(time.monotonic() - t0)
                finally:
                    c.stop_all()
        results[f"leader kill -> new leader (s), {label}"] = {
            "median": statistics.median(failover), "min": min(failover), "max": max(failover)}
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
