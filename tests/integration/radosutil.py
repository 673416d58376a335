"""Helpers for the object tests: a local cluster of real sepia-mon and
sepia-osd processes made by `sepia-cluster up --osds N`, the `sepia`,
`sepia-rados` and `radostest` programs against it, and OSD stop / start /
kill through `sepia-cluster osd`."""
import json
import os
import random
import socket
import subprocess
from pathlib import Path

import pytest

from conftest import BUILD, binary, wait_for

# Small timings so that the monitors notice OSD restarts quickly, and the
# PG statistics behind `df` arrive within a second.
FAST_CONF = """
[global]
mon_election_timeout = 0.5
mon_lease = 2
osd_max_object_size = 64M

[mon]
mon_osd_report_timeout = 20
mon_osd_down_out_interval = 0

[osd]
osd_beacon_report_interval = 1
osd_mon_report_interval = 1
osd_tick_interval = 0.2
"""


def cluster_tool():
    p = BUILD / "bin" / "sepia-cluster"
    if not p.exists():
        pytest.skip(f"{p} is not generated")
    return p


def port_range_free(base):
    """True if base (the monitors) and base+100..+109 can be bound now."""
    for port in [base, base + 1, base + 2] + list(range(base + 100, base + 110)):
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        finally:
            s.close()
    return True


class RadosCluster:
    """A cluster under `workdir` with `mons` monitors and `osds` OSDs."""

    def __init__(self, workdir, osds=3, mons=1, conf_extra=""):
        self.tool = cluster_tool()
        self.sepia = binary("sepia")
        binary("sepia-osd")
        self.rados_bin = binary("sepia-rados")
        self.dir = Path(workdir) / "cluster"
        self.osds, self.mons = osds, mons
        self.extra = Path(workdir) / "extra.conf"
        # small preallocated stores (the default is 10G per OSD: a test run
        # filled the disk) unless the test chose a size
        size = "" if "store_data_file_size" in conf_extra else \
            "\n[osd]\nstore_data_file_size = 512M\n"
        self.extra.write_text(FAST_CONF + conf_extra + size)
        self.conf = self.dir / "sepia.conf"
        self.started = False

    # --- lifecycle ---------------------------------------------------------
    def up(self):
        for _ in range(20):
            base = random.randrange(10000, 31000, 1000)  # below the ephemeral ports (32768+)
            if port_range_free(base):
                break
        self.started = True
        r = subprocess.run([str(self.tool), "up", "--mons", str(self.mons), "--osds",
                            str(self.osds), "--dir", str(self.dir), "--base-port", str(base),
                            "--conf-extra", str(self.extra)],
                           capture_output=True, text=True, timeout=180)
        assert r.returncode == 0, f"sepia-cluster up: {r.stdout}\n{r.stderr}\n{self.logs()}"
        return self

    def down(self):
        if self.started:
            subprocess.run([str(self.tool), "down", "--dir", str(self.dir)],
                           capture_output=True, text=True, timeout=120)
        self.started = False

    def osd(self, verb, i):
        r = subprocess.run([str(self.tool), "osd", verb, str(i), "--dir", str(self.dir)],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, f"sepia-cluster osd {verb} {i}: {r.stdout}{r.stderr}"

    def osd_pid(self, i):
        f = self.dir / "run" / f"osd.{i}.pid"
        try:
            pid = int(f.read_text())
            os.kill(pid, 0)
            return pid
        except (OSError, ValueError):
            return None

    def logs(self, tail=15000):
        out = []
        for f in sorted((self.dir / "log").glob("*")) if (self.dir / "log").exists() else []:
            text = f.read_text(errors="replace")
            if text.strip():
                out.append(f"--- {f.name} ---\n{text[-tail:]}")
        return "\n".join(out)

    # --- the admin CLI -------------------------------------------------------
    def cli(self, *words, fmt=None, timeout=30):
        cmd = [str(self.sepia), "-c", str(self.conf), "--timeout", str(timeout)]
        cmd += ["--format", fmt] if fmt else []
        r = subprocess.run(cmd + list(words), capture_output=True, text=True,
                           timeout=timeout + 30)
        return r.returncode, r.stdout, r.stderr

    def ok(self, *words, **kw):
        rc, out, err = self.cli(*words, **kw)
        assert rc == 0, f"sepia {' '.join(words)} -> {rc}: {err}"
        return out

    def json(self, *words, **kw):
        return json.loads(self.ok(*words, fmt="json", **kw))

    def create_pool(self, name, size, pg_num=16, min_size=1):
        self.ok("osd", "pool", "create", name, str(pg_num))
        self.ok("osd", "pool", "set", name, "min_size", "1")
        self.ok("osd", "pool", "set", name, "size", str(size))
        if min_size != 1:
            self.ok("osd", "pool", "set", name, "min_size", str(min_size))
        return name

    def osds_up(self):
        rc, out, _ = self.cli("osd", "stat", fmt="json", timeout=5)
        return json.loads(out)["num_up_osds"] if rc == 0 else -1

    def wait_osds_up(self, n, timeout=60):
        wait_for(lambda: self.osds_up() == n, timeout=timeout, what=f"{n} OSDs up")

    def osd_is_up(self, i):
        rc, out, _ = self.cli("osd", "dump", fmt="json", timeout=5)
        if rc != 0:
            return None
        return any(o["osd"] == i and o["up"] for o in json.loads(out)["osds"])

    def osd_addr(self, i):
        for o in self.json("osd", "dump")["osds"]:
            if o["osd"] == i:
                host, port = o["addr"].rsplit(":", 1)
                return host, int(port.split("/")[0])
        raise AssertionError(f"osd.{i} is not in the map")

    def primary(self, pool, obj):
        return self.json("osd", "map", pool, obj)["acting_primary"]

    # --- the object CLI and the C checks -------------------------------------
    def rados(self, *args, pool=None, ns=None, input=None, check=True, text=True, timeout=120):
        cmd = [str(self.rados_bin), "-c", str(self.conf)]
        cmd += ["-p", pool] if pool else []
        cmd += ["-N", ns] if ns is not None else []
        r = subprocess.run(cmd + [str(a) for a in args], input=input, capture_output=True,
                           text=text, timeout=timeout)
        if check:
            assert r.returncode == 0, f"{' '.join(cmd + [str(a) for a in args])}: " \
                                      f"{r.returncode} {r.stderr}"
        return r

    def radostest(self, pool, *args, timeout=240):
        cmd = [str(binary("radostest")), "-c", str(self.conf), "-p", pool] + [str(a) for a in args]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        assert r.returncode == 0, f"{' '.join(cmd)}: {r.returncode}\n{r.stdout}\n{r.stderr}"
        return r.stdout

    def radostest_popen(self, pool, *args):
        cmd = [str(binary("radostest")), "-c", str(self.conf), "-p", pool] + [str(a) for a in args]
        return subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, bufsize=1)

    # --- offline stores ----------------------------------------------------------
    def store_dir(self, i):
        hits = sorted((self.dir / "data" / "osd").glob(f"*-{i}"))
        assert hits, f"no store of osd.{i} under {self.dir}/data/osd"
        return hits[0]

    def store_list(self, i):
        """(collection, namespace, name, snap) of every object in osd.i's
        store; the OSD must be stopped."""
        r = subprocess.run([str(binary("sepia-store-tool")), "list", "--path",
                            str(self.store_dir(i))], capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, f"sepia-store-tool list osd.{i}: {r.stderr}"
        return [tuple(l.split("\t")) for l in r.stdout.splitlines() if l.count("\t") >= 2]

    def store_get(self, i, coll, name, ns=""):
        """An object's data from osd.i's stopped store: (exit code, bytes, stderr)."""
        cmd = [str(binary("sepia-store-tool")), "get", "--path", str(self.store_dir(i)),
               "--collection", coll, "--object", name] + (["--namespace", ns] if ns else [])
        r = subprocess.run(cmd, capture_output=True, timeout=120)
        return r.returncode, r.stdout, r.stderr.decode(errors="replace")


def running_cluster(tmp_path, request, osds, conf, setup=None, on_failure=None):
    """Fixture body (`yield from`): a cluster of `osds` OSDs up, `setup(c)`
    run on it, the logs printed (and `on_failure(c)` run) if the test
    failed, the logs printed if setup failed, then down."""
    c = RadosCluster(tmp_path, osds=osds, conf_extra=conf)
    try:
        c.up()
        c.wait_osds_up(osds)
        if setup:
            setup(c)
    except BaseException:
        print(c.logs())
        c.down()
        raise
    yield c
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        print(c.logs())
        if on_failure:
            on_failure(c)
    c.down()
