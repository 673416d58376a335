"""OSD failure handling end to end: a cluster of 1 monitor and 3 OSDs made by
`sepia-cluster up --osds 3` with fast heartbeats (interval 0.5 s, grace 3 s)
and a beacon timeout so long that only the OSDs' failure reports (2
distinct reporters) can mark one down. An OSD killed with SIGKILL is marked
down by its peers and comes back up when restarted; `nodown` keeps it up;
SIGTERM marks it down at once ("mark me down"); a SIGSTOPped OSD is marked
down and, once continued, notices and boots again. The command channel:
`sepia tell osd.N ...`, `sepia pg map|query|scrub`."""
import errno
import json
import os
import re
import signal
import time

import pytest

from conftest import wait_for
from radosutil import running_cluster

GRACE = 3.0
CONF = """
[mon]
mon_osd_report_timeout = 600
mon_osd_min_down_reporters = 2
mon_osd_down_out_interval = 0

[osd]
osd_heartbeat_interval = 0.5
osd_heartbeat_grace = 3
store_data_file_size = 128M
"""


@pytest.fixture
def rc(tmp_path, request):
    yield from running_cluster(tmp_path, request, 3, CONF)


def osd_entry(rc, i):
    code, out, _ = rc.cli("osd", "dump", fmt="json", timeout=5)
    if code != 0:
        return None
    return next((o for o in json.loads(out)["osds"] if o["osd"] == i), None)


def is_up(rc, i):
    o = osd_entry(rc, i)
    return None if o is None else bool(o["up"])


def wait_down(rc, i, timeout):
    t0 = time.monotonic()
    wait_for(lambda: is_up(rc, i) is False, timeout=timeout, what=f"osd.{i} marked down")
    return time.monotonic() - t0


def stays_up(rc, i, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if is_up(rc, i) is False:
            return False
        time.sleep(0.2)
    return True


def signal_osd(rc, i, sig):
    pid = rc.osd_pid(i)
    assert pid, f"osd.{i} is not running"
    os.kill(pid, sig)
    return pid


def osd_log(rc, i):
    hits = sorted((rc.dir / "log").glob(f"*osd.{i}*"))
    return "".join(f.read_text(errors="replace") for f in hits)


def test_heartbeat_addresses_in_map(rc):
    for i in range(3):
        o = osd_entry(rc, i)
        assert re.fullmatch(r"127\.0\.0\.1:\d+", o["hb_addr"]), o
        assert o["hb_addr"] != o["addr"]
    st = json.loads(rc.ok("tell", "osd.0", "status", fmt="json"))
    assert st["whoami"] == 0 and st["state"] == "active" and st["up"]
    assert st["hb_addr"] == osd_entry(rc, 0)["hb_addr"]
    # every peer is watched, and answers
    wait_for(lambda: sorted(p["osd"] for p in json.loads(
        rc.ok("tell", "osd.0", "status", fmt="json"))["heartbeat_peers"]
        if p["last_reply_ago"] is not None) == [1, 2], timeout=10, what="replies from 1, 2")


def test_kill_is_reported_by_peers_then_restart(rc):
    rc.osd("kill", 1)
    took = wait_down(rc, 1, timeout=GRACE + 12)
    assert took < GRACE + 8, f"marked down after {took:.1f}s"
    assert any("reporting osd.1 failed" in osd_log(rc, i) for i in (0, 2))
    # a down OSD cannot be told anything
    code, _, err = rc.cli("tell", "osd.1", "status", timeout=5)
    assert code == errno.ENXIO and "down" in err
    rc.osd("start", 1)
    wait_for(lambda: is_up(rc, 1), timeout=30, what="osd.1 up again")
    rc.wait_osds_up(3)
    # and its peers ping the new incarnation: nobody reports it again
    assert stays_up(rc, 1, GRACE + 2)


def test_nodown_keeps_osds_up(rc):
    rc.ok("osd", "set", "nodown")
    rc.osd("kill", 2)
    assert stays_up(rc, 2, GRACE + 3), "nodown did not hold"
    # a clean stop asks to be marked down: refused under nodown too
    t0 = time.monotonic()
    rc.osd("stop", 0)
    assert time.monotonic() - t0 < 10
    assert is_up(rc, 0)
    rc.ok("osd", "unset", "nodown")
    # the peers' reports are still standing (osd.1 reports both; osd.0 was
    # a reporter of osd.2 before it stopped) or re-sent every interval
    wait_down(rc, 2, timeout=GRACE + 15)


def test_sigterm_marks_down_at_once(rc):
    pid = signal_osd(rc, 0, signal.SIGTERM)
    took = wait_down(rc, 0, timeout=GRACE + 10)
    assert took < GRACE - 0.5, f"SIGTERM: marked down after {took:.1f}s"
    wait_for(lambda: rc.osd_pid(0) is None, timeout=30, what="osd.0 exits")
    assert "marked down after" in osd_log(rc, 0)
    assert pid


def test_sigstop_marked_down_then_reboots(rc):
    pid = signal_osd(rc, 1, signal.SIGSTOP)
    try:
        wait_down(rc, 1, timeout=GRACE + 12)
    finally:
        os.kill(pid, signal.SIGCONT)
    # alive all along: it sees the map marking it down and boots again
    wait_for(lambda: is_up(rc, 1), timeout=30, what="osd.1 boots again")
    assert rc.osd_pid(1) == pid
    assert "marks us down while we are alive" in osd_log(rc, 1)
    st = json.loads(rc.ok("tell", "osd.1", "status", fmt="json"))
    assert st["state"] == "active"
    # its own silence (it was stopped) is not blamed on its peers
    assert "reporting osd." not in osd_log(rc, 1)
    rc.wait_osds_up(3)


def test_pg_map_query_and_tell(rc):
    rc.create_pool("q", 3, pg_num=8)
    pool = next(p["pool"] for p in json.loads(rc.ok("osd", "dump", fmt="json"))["pools"]
                if p["pool_name"] == "q")
    pgid = f"{pool}.3"
    pm = json.loads(rc.ok("pg", "map", pgid, fmt="json"))
    assert pm["pgid"] == pgid and len(pm["acting"]) == 3
    assert pm["acting_primary"] == pm["acting"][0] == pm["up_primary"]
    text = rc.ok("pg", "map", pgid)
    assert re.fullmatch(rf"osdmap e\d+ pg {pgid} \({pgid}\) -> up \[\d,\d,\d\] "
                        rf"acting \[\d,\d,\d\]\n", text), text
    # a raw ps beyond pg_num maps like objects do
    assert json.loads(rc.ok("pg", "map", f"{pool}.b", fmt="json"))["pgid"] == pgid

    def query():
        code, out, _ = rc.cli("pg", pgid, "query", fmt="json", timeout=10)
        return json.loads(out) if code == 0 else None
    q = wait_for(query, timeout=30, what=f"pg {pgid} query")
    assert q["pgid"] == pgid and q["acting"] == pm["acting"] and q["up"] == pm["up"]
    assert q["role"] == "primary" and "active" in q["state"]
    assert set(q["info"]) >= {"last_update", "last_complete", "log_tail",
                              "same_interval_since", "epoch_created", "last_epoch_started",
                              "last_epoch_clean"}
    rs = q["recovery_state"]
    assert rs and rs[0]["name"] == q["state"] and rs[0]["blocked_by"] == [], rs
    assert "log_size" in q and "objects" in q and q["missing"] == 0
    # plain output is the same JSON, indented
    assert json.loads(rc.ok("pg", pgid, "query"))["pgid"] == pgid
    code, _, err = rc.cli("pg", "99.0", "query")
    assert code == errno.ENOENT, err
    code, _, err = rc.cli("pg", pgid, "scrub")
    assert code == 0 and f"instructing pg {pgid} on osd.{pm['acting_primary']} to scrub" in err
    # tell: status in both formats, unknown commands and OSDs
    assert json.loads(rc.ok("tell", "osd.0", "status"))["whoami"] == 0
    ops = json.loads(rc.ok("tell", "osd.2", "dump_ops_in_flight", fmt="json"))
    assert ops["num_ops"] >= 0 and isinstance(ops["ops"], list)
    code, _, err = rc.cli("tell", "osd.0", "no_such_command")
    assert code == errno.EINVAL and "unknown command" in err
    code, _, err = rc.cli("tell", "osd.9", "status")
    assert code == errno.ENOENT, err
    # a replica is asked directly: it has the PG, not as primary
    replica = pm["acting"][1]
    q = json.loads(rc.ok("tell", f"osd.{replica}", "pg", pgid, "query", fmt="json"))
    assert q["role"] == "replica"
