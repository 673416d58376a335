"""The monitor daemon: quorum with 1 and 3 members, commands through the
`sepia` CLI, leader failover, restart and catch-up, a minority partition
that refuses writes, and OSD boot / failure / down-out through the fake OSD
tool. Every test starts real sepia-mon processes in tmp_path."""
import errno
import re
import signal
import subprocess
import time
import uuid

import pytest

from conftest import binary, wait_for
from monutil import FakeOsd, MonCluster, have_netns


@pytest.fixture
def cluster(tmp_path, request):
    made = []

    def make(n=3, **kw):
        c = MonCluster(tmp_path, n, **kw)
        made.append(c)
        c.start_all()
        return c
    yield make
    for c in made:
        c.stop_all()
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        for c in made:
            print(c.logs())


def epochs(c, names):
    return {m: (c.mon_status(m) or {}).get("osdmap_epoch") for m in names}


def test_mkfs_and_missing_store(tmp_path):
    c = MonCluster(tmp_path, 1)
    r = subprocess.run([str(c.sepia_mon), "-c", str(c.conf), "-i", "a"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode != 0 and "--mkfs" in r.stderr
    c.mkfs()
    r = subprocess.run([str(c.sepia_mon), "--mkfs", "-c", str(c.conf), "-i", "a"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0, "a second mkfs must refuse an existing store"


def test_single_monitor_commands(cluster, tmp_path):
    c = cluster(1)
    assert c.leader() == "a"
    st = c.json("status")
    assert st["quorum_names"] == ["a"] and st["health"]["status"] == "HEALTH_OK"
    assert "quorum a" in c.ok("status") and "health: HEALTH_OK" in c.ok("status")
    assert re.match(r"e1: 1 mons at \{a=127\.0\.0\.1:\d+\}, election epoch \d+, leader 0 a, "
                    r"quorum 0 a", c.ok("mon", "stat"))
    # pools
    rc, _, err = c.cli("osd", "pool", "create", "rbd", "32")
    assert rc == 0 and "pool 'rbd' created" in err
    rc, _, err = c.cli("osd", "pool", "create", "rbd", "32")
    assert rc == 0 and "already exists" in err
    assert c.ok("osd", "pool", "ls").split() == ["rbd"]
    assert c.json("osd", "pool", "ls") == ["rbd"]
    got = c.json("osd", "pool", "get", "rbd", "all")
    assert (got["size"], got["min_size"], got["pg_num"]) == (3, 2, 32)
    assert c.ok("osd", "pool", "get", "rbd", "size") == "size: 3\n"
    c.ok("osd", "pool", "set", "rbd", "size", "2")
    assert c.json("osd", "pool", "get", "rbd", "size")["size"] == 2
    assert c.cli("osd", "pool", "set", "rbd", "size", "zero")[0] == errno.EINVAL
    assert c.cli("osd", "pool", "set", "rbd", "bogus", "1")[0] == errno.EINVAL
    assert c.cli("osd", "pool", "get", "nope", "size")[0] == errno.ENOENT
    assert c.cli("osd", "pool", "create")[0] == errno.EINVAL
    # placement: the same PG and raw hash Ceph computes for 'foo' in a 32-PG pool
    line = c.ok("osd", "map", "rbd", "foo")
    assert re.match(r"osdmap e\d+ pool 'rbd' \(1\) object 'foo' -> pg 1\.7fc1f406 \(1\.6\) -> "
                    r"up \(\[\], p-1\) acting \(\[\], p-1\)", line), line
    assert c.json("osd", "map", "rbd", "foo")["pgid"] == "1.6"
    dump = c.json("osd", "dump")
    assert dump["pools"][0]["pool_name"] == "rbd" and dump["fsid"] == c.fsid
    assert "root default" in c.ok("osd", "tree")
    # config
    c.ok("config", "set", "osd", "log_level", "debug")
    assert c.ok("config", "get", "osd.3", "log_level").strip() == "debug"
    assert c.ok("config", "get", "mon.a", "log_level").strip() == "info"
    assert c.cli("config", "set", "osd", "no_such_option", "1")[0] == errno.EINVAL
    assert c.cli("config", "set", "osd", "mon_lease", "banana")[0] == errno.EINVAL
    assert {"section": "osd", "name": "log_level", "value": "debug"} in c.json("config", "dump")
    # removal needs the name twice and the flag
    rc, _, err = c.cli("osd", "pool", "rm", "rbd")
    assert rc == errno.EPERM and "--yes-i-really-really-mean-it" in err
    c.ok("osd", "pool", "rm", "rbd", "rbd", "--yes-i-really-really-mean-it")
    assert c.json("osd", "pool", "ls") == []
    assert c.cli("no", "such", "command")[0] == errno.EINVAL
    # everything survives a restart
    c.ok("osd", "pool", "create", "after", "8")
    e = c.json("osd", "dump")["epoch"]
    c.kill("a")
    c.start("a")
    c.leader()
    assert wait_for(lambda: c.cli("osd", "dump", fmt="json")[0] == 0, what="reads after restart")
    assert c.json("osd", "dump")["epoch"] == e
    assert c.json("osd", "pool", "ls") == ["after"]
    assert c.ok("config", "get", "osd", "log_level").strip() == "debug"


def test_three_monitors_failover_and_catch_up(cluster):
    c = cluster(3)
    leader = c.leader()
    assert sorted(c.json("status")["quorum_names"]) == ["a", "b", "c"]
    c.ok("osd", "pool", "create", "rbd", "16")
    for m in c.names:  # every monitor serves the new pool (reads with a lease, or forwarded)
        assert wait_for(lambda: "rbd" in c.cli("osd", "pool", "ls", conf=c.conf_for([m]))[1],
                        what=f"rbd visible from mon.{m}")
    # a write sent to a peon is forwarded to the leader
    peon = next(m for m in c.names if m != leader)
    c.ok("osd", "pool", "create", "viapeon", "8", conf=c.conf_for([peon]))

    c.kill(leader)
    t0 = time.monotonic()
    rest = [m for m in c.names if m != leader]
    new = c.leader(among=rest, timeout=10, exclude=leader)
    elapsed = time.monotonic() - t0
    assert new != leader and elapsed < 5, f"new leader after {elapsed:.2f}s"
    for i in range(5):  # writes keep committing
        c.ok("osd", "pool", "create", f"after{i}", "8")
    c.ok("config", "set", "global", "mon_lease", "3")

    c.start(leader)
    target = c.json("osd", "dump")["epoch"]
    wait_for(lambda: set(epochs(c, c.names).values()) == {target}, timeout=15,
             what="the restarted monitor to catch up")
    assert "after4" in c.ok("osd", "pool", "ls", conf=c.conf_for([leader]))


def _netns_setup(tag):
    ns, vh, vn = f"sepiamt{tag}", f"vh{tag}", f"vn{tag}"
    net = 200 + int(tag, 16) % 50
    cmds = [["ip", "netns", "add", ns],
            ["ip", "link", "add", vh, "type", "veth", "peer", "name", vn],
            ["ip", "link", "set", vn, "netns", ns],
            ["ip", "addr", "add", f"10.{net}.7.1/24", "dev", vh],
            ["ip", "link", "set", vh, "up"],
            ["ip", "netns", "exec", ns, "ip", "addr", "add", f"10.{net}.7.2/24", "dev", vn],
            ["ip", "netns", "exec", ns, "ip", "link", "set", vn, "up"],
            ["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"]]
    for cmd in cmds:
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            _netns_teardown(ns, vh)
            pytest.skip(f"network namespaces unavailable: {' '.join(cmd)}: {r.stderr}")
    return ns, vh, f"10.{net}.7.1", f"10.{net}.7.2"


def _netns_teardown(ns, vh):
    subprocess.run(["ip", "link", "del", vh], capture_output=True)
    subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def test_minority_partition_refuses_writes(tmp_path, request):
    """mon.c runs in its own network namespace joined by a veth pair; taking
    the link down partitions it from a and b. The minority must refuse
    reads and writes, the majority must keep going, and after healing c
    must hold the majority's maps and nothing it was asked during the cut."""
    if not have_netns():
        pytest.skip("needs root and iproute2 (ip netns)")
    ns, vh, ip_host, ip_ns = _netns_setup(uuid.uuid4().hex[:6])
    c = MonCluster(tmp_path, 3, ips=[ip_host, ip_host, ip_ns], netns=[None, None, ns])
    try:
        c.start_all()
        c.leader()
        c.ok("osd", "pool", "create", "before", "8")
        subprocess.run(["ip", "link", "set", vh, "down"], check=True)
        wait_for(lambda: (c.mon_status("c") or {}).get("leader", 0) < 0, timeout=10,
                 what="mon.c to lose its leader")
        cconf = c.conf_for(["c"])
        rc, _, err = c.cli("osd", "pool", "create", "minority", "8", conf=cconf, ns=ns, timeout=4)
        assert rc != 0, "the minority accepted a write"
        rc, _, _ = c.cli("osd", "pool", "ls", conf=cconf, ns=ns, timeout=3)
        assert rc != 0, "the minority served a read without a lease"
        new = c.leader(among=["a", "b"], exclude="c")
        assert new in ("a", "b")
        c.ok("osd", "pool", "create", "majority", "8", conf=c.conf_for(["a", "b"]))
        time.sleep(3.5)  # mon_command_timeout: the minority's parked command expires
        subprocess.run(["ip", "link", "set", vh, "up"], check=True)
        target = c.json("osd", "dump", conf=c.conf_for(["a", "b"]))["epoch"]
        wait_for(lambda: (c.mon_status("c") or {}).get("osdmap_epoch") == target, timeout=20,
                 what="mon.c to catch up after healing")
        pools = c.json("osd", "pool", "ls", conf=cconf, ns=ns)
        assert "majority" in pools and "minority" not in pools
    except BaseException:
        print(c.logs())
        raise
    finally:
        c.stop_all()
        _netns_teardown(ns, vh)


def test_lone_monitor_refuses_writes_sigstop(cluster):
    """The weaker, namespace-free variant: stop the two other monitors."""
    c = cluster(3)
    c.leader()
    lone = "a"
    for m in ("b", "c"):
        c.kill(m, signal.SIGSTOP)
    wait_for(lambda: (c.mon_status(lone) or {}).get("leader", 0) < 0, timeout=10,
             what="the lone monitor to lose its leader")
    rc, _, _ = c.cli("osd", "pool", "create", "lonely", "8", conf=c.conf_for([lone]), timeout=4)
    assert rc != 0
    time.sleep(3.5)
    for m in ("b", "c"):
        c.kill(m, signal.SIGCONT)
    c.leader()
    assert "lonely" not in c.json("osd", "pool", "ls")


def test_osd_boot_failure_and_down_out(cluster):
    c = cluster(3, conf_extra="mon_osd_report_timeout = 2\nmon_osd_down_out_interval = 2\n"
                              "mon_osd_min_down_reporters = 2\n")
    c.leader()
    c.ok("osd", "pool", "create", "rbd", "16")
    osd = FakeOsd(c)
    try:
        osd.send("sub 1")
        for i in range(4):
            osd.send(f"boot {i} host{i}")
        osd.send("beat 0 1 2 3")
        wait_for(lambda: c.json("osd", "stat")["num_up_osds"] == 4, what="4 OSDs up")
        tree = c.ok("osd", "tree")
        assert re.search(r"host host2\n\s+2\s+\S*\s+1\.00000\s+osd\.2\s+up", tree), tree
        up = c.json("osd", "map", "rbd", "foo")["up"]
        assert len(up) == 3
        # the subscriber got every epoch, as incrementals after the first map
        e = c.json("osd", "dump")["epoch"]
        wait_for(lambda: osd.newest() >= e, what="the subscriber to reach the newest epoch")
        assert any(m["incs"] != "0-0" for m in osd.maps)
        # failure reports from two distinct peers mark osd.1 down, then out
        osd.send("fail 1 0")
        time.sleep(0.5)
        assert c.json("osd", "dump")["osds"][1]["up"] == 1, "one reporter is not enough"
        osd.send("fail 1 2")
        wait_for(lambda: c.json("osd", "dump")["osds"][1]["up"] == 0, what="osd.1 down")
        osd.send("mute 1")
        wait_for(lambda: c.json("osd", "dump")["osds"][1]["in"] == 0, timeout=10,
                 what="osd.1 out after mon_osd_down_out_interval")
        # missed beacons mark osd.3 down
        osd.send("mute 3")
        wait_for(lambda: c.json("osd", "dump")["osds"][3]["up"] == 0, timeout=10,
                 what="osd.3 down after mon_osd_report_timeout")
        st = c.json("status")
        assert st["osdmap"]["num_up_osds"] == 2 and st["health"]["status"] == "HEALTH_WARN"
        # noout keeps a down OSD in; a reboot marks it up again
        c.ok("osd", "set", "noout")
        osd.send("mute 2")
        wait_for(lambda: c.json("osd", "dump")["osds"][2]["up"] == 0, timeout=10, what="osd.2 down")
        time.sleep(2.5)
        assert c.json("osd", "dump")["osds"][2]["in"] == 1
        osd.send("boot 2 host2")
        osd.send("beat 2")
        wait_for(lambda: c.json("osd", "dump")["osds"][2]["up"] == 1, what="osd.2 back up")
    finally:
        osd.close()


def test_osd_alive_and_pg_temp(cluster):
    """MON_MSG_OSD_ALIVE raises up_thru (never lowers it, ignored from a
    down OSD); MON_MSG_OSD_PGTEMP sets, replaces and removes pg_temp and
    ignores invalid entries (PEERING_INTEGRATION.md §4)."""
    c = cluster(1)
    c.leader()
    c.ok("osd", "pool", "create", "rbd", "8")
    osd = FakeOsd(c)

    def dump():
        return c.json("osd", "dump")

    def temp(pgid):
        return {t["pgid"]: t["osds"] for t in dump()["pg_temp"]}.get(pgid)
    try:
        osd.send("sub 1")
        for i in range(4):
            osd.send(f"boot {i} host{i}")
        osd.send("beat 0 1 2 3")
        wait_for(lambda: c.json("osd", "stat")["num_up_osds"] == 4, what="4 OSDs up")
        e = dump()["epoch"]
        wait_for(lambda: osd.newest() >= e, what="the fake OSDs to have the newest map")
        osd.send(f"upthru 1 {e}")
        wait_for(lambda: dump()["osds"][1]["up_thru"] >= e, what="osd.1 up_thru raised")
        got = dump()["osds"][1]["up_thru"]
        osd.send("upthru 1 1")  # lower: already recorded, no new epoch
        time.sleep(0.5)
        assert dump()["osds"][1]["up_thru"] == got
        # set, replace, remove
        pool = [p for p in dump()["pools"] if p["pool_name"] == "rbd"][0]["pool"]
        pgid = f"{pool}.3"
        osd.send(f"pgtemp 0 {pool} 3 2 1 0")
        wait_for(lambda: temp(pgid) == [2, 1, 0], what="pg_temp set")
        osd.send(f"pgtemp 0 {pool} 3 3 1")
        wait_for(lambda: temp(pgid) == [3, 1], what="pg_temp replaced")
        e = dump()["epoch"]
        osd.send(f"pgtemp 0 {pool} 3 9")  # no osd.9: ignored
        osd.send(f"pgtemp 0 {pool} 99 1 2")  # no such PG: ignored
        time.sleep(0.5)
        assert dump()["epoch"] == e and temp(pgid) == [3, 1]
        osd.send(f"pgtemp 0 {pool} 3")
        wait_for(lambda: temp(pgid) is None, what="pg_temp removed")
        # asking for the up set itself removes the entry
        pm = c.json("osd", "map", "rbd", "foo")
        ps = int(pm["pgid"].split(".")[1], 16)
        other = [i for i in range(4) if i not in pm["up"]][:1] + pm["up"][:1]
        osd.send(f"pgtemp 0 {pool} {ps} " + " ".join(map(str, other)))
        wait_for(lambda: temp(pm["pgid"]) == other, what="pg_temp set on foo's PG")
        osd.send(f"pgtemp 0 {pool} {ps} " + " ".join(map(str, pm["up"])))
        wait_for(lambda: temp(pm["pgid"]) is None, what="pg_temp = up set removed")
    finally:
        osd.close()


def test_osd_and_crush_commands(cluster, tmp_path):
    c = cluster(1)
    c.leader()
    c.json("osd", "stat")  # the first maps exist: boots before them are dropped (OSDs retry)
    osd = FakeOsd(c)
    try:
        osd.send("boot 0 host0")
        osd.send("boot 1 host1 2.0")
        osd.send("beat 0 1")
        wait_for(lambda: c.json("osd", "stat")["num_up_osds"] == 2, what="2 OSDs up")
    finally:
        osd.close()
    rc, _, err = c.cli("osd", "out", "1")
    assert rc == 0 and "marked out osd.1" in err
    assert c.json("osd", "dump")["osds"][1]["in"] == 0
    c.ok("osd", "in", "1")
    c.ok("osd", "reweight", "0", "0.5")
    assert c.json("osd", "dump")["osds"][0]["weight"] == 0.5
    assert c.cli("osd", "reweight", "0", "2")[0] == errno.EINVAL
    assert c.cli("osd", "out", "7")[0] == errno.ENOENT
    c.ok("osd", "down", "0")
    assert c.json("osd", "dump")["osds"][0]["up"] == 0
    # CRUSH edits
    c.ok("osd", "crush", "add-bucket", "rack1", "rack")
    c.ok("osd", "crush", "move", "host0", "rack=rack1")
    c.ok("osd", "crush", "reweight", "osd.1", "3.5")
    tree = c.ok("osd", "tree")
    assert re.search(r"rack rack1\n.*host host0\n.*osd\.0", tree), tree
    assert re.search(r"\s1\s+\S*\s*3\.50000\s+osd\.1", tree), tree
    assert c.cli("osd", "crush", "rm", "rack1")[0] == errno.ENOTEMPTY
    assert c.cli("osd", "crush", "move", "nosuch", "rack=rack1")[0] == errno.ENOENT
    mapfile, text = tmp_path / "crush.bin", tmp_path / "crush.txt"
    c.ok("osd", "getcrushmap", out=mapfile)
    r = subprocess.run([str(binary("sepia-crush")), "-d", str(mapfile), "-o", str(text)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert "rack1" in text.read_text()
    text.write_text(text.read_text().replace("rack rack1", "rack rackA").replace("rack1 ", "rackA "))
    c.ok("osd", "setcrushmap", inp=text)
    assert "rackA" in c.ok("osd", "tree")
    c.ok("osd", "crush", "rm", "osd.1")
    assert re.search(r"\s1\s+\S*\s*0\.00000\s+osd\.1", c.ok("osd", "tree")), "osd.1 is now a stray"
    # blocklist
    rc, _, err = c.cli("osd", "blocklist", "add", "127.0.0.1:6800/42", "600")
    assert rc == 0 and "blocklisting" in err
    assert c.json("osd", "blocklist", "ls")[0]["addr"] == "127.0.0.1:6800/42"
    assert c.cli("osd", "blocklist", "add", "not-an-address")[0] == errno.EINVAL
    c.ok("osd", "blocklist", "rm", "127.0.0.1:6800/42")
    assert c.json("osd", "blocklist", "ls") == []
    # file systems on two pools
    c.ok("osd", "pool", "create", "meta", "8")
    c.ok("osd", "pool", "create", "data", "8")
    c.ok("fs", "new", "cephfs", "meta", "data")
    assert c.json("fs", "ls")[0]["name"] == "cephfs"
    assert c.cli("fs", "new", "cephfs", "meta", "data")[0] == errno.EEXIST
    assert c.cli("osd", "pool", "rm", "meta", "meta", "--yes-i-really-really-mean-it")[0] == errno.EBUSY
    assert c.cli("fs", "rm", "cephfs")[0] == errno.EPERM
    c.ok("fs", "rm", "cephfs", "--yes-i-really-mean-it")


def test_mon_add_and_remove(cluster):
    """`mon add` + getmap/mkfs --monmap + start: the new monitor catches up and
    joins the quorum; `mon remove` of another leaves a working 3-monitor
    cluster; the refusals (-EEXIST, -EINVAL, -ENOENT)."""
    c = cluster(3)
    c.leader()
    c.ok("osd", "pool", "create", "before", "8")
    assert c.cli("mon", "add", "b", "127.0.0.1:1")[0] == errno.EEXIST
    assert c.cli("mon", "add", "x", f"127.0.0.1:{c.ports[0]}")[0] == errno.EEXIST
    assert c.cli("mon", "add", "x", "nowhere")[0] == errno.EINVAL
    assert c.cli("mon", "remove", "nope")[0] == errno.ENOENT

    c.join("d")
    c.start("d")
    assert wait_for(lambda: sorted(c.json("mon", "stat")["quorum_names"]) == ["a", "b", "c", "d"],
                    timeout=20, what="mon.d in the quorum")
    st = c.json("mon", "stat")
    assert st["num_mons"] == 4 and st["epoch"] == 2
    c.ok("osd", "pool", "create", "with4", "8")
    target = c.json("osd", "dump")["epoch"]
    wait_for(lambda: set(epochs(c, c.names).values()) == {target}, timeout=15,
             what="mon.d to catch up")
    assert "before" in c.ok("osd", "pool", "ls", conf=c.conf_for(["d"]))

    # remove a (maybe the leader); then stop it
    rest = ["b", "c", "d"]
    conf = c.conf_for(rest)
    wait_for(lambda: c.cli("mon", "remove", "a", conf=conf)[0] == 0, timeout=15,
             what="mon remove a")
    wait_for(lambda: c.json("mon", "stat", conf=conf)["num_mons"] == 3
             and c.leader(among=rest, exclude="a") in rest, timeout=15, what="a removed")
    time.sleep(1.0)  # the configuration change follows the MonMap
    c.kill("a")
    c.leader(among=rest, timeout=10, exclude="a")
    for i in range(3):
        wait_for(lambda: c.cli("osd", "pool", "create", f"after{i}", "8", conf=conf)[0] == 0,
                 timeout=15, what=f"pool after{i}")
    st = c.json("mon", "stat", conf=conf)
    assert st["num_mons"] == 3 and sorted(st["quorum_names"]) == rest
    assert "after2" in c.ok("osd", "pool", "ls", conf=c.conf_for(["d"]))
    assert c.cli("mon", "remove", "a", conf=conf)[0] == errno.ENOENT


def test_mon_remove_last_refused(cluster, tmp_path):
    c = cluster(1)
    c.leader()
    assert c.cli("mon", "remove", "a")[0] == errno.EBUSY
    c.ok("mon", "getmap", out=tmp_path / "mm")
    assert (tmp_path / "mm").stat().st_size > 0
    # a store made from a MonMap that does not name the monitor is refused
    r = subprocess.run([str(c.sepia_mon), "--mkfs", "-c", str(c.conf), "-i", "z", "--monmap",
                        str(tmp_path / "mm")], capture_output=True, text=True, timeout=30)
    assert r.returncode != 0
