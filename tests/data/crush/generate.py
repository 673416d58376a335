#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/data/crush/generate.py - regenerate the CRUSH golden data with Ceph's
# crushtool/osdmaptool (Debian ceph-common/ceph-base 16.2.15).
#
# For every map: write a source text (maps/NAME.src.txt, deterministic),
# compile it with `crushtool -c`, decompile with `crushtool -d` into the
# canonical text maps/NAME.txt (what the unit test compiles) and compile
# that text again with `crushtool -c` into maps/NAME.bin (a fixed point; the
# Ceph binary form is kept for the Ceph-format decoder test). For every case
# in CASES: `crushtool -i NAME.bin --test --min-x 0 --max-x 99999
# --rule R --num-rep N [--weight D W]... --show-mappings`, keep the vectors
# only (one line per x, "a,b,c"), gzip into cases/CASE.gz; manifest.txt
# lists map, rule, num_rep, x range and weights of each case.
# With --check SEPIA_CRUSH it also checks that sepia-crush decompiles each
# map to the identical text and that crushtool accepts our text.
# Usage: tests/data/crush/generate.py [--place] [--check build-crush/src/tools/crush/sepia-crush]
# (--place regenerates only the osdmaptool placement data)
import gzip, os, random, shutil, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
NX = 100000

TUNABLES = {
    'legacy': [],
    'argonaut': [('choose_local_tries', 2), ('choose_local_fallback_tries', 5),
                 ('choose_total_tries', 19), ('chooseleaf_descend_once', 0)],
    'bobtail': [('choose_local_tries', 0), ('choose_local_fallback_tries', 0),
                ('choose_total_tries', 50), ('chooseleaf_descend_once', 1)],
    'firefly': [('choose_local_tries', 0), ('choose_local_fallback_tries', 0),
                ('choose_total_tries', 50), ('chooseleaf_descend_once', 1),
                ('chooseleaf_vary_r', 1)],
    'hammer': [('choose_local_tries', 0), ('choose_local_fallback_tries', 0),
               ('choose_total_tries', 50), ('chooseleaf_descend_once', 1),
               ('chooseleaf_vary_r', 1), ('allowed_bucket_algs', 54)],
    'jewel': [('choose_local_tries', 0), ('choose_local_fallback_tries', 0),
              ('choose_total_tries', 50), ('chooseleaf_descend_once', 1),
              ('chooseleaf_vary_r', 1), ('chooseleaf_stable', 1),
              ('allowed_bucket_algs', 54)],
}

RULES = [
    ('rep_host', 'replicated', ['take root', 'chooseleaf firstn 0 type host', 'emit']),
    ('ec_host', 'erasure', ['set_chooseleaf_tries 5', 'set_choose_tries 100',
                            'take root', 'chooseleaf indep 0 type host', 'emit']),
    ('rack_then_host', 'replicated', ['take root', 'choose firstn 2 type rack',
                                      'chooseleaf firstn 2 type host', 'emit']),
    ('ec_osd', 'erasure', ['set_choose_tries 100', 'take root',
                           'choose indep 0 type osd', 'emit']),
    ('host_then_osd', 'replicated', ['take root', 'choose firstn 0 type host',
                                     'choose firstn 1 type osd', 'emit']),
    ('ec_rack', 'erasure', ['set_chooseleaf_tries 5', 'take root',
                            'chooseleaf indep 0 type rack', 'emit']),
    ('ec_rack_host', 'erasure', ['take root', 'choose indep 3 type rack',
                                 'chooseleaf indep 2 type host', 'emit']),
]


def hierarchy(seed, algs, tunables, racks=4, hosts=5, uniform=False, scv=None,
              classes=False):
    """Source text of root -> racks -> hosts -> osds with seeded weights."""
    rnd = random.Random(seed)
    out = ['tunable %s %d' % kv for kv in TUNABLES[tunables]]
    if scv is not None:
        out.append('tunable straw_calc_version %d' % scv)
    body, osd = [], 0
    rack_names = []
    for r in range(racks):
        host_names = []
        for h in range(hosts):
            n = 4 if uniform else rnd.randint(3, 6)
            alg = algs['host']
            w = '1.000' if uniform or alg == 'uniform' else None
            items = []
            for _ in range(n):
                wt = w or '%.3f' % rnd.choice([0.5, 1.0, 1.0, 2.0, rnd.uniform(0.1, 4)])
                cls = (' class ' + rnd.choice(['ssd', 'hdd', 'hdd'])) if classes else ''
                out.append('device %d osd.%d%s' % (osd, osd, cls))
                items.append('\titem osd.%d weight %s' % (osd, wt))
                osd += 1
            name = 'host%d_%d' % (r, h)
            host_names.append(name)
            body.append('host %s {\n\talg %s\n\thash 0\n%s\n}' % (name, alg, '\n'.join(items)))
        name = 'rack%d' % r
        rack_names.append(name)
        body.append('rack %s {\n\talg %s\n\thash 0\n%s\n}' % (
            name, algs['rack'], '\n'.join('\titem ' + h for h in host_names)))
    body.append('root root {\n\talg %s\n\thash 0\n%s\n}' % (
        algs['root'], '\n'.join('\titem ' + r for r in rack_names)))
    out += ['type 0 osd', 'type 1 host', 'type 2 rack', 'type 3 root'] + body
    for i, (name, kind, steps) in enumerate(RULES):
        out.append('rule %s {\n\tid %d\n\ttype %s\n\tmin_size 1\n\tmax_size 10\n%s\n}' % (
            name, i, kind, '\n'.join('\tstep ' + s for s in steps)))
    if classes:
        out.append('rule ssd_rep {\n\tid 7\n\ttype replicated\n\tmin_size 1\n\tmax_size 10\n'
                   '\tstep take root class ssd\n\tstep chooseleaf firstn 0 type host\n'
                   '\tstep emit\n}')
        out.append('rule hdd_ec {\n\tid 8\n\ttype erasure\n\tmin_size 1\n\tmax_size 10\n'
                   '\tstep take root class hdd\n\tstep chooseleaf indep 0 type host\n'
                   '\tstep emit\n}')
    return '\n'.join(out) + '\n'


def with_choose_args(text, seed):
    """Appends choose_args 0 (weight sets, 2 positions at the root, ids for
    racks) for every bucket of the compiled text."""
    import re
    rnd = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        src, b = os.path.join(tmp, 's.txt'), os.path.join(tmp, 's.bin')
        open(src, 'w').write(text)
        run(['crushtool', '-c', src, '-o', b])
        canon = run(['crushtool', '-d', b]).decode()
    buckets = re.findall(r'^(\w+) (\S+) \{\n\tid (-\d+)\t[^\n]*\n(?:\t[^i][^\n]*\n)*'
                         r'((?:\titem [^\n]*\n)+)', canon, re.M)
    out = ['choose_args 0 {']
    for typ, name, bid, items in buckets:
        n = items.count('\titem ')
        pos = 2 if typ == 'root' else 1
        out.append('  {\n    bucket_id %s' % bid)
        out.append('    weight_set [')
        for _ in range(pos):
            out.append('      [ %s ]' % ' '.join('%.3f' % rnd.choice([0, 0.5, 1, 2, rnd.uniform(0.1, 3)])
                                                for _ in range(n)))
        out.append('    ]')
        if typ == 'rack':
            out.append('    ids [ %s ]' % ' '.join(str(rnd.randint(-1000, 1000)) for _ in range(n)))
        out.append('  }')
    out.append('}')
    return text + '\n'.join(out) + '\n'


def A(alg):
    return {'host': alg, 'rack': alg, 'root': alg}


MAPS = {
    'straw2_jewel': lambda: hierarchy(1, A('straw2'), 'jewel'),
    'straw_hammer': lambda: hierarchy(2, A('straw'), 'hammer', scv=1),
    'straw_legacy': lambda: hierarchy(3, A('straw'), 'legacy'),
    'list_bobtail': lambda: hierarchy(4, A('list'), 'bobtail'),
    'tree_firefly': lambda: hierarchy(5, A('tree'), 'firefly'),
    'uniform_argonaut': lambda: hierarchy(6, A('uniform'), 'argonaut', uniform=True),
    'mixed_hammer': lambda: hierarchy(7, {'host': 'uniform', 'rack': 'list', 'root': 'straw2'},
                                      'hammer'),
    'mixed_jewel': lambda: hierarchy(8, {'host': 'straw', 'rack': 'tree', 'root': 'straw2'},
                                     'jewel', scv=1),
    'classes_jewel': lambda: hierarchy(9, A('straw2'), 'jewel', classes=True),
    'wset_jewel': lambda: with_choose_args(hierarchy(10, A('straw2'), 'jewel', racks=3, hosts=3), 11),
}
BUILDS = {
    # crushtool --build maps: the benchmark hierarchy and a 12-OSD map
    'bench1000': '--num_osds 1000 host straw2 10 rack straw2 10 root straw2 0',
    'bench12': '--num_osds 12 host straw2 4 root straw2 0',
}

OUT3 = [('3', '0'), ('17', '0'), ('40', '0')]
PART = [('5', '0.5'), ('22', '0.25'), ('31', '0.8'), ('9', '0')]
# case name, map, rule, num_rep, weights
CASES = [
    ('straw2_rep3', 'straw2_jewel', 0, 3, []),
    ('straw2_ec6', 'straw2_jewel', 1, 6, []),
    ('straw2_rackhost4', 'straw2_jewel', 2, 4, []),
    ('straw2_ecosd5_out', 'straw2_jewel', 3, 5, OUT3),
    ('straw2_rep3_reweight', 'straw2_jewel', 0, 3, OUT3 + PART),
    ('straw_rep3', 'straw_hammer', 0, 3, []),
    ('straw_ec4_reweight', 'straw_hammer', 1, 4, PART),
    ('strawv0_rep3', 'straw_legacy', 0, 3, []),
    ('strawv0_ecosd4_out', 'straw_legacy', 3, 4, OUT3),
    ('strawv0_hostosd3_reweight', 'straw_legacy', 4, 3, PART),
    ('list_rep3', 'list_bobtail', 0, 3, []),
    ('list_ec4_reweight', 'list_bobtail', 1, 4, OUT3 + PART),
    ('tree_rep3', 'tree_firefly', 0, 3, []),
    ('tree_hostosd3_out', 'tree_firefly', 4, 3, OUT3),
    ('uniform_rep3', 'uniform_argonaut', 0, 3, []),
    ('uniform_ecosd5_out', 'uniform_argonaut', 3, 5, OUT3 + PART),
    ('mixed_rep3', 'mixed_hammer', 0, 3, PART),
    ('mixed_ecrack3', 'mixed_hammer', 5, 3, []),
    ('mixed2_ecrackhost6', 'mixed_jewel', 6, 6, OUT3),
    ('mixed2_rackhost4', 'mixed_jewel', 2, 4, PART),
    ('classes_ssd3', 'classes_jewel', 7, 3, []),
    ('classes_hdd4_out', 'classes_jewel', 8, 4, OUT3),
    ('wset_rep3', 'wset_jewel', 0, 3, []),
    ('wset_ec4_out', 'wset_jewel', 1, 4, OUT3),
    ('bench1000_rep3', 'bench1000', 0, 3, []),
    ('bench12_rep3', 'bench12', 0, 3, []),
]


def run(args, **kw):
    return subprocess.run(args, check=True, capture_output=True, **kw).stdout


def make_maps(tmp):
    os.makedirs(os.path.join(HERE, 'maps'), exist_ok=True)
    bins = {}
    for name, fn in MAPS.items():
        src = os.path.join(HERE, 'maps', name + '.src.txt')
        with open(src, 'w') as f:
            f.write(fn())
        bins[name] = os.path.join(tmp, name + '.bin')
        run(['crushtool', '-c', src, '-o', bins[name]])
    for name, args in BUILDS.items():
        bins[name] = os.path.join(tmp, name + '.bin')
        run(['crushtool', '-o', bins[name], '--build'] + args.split())
    for name, b in bins.items():
        # The canonical text is what the tests compile; crushtool's text
        # keeps 3 decimals, so the mappings come from the recompiled text.
        canon = os.path.join(HERE, 'maps', name + '.txt')
        run(['crushtool', '-d', b, '-o', canon])
        run(['crushtool', '-c', canon, '-o', b])
        assert run(['crushtool', '-d', b]) == open(canon, 'rb').read(), name
        shutil.copyfile(b, os.path.join(HERE, 'maps', name + '.bin'))   # Ceph binary form
    return bins


def make_cases(bins):
    os.makedirs(os.path.join(HERE, 'cases'), exist_ok=True)
    manifest = ['# case map rule num_rep min_x max_x [dev:weight ...]',
                '# mappings: crushtool -i <map> --test --min-x 0 --max-x %d --rule R'
                ' --num-rep N [--weight D W ...] --show-mappings' % (NX - 1)]
    for case, m, rule, nr, weights in CASES:
        cmd = ['crushtool', '-i', bins[m], '--test', '--min-x', '0', '--max-x', str(NX - 1),
               '--rule', str(rule), '--num-rep', str(nr), '--show-mappings']
        for d, w in weights:
            cmd += ['--weight', d, w]
        lines = run(cmd).decode().splitlines()
        assert len(lines) == NX, (case, len(lines))
        vecs = []
        for i, line in enumerate(lines):
            pre = 'CRUSH rule %d x %d [' % (rule, i)
            assert line.startswith(pre) and line.endswith(']'), line
            vecs.append(line[len(pre):-1])
        with gzip.GzipFile(os.path.join(HERE, 'cases', case + '.gz'), 'wb', 9, mtime=0) as f:
            f.write(('\n'.join(vecs) + '\n').encode())
        manifest.append('%s %s %d %d 0 %d %s' % (case, m, rule, nr, NX - 1,
                                                ' '.join('%s:%s' % dw for dw in weights)))
        print(case, 'ok', file=sys.stderr)
    with open(os.path.join(HERE, 'manifest.txt'), 'w') as f:
        f.write('\n'.join(manifest) + '\n')


# Object placement through an OSDMap: osdmaptool --createsimple N
# --with-default-pool --pg-bits B --pgp-bits B, --import-crush MAP, then
# --mark-up-in [--mark-out O]... with --test-map-pgs-dump --pool 1 and
# --test-map-object NAME --pool 1. Pool 1 'rbd': size 3, pg_num N << B,
# rjenkins object hash, hashpspool.
PLACES = [
    # name, crush map, osds, pg bits, out osds
    ('om12', 'bench12', 12, 6, []),
    ('om12_out', 'bench12', 12, 6, [3]),
    ('om94', 'straw2_jewel', 94, 4, []),
    ('om94_out', 'straw2_jewel', 94, 4, [60]),  # osdmaptool keeps only the last --mark-out
]


def object_names():
    rnd = random.Random(42)
    names = ['foo', 'a', 'bar', 'rbd_header.1234', '1234567890abcdef', 'x' * 100]
    names += ['obj%d' % i for i in range(60)]
    names += ['rbd_data.%x.%016x' % (rnd.getrandbits(32), i) for i in range(60)]
    names += ['10000000%03x.%08x' % (rnd.getrandbits(12), i) for i in range(60)]
    names += [''.join(rnd.choice('abcdefghijklmnopqrstuvwxyz0123456789._-')
                      for _ in range(rnd.randint(1, 40))) for _ in range(64)]
    return names


def make_places(bins, tmp):
    os.makedirs(os.path.join(HERE, 'place'), exist_ok=True)
    manifest = ['# name map pool pg_num pgp_num size [out_osd ...]']
    for name, m, n, bits, outs in PLACES:
        om = os.path.join(tmp, name + '.osdmap')
        run(['osdmaptool', '--createsimple', str(n), om, '--clobber', '--with-default-pool',
             '--pg-bits', str(bits), '--pgp-bits', str(bits)])
        run(['osdmaptool', om, '--import-crush', bins[m]])
        mark = ['--mark-up-in'] + sum([['--mark-out', str(o)] for o in outs], [])
        pgs = run(['osdmaptool', om] + mark + ['--test-map-pgs-dump', '--pool', '1']).decode().splitlines()
        pgs = [l for l in pgs if l.startswith('1.')]
        assert len(pgs) == n << bits, (name, len(pgs))
        objs = []
        for o in object_names():
            out = run(['osdmaptool', om] + mark + ['--test-map-object', o, '--pool', '1']).decode().splitlines()
            objs += [l for l in out if l.startswith(' object ')]
        with gzip.GzipFile(os.path.join(HERE, 'place', name + '.gz'), 'wb', 9, mtime=0) as f:
            f.write(('\n'.join(pgs + objs) + '\n').encode())
        manifest.append('%s %s 1 %d %d 3 %s' % (name, m, n << bits, n << bits,
                                               ' '.join(map(str, outs))))
        print(name, 'ok', file=sys.stderr)
    with open(os.path.join(HERE, 'place', 'manifest.txt'), 'w') as f:
        f.write('\n'.join(manifest) + '\n')


def check(sepia, bins, tmp):
    """Our decompile == crushtool's; crushtool accepts our text, same mappings."""
    for name, b in bins.items():
        canon = os.path.join(HERE, 'maps', name + '.txt')
        ours = run([sepia, '-d', canon])
        assert ours == open(canon, 'rb').read(), name + ': decompile differs'
        txt = os.path.join(tmp, name + '.ours.txt')
        open(txt, 'wb').write(ours)
        run(['crushtool', '-c', txt, '-o', txt + '.bin'])
        a = run(['crushtool', '-i', b, '--test', '--show-mappings', '--max-x', '999'])
        c = run(['crushtool', '-i', txt + '.bin', '--test', '--show-mappings', '--max-x', '999'])
        assert a == c, name + ': crushtool maps our text differently'
        print(name, 'decompile stable, crushtool agrees', file=sys.stderr)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        bins = make_maps(tmp)
        if '--check' in sys.argv:
            check(sys.argv[sys.argv.index('--check') + 1], bins, tmp)
            return
        if '--place' not in sys.argv:
            make_cases(bins)
        make_places(bins, tmp)


if __name__ == '__main__':
    main()
