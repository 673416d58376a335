#!/usr/bin/env python3
"""The anchor for bench/mon/run.py: the same loads against Ceph's own
monitors (ceph-mon 16.2.15 from Debian, auth none, msgr2 on 127.0.0.1),
driven through librados (python3-rados) mon_command. Usage:
    bench/mon/ceph_anchor.py [--ops N] [--runs R]
Prints the same keys as run.py, medians over the runs."""
import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import rados

CMDS = {
    "write": lambda i: {"prefix": "config set", "who": "global", "name": "mon_lease",
                        "value": str(5 + i % 50)},
    "pool": lambda i: {"prefix": "osd pool set", "pool": "bench", "var": "min_size",
                       "val": str(1 + i % 2)},
    "read": lambda i: {"prefix": "osd stat", "format": "json"},
}


def free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


class CephMons:
    def __init__(self, d, n):
        self.d, self.names = Path(d), [chr(ord("a") + i) for i in range(n)]
        fsid, ports = str(uuid.uuid4()), free_ports(n)
        hosts = ",".join(f"[v2:127.0.0.1:{p}]" for p in ports)
        self.conf = self.d / "ceph.conf"
        self.conf.write_text(
            f"[global]\nfsid = {fsid}\nmon_host = {hosts}\n"
            f"mon_initial_members = {','.join(self.names)}\n"
            "auth_cluster_required = none\nauth_service_required = none\n"
            "auth_client_required = none\nms_bind_msgr1 = false\n"
            f"mon_data = {d}/$name\nrun_dir = {d}\nadmin_socket = {d}/$name.asok\n"
            f"log_file = {d}/$name.log\npid_file = {d}/$name.pid\n")
        args = ["monmaptool", "--create", "--fsid", fsid]
        for m, p in zip(self.names, ports):
            args += ["--addv", m, f"[v2:127.0.0.1:{p}]"]
        subprocess.run(args + [str(self.d / "monmap")], check=True, capture_output=True)
        self.procs = {}
        for m in self.names:
            subprocess.run(["ceph-mon", "--mkfs", "-i", m, "-c", str(self.conf), "--monmap",
                            str(self.d / "monmap")], check=True, capture_output=True)
            self.start(m)

    def start(self, m):
        self.procs[m] = subprocess.Popen(["ceph-mon", "-f", "-i", m, "-c", str(self.conf)],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def status(self, m):
        r = subprocess.run(["ceph", "--admin-daemon", str(self.d / f"mon.{m}.asok"), "mon_status"],
                           capture_output=True, text=True, timeout=20)
        return json.loads(r.stdout) if r.returncode == 0 else None

    def quorum_leader(self, among):
        st = [self.status(m) for m in among]
        if all(s and s["state"] in ("leader", "peon") and len(s["quorum"]) == len(among)
               for s in st):
            return next(s["name"] for s in st if s["state"] == "leader")
        return None

    def stop(self):
        for p in self.procs.values():
            if p.poll() is None:
                p.kill()
                p.wait()


def load(conf, kind, depth, ops):
    r = rados.Rados(conffile=str(conf))
    r.connect(timeout=30)
    if kind == "pool":
        r.mon_command(json.dumps({"prefix": "osd pool create", "pool": "bench", "pg_num": 8}), b"")
    lat, errors, nxt, lock = [], [0], [0], threading.Lock()

    def worker():
        while True:
            with lock:
                i = nxt[0]
                nxt[0] += 1
            if i >= ops:
                return
            t = time.monotonic()
            rc, _, _ = r.mon_command(json.dumps(CMDS[kind](i)), b"", timeout=60)
            with lock:
                lat.append(time.monotonic() - t)
                errors[0] += rc != 0
    t0 = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(depth)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    secs = time.monotonic() - t0
    r.shutdown()
    lat.sort()
    return {"ops_per_sec": ops / secs, "p50_ms": lat[len(lat) // 2] * 1e3,
            "p99_ms": lat[len(lat) * 99 // 100] * 1e3, "errors": errors[0]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ops", type=int, default=1000)
    ap.add_argument("--pool-ops", type=int, default=10)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    results = {}
    for n in (1, 3):
        for kind, depth, ops in (("write", 1, args.ops // 2), ("write", 16, args.ops),
                                 ("pool", 1, args.pool_ops), ("read", 1, args.ops)):
            runs = []
            for _ in range(args.runs):
                with tempfile.TemporaryDirectory() as d:
                    c = CephMons(d, n)
                    try:
                        deadline = time.monotonic() + 60
                        while not c.quorum_leader(c.names) and time.monotonic() < deadline:
                            time.sleep(0.2)
                        runs.append(load(c.conf, kind, depth, ops))
                    finally:
                        c.stop()
            key = f"{n} mon, {kind}, depth {depth}"
            results[key] = {f: statistics.median(x[f] for x in runs) for f in runs[0]}
            print(key, results[key], flush=True)
    failover = []
    for _ in range(max(args.runs, 5)):
        with tempfile.TemporaryDirectory() as d:
            c = CephMons(d, 3)
            try:
                deadline = time.monotonic() + 60
                while not (old := c.quorum_leader(c.names)) and time.monotonic() < deadline:
                    time.sleep(0.2)
                c.procs[old].send_signal(signal.SIGKILL)
                t0 = time.monotonic()
                rest = [m for m in c.names if m != old]
                while not c.quorum_leader(rest):
                    time.sleep(0.05)
                failover.append(time.monotonic() - t0)
            finally:
                c.stop()
    results["leader kill -> new leader (s)"] = {"median": statistics.median(failover),
                                                "min": min(failover), "max": max(failover)}
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
