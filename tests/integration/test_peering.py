"""Peering, recovery and backfill on a real cluster (issue 8): 1 monitor and
4 OSDs, a pool of size 3 and min_size 2.

* min_size: with two of a PG's three OSDs stopped, its PG is not active and
  a write to it blocks (it does not complete on one copy); once one of them
  is back the write completes and every copy ends up with it.
* out and in: marking an OSD that holds data out remaps its PGs to the
  fourth OSD, which is backfilled (the PGs are readable meanwhile, through
  a pg_temp acting set when the new up set lacks complete copies), then
  every PG is active+clean, pg_temp is gone, and every object is on every
  OSD of its acting set, byte-exact (read from the stopped stores)."""
import json
import subprocess
import time

import pytest

from conftest import wait_for
from radosutil import running_cluster

CONF = """
[mon]
mon_osd_report_timeout = 600
mon_osd_min_down_reporters = 1
mon_osd_down_out_interval = 0

[osd]
store_data_file_size = 256M
osd_heartbeat_interval = 0.5
osd_heartbeat_grace = 3
"""
POOL = "pp"


@pytest.fixture
def rc(tmp_path, request):
    def setup(c):
        c.create_pool(POOL, 3, pg_num=8, min_size=2)
        wait_clean(c)
    yield from running_cluster(tmp_path, request, 4, CONF, setup)


def pg_stats(rc):
    return rc.json("pg", "dump")["pg_stats"]


def all_clean(rc):
    st = pg_stats(rc)
    return len(st) == 8 and all(p["state"] == "active+clean" for p in st)


def wait_clean(rc, timeout=120):
    wait_for(lambda: all_clean(rc), timeout=timeout, what="every PG active+clean")


def put(rc, name, data):
    rc.rados("put", name, "-", pool=POOL, input=data, text=False)


def get(rc, name):
    return rc.rados("get", name, "-", pool=POOL, text=False).stdout


def acting(rc, name):
    return rc.json("osd", "map", POOL, name)["acting"]


def check_stores(rc, objects):
    """Every object on every OSD of its acting set, byte-exact (OSDs stopped)."""
    where = {name: (rc.json("osd", "map", POOL, name)["pgid"], acting(rc, name))
             for name in objects}
    for i in range(4):
        rc.osd("stop", i)
    bad = []
    for name, (pgid, osds) in where.items():
        for i in osds:
            code, data, err = rc.store_get(i, f"{pgid}_head", name)
            if code != 0 or data != objects[name]:
                bad.append(f"{name} on osd.{i}: exit {code}, {len(data)} bytes {err[-200:]}")
    assert not bad, "\n".join(bad)


def test_min_size_blocks_writes_until_enough_copies(rc):
    name = "guarded"
    put(rc, name, b"v1" * 100)
    osds = acting(rc, name)
    primary, others = osds[0], osds[1:]
    for i in others:  # two of three: below min_size
        rc.osd("stop", i)
    wait_for(lambda: rc.osds_up() == 2, timeout=30, what="two OSDs down")
    pgid = rc.json("osd", "map", POOL, name)["pgid"]
    wait_for(lambda: "active" not in rc.json("pg", pgid, "query")["state"], timeout=30,
             what=f"pg {pgid} inactive")
    q = rc.json("pg", pgid, "query")
    assert q["recovery_state"][0]["name"] != "active", q
    cmd = [str(rc.rados_bin), "-c", str(rc.conf), "-p", POOL, "put", name, "-"]
    w = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    w.stdin.write(b"v2" * 100)
    w.stdin.close()
    time.sleep(5)
    assert w.poll() is None, f"a write completed with one copy of {pgid}: {w.stderr.read()}"
    rc.osd("start", others[0])
    assert w.wait(timeout=90) == 0, w.stderr.read()
    assert get(rc, name) == b"v2" * 100
    rc.osd("start", others[1])
    rc.wait_osds_up(4)
    wait_clean(rc)
    check_stores(rc, {name: b"v2" * 100})
    assert primary in range(4)


def test_out_backfills_to_the_new_osd_then_in(rc):
    objects = {f"obj{i}": (f"object {i} ".encode() * (50 + 37 * i)) for i in range(40)}
    for name, data in objects.items():
        put(rc, name, data)
    victim = acting(rc, "obj0")[1]
    rc.ok("osd", "out", str(victim))
    seen_temp = False

    def settled():
        nonlocal seen_temp
        seen_temp |= bool(rc.json("osd", "dump").get("pg_temp"))
        # readable while remapped / backfilling
        assert get(rc, "obj0") == objects["obj0"]
        return all_clean(rc)
    wait_for(settled, timeout=120, what="active+clean after osd out")
    assert not rc.json("osd", "dump").get("pg_temp"), "pg_temp left behind"
    for name in objects:
        assert victim not in acting(rc, name)
    for name, data in objects.items():
        assert get(rc, name) == data, name
    # and back in: the data moves back, every copy complete
    rc.ok("osd", "in", str(victim))
    wait_clean(rc)
    print(f"pg_temp seen during backfill: {seen_temp}")
    check_stores(rc, objects)
