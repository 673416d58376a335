"""The daemon frame as an operator meets it: start-up from a config file,
the admin socket through `sepia daemon`, live config changes, log rotation,
bad input, clean and unclean stops."""
import os
import signal
import socket
import struct
import subprocess

from conftest import binary, wait_for


def test_version_help_and_custom_commands(daemons):
    d = daemons("sepia-testd", "client.t1").start()
    assert d.call("version")[1] == {"version": "0.1.0"}
    helps = d.call("help")[1]
    for cmd in ("config get", "config set", "perf dump", "log level", "echo", "counter inc"):
        assert cmd in helps
    assert d.call("echo", "hello", "world")[1] == ["hello", "world"]
    assert d.call("counter", "inc", "5")[1] == {"counter": 5}
    assert d.call("counter", "inc", "2")[1] == {"counter": 7}
    perf = d.call("perf", "dump")[1]
    assert perf["testd"]["counter"] == 7
    wait_for(lambda: d.call("perf", "dump")[1]["testd"]["ticks"] >= 3, what="timer ticks")


def test_config_get_set_and_sources(daemons):
    d = daemons("sepia-testd", "client.t2", conf_extra="ms_workers = 3\n[client]\nms_workers = 4\n",
                args=["--ms-keepalive-interval", "9"]).start()
    assert d.call("config", "get", "ms_workers")[1] == {"ms_workers": "4"}
    assert d.call("config", "get", "ms_keepalive_interval")[1] == {"ms_keepalive_interval": "9"}
    assert d.call("config", "set", "ms_workers", "6")[0] == 0
    assert d.call("config", "get", "ms_workers")[1] == {"ms_workers": "6"}
    diff = d.call("config", "diff")[1]
    assert "ms_workers" in str(diff) and "ms_keepalive_interval" in str(diff)
    rc, err = d.call("config", "set", "ms_workers", "1000", check=False)
    assert rc != 0 and "range" in str(err).lower()
    rc, err = d.call("config", "get", "no_such_option", check=False)
    assert rc != 0
    assert d.call("config", "get", "ms_workers")[1] == {"ms_workers": "6"}


def test_log_level_and_rotation(daemons):
    d = daemons("sepia-testd", "client.t3").start()
    assert "tick" not in d.log.read_text()
    d.call("log", "level", "test", "debug")
    wait_for(lambda: "DEBUG test: tick" in d.log.read_text(), what="debug lines")
    d.call("config", "set", "log_level", "warn")
    rotated = d.log.with_suffix(".1")
    os.rename(d.log, rotated)
    d.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: d.log.exists(), what="log reopened after SIGHUP")
    d.call("log", "level", "common", "info")
    d.call("config", "set", "log_file", str(d.dir / "other.log"))
    wait_for(lambda: (d.dir / "other.log").exists(), what="log_file change applied")


def test_garbage_on_admin_socket_does_not_hurt(daemons):
    d = daemons("sepia-testd", "client.t4").start()
    for junk in (b"\xff\xfe garbage\0", b"[1,2,3]\0", b"{\"prefix\": 5}\0", b"{" * 70000, b""):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(5)
        s.connect(str(d.asok))
        try:
            s.sendall(junk)
            s.shutdown(socket.SHUT_WR)
            head = s.recv(4)
            if head:
                n = struct.unpack(">I", head)[0]
                body = b""
                while len(body) < n:
                    chunk = s.recv(n - len(body))
                    if not chunk:
                        break
                    body += chunk
                assert b"error" in body
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may close an oversize request early
        finally:
            s.close()
    assert d.proc.poll() is None
    assert d.call("version")[0] == 0
    rc, err = d.call("no", "such", "command", check=False)
    assert rc == 22 and "unknown command" in err


def test_sigkill_then_restart_reuses_socket(daemons):
    d = daemons("sepia-testd", "client.t5").start()
    d.kill(signal.SIGKILL)
    assert d.asok.exists()  # stale socket left behind
    d.start()
    assert d.call("version")[0] == 0


def test_second_instance_is_refused(daemons):
    d = daemons("sepia-testd", "client.t6").start()
    r = subprocess.run([str(d.prog), "-c", str(d.conf), "--id", "t6"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode != 0
    assert "another instance" in r.stderr or "Address already in use" in r.stderr \
        or "another instance" in d.log.read_text()
    assert d.call("version")[0] == 0


def test_sigterm_is_clean(daemons):
    d = daemons("sepia-testd", "client.t7").start()
    d.kill(signal.SIGTERM)
    assert d.proc.returncode == 0
    assert not d.asok.exists()
    assert not (d.dir / "pid").exists()
    assert "sepia-testd stopped" in d.log.read_text()


def test_bad_config_is_reported_with_file_and_line(tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text(f"[global]\nrun_dir = {tmp_path}\nms_workers = lots\n")
    r = subprocess.run([str(binary("sepia-testd")), "-c", str(conf)], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 2
    assert f"{conf}:3: ms_workers: value 'lots' is not valid" in r.stderr
    r = subprocess.run([str(binary("sepia-testd")), "-c", str(tmp_path / "missing.conf")],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "No such file" in r.stderr
    r = subprocess.run([str(binary("sepia-testd")), "--ms-workers", "0"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 2 and "out of range" in r.stderr


def test_help_and_version_exit_zero():
    r = subprocess.run([str(binary("sepia-testd")), "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "--conf FILE" in r.stdout and "counter inc" in r.stdout
    r = subprocess.run([str(binary("sepia-testd")), "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and "0.1.0" in r.stdout


def test_cli_errors_and_config_help(tmp_path):
    sepia = str(binary("sepia"))
    r = subprocess.run([sepia, "daemon", str(tmp_path / "nope.asok"), "version"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "No such file" in r.stderr  # ENOENT
    # anything not local goes to the monitors; with none configured it says how
    r = subprocess.run([sepia, "frobnicate"], capture_output=True, text=True,
                       env={"SEPIA_CONF": str(tmp_path / "none.conf")})
    assert r.returncode == 2 and "No such file" in r.stderr
    r = subprocess.run([sepia, "status"], capture_output=True, text=True, env={})
    assert r.returncode == 2 and "mon_host" in r.stderr
    r = subprocess.run([sepia, "config", "help", "osd_data"], capture_output=True, text=True)
    assert r.returncode == 0 and "OSD data directory" in r.stdout
    r = subprocess.run([sepia, "--format", "json", "config", "help", "ms_workers"],
                       capture_output=True, text=True)
    assert '"max": "64"' in r.stdout.replace('":"', '": "')
    r = subprocess.run([sepia, "config", "help", "nonsense"], capture_output=True, text=True)
    assert r.returncode == 2 and "unknown option" in r.stderr
