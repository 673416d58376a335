"""sepia-cluster as the README's demo uses it: up with 3 monitors, status,
a command through the cluster it made, refusing a second cluster in the
same directory, and down leaving nothing running."""
import os
import subprocess

import pytest

from conftest import BUILD, binary


def cluster_tool():
    p = BUILD / "bin" / "sepia-cluster"
    if not p.exists():
        pytest.skip(f"{p} is not generated")
    return p


def run(*args, env=None, check=True, timeout=90):
    r = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout,
                       env=env)
    if check:
        assert r.returncode == 0, f"{args}: {r.stdout}\n{r.stderr}"
    return r


def test_up_status_down(tmp_path):
    tool, d = cluster_tool(), tmp_path / "c"
    try:
        out = run(tool, "up", "--mons", "3", "--dir", d, "--base-port", "21000").stdout
        assert "quorum formed" in out
        conf = d / "sepia.conf"
        assert conf.exists() and "mon_host = a=127.0.0.1:21000" in conf.read_text()
        st = run(tool, "status", "--dir", d).stdout
        assert st.count(": running") == 3 and "quorum a,b,c" in st
        env = dict(os.environ, SEPIA_CONF=str(conf))
        run(binary("sepia"), "osd", "pool", "create", "p1", "8", env=env)
        assert "p1" in run(binary("sepia"), "osd", "pool", "ls", env=env).stdout
        again = run(tool, "up", "--mons", "3", "--dir", d, check=False)
        assert again.returncode != 0 and "already running" in again.stderr
        bad = run(tool, "up", "--mons", "2", "--dir", tmp_path / "x", check=False)
        assert bad.returncode != 0 and "1, 3 or 5" in bad.stderr
    finally:
        run(tool, "down", "--dir", d, check=False)
    pids = [int(p.read_text()) for p in (d / "run").glob("*.pid")]
    for pid in pids:
        assert not os.path.exists(f"/proc/{pid}"), f"pid {pid} still running"
