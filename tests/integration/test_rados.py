"""Objects end to end: a cluster of 1 monitor and 3 OSDs started with
`sepia-cluster up --osds 3`, pools of size 1, 2 and 3, every `sepia-rados`
command as a user types it, the librados C API through the radostest
program, replicas checked byte for byte in the OSDs' stores after a clean
stop, a client resending across an OSD restart without duplicating its
appends, and requests the OSDs must refuse or survive."""
import errno
import json
import os
import random
import re
import socket
import subprocess
import threading
import time

import pytest

from conftest import binary, wait_for
from radosutil import RadosCluster

POOLS = {"p1": 1, "p2": 2, "p3": 3}


@pytest.fixture(scope="module")
def rc(tmp_path_factory):
    c = RadosCluster(tmp_path_factory.mktemp("rados"), osds=3)
    try:
        c.up()
        for name, size in POOLS.items():
            c.create_pool(name, size)
        c.create_pool("many", 2, pg_num=32)
        # the first write to each pool waits until its PGs are active
        for name in list(POOLS) + ["many"]:
            c.rados("put", "probe", "-", pool=name, input="x", timeout=120)
            c.rados("rm", "probe", pool=name)
    except BaseException:
        print(c.logs())
        c.down()
        raise
    yield c
    c.down()


@pytest.fixture(autouse=True)
def logs_on_failure(request):
    yield
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed and "rc" in request.fixturenames:
        print(request.getfixturevalue("rc").logs())


def rnd(n, seed):
    return random.Random(seed).randbytes(n)


# --- sepia-rados: data ------------------------------------------------------

@pytest.mark.parametrize("pool", list(POOLS))
def test_put_get_byte_exact(rc, pool, tmp_path):
    sizes = [0, 1, 4095, 4 << 20, (4 << 20) + 1, (9 << 20) + 123]
    for i, n in enumerate(sizes):
        data = rnd(n, i)
        src, dst = tmp_path / f"in{i}", tmp_path / f"out{i}"
        src.write_bytes(data)
        rc.rados("put", f"obj{i}", src, pool=pool)
        rc.rados("get", f"obj{i}", dst, pool=pool)
        assert dst.read_bytes() == data, f"{pool}/obj{i}: {n} bytes differ"
        assert f"size {n}" in rc.rados("stat", f"obj{i}", pool=pool).stdout
    # standard input and output, and a smaller object replacing a bigger one
    data = rnd(100000, 99)
    rc.rados("put", "obj5", "-", pool=pool, input=data, text=False)
    out = rc.rados("get", "obj5", "-", pool=pool, text=False).stdout
    assert out == data
    listed = rc.rados("ls", pool=pool).stdout.split()
    assert sorted(listed) == sorted(f"obj{i}" for i in range(len(sizes)))
    rc.rados("rm", *listed, pool=pool)
    assert rc.rados("ls", pool=pool).stdout == ""


def test_ls_rm_namespaces(rc):
    pool = "p2"
    for ns, names in (("", ["a", "b"]), ("ns1", ["a", "c"]), ("ns2", ["d"])):
        for n in names:
            rc.rados("put", n, "-", pool=pool, ns=ns, input=f"{ns}/{n}")
    assert sorted(rc.rados("ls", pool=pool).stdout.split()) == ["a", "b"]
    assert sorted(rc.rados("ls", pool=pool, ns="ns1").stdout.split()) == ["a", "c"]
    lines = rc.rados("--all", "ls", pool=pool).stdout.splitlines()
    assert sorted(lines) == sorted(["\ta", "\tb", "ns1\ta", "ns1\tc", "ns2\td"])
    js = json.loads(rc.rados("--all", "--format", "json", "ls", pool=pool).stdout)
    assert sorted((e["namespace"], e["name"]) for e in js) == \
        [("", "a"), ("", "b"), ("ns1", "a"), ("ns1", "c"), ("ns2", "d")]
    assert rc.rados("get", "a", "-", pool=pool, ns="ns1").stdout == "ns1/a"
    rc.rados("rm", "a", "c", pool=pool, ns="ns1")
    r = rc.rados("rm", "a", pool=pool, ns="ns1", check=False)
    assert r.returncode == errno.ENOENT and "error removing p2/a" in r.stderr
    assert sorted(rc.rados("--all", "ls", pool=pool).stdout.splitlines()) == \
        ["\ta", "\tb", "ns2\td"]
    rc.rados("rm", "a", "b", pool=pool)
    rc.rados("rm", "d", pool=pool, ns="ns2")


def test_stat_truncate_append(rc, tmp_path):
    pool = "p3"
    rc.rados("put", "t", "-", pool=pool, input="0123456789")
    line = rc.rados("stat", "t", pool=pool).stdout
    assert re.fullmatch(r"p3/t mtime \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d{4}, size 10\n",
                        line), line
    st = json.loads(rc.rados("--format", "json", "stat", "t", pool=pool).stdout)
    assert st["size"] == 10 and abs(st["mtime_epoch"] - time.time()) < 120
    rc.rados("truncate", "t", "4", pool=pool)
    assert rc.rados("get", "t", "-", pool=pool).stdout == "0123"
    rc.rados("truncate", "t", "6", pool=pool)
    assert rc.rados("get", "t", "-", pool=pool, text=False).stdout == b"0123\0\0"
    f = tmp_path / "tail"
    f.write_bytes(b"TAIL" * 1000)
    rc.rados("append", "t", f, pool=pool)
    rc.rados("append", "t", "-", pool=pool, input="!")
    assert rc.rados("get", "t", "-", pool=pool, text=False).stdout == \
        b"0123\0\0" + b"TAIL" * 1000 + b"!"
    rc.rados("append", "new", "-", pool=pool, input="fresh")  # append creates
    assert rc.rados("get", "new", "-", pool=pool).stdout == "fresh"
    rc.rados("create", "empty", pool=pool)
    assert rc.rados("create", "empty", pool=pool, check=False).returncode == errno.EEXIST
    assert "size 0" in rc.rados("stat", "empty", pool=pool).stdout
    rc.rados("rm", "t", "new", "empty", pool=pool)
    r = rc.rados("stat", "t", pool=pool, check=False)
    assert r.returncode == errno.ENOENT and "No such file or directory" in r.stderr


def test_xattrs(rc):
    pool = "p2"
    rc.rados("put", "x", "-", pool=pool, input="data")
    rc.rados("setxattr", "x", "user.color", "blue", pool=pool)
    rc.rados("setxattr", "x", "bin", pool=pool, input=b"a\0b\xff", text=False)
    assert rc.rados("getxattr", "x", "user.color", pool=pool).stdout == "blue"
    assert rc.rados("getxattr", "x", "bin", pool=pool, text=False).stdout == b"a\0b\xff"
    assert sorted(rc.rados("listxattr", "x", pool=pool).stdout.split()) == ["bin", "user.color"]
    js = json.loads(rc.rados("--format", "json", "getxattr", "x", "user.color", pool=pool).stdout)
    assert js == {"name": "user.color", "value": "blue"}
    rc.rados("rmxattr", "x", "user.color", pool=pool)
    r = rc.rados("getxattr", "x", "user.color", pool=pool, check=False)
    assert r.returncode == errno.ENODATA and "error getting xattr" in r.stderr
    assert rc.rados("listxattr", "x", pool=pool).stdout.split() == ["bin"]
    assert rc.rados("get", "x", "-", pool=pool).stdout == "data"
    rc.rados("rm", "x", pool=pool)


def test_omap(rc, tmp_path):
    pool = "p3"
    rc.rados("setomapval", "m", "k1", "value1", pool=pool)  # creates the object
    rc.rados("setomapval", "m", "k2", pool=pool, input=b"\x00\x01binary", text=False)
    for i in range(3):
        rc.rados("setomapval", "m", f"z{i:04d}", str(i), pool=pool)
    out = rc.rados("getomapval", "m", "k1", pool=pool).stdout
    assert out == "value (6 bytes) :\n" \
                  "00000000  76 61 6c 75 65 31                                 |value1|\n" \
                  "00000006\n\n", out
    rc.rados("getomapval", "m", "k2", tmp_path / "v", pool=pool)
    assert (tmp_path / "v").read_bytes() == b"\x00\x01binary"
    assert rc.rados("listomapkeys", "m", pool=pool).stdout.split() == \
        ["k1", "k2", "z0000", "z0001", "z0002"]
    vals = rc.rados("listomapvals", "m", pool=pool).stdout
    assert vals.startswith("k1\nvalue (6 bytes) :\n") and "z0002\nvalue (1 bytes) :\n" in vals
    js = json.loads(rc.rados("--format", "json", "listomapvals", "m", pool=pool).stdout)
    assert js["k1"] == "value1" and js["z0001"] == "1" and len(js) == 5
    rc.rados("rmomapkey", "m", "k1", pool=pool)
    r = rc.rados("getomapval", "m", "k1", pool=pool, check=False)
    assert r.returncode == errno.ENOENT and "No such key: p3/m/k1" in r.stderr
    assert rc.rados("stat", "m", pool=pool).stdout.endswith("size 0\n")
    rc.rados("rm", "m", pool=pool)


def test_pools_and_df(rc):
    assert set(POOLS) <= set(rc.rados("lspools").stdout.split())
    assert set(POOLS) <= set(json.loads(rc.rados("--format", "json", "lspools").stdout))
    assert "successfully created pool made" in rc.rados("mkpool", "made").stdout
    r = rc.rados("mkpool", "made", check=False)
    assert r.returncode == errno.EEXIST and "error creating pool made" in r.stderr
    assert "made" in rc.rados("lspools").stdout.split()
    assert rc.rados("rmpool", "made", "made", check=False).returncode == errno.EPERM
    rc.rados("rmpool", "made", "made", "--yes-i-really-really-mean-it")
    assert "made" not in rc.rados("lspools").stdout.split()
    for i in range(5):
        rc.rados("put", f"df{i}", "-", pool="p2", input="x" * 10000)

    def counted():
        js = json.loads(rc.rados("--format", "json", "df").stdout)
        p2 = next(p for p in js["pools"] if p["name"] == "p2")
        return js if p2["num_objects"] >= 5 and p2["size_bytes"] >= 50000 else None
    js = wait_for(counted, timeout=30, what="df to count p2's objects")
    assert js["total_space"] > 0 and js["total_avail"] <= js["total_space"]
    assert {p["name"] for p in js["pools"]} >= set(POOLS)
    plain = rc.rados("df").stdout
    assert plain.startswith("POOL_NAME") and "USED" in plain and "OBJECTS" in plain
    row = next(l for l in plain.splitlines() if l.startswith("p2 ")).split()
    assert row[3] == "5", plain  # POOL_NAME, USED ("48 KiB"), OBJECTS
    for k in ("total_objects", "total_used", "total_avail", "total_space"):
        assert re.search(rf"^{k} +\S", plain, re.M), plain
    one = json.loads(rc.rados("--format", "json", "df", pool="p2").stdout)
    assert [p["name"] for p in one["pools"]] == ["p2"]
    rc.rados("rm", *[f"df{i}" for i in range(5)], pool="p2")


def test_errors_and_help(rc, tmp_path):
    r = rc.rados("ls", pool="no-such-pool", check=False)
    assert r.returncode == errno.ENOENT and "error opening pool no-such-pool" in r.stderr
    out = tmp_path / "never"
    r = rc.rados("get", "missing", out, pool="p1", check=False)
    assert r.returncode == errno.ENOENT and "No such file or directory" in r.stderr
    assert not out.exists(), "a failed get left a file behind"
    assert rc.rados("frobnicate", pool="p1", check=False).returncode == 2
    assert rc.rados("put", "only-one-arg", pool="p1", check=False).returncode == 2
    assert rc.rados("ls", check=False).returncode == 2  # no pool
    h = rc.rados("--help")
    for cmd in ("put OBJ", "get OBJ", "bench SECONDS", "listomapvals", "df", "--format"):
        assert cmd in h.stdout
    r = rc.rados("put", "n" * 2049, "-", pool="p1", input="x", check=False)
    assert r.returncode == errno.ENAMETOOLONG, r.stderr
    rc.rados("put", "n" * 2048, "-", pool="p1", input="x")
    rc.rados("rm", "n" * 2048, pool="p1")
    rc.rados("put", "big", "-", pool="p1", input="x")
    r = rc.rados("truncate", "big", str(65 << 20), pool="p1", check=False)
    assert r.returncode == errno.EFBIG and "File too large" in r.stderr
    rc.rados("rm", "big", pool="p1")
    bad = subprocess.run([str(rc.rados_bin), "-c", str(tmp_path / "nope.conf"), "lspools"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == errno.ENOENT and "error reading the configuration" in bad.stderr


# --- sepia-rados bench --------------------------------------------------------

SUMMARY_WRITE = ["Total time run:", "Total writes made:", "Write size:", "Object size:",
                 "Bandwidth (MB/sec):", "Stddev Bandwidth:", "Max bandwidth (MB/sec):",
                 "Min bandwidth (MB/sec):", "Average IOPS:", "Stddev IOPS:", "Max IOPS:",
                 "Min IOPS:", "Average Latency(s):", "Stddev Latency(s):", "Max latency(s):",
                 "Min latency(s):"]
SUMMARY_READ = ["Total time run:", "Total reads made:", "Read size:", "Object size:",
                "Bandwidth (MB/sec):", "Average IOPS:", "Stddev IOPS:", "Max IOPS:",
                "Min IOPS:", "Average Latency(s):", "Max latency(s):", "Min latency(s):"]
TABLE_HEAD = "  sec Cur ops   started  finished  avg MB/s  cur MB/s last lat(s)  avg lat(s)"


def field(out, label):
    for line in out.splitlines():
        if line.startswith(label):
            return line[len(label):].strip()
    raise AssertionError(f"no '{label}' in:\n{out}")


def check_summary(out, labels):
    lines = out.splitlines()
    at = lines.index(next(l for l in lines if l.startswith(labels[0])))
    assert [l.split(":")[0] + ":" for l in lines[at:at + len(labels)]] == labels, out
    for l in lines[at:at + len(labels)]:
        float(l.split(":", 1)[1])  # every value is a number


def bench_objects(rc, pool):
    return [n for n in rc.rados("ls", pool=pool).stdout.split() if n.startswith("benchmark_")]


def test_bench_write_seq_rand_cleanup(rc):
    pool = "p3"
    out = rc.rados("bench", "3", "write", "-b", "64K", "-t", "4", "--no-cleanup",
                   pool=pool).stdout
    lines = out.splitlines()
    assert lines[0] == "hints = 1"
    assert lines[1] == "Maintaining 4 concurrent writes of 65536 bytes to objects of size " \
                       "65536 for up to 3 seconds or 0 objects"
    host = socket.gethostname()
    assert re.fullmatch(rf"Object prefix: benchmark_data_{re.escape(host)}_\d+", lines[2])
    assert lines[3] == TABLE_HEAD
    assert re.fullmatch(r" +0 +\d+ +\d+ +\d+ +\S+ +\S+ +\S+ +\S+", lines[4]), lines[4]
    check_summary(out, SUMMARY_WRITE)
    writes = int(field(out, "Total writes made:"))
    assert writes > 0 and field(out, "Write size:") == "65536"
    assert float(field(out, "Bandwidth (MB/sec):")) > 0
    assert "Cleaning up" not in out
    objs = bench_objects(rc, pool)
    assert len(objs) == writes + 1 and "benchmark_last_metadata" in objs

    seq = rc.rados("bench", "2", "seq", "-t", "4", pool=pool).stdout
    assert seq.splitlines()[:2] == ["hints = 1", TABLE_HEAD]
    check_summary(seq, SUMMARY_READ)
    assert 0 < int(field(seq, "Total reads made:")) <= writes
    rnd_out = rc.rados("bench", "2", "rand", "-t", "4", pool=pool).stdout
    check_summary(rnd_out, SUMMARY_READ)
    js = json.loads(rc.rados("--format", "json", "bench", "1", "seq", pool=pool).stdout)
    assert js["total_reads_made"] > 0 and js["read_size"] == 65536 and "datas" in js

    r = rc.rados("cleanup", pool=pool)
    assert f"Removed {writes} objects" in r.stdout
    assert bench_objects(rc, pool) == []
    r = rc.rados("bench", "1", "seq", pool=pool, check=False)
    assert r.returncode == errno.ENOENT and "Must write data before" in r.stderr


def test_bench_cleans_up_and_json(rc):
    pool = "p1"
    out = rc.rados("bench", "20", "write", "-b", "4K", "-t", "8", "--max-objects", "300",
                   pool=pool).stdout
    check_summary(out, SUMMARY_WRITE)
    n = int(field(out, "Total writes made:"))
    assert 300 <= n <= 300 + 8, "--max-objects bounds the run"
    assert "Cleaning up (deleting benchmark objects)" in out
    assert f"Removed {n} objects" in out and "Clean up completed" in out
    assert bench_objects(rc, pool) == []
    js = json.loads(rc.rados("--format", "json", "bench", "1", "write", "-b", "4K", "-t", "2",
                             "--max-objects", "100", pool=pool).stdout)
    for k in ("total_time_run", "total_writes_made", "bandwidth", "average_iops",
              "average_latency", "object_prefix", "datas"):
        assert k in js
    assert js["write_size"] == 4096 and js["total_writes_made"] > 0
    assert bench_objects(rc, pool) == []


# --- the C API ------------------------------------------------------------------

@pytest.mark.parametrize("pool", ["p1", "p3"])
def test_api_sync(rc, pool):
    assert "radostest sync: ok" in rc.radostest(pool, "sync")


def test_api_aio(rc):
    assert "radostest aio: ok" in rc.radostest("p2", "aio")


def test_api_compound_ops(rc):
    assert "radostest compound: ok" in rc.radostest("p3", "compound")


def test_api_failed_compare_aborts_writes(rc):
    assert "radostest atomic: ok" in rc.radostest("p3", "atomic")


def test_api_concurrent_appenders_one_object(rc):
    out = rc.radostest("p3", "concurrent", 8, 40, 4096)
    assert "8 threads x 40 records of 4096 bytes" in out


def test_api_listing_across_pgs_and_namespaces(rc):
    out = rc.radostest("many", "list", 600, 4)
    assert "listed 600 objects in 4 namespaces" in out
    # the CLI sees the same
    assert len(rc.rados("--all", "ls", pool="many").stdout.splitlines()) == 600
    assert len(rc.rados("ls", pool="many", ns="ns3").stdout.split()) == 150


def test_api_limits(rc):
    out = rc.radostest("p2", "limits")
    assert "radostest limits: ok" in out


# --- the OSDs under stress ------------------------------------------------------------

def test_malformed_messages_keep_osd_serving(rc):
    host, port = rc.osd_addr(0)
    pid = rc.osd_pid(0)
    payloads = [b"", b"\x00" * 64, os.urandom(4096), b"GET / HTTP/1.0\r\n\r\n",
                b"sepia\n" + b"\xff" * 1000, b"\xff\xff\xff\x7f" * 256]
    for p in payloads:
        with socket.create_connection((host, port), timeout=5) as s:
            try:
                s.sendall(p)
                s.settimeout(1)
                s.recv(4096)
            except OSError:
                pass
    # past the banner: echo the OSD's own banner, then frames that are not
    for junk in (bytes(40), os.urandom(40) + os.urandom(5000), b"\x01" * 40 + bytes(100000)):
        with socket.create_connection((host, port), timeout=5) as s:
            try:
                s.settimeout(2)
                banner = s.recv(28)
                s.sendall(banner + junk)
                s.recv(4096)
            except OSError:
                pass
    # a half-open connection that never speaks
    idle = socket.create_connection((host, port), timeout=5)
    try:
        time.sleep(0.5)
        assert rc.osd_pid(0) == pid, "osd.0 died"
        assert rc.osd_is_up(0)
        name = next(f"g{i}" for i in range(1000) if rc.primary("p1", f"g{i}") == 0)
        data = os.urandom(70000)
        rc.rados("put", name, "-", pool="p1", input=data, text=False)
        assert rc.rados("get", name, "-", pool="p1", text=False).stdout == data
        rc.rados("rm", name, pool="p1")
    finally:
        idle.close()


def test_client_resends_across_osd_restart_exactly_once(rc):
    """An appender keeps one 16-byte numbered record in flight while the
    primary OSD of its object is stopped (SIGTERM) and started again: the
    client resends what was in flight, the OSD must apply it once. `nodown`
    keeps the stopped OSD in the map while it is away (the client resends to
    it); its new incarnation's boot marks the old one down first, so the PG
    peers twice (another primary, then this one again) and the restarted
    copy must recover the appends it missed before it serves the object:
    every acknowledged append must be in the object exactly once, in order."""
    pool, obj = "p3", "counter"
    primary = rc.primary(pool, obj)
    p = rc.radostest_popen(pool, "appender", obj)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(p.stdout), daemon=True)
    reader.start()

    def appended():
        return max([int(l.split()[1]) for l in list(lines) if l.startswith("appended")],
                   default=0)

    def running_and(pred):
        def check():
            assert p.poll() is None, f"appender ended: {p.stderr.read()}"
            return pred()
        return check
    try:
        wait_for(running_and(lambda: appended() >= 30), timeout=60,
                 what="30 appends before the restart")
        rc.cli("osd", "set", "nodown")
        rc.osd("stop", primary)  # SIGTERM
        n0 = appended()
        rc.osd("start", primary)
        rc.wait_osds_up(3, timeout=60)
        rc.cli("osd", "unset", "nodown")
        wait_for(running_and(lambda: appended() >= n0 + 30), timeout=90,
                 what="30 appends after the restart")
    finally:
        p.stdin.close()
        try:
            p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=30)
            print(f"--- the appender's stderr (killed: stuck in an append) ---\n"
                  f"{p.stderr.read()[-20000:]}")
        reader.join(timeout=10)
    assert p.returncode == 0, p.stderr.read()
    done = int(re.search(r"done (\d+)", "".join(lines)).group(1))
    data = rc.rados("get", obj, "-", pool=pool).stdout
    records = [int(x) for x in data.split("\n") if x]
    assert len(data) == 16 * done and records == list(range(done)), \
        f"{done} appends, object holds {len(records)} records; first problem at " \
        f"{next((i for i, r in enumerate(records) if r != i), None)}"
    rc.rados("rm", obj, pool=pool)


def test_cluster_tool_shows_osds(rc):
    st = subprocess.run([str(rc.tool), "status", "--dir", str(rc.dir)], capture_output=True,
                        text=True, timeout=60)
    assert st.returncode == 0, st.stderr
    for i in range(3):
        assert f"osd.{i}: running" in st.stdout
    assert rc.json("osd", "stat")["num_up_osds"] == 3
    tree = rc.ok("osd", "tree")
    assert all(re.search(rf"osd\.{i} +up", tree) for i in range(3)), tree
    assert "mon_osd_crush_chooseleaf_type = 0" in rc.conf.read_text()


# --- replicas, checked offline ------------------------------------------------------

def store_objects(store_tool, path):
    r = subprocess.run([str(store_tool), "list", "--path", str(path)], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return [l.split("\t") for l in r.stdout.splitlines() if l.strip()]


def test_every_replica_receives_every_write(tmp_path):
    c = RadosCluster(tmp_path, osds=3)
    store_tool = binary("sepia-store-tool")
    want = {}
    try:
        c.up()
        c.create_pool("rep", 3, pg_num=8)
        for i, n in enumerate([0, 1, 5000, (4 << 20) + 7, 6 << 20]):
            data = rnd(n, 1000 + i)
            c.rados("put", f"r{i}", "-", pool="rep", input=data, text=False, timeout=180)
            want[f"r{i}"] = data
        # overwrite in the middle, append, truncate: each replica must follow
        c.rados("append", "r2", "-", pool="rep", input=b"+tail", text=False)
        want["r2"] += b"+tail"
        c.rados("truncate", "r3", str(1 << 20), pool="rep")
        want["r3"] = want["r3"][:1 << 20]
        c.rados("setxattr", "r1", "colour", "green", pool="rep")
        c.rados("setomapval", "r1", "key", "value", pool="rep")
        c.rados("put", "gone", "-", pool="rep", input="x")
        c.rados("rm", "gone", pool="rep")
        c.down()  # a clean stop: every OSD closes its store
        for osd in range(3):
            path = c.store_dir(osd)
            objs = store_objects(store_tool, path)
            for name, data in want.items():
                hits = [o for o in objs if len(o) >= 3 and o[2] == name]
                assert len(hits) == 1, f"osd.{osd}: {name} found {len(hits)} times in {objs}"
                coll, ns = hits[0][0], hits[0][1]
                out = tmp_path / f"osd{osd}-{name}"
                args = [str(store_tool), "get", "--path", str(path), "--collection", coll,
                        "--object", name, "-o", str(out)] + (["--namespace", ns] if ns else [])
                r = subprocess.run(args, capture_output=True, timeout=60)
                assert r.returncode == 0, r.stderr
                assert out.read_bytes() == data, f"osd.{osd}: {name} differs"
            assert not [o for o in objs if len(o) >= 3 and o[2] == "gone"], \
                f"osd.{osd} still holds a removed object"
            dump = subprocess.run([str(store_tool), "dump", "--path", str(path), "--collection",
                                   next(o[0] for o in objs if len(o) >= 3 and o[2] == "r1"),
                                   "--object", "r1", "--format", "json"],
                                  capture_output=True, text=True, timeout=60)
            assert dump.returncode == 0 and "colour" in dump.stdout and "key" in dump.stdout, \
                dump.stdout + dump.stderr
    except BaseException:
        print(c.logs())
        raise
    finally:
        c.down()
