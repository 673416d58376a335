"""Chaos on a real cluster (issue 8): 1 monitor and 4 OSDs made by
`sepia-cluster up --osds 4`, one pool of size 3, min_size 2, 16 PGs.
Writers (write_full, append, overwrite at an offset, remove) and readers
run against 200 objects for SEPIA_CHAOS_SECONDS (default 180) while a
seeded driver (SEPIA_CHAOS_SEED) kills an OSD with SIGKILL every 3-10 s
and restarts it 3-15 s later (never more than one down at a time, the next
kill waits until the last victim is up again), and once marks an OSD out
and later back in. At the end every OSD is up and in, and then:

  1. every PG is active+clean within SEPIA_CHAOS_CLEAN_TIMEOUT (180 s);
  2. no read during the chaos returned something older than the newest
     write acknowledged before the read began;
  3. every object reads back byte-exact through a client, removed objects
     are absent;
  4. after a clean stop, every OSD of each object's PG holds it byte-exact
     in its store (sepia-store-tool); stray copies are reported only.

All the checks run, then the test fails with every finding, the seed and the
chaos timeline (and the daemons' logs, from the fixture).

The client side is `radostest serve` (one librados client per thread, ops
on stdin). Each object has one writer, so its ops are ordered; a write is
acknowledged when its call returned 0 (committed on every replica). An op
that failed or timed out may or may not have been applied: from then on both
outcomes are possible contents, until an acknowledged write_full or remove
makes the object determinate again (writers follow a failed op with one).
The model assumes such an op is applied, if ever, before the writer's next
op on the object completes; the contents carry `<object#generation>` so a
report says which write a bad read came from."""
import errno
import hashlib
import json
import os
import random
import select
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import binary, wait_for
from radosutil import running_cluster

SEED = int(os.environ.get("SEPIA_CHAOS_SEED") or random.randrange(1 << 32))
SECONDS = float(os.environ.get("SEPIA_CHAOS_SECONDS", "180"))
CLEAN_TIMEOUT = float(os.environ.get("SEPIA_CHAOS_CLEAN_TIMEOUT", "180"))
OSDS, POOL, PG_NUM = 4, "chaos", 16
NOBJ, WRITERS, READERS = 200, 4, 2
OP_TIMEOUT = 30         # rados_osd_op_timeout of the clients, seconds
MAX_OBJECT = 48 << 10   # objects stay below this (write_full when one would grow past)
HUNG, DEAD = "hung", "dead"  # a client that did not answer in time / exited

CONF = f"""
[mon]
mon_osd_report_timeout = 600
mon_osd_min_down_reporters = 2

[osd]
osd_heartbeat_interval = 0.5
osd_heartbeat_grace = 3
store_data_file_size = 512M
"""


def obj_names():
    return [f"obj-{i:03d}" for i in range(NOBJ)]


def blob(obj, gen, n):
    """The deterministic n bytes of write `gen` to `obj`, tagged <obj#gen>."""
    head = f"<{obj}#{gen}>".encode()
    return (head + random.Random(f"{SEED}:{obj}:{gen}").randbytes(n))[:max(n, len(head))]


def digest(c):
    return None if c is None else hashlib.sha1(c).digest()


def describe(c):
    if c is None:
        return "absent"
    return f"{len(c)} bytes, head {c[:24]!r}"


def apply_op(op, c):
    """The content after op on content c (None: no object)."""
    kind = op[0]
    if kind == "w":
        return op[1]
    if kind == "a":
        return (c or b"") + op[1]
    if kind == "o":
        base = (c or b"").ljust(op[1], b"\0")
        return base[:op[1]] + op[2] + base[op[1] + len(op[2]):]
    return None


def unique(contents):
    seen, out = set(), []
    for c in contents:
        if digest(c) not in seen:
            seen.add(digest(c))
            out.append(c)
    return out


class OpClient:
    """One `radostest serve` process: call(line) -> (rc, data). rc is the
    librados result, or HUNG / DEAD when the program did not answer within
    OP_TIMEOUT + 30 s (it is then killed; the next call starts a new one)."""

    def __init__(self, rc, label):
        self.rc, self.label, self.p, self.buf = rc, label, None, b""
        self.errlog = rc.dir.parent / f"client-{label}.stderr"

    def _start(self):
        cmd = [str(binary("radostest")), "-c", str(self.rc.conf), "-p", POOL, "serve",
               str(OP_TIMEOUT)]
        with open(self.errlog, "ab") as err:
            self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=err)
        self.buf = b""

    def close(self):
        if self.p is not None:
            try:
                self.p.stdin.close()
                self.p.wait(timeout=OP_TIMEOUT + 30)
            except (OSError, subprocess.TimeoutExpired):
                self.p.kill()
                self.p.wait(timeout=30)
            self.p = None

    def _reply(self):
        fd, deadline = self.p.stdout.fileno(), time.monotonic() + OP_TIMEOUT + 30
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                self.p.kill()
                self.p.wait(timeout=30)
                self.p = None
                return HUNG
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                self.p.wait(timeout=30)
                self.p = None
                return DEAD
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()

    def call(self, line):
        if self.p is None:
            self._start()
        try:
            self.p.stdin.write(line.encode() + b"\n")
            self.p.stdin.flush()
        except OSError:
            self.p.kill()
            self.p.wait(timeout=30)
            self.p = None
            return DEAD, None
        reply = self._reply()
        if reply in (HUNG, DEAD):
            return reply, None
        rc, _, hexdata = reply.partition(" ")
        return int(rc), bytes.fromhex(hexdata)


class ObjModel:
    """What one object may hold, from the answers its one writer got.
    hist: [submitted, finished (inf in flight), digests possible after]."""

    def __init__(self, name):
        self.name, self.gen, self.cands = name, 0, [None]
        self.hist = [[0.0, 0.0, {None}]]
        self.lock = threading.Lock()

    def allowed(self, start, end):
        """Digests a read that ran from start to end may return: the state
        after the last op finished before start, and after any op submitted
        before end."""
        with self.lock:
            a = max(i for i, h in enumerate(self.hist) if h[1] < start)
            out = set(self.hist[a][2])
            for h in self.hist[a + 1:]:
                if h[0] < end:
                    out |= h[2]
        return out


class Run:
    """Shared state of one chaos run: models, counters, findings, timeline."""

    def __init__(self, rc):
        self.rc, self.t0 = rc, time.monotonic()
        self.models = {n: ObjModel(n) for n in obj_names()}
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.counts = {}
        self.events, self.findings, self.read_anomalies, self.lost = [], [], [], []

    def now(self):
        return time.monotonic() - self.t0

    def count(self, key):
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + 1

    def event(self, text):
        with self.lock:
            self.events.append(f"{self.now():7.1f}s {text}")

    def timeline(self):
        return "\n".join(self.events)


# --- the clients -----------------------------------------------------------------

def choose_op(rng, m):
    """The next op on m: (kind, args...) and its command line."""
    cur = m.cands[0]
    m.gen += 1
    kind = "w" if len(m.cands) > 1 or cur is None else \
        rng.choices("waod", weights=[30, 30, 25, 15])[0]
    n = rng.randrange(64, 8192)
    if kind in "ao" and len(cur) + n > MAX_OBJECT:
        kind = "w"
    if kind == "w":
        data = blob(m.name, m.gen, rng.randrange(64, 16384))
        return ("w", data), f"w {m.name} {data.hex()}"
    if kind == "a":
        data = blob(m.name, m.gen, n)
        return ("a", data), f"a {m.name} {data.hex()}"
    if kind == "o":
        off, data = rng.randrange(0, len(cur) + 1), blob(m.name, m.gen, n)
        return ("o", off, data), f"o {m.name} {off} {data.hex()}"
    return ("d",), f"d {m.name}"


def do_write(run, client, m, op, line):
    """Runs one op and updates the model; returns True if acknowledged."""
    new = unique([apply_op(op, c) for c in m.cands])
    entry = [time.monotonic(), float("inf"), {digest(c) for c in new}]
    with m.lock:
        m.hist.append(entry)
    rc, _ = client.call(line)
    acked = rc == 0 or (op[0] == "d" and rc == -errno.ENOENT)
    with m.lock:
        entry[1] = time.monotonic()
        if op[0] == "d" and rc == -errno.ENOENT and None not in m.cands:
            run.lost.append(f"{run.now():7.1f}s remove {m.name}: ENOENT, but it was "
                            f"acknowledged as {describe(m.cands[0])}")
        if acked:
            m.cands = new
        else:
            m.cands = unique(m.cands + new)
            entry[2] = {digest(c) for c in m.cands}
    run.count(f"{op[0]} {'ok' if acked else rc}")
    return acked


def writer(run, wid):
    rng = random.Random(f"{SEED}:writer:{wid}")
    mine = [m for i, m in enumerate(run.models.values()) if i % WRITERS == wid]
    client = OpClient(run.rc, f"writer{wid}")
    try:
        while not run.stop.is_set():
            m = rng.choice(mine)
            op, line = choose_op(rng, m)
            do_write(run, client, m, op, line)
        # make every object determinate again: write_full until acknowledged
        deadline = time.monotonic() + 180
        for m in mine:
            while len(m.cands) > 1 and time.monotonic() < deadline:
                m.gen += 1
                data = blob(m.name, m.gen, rng.randrange(64, 16384))
                if not do_write(run, client, m, ("w", data), f"w {m.name} {data.hex()}"):
                    time.sleep(1)
    finally:
        client.close()


def reader(run, rid):
    rng = random.Random(f"{SEED}:reader:{rid}")
    client = OpClient(run.rc, f"reader{rid}")
    try:
        while not run.stop.is_set():
            m = run.models[rng.choice(obj_names())]
            start = time.monotonic()
            rc, data = client.call(f"r {m.name}")
            end = time.monotonic()
            if rc in (HUNG, DEAD) or (rc < 0 and rc != -errno.ENOENT):
                run.count(f"read {rc}")
                continue
            run.count("read ok")
            got = None if rc == -errno.ENOENT else data
            if digest(got) not in m.allowed(start, end):
                with m.lock:
                    want = describe(m.cands[0]) if len(m.cands) == 1 else \
                        f"one of {len(m.cands)} possible contents"
                run.read_anomalies.append(
                    f"{run.now():7.1f}s read {m.name}: got {describe(got)}; newest acknowledged: "
                    f"{want}")
    finally:
        client.close()


# --- the driver --------------------------------------------------------------------

class Chaos(threading.Thread):
    """Kills and restarts OSDs at random, one at a time; marks one out and
    back in once. Leaves every OSD running and in when run.stop is set."""

    def __init__(self, run):
        super().__init__(daemon=True)
        self.run_, self.rng, self.error = run, random.Random(SEED), None
        self.out = None

    def wait_up(self, i):
        rc = self.run_.rc
        wait_for(lambda: rc.osd_is_up(i), timeout=90, what=f"osd.{i} up after its restart")
        self.run_.event(f"osd.{i} up")

    def mark(self, verb, i):
        self.run_.rc.ok("osd", verb, str(i))
        self.run_.event(f"osd {verb} {i}")

    def kill_one(self):
        run, victim = self.run_, self.rng.randrange(OSDS)
        run.rc.osd("kill", victim)
        run.event(f"kill -9 osd.{victim}")
        run.stop.wait(self.rng.uniform(3, 15))
        run.rc.osd("start", victim)
        run.event(f"start osd.{victim}")
        self.wait_up(victim)

    def run(self):
        run, rng = self.run_, self.rng
        out_at = SECONDS * rng.uniform(0.2, 0.35)
        in_at = out_at + SECONDS * rng.uniform(0.2, 0.35)
        try:
            while not run.stop.wait(rng.uniform(3, 10)):
                if self.out is None and run.now() >= out_at:
                    self.out = rng.randrange(OSDS)
                    self.mark("out", self.out)
                elif self.out is not None and self.out >= 0 and run.now() >= in_at:
                    self.mark("in", self.out)
                    self.out = -1
                else:
                    self.kill_one()
        except BaseException as e:  # reported by the test; the end phase still runs
            self.error = e
            run.event(f"driver error: {e}")
        finally:
            self.restore()

    def restore(self):
        rc = self.run_.rc
        for i in range(OSDS):
            if rc.osd_pid(i) is None:
                try:
                    rc.osd("start", i)
                except AssertionError as e:
                    # started a moment ago: its pid file was not there yet
                    if "already running" not in str(e):
                        raise
                    continue
                self.run_.event(f"start osd.{i} (end)")
        if self.out is not None and self.out >= 0:
            self.mark("in", self.out)


# --- the end checks --------------------------------------------------------------------

def pg_states(rc):
    code, out, _ = rc.cli("pg", "dump", fmt="json", timeout=10)
    return {p["pgid"]: p for p in json.loads(out)["pg_stats"]} if code == 0 else None


def wait_clean(run):
    """Polls `pg dump` until every PG is active+clean; a finding if not."""
    t0, last = time.monotonic(), None
    while time.monotonic() - t0 < CLEAN_TIMEOUT:
        last = pg_states(run.rc) or last
        if last and all(p["state"] == "active+clean" for p in last.values()):
            run.event(f"all {len(last)} PGs active+clean after {time.monotonic() - t0:.1f}s")
            return last
        time.sleep(1)
    bad = {k: (p["state"], p["up"], p["acting"]) for k, p in (last or {}).items()
           if p["state"] != "active+clean"}
    run.findings.append(f"PGs not active+clean after {CLEAN_TIMEOUT:.0f}s: "
                        f"{len(bad)} of {len(last or {})}: {bad}")
    return last or {}


def check_client_reads(run):
    client = OpClient(run.rc, "final")
    bad = []
    try:
        for name, m in run.models.items():
            rc, data = client.call(f"r {name}")
            got = None if rc == -errno.ENOENT else data if isinstance(rc, int) and rc >= 0 \
                else f"error {rc}"
            if isinstance(got, str) or digest(got) not in {digest(c) for c in m.cands}:
                bad.append(f"{name}: got {got if isinstance(got, str) else describe(got)}, "
                           f"want {' or '.join(describe(c) for c in m.cands)}")
    finally:
        client.close()
    if bad:
        run.findings.append(f"{len(bad)} objects read back wrong through the client:\n  " +
                            "\n  ".join(bad[:30]))


def object_maps(rc):
    """object -> (pgid, up set) from `osd map`, while the monitor runs."""
    def one(name):
        j = rc.json("osd", "map", POOL, name)
        return name, (j["pgid"], j["up"])
    with ThreadPoolExecutor(4) as ex:
        return dict(ex.map(one, obj_names()))


def check_stores(run, maps):
    """Every replica byte-exact in the stopped stores; strays reported."""
    rc, bad, strays = run.rc, [], []
    listing = {i: {o[2]: o for o in rc.store_list(i)} for i in range(OSDS)}

    def check(name, i):
        m, (pgid, up) = run.models[name], maps[name]
        hit = listing[i].get(name)
        if m.cands == [None]:
            return [f"{name} on osd.{i}: removed, but the store holds it"] if hit else []
        if hit is None:
            return [f"{name} on osd.{i} (pg {pgid}, up {up}): missing"]
        code, data, err = rc.store_get(i, hit[0], name, hit[1])
        if code != 0:
            return [f"{name} on osd.{i}: sepia-store-tool get failed: {err.strip()}"]
        if digest(data) not in {digest(c) for c in m.cands}:
            return [f"{name} on osd.{i} (pg {pgid}): got {describe(data)}, "
                    f"want {' or '.join(describe(c) for c in m.cands)}"]
        return []
    jobs = [(n, i) for n, (_, up) in maps.items() for i in up]
    with ThreadPoolExecutor(2) as ex:
        for out in ex.map(lambda a: check(*a), jobs):
            bad += out
    for i in range(OSDS):
        strays += [f"{n} on osd.{i}" for n in listing[i] if n in maps and i not in maps[n][1]]
    if bad:
        run.findings.append(f"{len(bad)} replicas wrong in the stores:\n  " +
                            "\n  ".join(bad[:40]))
    if strays:
        print(f"note: {len(strays)} stray copies (not failed): {strays[:20]}")


def report(run, chaos):
    return (f"chaos test failed (SEPIA_CHAOS_SEED={SEED}, {SECONDS:.0f}s):\n\n" +
            "\n\n".join(run.findings) +
            f"\n\nop results: {dict(sorted(run.counts.items()))}\n"
            f"driver error: {chaos.error!r}\n\ntimeline:\n{run.timeline()}")


@pytest.fixture
def cluster(tmp_path, request):
    def setup(c):
        c.create_pool(POOL, 3, pg_num=PG_NUM, min_size=2)
        c.rados("put", "probe", "-", pool=POOL, input="x", timeout=120)

    def client_stderr(_c):
        for f in sorted(tmp_path.glob("client-*.stderr")):
            print(f"--- {f.name} ---\n{f.read_text(errors='replace')[-4000:]}")

    yield from running_cluster(tmp_path, request, OSDS, CONF, setup, client_stderr)


def test_chaos_writes_survive_kills_and_out_in(cluster):
    print(f"SEPIA_CHAOS_SEED={SEED} SEPIA_CHAOS_SECONDS={SECONDS:.0f}")
    run = Run(cluster)
    chaos = Chaos(run)
    threads = [threading.Thread(target=writer, args=(run, i), daemon=True)
               for i in range(WRITERS)]
    threads += [threading.Thread(target=reader, args=(run, i), daemon=True)
                for i in range(READERS)]
    for t in threads + [chaos]:
        t.start()
    run.stop.wait(SECONDS)
    run.event("chaos ends")
    run.stop.set()
    chaos.join(timeout=120)
    for t in threads:
        t.join(timeout=OP_TIMEOUT * 8 + 200)
    run.event("clients stopped")
    acked = sum(v for k, v in run.counts.items() if k.endswith(" ok") and k[0] in "waod")
    assert acked >= 50, f"only {acked} writes acknowledged: {run.counts}\n{run.timeline()}"
    if chaos.error:
        run.findings.append(f"the driver failed: {chaos.error}")
    cluster.wait_osds_up(OSDS, timeout=120)
    wait_clean(run)
    if run.read_anomalies:
        run.findings.append(f"{len(run.read_anomalies)} reads during the chaos returned "
                            f"stale or unknown content:\n  " +
                            "\n  ".join(run.read_anomalies[:30]))
    if run.lost:
        run.findings.append(f"{len(run.lost)} removes during the chaos found no object where "
                            f"one was acknowledged:\n  " + "\n  ".join(run.lost[:20]))
    check_client_reads(run)
    run.event("client reads checked")
    maps = object_maps(cluster)
    cluster.down()  # a clean stop: the stores can be opened
    run.event("cluster stopped")
    check_stores(run, maps)
    run.event("stores checked")
    print(f"op results: {dict(sorted(run.counts.items()))}\ntimeline:\n{run.timeline()}")
    if run.findings:
        pytest.fail(report(run, chaos), pytrace=False)
