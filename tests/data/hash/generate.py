#!/usr/bin/python3
"""Regenerates object_pgs.txt: object name -> PG as Ceph 16.2.15's osdmaptool
computes it (rjenkins string hash + stable_mod), for two pools: pg_num 384
(not a power of two) and pg_num 64. Needs Debian's ceph-base (osdmaptool).

    osdmaptool --createsimple 6 MAP --with-default-pool             # pg_num 384
    osdmaptool --createsimple 16 MAP --with-default-pool --pg-bits 2 # pg_num 64
    osdmaptool MAP --test-map-object NAME --pool 1

Output lines: <pg_num> <pg hex> <name as hex bytes>"""
import random, re, subprocess, sys, tempfile, os
from concurrent.futures import ThreadPoolExecutor

def make_map(d, osds, extra):
    path = os.path.join(d, f"map{osds}")
    subprocess.run(["osdmaptool", "--createsimple", str(osds), path, "--with-default-pool"] + extra,
                   check=True, capture_output=True)
    return path

def names(n, seed):
    rnd = random.Random(seed)
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"
    out = ["foo", "bar", "rbd_data.1234", "10000000000.00000000", "a" * 12, "b" * 24]
    while len(out) < n:
        out.append("".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 64))))
    return out

def lookup(mp, name):
    r = subprocess.run(["osdmaptool", mp, "--test-map-object", name, "--pool", "1"],
                       check=True, capture_output=True, text=True)
    m = re.search(r"-> 1\.([0-9a-f]+) ->", r.stdout)
    return int(m.group(1), 16)

def main():
    with tempfile.TemporaryDirectory() as d:
        maps = [(384, make_map(d, 6, [])), (64, make_map(d, 16, ["--pg-bits", "2"]))]
        rows = []
        with ThreadPoolExecutor(4) as ex:
            for pg_num, mp in maps:
                ns = names(500, pg_num)
                for name, pg in zip(ns, ex.map(lambda n: lookup(mp, n), ns)):
                    rows.append(f"{pg_num} {pg:x} {name.encode().hex()}")
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "object_pgs.txt"), "w") as f:
        f.write("# pg_num pg(hex) name(hex) -- from tests/data/hash/generate.py (osdmaptool 16.2.15)\n")
        f.write("\n".join(rows) + "\n")

if __name__ == "__main__":
    sys.exit(main())
