"""lifelines on a lives CSV (`cellfleet stats --lives-csv`): Kaplan-Meier per group, Weibull from
3 failures, the log-rank test across groups, as JSON on stdout. The conventions are those of
Tests/Core/CellStatisticsTests/Fixtures/make_reference.py (the statistics core's reference)."""
import json
import math
import sys

import pandas
from lifelines import KaplanMeierFitter, WeibullFitter
from lifelines.statistics import logrank_test, multivariate_logrank_test

lives = pandas.read_csv(sys.argv[1], dtype={"cell": str, "group": str})
out = {"groups": {}}
for group, rows in sorted(lives.groupby("group"), key=lambda item: item[0]):
    T, E = rows["life"].astype(float).tolist(), rows["failed"].astype(int).tolist()
    kmf = KaplanMeierFitter(alpha=0.05).fit(T, E)
    ci = kmf.confidence_interval_.values
    km = [{"time": float(t), "survival": float(s), "lower": float(lo), "upper": float(up)}
          for t, s, (lo, up) in zip(kmf.timeline, kmf.survival_function_.values[:, 0], ci)]
    median = kmf.median_survival_time_
    entry = {"n": len(T), "events": int(sum(E)), "km": km,
             "median": None if math.isinf(median) else float(median)}
    if sum(E) >= 3:
        wf = WeibullFitter(alpha=0.05).fit(T, E)
        entry["weibull"] = {"shape": float(wf.rho_), "scale": float(wf.lambda_), "b10": float(wf.percentile(0.9))}
    out["groups"][group] = entry
groups = sorted(out["groups"])
if len(groups) >= 2:
    result = multivariate_logrank_test(lives["life"].astype(float), lives["group"], lives["failed"].astype(int))
    out["logrank"] = {"chi2": float(result.test_statistic), "df": int(result.degrees_of_freedom), "p": float(result.p_value)}
    if len(groups) == 2:
        a, b = (lives[lives["group"] == g] for g in groups)
        two = logrank_test(a["life"], b["life"], a["failed"], b["failed"])
        out["logrank"]["two_sample_p"] = float(two.p_value)
print(json.dumps(out))
