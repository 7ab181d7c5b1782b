#!/usr/bin/env python3
"""Randomised cross-check of `cellfleet stats --json` against lifelines (not run by CI).

    python3 fuzz_against_lifelines.py /path/to/cellfleet [seed] [trials]

Random fleets of 1-5 groups (1 to 60 cells, integer lives with ties or decimal ones, 0-90 %
censored) go through the CLI and through lifelines; it prints the worst differences seen.
"""
import json, os, subprocess, sys, tempfile, warnings
import numpy as np
warnings.simplefilter("ignore")
from lifelines import KaplanMeierFitter, WeibullFitter
from lifelines.statistics import multivariate_logrank_test
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_reference import exact_median
BIN = sys.argv[1]
rng = np.random.default_rng(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
CSV = os.path.join(tempfile.mkdtemp(), "cells.csv")
worst = {"km": 0, "shape": 0, "scale": 0, "p": 0, "median_mismatch": 0, "weibull_presence": 0}
for trial in range(int(sys.argv[3]) if len(sys.argv) > 3 else 150):
    k = int(rng.integers(1, 6))
    rows = []
    for g in range(k):
        n = int(rng.choice([1, 2, 3, 5, 8, 20, 60]))
        integer = rng.uniform() < 0.5
        cens = rng.uniform(0.0, 0.9)
        for i in range(n):
            life = rng.weibull(rng.uniform(0.7, 4)) * 100
            if integer: life = float(max(1, round(life / 10) * 10))
            else: life = float(f"{max(life, 0.01):.3f}")
            failed = int(rng.uniform() > cens)
            rows.append((f"c{g}-{i}", f"g{g}", life, failed))
    with open(CSV, "w") as f:
        f.write("cell,group,life,failed\n")
        for r in rows: f.write(f"{r[0]},{r[1]},{r[2]},{r[3]}\n")
    out = json.loads(subprocess.run([BIN, "stats", "--input", CSV, "--json"], capture_output=True, text=True, check=True).stdout)
    for g in sorted({r[1] for r in rows}):
        T = [r[2] for r in rows if r[1] == g]; E = [r[3] for r in rows if r[1] == g]
        kmf = KaplanMeierFitter().fit(T, E)
        got = out["groups"][g]
        ref = np.column_stack([kmf.timeline, kmf.survival_function_.values[:, 0], kmf.confidence_interval_.values])
        assert len(got["km"]) == len(ref), (trial, g)
        for row, want in zip(got["km"], ref):
            assert row["time"] == want[0]
            worst["km"] = max(worst["km"], abs(row["survival"] - want[1]), abs(row["lower"] - want[2]), abs(row["upper"] - want[3]))
        if got["median"] != exact_median(T, E): worst["median_mismatch"] += 1
        if sum(E) >= 3:
            try:
                wf = WeibullFitter().fit(T, E)
                if "weibull" not in got:
                    worst["weibull_presence"] += 1; print("no weibull", trial, g, got.get("weibull_note"), wf.rho_); continue
                rs = abs(got["weibull"]["shape"] / wf.rho_ - 1); rl = abs(got["weibull"]["scale"] / wf.lambda_ - 1)
                if rs > 1e-3 or rl > 1e-3:
                    print("weibull diff", trial, g, got["weibull"]["shape"], wf.rho_, got["weibull"]["scale"], wf.lambda_, )
                worst["shape"] = max(worst["shape"], rs); worst["scale"] = max(worst["scale"], rl)
            except Exception as e:
                print("lifelines failed", trial, g, e, got.get("weibull"), got.get("weibull_note"))
        elif "weibull" in got:
            worst["weibull_presence"] += 1
    if k >= 2:
        res = multivariate_logrank_test([r[2] for r in rows], [r[1] for r in rows], [r[3] for r in rows])
        d = abs(out["logrank"]["p"] - res.p_value) / max(res.p_value, 1e-300)
        if d > 1e-6: print("p diff", trial, out["logrank"], res.p_value, res.test_statistic)
        worst["p"] = max(worst["p"], d)
print(worst)
