"""Helpers for the monitor tests: a cluster of real sepia-mon processes on
127.0.0.1 (or split across a network namespace), the `sepia` CLI against
them, and the fake OSD tool."""
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

from conftest import binary, wait_for


def free_ports(n):
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


class MonCluster:
    """n monitors named a, b, c... sharing one config file; ips[i] is where
    monitor i listens, netns[i] the namespace it runs in (None: this one)."""

    FAST = "mon_election_timeout = 0.5\nmon_lease = 2\n"

    def __init__(self, workdir, n=3, conf_extra="", ips=None, netns=None, timing=FAST):
        self.dir = Path(workdir)
        self.names = [chr(ord("a") + i) for i in range(n)]
        self.ips = ips or ["127.0.0.1"] * n
        self.netns = netns or [None] * n
        self.ports = free_ports(n)
        self.fsid = str(uuid.uuid4())
        self.procs = {}
        self.conf = self.dir / "sepia.conf"
        hosts = ",".join(f"{m}={ip}:{p}" for m, ip, p in zip(self.names, self.ips, self.ports))
        self.conf.write_text(
            "[global]\n"
            f"fsid = {self.fsid}\n"
            f"mon_host = {hosts}\n"
            f"run_dir = {self.dir}\n"
            f"data_dir = {self.dir}/data\n"
            f"log_file = {self.dir}/$name.log\n"
            f"{timing}"
            "mon_command_timeout = 3\n"
            f"{conf_extra}\n")
        self.sepia_mon = binary("sepia-mon")
        self.sepia = binary("sepia")

    # --- processes -------------------------------------------------------
    def _prefix(self, name):
        ns = self.netns[self.names.index(name)]
        return ["ip", "netns", "exec", ns] if ns else []

    def mkfs(self):
        for m in self.names:
            r = subprocess.run(self._prefix(m) + [str(self.sepia_mon), "--mkfs", "-c", str(self.conf), "-i", m],
                               capture_output=True, text=True, timeout=30)
            assert r.returncode == 0, f"mkfs mon.{m}: {r.stderr}"

    def start(self, name, wait=True):
        err = open(self.dir / f"mon.{name}.stderr", "ab")
        self.procs[name] = subprocess.Popen(
            self._prefix(name) + [str(self.sepia_mon), "-c", str(self.conf), "-i", name],
            stdin=subprocess.DEVNULL, stdout=err, stderr=err)
        if wait:
            wait_for(lambda: self.mon_status(name) is not None or self.procs[name].poll() is not None,
                     what=f"mon.{name} admin socket")
            assert self.procs[name].poll() is None, (self.dir / f"mon.{name}.stderr").read_text()

    def join(self, name, ip="127.0.0.1"):
        """Adds mon.NAME to the running cluster the operator's way: `mon add`,
        `mon getmap -o FILE`, `sepia-mon --mkfs --monmap FILE`; start() it next."""
        port = free_ports(1)[0]
        self.ok("mon", "add", name, f"{ip}:{port}")
        mapfile = self.dir / f"monmap.{name}"
        self.ok("mon", "getmap", out=mapfile)
        r = subprocess.run([str(self.sepia_mon), "--mkfs", "-c", str(self.conf), "-i", name,
                            "--monmap", str(mapfile)], capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, f"mkfs mon.{name}: {r.stderr}"
        self.names.append(name)
        self.ips.append(ip)
        self.ports.append(port)
        self.netns.append(None)

    def start_all(self):
        self.mkfs()
        for m in self.names:
            self.start(m, wait=False)
        for m in self.names:
            wait_for(lambda: self.mon_status(m) is not None, what=f"mon.{m} admin socket")

    def kill(self, name, sig=signal.SIGKILL):
        p = self.procs.get(name)
        if p and p.poll() is None:
            p.send_signal(sig)
            if sig in (signal.SIGKILL, signal.SIGTERM):
                p.wait(timeout=30)

    def stop_all(self):
        for m in self.names:
            p = self.procs.get(m)
            if p and p.poll() is None:
                p.send_signal(signal.SIGCONT)
                p.kill()
                p.wait(timeout=30)

    def logs(self):
        out = []
        for m in self.names:
            for f in (self.dir / f"mon.{m}.log", self.dir / f"mon.{m}.stderr"):
                if f.exists():
                    out.append(f"--- {f.name} ---\n{f.read_text(errors='replace')[-15000:]}")
        return "\n".join(out)

    # --- admin socket and CLI --------------------------------------------
    def asok(self, name):
        return self.dir / f"sepia-mon.{name}.asok"

    def mon_status(self, name):
        if not self.asok(name).exists():
            return None
        r = subprocess.run(self._prefix(name) + [str(self.sepia), "daemon", "--timeout", "2",
                           str(self.asok(name)), "mon_status"],
                           capture_output=True, text=True, timeout=20)
        if r.returncode != 0:
            return None
        try:
            return json.loads(r.stdout)
        except json.JSONDecodeError:
            return None

    def leader(self, among=None, timeout=10, exclude=None):
        """The leader's name once every live monitor in `among` agrees (on
        someone other than `exclude`)."""
        among = among or [m for m in self.names if self.procs.get(m) and self.procs[m].poll() is None]

        def agreed():
            seen = set()
            for m in among:
                st = self.mon_status(m)
                if not st or st["leader"] < 0:
                    return None
                seen.add(st["leader_name"])
            return seen.pop() if len(seen) == 1 and exclude not in seen else None
        return wait_for(agreed, timeout=timeout, what="an agreed leader")

    def conf_for(self, names):
        """A client config naming only some monitors."""
        p = self.dir / f"client-{''.join(names)}.conf"
        hosts = ",".join(f"{m}={self.ips[self.names.index(m)]}:{self.ports[self.names.index(m)]}"
                         for m in names)
        p.write_text(f"[global]\nfsid = {self.fsid}\nmon_host = {hosts}\nrun_dir = {self.dir}\n")
        return p

    def cli(self, *words, fmt=None, conf=None, timeout=10, ns=None, inp=None, out=None):
        """Runs `sepia WORDS`; returns (exit code, stdout, stderr)."""
        cmd = (["ip", "netns", "exec", ns] if ns else []) + [str(self.sepia), "-c", str(conf or self.conf),
                                                             "--timeout", str(timeout)]
        if fmt:
            cmd += ["--format", fmt]
        cmd += list(words)
        if inp:
            cmd += ["-i", str(inp)]
        if out:
            cmd += ["-o", str(out)]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + 30)
        return r.returncode, r.stdout, r.stderr

    def ok(self, *words, **kw):
        rc, out, err = self.cli(*words, **kw)
        assert rc == 0, f"sepia {' '.join(words)} -> {rc}: {err}"
        return out

    def json(self, *words, **kw):
        return json.loads(self.ok(*words, fmt="json", **kw))


class FakeOsd:
    """The sepia-fake-osd tool: boot, beacons, failure reports, maps. A
    reader thread collects its output: replies and "map ..." lines."""

    def __init__(self, cluster, interval=0.3):
        self.proc = subprocess.Popen([str(binary("sepia-fake-osd")), "-c", str(cluster.conf),
                                     "--interval", str(interval)],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        self.maps, self.replies = [], []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            if line.startswith("map "):
                self.maps.append(dict(kv.split("=") for kv in line.split()[1:]))
            else:
                self.replies.append(line.strip())

    def send(self, line):
        n = len(self.replies)
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        wait_for(lambda: len(self.replies) > n, what=f"fake osd reply to {line!r}")
        assert self.replies[n] == "ok", f"{line}: {self.replies[n]}"

    def newest(self):
        return max((int(m["newest"]) for m in self.maps), default=0)

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=10)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.proc.kill()


def have_netns():
    return os.geteuid() == 0 and shutil.which("ip") is not None and \
        subprocess.run(["ip", "netns", "list"], capture_output=True).returncode == 0
