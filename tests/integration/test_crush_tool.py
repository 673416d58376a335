"""sepia-crush as an operator uses it: build a map, decompile it to text,
edit and compile it back, test placements; errors name the line and token."""
import json
import subprocess

from conftest import binary


def crush(*args, check=True):
    r = subprocess.run([str(binary("sepia-crush"))] + [str(a) for a in args],
                       capture_output=True, text=True, timeout=120)
    if check:
        assert r.returncode == 0, r.stderr
    return r


def test_build_decompile_compile_test(tmp_path):
    m, txt, m2 = tmp_path / "map", tmp_path / "map.txt", tmp_path / "map2"
    crush("build", "--num-osds", 12, "-o", m, "host", "straw2", 2, "rack", "straw2", 2,
          "root", "straw2", 0)
    crush("decompile", m, "-o", txt)
    text = txt.read_text()
    assert "device 11 osd.11" in text and "rule replicated_rule" in text
    crush("compile", txt, "-o", m2)
    # the same map gives the same placements, three distinct OSDs each
    a = crush("test", "-i", m, "--num-rep", 3, "--min-x", 0, "--max-x", 99, "--show-mappings").stdout
    b = crush("test", "-i", m2, "--num-rep", 3, "--min-x", 0, "--max-x", 99, "--show-mappings").stdout
    assert a == b and a.count("\n") == 100
    first = a.splitlines()[0]
    osds = first[first.index("[") + 1:first.index("]")].split(",")
    assert len(set(osds)) == 3
    j = json.loads(crush("test", "-i", m, "--num-rep", 3, "--min-x", 0, "--max-x", 9,
                         "--show-mappings", "--format", "json").stdout)
    assert j  # machine-readable output parses


def test_compile_errors_name_line_and_token(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("device 0 osd.0\ntype 0 osd\ntype 1 host\nhost h {\n\tid -1\n\talg bogus\n}\n")
    r = crush("compile", bad, "-o", tmp_path / "out", check=False)
    assert r.returncode != 0
    assert "bad.txt:6" in r.stderr
    assert "bogus" in r.stderr
    assert not (tmp_path / "out").exists()


def test_usage_errors():
    r = crush("frobnicate", check=False)
    assert r.returncode != 0 and "frobnicate" in r.stderr
    r = crush("--help")
    assert "decompile" in r.stdout and "--show-utilization" in r.stdout
