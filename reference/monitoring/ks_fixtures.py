#!/usr/bin/env python3
"""Reference fixtures for lib/monitoring/ks.ts and lib/monitoring/psi.ts, made with Debian's python3-scipy.

    python3 reference/monitoring/ks_fixtures.py   # writes test/fixtures/monitoring/ks.json and psi.json

Large samples are not stored: they are drawn from mulberry32 (a 32-bit PRNG that
test/fixtures' readers re-implement bit for bit in TypeScript) and described by a recipe:
    value = offset + scale * floor(u * levels) / levels   (levels = 0: value = offset + scale * u)
so ties are controlled by `levels`. Small samples are stored as literal arrays.
"""
import json
import math
import os
import sys

import numpy as np
import scipy
from scipy import stats

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', '..', 'test', 'fixtures', 'monitoring')


def mulberry32(seed):
    state = seed & 0xFFFFFFFF

    def nxt():
        nonlocal state
        state = (state + 0x6D2B79F5) & 0xFFFFFFFF
        t = state
        t = ((t ^ (t >> 15)) * (t | 1)) & 0xFFFFFFFF
        t ^= (t + (((t ^ (t >> 7)) * (t | 61)) & 0xFFFFFFFF)) & 0xFFFFFFFF
        return ((t ^ (t >> 14)) & 0xFFFFFFFF) / 4294967296.0

    return nxt


def recipe_sample(r):
    rng = mulberry32(r['seed'])
    out = []
    for _ in range(r['n']):
        u = rng()
        if r['levels'] > 0:
            u = math.floor(u * r['levels']) / r['levels']
        out.append(r['offset'] + r['scale'] * u)
    return np.array(out)


def ks_case(name, a, b, stored):
    res = stats.ks_2samp(a, b, alternative='two-sided', method='auto')
    case = {'name': name, 'n1': len(a), 'n2': len(b), 'statistic': float(res.statistic), 'pvalue': float(res.pvalue)}
    if stored:
        case['sample1'] = [float(x) for x in a]
        case['sample2'] = [float(x) for x in b]
    return case


def main():
    rng = np.random.default_rng(20260301)
    cases = []
    # Small exact cases, equal and unequal sizes, continuous and tied.
    cases.append(ks_case('tiny equal n', [1.0, 2.0, 3.0], [1.5, 2.5, 3.5], True))
    cases.append(ks_case('fully separated 5 vs 7', list(range(5)), list(range(10, 17)), True))
    cases.append(ks_case('identical samples', [0.3, 0.1, 0.2, 0.5], [0.5, 0.2, 0.1, 0.3], True))
    cases.append(ks_case('single values', [1.0], [2.0], True))
    cases.append(ks_case('separated 300 vs 200 (tail)', list(np.arange(300.0)), list(np.arange(1000.0, 1200.0)), True))
    for n1, n2, shift in [(8, 8, 0.0), (10, 15, 0.5), (20, 30, 0.0), (37, 23, 1.0), (50, 50, 0.3), (100, 61, 0.2),
                          (250, 400, 0.1), (1000, 999, 0.05), (30, 3000, 0.4)]:
        a = np.round(rng.normal(0, 1, n1), 6)
        b = np.round(rng.normal(shift, 1, n2), 6)
        cases.append(ks_case(f'normal {n1} vs {n2} shift {shift}', a, b, True))
    for n1, n2 in [(12, 18), (40, 40), (200, 150)]:
        a = rng.integers(0, 6, n1).astype(float)
        b = rng.integers(1, 7, n2).astype(float)
        cases.append(ks_case(f'ties: integers {n1} vs {n2}', a, b, True))
    # Recipe (PRNG) cases: large exact and asymptotic (max(n1, n2) > 10000).
    recipes = [
        ('exact 10000 vs 9000', dict(seed=1, n=10000, offset=0, scale=1, levels=0), dict(seed=2, n=9000, offset=0.01, scale=1, levels=0)),
        ('exact 10000 vs 10000 tied', dict(seed=3, n=10000, offset=0, scale=1, levels=50), dict(seed=4, n=10000, offset=0.02, scale=1, levels=50)),
        ('exact 10000 vs 9000 big shift (tail)', dict(seed=21, n=10000, offset=0, scale=1, levels=0), dict(seed=22, n=9000, offset=0.3, scale=1, levels=0)),
        ('exact 3000 vs 2000 shift 0.08', dict(seed=23, n=3000, offset=0, scale=1, levels=0), dict(seed=24, n=2000, offset=0.08, scale=1, levels=0)),
        ('asymp 20000 vs 15000 no shift', dict(seed=5, n=20000, offset=0, scale=1, levels=0), dict(seed=6, n=15000, offset=0, scale=1, levels=0)),
        ('asymp 20000 vs 15000 small shift', dict(seed=7, n=20000, offset=0, scale=1, levels=0), dict(seed=8, n=15000, offset=0.01, scale=1, levels=0)),
        ('asymp 12000 vs 12000 shift', dict(seed=9, n=12000, offset=0, scale=1, levels=0), dict(seed=10, n=12000, offset=0.03, scale=1, levels=0)),
        ('asymp 12000 vs 12001 tied', dict(seed=11, n=12000, offset=0, scale=1, levels=20), dict(seed=12, n=12001, offset=0, scale=1, levels=20)),
        ('asymp 20000 vs 30 shift', dict(seed=13, n=20000, offset=0, scale=1, levels=0), dict(seed=14, n=30, offset=0.2, scale=1, levels=0)),
        ('asymp 20000 vs 5', dict(seed=15, n=20000, offset=0, scale=1, levels=0), dict(seed=16, n=5, offset=0.1, scale=1, levels=0)),
        ('asymp 15000 vs 200 shift', dict(seed=17, n=15000, offset=0, scale=1, levels=0), dict(seed=18, n=200, offset=0.1, scale=1, levels=0)),
        ('asymp 15000 vs 1000 big shift', dict(seed=19, n=15000, offset=0, scale=1, levels=0), dict(seed=20, n=1000, offset=0.3, scale=1, levels=0)),
    ]
    for name, r1, r2 in recipes:
        c = ks_case(name, recipe_sample(r1), recipe_sample(r2), False)
        c['recipe1'] = r1
        c['recipe2'] = r2
        cases.append(c)
    # kstwo.sf on a grid covering every branch of _kolmogn (Ruben-Gambino, Durbin, Pomeranz,
    # Pelz-Good, 2 x Smirnov, tails).
    grid = []
    for n in [1, 2, 3, 5, 10, 50, 100, 140, 141, 500, 1000, 5000, 20000, 150000, 2000000]:
        for d in [0.0001, 0.001, 0.003, 0.01, 0.02, 0.03, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3, 0.45, 0.5, 0.6, 0.9, 0.999]:
            grid.append({'n': n, 'd': d, 'sf': float(stats.kstwo.sf(d, n))})
    smirnov = []
    for n in [2, 5, 10, 50, 141, 1000, 100000, 2000000]:
        for x in [0.001, 0.01, 0.05, 0.1, 0.3, 0.5, 0.7, 0.95]:
            smirnov.append({'n': n, 'x': x, 'sf': float(scipy.special.smirnov(n, x))})
    with open(os.path.join(OUT, 'ks.json'), 'w') as f:
        json.dump({'generator': 'reference/monitoring/ks_fixtures.py', 'scipy': scipy.__version__, 'numpy': np.__version__,
                   'cases': cases, 'kstwoSf': grid, 'smirnovSf': smirnov}, f, indent=1)
        f.write('\n')

    # PSI reference: numpy quantile edges (linear interpolation), right-closed bins, eps floor.
    psi_cases = []
    for name, base, cur, bins, eps in [
        ('same distribution', rng.normal(0, 1, 2000), rng.normal(0, 1, 1500), 10, 1e-4),
        ('shifted', rng.normal(0, 1, 2000), rng.normal(0.5, 1, 1500), 10, 1e-4),
        ('empty bins', rng.normal(0, 1, 1000), rng.normal(3, 0.2, 300), 10, 1e-4),
        ('ties and 5 bins', rng.integers(0, 4, 500).astype(float), rng.integers(0, 6, 400).astype(float), 5, 1e-4),
        ('small', np.array([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10]), np.array([2.0, 2, 3, 9, 11]), 4, 1e-3),
    ]:
        base = np.round(base, 6)
        cur = np.round(cur, 6)
        edges = np.unique(np.quantile(base, np.arange(1, bins) / bins))
        bcount = np.bincount(np.searchsorted(edges, base, side='left'), minlength=len(edges) + 1)
        ccount = np.bincount(np.searchsorted(edges, cur, side='left'), minlength=len(edges) + 1)
        bp = np.maximum(bcount / len(base), eps)
        cp = np.maximum(ccount / len(cur), eps)
        psi = float(np.sum((cp - bp) * np.log(cp / bp)))
        psi_cases.append({'name': name, 'bins': bins, 'epsilon': eps, 'baseline': [float(x) for x in base],
                          'current': [float(x) for x in cur], 'edges': [float(x) for x in edges], 'psi': psi})
    with open(os.path.join(OUT, 'psi.json'), 'w') as f:
        json.dump({'generator': 'reference/monitoring/ks_fixtures.py', 'numpy': np.__version__, 'cases': psi_cases}, f)
        f.write('\n')


if __name__ == '__main__':
    sys.exit(main())
