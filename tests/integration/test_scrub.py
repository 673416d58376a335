"""Scrub, deep scrub and repair end to end: 1 monitor + 3 OSDs, a size-3
pool. A byte of one object's data is flipped inside a stopped replica's
store data file (where `sepia-store-tool dump` says the object's extent
is); after a restart, `sepia pg PGID deep-scrub` finds it (the replica's
store read fails its block checksum): health shows OSD_SCRUB_ERRORS and
PG_DAMAGED (HEALTH_ERR), `pg PGID query` names the object and the bad OSD;
`sepia pg PGID repair` rewrites that copy from a good one and every
replica's store holds the object byte-exact again."""
import json
import os
import subprocess

import pytest

from conftest import binary, wait_for
from radosutil import running_cluster

CONF = """
[osd]
store_data_file_size = 256M
osd_scrub_chunk_max = 3
osd_scrub_min_interval = 0
osd_deep_scrub_interval = 0
"""


@pytest.fixture
def rc(tmp_path, request):
    yield from running_cluster(tmp_path, request, 3, CONF)


def store_tool(*args, check=True):
    p = subprocess.run([str(binary("sepia-store-tool"))] + [str(a) for a in args],
                       capture_output=True, timeout=60)
    if check:
        assert p.returncode == 0, p.stderr
    return p


def health(rc):
    return json.loads(rc.ok("health", fmt="json"))


def query(rc, pgid):
    code, out, _ = rc.cli("pg", pgid, "query", fmt="json", timeout=10)
    return json.loads(out) if code == 0 else None


def scrub_done(rc, pgid, after_ns, deep=True):
    """The PG's query once a (deep) scrub finished after after_ns."""
    q = query(rc, pgid)
    if not q or q["scrub"]["scrubbing"]:
        return None
    stamp = q["scrub"]["last_deep_scrub_ns" if deep else "last_scrub_ns"]
    return q if stamp > after_ns else None


def flip_byte(rc, osd, coll, name):
    path = rc.store_dir(osd)
    d = json.loads(store_tool("dump", "--path", path, "--collection", coll, "--object", name,
                              "--format", "json").stdout)
    off = d["extents"][0]["file_offset"] + 100
    with open(path / "block", "r+b") as f:
        f.seek(off)
        b = f.read(1)
        f.seek(off)
        f.write(bytes([b[0] ^ 0x5a]))
        f.flush()
        os.fsync(f.fileno())


def test_deep_scrub_finds_flipped_byte_and_repair_fixes_it(rc, tmp_path):
    rc.create_pool("sp", 3, pg_num=1)
    data = {f"obj{i}": os.urandom(5000 + 997 * i) for i in range(8)}
    victim = os.urandom(64 << 10)
    data["victim"] = victim
    for name, body in data.items():
        rc.rados("put", name, "-", pool="sp", input=body, text=False)
    rc.rados("setxattr", "obj1", "colour", "blue", pool="sp")
    rc.rados("setomapval", "obj2", "k", "v", pool="sp")
    m = rc.json("osd", "map", "sp", "victim")
    pgid, acting = m["pgid"], m["acting"]
    assert len(acting) == 3
    primary, bad = m["acting_primary"], acting[1]
    # a clean deep scrub first: no errors, stamps set
    q0 = wait_for(lambda: query(rc, pgid), timeout=30, what="pg query")
    assert q0["scrub"]["errors"] == 0 and q0["scrub"]["last_deep_scrub"] == "never"
    code, _, err = rc.cli("pg", pgid, "deep-scrub")
    assert code == 0 and f"instructing pg {pgid} on osd.{primary} to deep-scrub" in err, err
    q = wait_for(lambda: scrub_done(rc, pgid, 0), timeout=60, what="first deep scrub")
    assert q["scrub"]["errors"] == 0 and q["scrub"]["inconsistents"] == []
    first = q["scrub"]["last_deep_scrub_ns"]

    # corrupt the victim on one replica, offline
    rc.osd("stop", bad)
    wait_for(lambda: rc.osd_is_up(bad) is False, timeout=30, what=f"osd.{bad} down")
    flip_byte(rc, bad, f"{pgid}_head", "victim")
    rc.osd("start", bad)
    rc.wait_osds_up(3)
    wait_for(lambda: rc.json("pg", "map", pgid)["acting"] == acting, timeout=30,
             what="acting set back")
    wait_for(lambda: (query(rc, pgid) or {}).get("acting") == acting, timeout=30,
             what="primary sees the acting set")

    rc.ok("pg", pgid, "deep-scrub")
    q = wait_for(lambda: scrub_done(rc, pgid, first), timeout=60, what="deep scrub")
    sc = q["scrub"]
    assert sc["errors"] == 1, sc
    (x,) = sc["inconsistents"]
    assert x["object"]["name"] == "victim" and "read_error" in x["errors"], x
    assert x["auth_osd"] in acting and x["auth_osd"] != bad
    shards = {s["osd"]: s for s in x["shards"]}
    assert shards[bad]["errors"] == ["read_error"]
    assert all(shards[o]["errors"] == [] for o in acting if o != bad)
    assert "inconsistent" in q["state"]
    lst = json.loads(rc.ok("pg", pgid, "list-inconsistent", fmt="json"))
    assert lst["errors"] == 1 and lst["inconsistents"][0]["object"]["name"] == "victim"
    # the monitors: HEALTH_ERR with both checks, and the PG state
    h = wait_for(lambda: (lambda h: h if "PG_DAMAGED" in h["checks"] else None)(health(rc)),
                 timeout=30, what="PG_DAMAGED in health")
    assert h["status"] == "HEALTH_ERR"
    assert h["checks"]["OSD_SCRUB_ERRORS"] == "1 scrub errors"
    assert h["checks"]["PG_DAMAGED"] == "Possible data damage: 1 pgs inconsistent"
    status = rc.ok("status")
    assert "HEALTH_ERR" in status and "inconsistent" in status, status
    assert "scrub errors" in rc.ok("health")

    # repair: from a good copy; the PG is consistent again
    code, _, err = rc.cli("pg", pgid, "repair")
    assert code == 0 and "to repair" in err, err
    q = wait_for(lambda: scrub_done(rc, pgid, sc["last_deep_scrub_ns"]), timeout=60,
                 what="repair")
    assert q["scrub"]["errors"] == 0 and q["scrub"]["inconsistents"] == [], q["scrub"]
    assert "inconsistent" not in q["state"]
    wait_for(lambda: health(rc)["status"] == "HEALTH_OK", timeout=30, what="HEALTH_OK")
    assert rc.rados("get", "victim", "-", pool="sp", text=False).stdout == victim

    # every replica's store holds every object byte-exact
    rc.down()
    for osd in acting:
        path = rc.store_dir(osd)
        for name, body in data.items():
            out = tmp_path / f"osd{osd}-{name}"
            store_tool("get", "--path", path, "--collection", f"{pgid}_head", "--object", name,
                       "-o", out)
            assert out.read_bytes() == body, f"osd.{osd}: {name} differs"


def test_shallow_scrub_sees_metadata_only(rc):
    """A shallow scrub compares object sets, versions, sizes, xattrs and omap
    without reading data: on a consistent PG it reports nothing and stamps
    last_scrub but not last_deep_scrub; a scrub of a PG held elsewhere is
    refused."""
    rc.create_pool("sh", 3, pg_num=1)
    for i in range(7):
        rc.rados("put", f"o{i}", "-", pool="sh", input=b"x" * (i * 100), text=False)
    pgid = rc.json("osd", "map", "sh", "o0")["pgid"]
    wait_for(lambda: query(rc, pgid), timeout=30, what="pg query")
    rc.ok("pg", pgid, "scrub")
    q = wait_for(lambda: scrub_done(rc, pgid, 0, deep=False), timeout=60, what="scrub")
    assert q["scrub"]["errors"] == 0 and q["scrub"]["last_deep_scrub"] == "never"
    assert q["scrub"]["last_scrub"] != "never"
    replica = rc.json("pg", "map", pgid)["acting"][1]
    code, _, err = rc.cli("tell", f"osd.{replica}", "pg", pgid, "scrub")
    assert code != 0 and "not the primary" in err, err
