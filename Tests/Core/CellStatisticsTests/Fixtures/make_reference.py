#!/usr/bin/env python3
"""Generate the survival data sets and their reference results for CellStatisticsTests.

The Swift tests compare against the committed outputs, so CI needs no Python. Regenerate with
    python3 make_reference.py   (lifelines 0.30.3, scipy, numpy)
from this directory. Every data set is seeded, so the outputs are reproducible.

Conventions taken from lifelines, which the Swift code must match:
  * the KM timeline starts at 0 (S = 1) unless a time-0 row exists, and has one row per distinct
    time, censoring-only times included; a failure and a censoring at the same time are both in
    that row (failures first: the censored cell is still at risk for the failure);
  * exponential Greenwood bounds, z = 1.959963984540054, bounds 1 where S = 1 and 0 where S = 0;
  * the median is the first time at which S <= 0.5. lifelines sums logarithms, which can miss an
    exact 0.5 by 1e-16; the reference median is therefore recomputed with exact fractions (and the
    script reports any data set where the two differ);
  * WeibullFitter: lambda_ = scale, rho_ = shape, Wald intervals (estimate +/- z*se) from the
    inverse Hessian of the log-likelihood; B10 = percentile(0.9);
  * multivariate_logrank_test over all groups (logrank_test and scipy.stats.logrank agree for two).
"""
import json
import math
import os
import warnings
from fractions import Fraction

import lifelines
import numpy as np
import scipy
import scipy.special
import scipy.stats
from lifelines import KaplanMeierFitter, WeibullFitter
from lifelines.statistics import logrank_test, multivariate_logrank_test

warnings.simplefilter("ignore")
HERE = os.path.dirname(os.path.abspath(__file__))


def write_csv(name, rows, extra=()):
    header = ["cell", "group", "life", "failed", *extra]
    with open(os.path.join(HERE, name + ".csv"), "w", newline="") as f:
        f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join(str(r[h]) for h in header) + "\n")


def fmt_life(x):
    # Lives are written with limited digits so the CSV text is exactly the number analysed.
    return float(f"{x:.4f}")


def exact_median(times, events):
    """First time at which the KM product of fractions is <= 1/2, or None."""
    s = Fraction(1)
    for t in sorted(set(times)):
        at_risk = sum(1 for u in times if u >= t)
        d = sum(1 for u, e in zip(times, events) if u == t and e)
        if d:
            s *= Fraction(at_risk - d, at_risk)
        if s <= Fraction(1, 2):
            return t
    return None


def reference_for(name, rows):
    groups = sorted({r["group"] for r in rows})
    out = {"groups": {}}
    for g in groups:
        T = [float(r["life"]) for r in rows if r["group"] == g]
        E = [int(r["failed"]) for r in rows if r["group"] == g]
        kmf = KaplanMeierFitter(alpha=0.05).fit(T, E)
        sf = kmf.survival_function_.values[:, 0]
        ci = kmf.confidence_interval_.values
        km = [
            {"time": float(t), "survival": float(s), "lower": float(lo), "upper": float(up)}
            for t, s, (lo, up) in zip(kmf.timeline, sf, ci)
        ]
        med = exact_median(T, E)
        lifelines_med = kmf.median_survival_time_
        lifelines_med = None if math.isinf(lifelines_med) else float(lifelines_med)
        if med != lifelines_med:
            print(f"{name}/{g}: exact median {med} differs from lifelines' {lifelines_med}")
        entry = {"n": len(T), "events": int(sum(E)), "censored": len(T) - int(sum(E)),
                 "median": med, "km": km}
        if sum(E) >= 3:
            wf = WeibullFitter(alpha=0.05).fit(T, E)
            summ = wf.summary
            entry["weibull"] = {
                "shape": float(wf.rho_), "scale": float(wf.lambda_),
                "shape_se": float(summ.loc["rho_", "se(coef)"]),
                "scale_se": float(summ.loc["lambda_", "se(coef)"]),
                "shape_lower": float(summ.loc["rho_", "coef lower 95%"]),
                "shape_upper": float(summ.loc["rho_", "coef upper 95%"]),
                "scale_lower": float(summ.loc["lambda_", "coef lower 95%"]),
                "scale_upper": float(summ.loc["lambda_", "coef upper 95%"]),
                "b10": float(wf.percentile(0.9)),
                "log_likelihood": float(wf.log_likelihood_),
            }
        out["groups"][g] = entry
    if len(groups) >= 2:
        T = [float(r["life"]) for r in rows]
        E = [int(r["failed"]) for r in rows]
        G = [r["group"] for r in rows]
        res = multivariate_logrank_test(T, G, E)
        out["logrank"] = {"chi2": float(res.test_statistic), "df": int(res.degrees_of_freedom),
                          "p": float(res.p_value)}
        if len(groups) == 2:
            a, b = groups
            ta = [t for t, g in zip(T, G) if g == a]; ea = [e for e, g in zip(E, G) if g == a]
            tb = [t for t, g in zip(T, G) if g == b]; eb = [e for e, g in zip(E, G) if g == b]
            two = logrank_test(ta, tb, ea, eb)
            assert abs(two.p_value - res.p_value) < 1e-12
            if sum(ea) + sum(eb) > 0:
                sp = scipy.stats.logrank(
                    scipy.stats.CensoredData(uncensored=[t for t, e in zip(ta, ea) if e],
                                             right=[t for t, e in zip(ta, ea) if not e]),
                    scipy.stats.CensoredData(uncensored=[t for t, e in zip(tb, eb) if e],
                                             right=[t for t, e in zip(tb, eb) if not e]))
                assert abs(sp.pvalue - res.p_value) < 1e-9, (name, sp.pvalue, res.p_value)
                out["logrank"]["scipy_statistic"] = float(sp.statistic)
    return out


def make_datasets():
    rng = np.random.default_rng(20261125)
    sets = {}

    # 1. Integer cycle lives with many ties and heavy censoring, three variants.
    rows = []
    for g, (shape, scale, n) in {"bare": (1.4, 80, 18), "coated": (2.2, 140, 22), "doped": (3.0, 110, 15)}.items():
        for i in range(n):
            life = round(scale * rng.weibull(shape) / 5) * 5 + 5  # 5-cycle grid: ties
            stop = round(rng.uniform(20, 200) / 5) * 5
            failed = 1 if life <= stop else 0
            rows.append({"cell": f"{g}-{i:02d}", "group": g, "life": min(life, stop), "failed": failed})
    sets["ties_heavy_censoring"] = rows

    # 2. Single-cell groups next to an ordinary one.
    rows = [{"cell": "solo-a", "group": "solo_failed", "life": 42.0, "failed": 1},
            {"cell": "solo-b", "group": "solo_running", "life": 77.5, "failed": 0}]
    for i in range(12):
        life = fmt_life(60 * rng.weibull(1.8))
        failed = int(rng.uniform() < 0.7)
        rows.append({"cell": f"main-{i:02d}", "group": "main", "life": life, "failed": failed})
    sets["single_cell_groups"] = rows

    # 3. Continuous Weibull hours, two groups, administrative censoring at 300 h plus random drop-outs.
    rows = []
    for g, (shape, scale, n) in {"A": (1.7, 250.0, 40), "B": (2.5, 320.0, 50)}.items():
        for i in range(n):
            life = scale * rng.weibull(shape)
            drop = rng.exponential(900.0)
            t = min(life, drop, 300.0)
            rows.append({"cell": f"{g}{i}", "group": g, "life": fmt_life(t), "failed": int(t == life)})
    sets["weibull_two_groups"] = rows

    # 4. One group entirely censored, one entirely failed (with ties), one mixed.
    rows = [{"cell": f"cens{i}", "group": "all_censored", "life": float(t), "failed": 0}
            for i, t in enumerate([30, 45, 45, 60, 90])]
    rows += [{"cell": f"fail{i}", "group": "all_failed", "life": float(t), "failed": 1}
             for i, t in enumerate([12, 20, 20, 33, 47, 47, 61])]
    rows += [{"cell": f"mix{i}", "group": "mixed", "life": float(t), "failed": e}
             for i, (t, e) in enumerate([(10, 1), (20, 0), (20, 1), (35, 1), (45, 0), (50, 1), (80, 0)])]
    sets["all_censored_all_failed"] = rows

    # 5. Failures and censorings at the same times (failures first), an exact-half median.
    rows = [{"cell": f"x{i}", "group": "x", "life": float(t), "failed": e}
            for i, (t, e) in enumerate([(5, 1), (5, 0), (8, 1), (8, 1), (8, 0), (12, 0), (12, 1), (20, 0)])]
    rows += [{"cell": f"y{i}", "group": "y", "life": float(t), "failed": e}
             for i, (t, e) in enumerate([(4, 1), (6, 1), (6, 0), (9, 1), (9, 1), (15, 0)])]
    rows += [{"cell": f"z{i}", "group": "z", "life": float(t), "failed": e}
             for i, (t, e) in enumerate([(3, 1), (7, 1), (10, 0), (10, 0)])]
    rows += [{"cell": f"h{i}", "group": "half", "life": float(t), "failed": e}
             for i, (t, e) in enumerate([(2, 1), (4, 1), (6, 0), (8, 0)])]  # S(4) = 3/4 * 2/3 = 1/2
    sets["failure_censor_ties"] = rows

    # 6. Six groups in hours with kinds and channels (the channel columns are ignored by lifelines).
    rows = []
    kinds = ["short", "polarization", "fade"]
    for gi in range(6):
        shape = 1.0 + 0.4 * gi
        scale = 100.0 + 20 * gi
        for i in range(int(rng.integers(4, 30))):
            life = scale * rng.weibull(shape)
            stop = rng.uniform(30, 400)
            t = fmt_life(min(life, stop))
            failed = int(life <= stop)
            rows.append({"cell": f"g{gi}c{i}", "group": f"variant-{gi}", "life": t, "failed": failed,
                         "channel": f"ch{int(rng.integers(1, 9))}",
                         "kind": kinds[int(rng.integers(0, 3))] if failed else ""})
    sets["six_groups_hours"] = rows

    # 7. Heavy censoring: 85 % censored, small event counts, Weibull fitted from 3 events.
    rows = []
    for g, n in {"early": 40, "late": 45}.items():
        for i in range(n):
            life = 500.0 * rng.weibull(1.2 if g == "early" else 2.0)
            stop = rng.uniform(20, 260)
            t = fmt_life(min(life, stop))
            rows.append({"cell": f"{g}{i}", "group": g, "life": t, "failed": int(life <= stop)})
    sets["heavy_censoring"] = rows

    # 8. A group whose cells all leave before the first failure anywhere: its log-rank variance
    #    row is zero and the covariance matrix singular (lifelines uses a pseudo-inverse).
    rows = [{"cell": f"s{i}", "group": "a_stopped_early", "life": float(t), "failed": 0}
            for i, t in enumerate([1, 1, 2])]
    rows += [{"cell": f"p{i}", "group": "p", "life": float(t), "failed": e}
             for i, (t, e) in enumerate([(5, 1), (6, 1), (9, 0), (11, 1), (14, 1)])]
    rows += [{"cell": f"q{i}", "group": "q", "life": float(t), "failed": e}
             for i, (t, e) in enumerate([(4, 1), (8, 1), (8, 1), (10, 0), (20, 1)])]
    sets["never_at_risk"] = rows
    return sets


def gamma_table():
    """Regularized incomplete gamma and chi-square tail values from scipy for the Swift tests."""
    cases = []
    for a in [0.5, 1.0, 1.5, 2.0, 4.5, 10.0, 50.0, 200.0]:
        for x in [1e-6, 0.01, 0.5, 1.0, 2.5, 5.0, 9.9, 10.0, 30.0, 60.0, 250.0]:
            cases.append({"a": a, "x": x, "p": float(scipy.special.gammainc(a, x)),
                          "q": float(scipy.special.gammaincc(a, x))})
    chi2 = []
    for df in [1, 2, 3, 5, 9]:
        for x in [0.0, 0.001, 0.5, 3.841458820694124, 7.5, 25.0, 80.0]:
            chi2.append({"df": df, "x": x, "p": float(scipy.stats.chi2.sf(x, df))})
    fisher = []
    for failures, cells, total_failures, total_cells in [(5, 6, 44, 65), (10, 10, 30, 100), (0, 8, 20, 50),
                                                         (3, 12, 3, 40), (7, 9, 12, 60), (2, 2, 2, 2)]:
        # P(X >= failures), X hypergeometric: `cells` drawn from `total_cells` with `total_failures`.
        p = float(scipy.stats.hypergeom.sf(failures - 1, total_cells, total_failures, cells))
        fisher.append({"failures": failures, "cells": cells, "total_failures": total_failures,
                       "total_cells": total_cells, "p": p})
    return {"gamma": cases, "chi2": chi2, "fisher_upper_tail": fisher}


def main():
    sets = make_datasets()
    reference = {"generator": f"lifelines {lifelines.__version__}, scipy {scipy.__version__}, numpy {np.__version__}",
                 "datasets": {}}
    for name, rows in sets.items():
        extra = ("channel", "kind") if "channel" in rows[0] else ()
        write_csv(name, rows, extra)
        reference["datasets"][name] = reference_for(name, rows)
    reference["special"] = gamma_table()
    with open(os.path.join(HERE, "reference.json"), "w") as f:
        json.dump(reference, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
