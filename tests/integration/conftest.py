"""Fixtures for Sepia's integration tests: real daemons on 127.0.0.1 in a
fresh directory per test, killed with SIGKILL at the end, their logs attached
to the report of a failing test.

The binaries come from $SEPIA_BUILD_DIR (default: build/ at the repo root)."""
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("SEPIA_BUILD_DIR", REPO / "build"))


def binary(name):
    """Path of a built program; skips the test if it was not built."""
    for sub in ("src/tools/sepia", "src/tools/crush", "src/tools/store", "tests/integration/testd", "src/mon", "tests/integration/fakeosd",
                "src/osd", "src/tools/rados", "tests/integration/radostest"):
        p = BUILD / sub / name
        if p.exists():
            return p
    pytest.skip(f"{name} is not built in {BUILD}")


def wait_for(pred, timeout=10.0, what="condition"):
    """Polls pred() until it returns a truthy value; fails after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


class Daemon:
    """One daemon process with its config file, log and admin socket."""

    def __init__(self, workdir, prog, name, conf_extra="", args=()):
        self.workdir = Path(workdir)
        self.prog = binary(prog)
        self.name = name
        self.dir = self.workdir / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.log = self.dir / "log"
        self.stderr = self.dir / "stderr"
        self.conf = self.dir / "sepia.conf"
        self.asok = self.dir / f"sepia-{name}.asok"
        self.conf.write_text(
            "[global]\n"
            f"run_dir = {self.dir}\n"
            f"log_file = {self.log}\n"
            f"pid_file = {self.dir}/pid\n"
            f"{conf_extra}\n")
        self.args = list(args)
        self.proc = None

    def start(self, wait=True):
        kind, ident = self.name.split(".", 1)
        with open(self.stderr, "ab") as err:
            self.proc = subprocess.Popen(
                [str(self.prog), "-c", str(self.conf), "--id", ident] + self.args,
                stdin=subprocess.DEVNULL, stdout=err, stderr=err)
        if wait:
            wait_for(lambda: self.call("version", check=False)[0] == 0 or self.proc.poll() is not None,
                     what=f"{self.name} admin socket")
            assert self.proc.poll() is None, f"{self.name} exited: {self.stderr.read_text()}"
        return self

    def call(self, *words, check=True, fmt=None):
        """Runs `sepia daemon SOCKET WORDS...`; returns (exit code, parsed JSON or text)."""
        cmd = [str(binary("sepia"))] + (["--format", fmt] if fmt else []) + \
              ["daemon", "--timeout", "5", str(self.asok)] + list(words)
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        if check:
            assert r.returncode == 0, f"{' '.join(cmd)}: {r.returncode} {r.stderr}"
        try:
            out = json.loads(r.stdout) if r.stdout.strip() else r.stderr
        except json.JSONDecodeError:
            out = r.stdout
        return r.returncode, out

    def kill(self, sig=signal.SIGKILL):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)

    def logs(self):
        parts = []
        for f in (self.stderr, self.log):
            if f.exists():
                parts.append(f"--- {self.name} {f.name} ---\n{f.read_text(errors='replace')[-20000:]}")
        return "\n".join(parts)


@pytest.fixture
def daemons(tmp_path, request):
    """Factory: daemons(prog, name, conf_extra="", args=()) -> Daemon (not started)."""
    made = []

    def make(prog, name, conf_extra="", args=()):
        d = Daemon(tmp_path, prog, name, conf_extra, args)
        made.append(d)
        return d

    yield make
    for d in made:
        d.kill()
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        for d in made:
            print(d.logs())


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)
