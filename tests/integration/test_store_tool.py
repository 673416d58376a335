# SPDX-License-Identifier: LGPL-2.1-or-later
"""tests/integration/test_store_tool.py - sepia-store-tool against real
BlockStores made by its own mkfs: seed objects with put, inspect them (list,
dump, get), move a collection with export/import into a fresh store, check
fsck, then damage a data block and expect deep fsck and get to notice."""
import fcntl
import json
import os
import subprocess

import pytest

from conftest import binary


def tool(*args, check=True, stdin=None):
    """Runs sepia-store-tool; returns the CompletedProcess (text output)."""
    argv = [a if isinstance(a, bytes) else str(a) for a in args]
    p = subprocess.run([str(binary("sepia-store-tool")), *argv],
                       capture_output=True, text=True, timeout=120, input=stdin)
    if check and p.returncode != 0:
        raise AssertionError(f"{args} exited {p.returncode}\nstdout: {p.stdout}\n"
                             f"stderr: {p.stderr}")
    return p


def tool_json(*args):
    return json.loads(tool(*args, "--format", "json").stdout)


# name -> (namespace, bytes, xattrs, omap)
OBJECTS = {
    "rbd_data.1": ("", os.urandom(4 << 20), {"_": b"oi"}, {}),
    "small": ("", b"hello world\n", {"_": b"attr", "snapset": b"s=1 \xe9t\xe9"},
              {"k1": b"v1", "k2": b"two words"}),
    "empty": ("", b"", {}, {"only": b"omap"}),
    "ns-obj": ("ns1", os.urandom(100000), {}, {}),
    "sparse": ("", b"\x00" * 65536 + b"tail", {}, {}),
}


def put_all(path, tmp_path):
    for name, (ns, data, xattrs, omap) in OBJECTS.items():
        f = tmp_path / f"in-{name}"
        f.write_bytes(data)
        args = ["put", "--path", path, "--collection", "1.0_head", "--object", name,
                "-i", f, "--create-collection"]
        if ns:
            args += ["--namespace", ns]
        for k, v in xattrs.items():
            args += ["--xattr", k.encode() + b"=" + v]  # raw bytes, not UTF-8
        for k, v in omap.items():
            args += ["--omap", k.encode() + b"=" + v]
        tool(*args)


def expected_xattrs(name):
    return OBJECTS[name][2]


def expected_omap(name):
    return OBJECTS[name][3]


def kv_dict(entries):
    out = {}
    for e in entries:
        v = e["value"].encode("latin-1") if "value" in e else bytes.fromhex(e["value_hex"])
        assert len(v) == e["length"]
        out[e["key"]] = v
    return out


def get(path, name, out, ns=""):
    args = ["get", "--path", path, "--collection", "1.0_head", "--object", name, "-o", out]
    if ns:
        args += ["--namespace", ns]
    return tool(*args, check=False)


@pytest.fixture
def store(tmp_path):
    path = tmp_path / "osd0"
    tool("mkfs", "--path", path, "--size", "64M")
    put_all(path, tmp_path)
    return path


def check_objects(path, tmp_path):
    """Every object reads back byte-exact with its xattrs and omap."""
    for name, (ns, data, _, _) in OBJECTS.items():
        out = tmp_path / f"out-{name}"
        p = get(path, name, out, ns)
        assert p.returncode == 0, p.stderr
        assert out.read_bytes() == data, name
        args = ["dump", "--path", path, "--collection", "1.0_head", "--object", name]
        d = tool_json(*(args + (["--namespace", ns] if ns else [])))
        assert d["size"] == len(data)
        assert kv_dict(d["xattrs"]) == expected_xattrs(name)
        assert kv_dict(d["omap"]) == expected_omap(name)


def test_put_list_dump_get(store, tmp_path):
    assert tool_json("list-collections", "--path", store) == ["1.0_head"]
    listed = tool_json("list", "--path", store, "--collection", "1.0_head")
    assert sorted((o["namespace"], o["name"]) for o in listed) == \
        sorted((ns, n) for n, (ns, *_) in OBJECTS.items())
    assert all(o["snap"] == "head" for o in listed)
    text = tool("list", "--path", store).stdout
    assert "1.0_head\tns1\tns-obj\thead" in text.splitlines()

    d = tool_json("dump", "--path", store, "--collection", "1.0_head",
                  "--object", "rbd_data.1")
    assert d["size"] == 4 << 20
    blocks = sum(x["blocks"] for x in d["extents"])
    assert blocks * 4096 == 4 << 20
    assert all(len(x["crc32c"]) == x["blocks"] for x in d["extents"])
    sparse = tool_json("dump", "--path", store, "--collection", "1.0_head",
                       "--object", "sparse")
    assert sparse["size"] == 65540
    human = tool("dump", "--path", store, "--collection", "1.0_head",
                 "--object", "small").stdout
    assert "size       12" in human and 'k1 (2 bytes) = "v1"' in human

    check_objects(store, tmp_path)
    st = tool_json("statfs", "--path", store)
    assert st["objects"] == len(OBJECTS)
    assert tool("fsck", "--path", store, "--deep").returncode == 0


def test_export_import_roundtrip(store, tmp_path):
    exp = tmp_path / "pg.export"
    s = tool_json("export", "--path", store, "--collection", "1.0_head", "-o", exp)
    assert s["objects"] == len(OBJECTS)
    other = tmp_path / "osd1"
    tool("mkfs", "--path", other, "--size", "64M")
    s = tool_json("import", "--path", other, "-i", exp)
    assert s["objects"] == len(OBJECTS) and s["collection"] == "1.0_head"
    check_objects(other, tmp_path)
    assert tool("fsck", "--path", other, "--deep").returncode == 0

    again = tool("import", "--path", other, "-i", exp, check=False)
    assert again.returncode == 1 and "already exists" in again.stderr
    tool("import", "--path", other, "-i", exp, "--force")
    check_objects(other, tmp_path)

    # A damaged export is refused before anything is written.
    raw = bytearray(exp.read_bytes())
    raw[len(raw) // 2] ^= 0x40
    bad = tmp_path / "bad.export"
    bad.write_bytes(bytes(raw))
    third = tmp_path / "osd2"
    tool("mkfs", "--path", third, "--size", "64M")
    p = tool("import", "--path", third, "-i", bad, check=False)
    assert p.returncode == 1 and "damaged" in p.stderr
    assert tool_json("list-collections", "--path", third) == []


def test_corrupt_block_detected(store, tmp_path):
    d = tool_json("dump", "--path", store, "--collection", "1.0_head", "--object", "small")
    off = d["extents"][0]["file_offset"] + 3
    with open(store / "block", "r+b") as f:
        f.seek(off)
        b = f.read(1)
        f.seek(off)
        f.write(bytes([b[0] ^ 0xff]))
    p = tool("fsck", "--path", store, "--deep", check=False)
    assert p.returncode == 1, p.stdout
    assert "small" in p.stdout and "checksum" in p.stdout
    assert tool("fsck", "--path", store).returncode == 0  # shallow: metadata fine
    p = get(store, "small", tmp_path / "x")
    assert p.returncode == 1 and "Input/output error" in p.stderr
    assert not (tmp_path / "x").exists()
    assert get(store, "rbd_data.1", tmp_path / "y").returncode == 0


def test_errors(tmp_path):
    missing = tool("list", "--path", tmp_path / "nope", check=False)
    assert missing.returncode == 1 and "No such file" in missing.stderr
    (tmp_path / "plain").mkdir()
    p = tool("statfs", "--path", tmp_path / "plain", check=False)
    assert p.returncode == 1 and "not a Sepia store" in p.stderr
    p = tool("dump", "--path", tmp_path, check=False)
    assert p.returncode == 2 and "--collection" in p.stderr
    p = tool("frobnicate", check=False)
    assert p.returncode == 2

    path = tmp_path / "osd0"
    tool("mkfs", "--path", path, "--size", "16M")
    p = tool("mkfs", "--path", path, check=False)
    assert p.returncode == 1 and "already holds a store" in p.stderr
    # A running OSD holds RocksDB's lock on db/LOCK.
    with open(path / "db" / "LOCK", "r+b") as f:
        fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        p = tool("fsck", "--path", path, check=False)
        assert p.returncode == 1 and f"in use by process {os.getpid()}" in p.stderr
    assert tool("fsck", "--path", path).returncode == 0

    p = tool("get", "--path", path, "--collection", "c", "--object", "o", check=False)
    assert p.returncode == 1 and "No such file" in p.stderr


def test_help():
    top = tool("--help").stdout
    for cmd in ("mkfs", "fsck", "list-collections", "list", "dump", "get", "put",
                "export", "import", "statfs"):
        assert cmd in top
        h = tool(cmd, "--help").stdout
        assert h.startswith(f"usage: sepia-store-tool {cmd}") and len(h.splitlines()) >= 3
