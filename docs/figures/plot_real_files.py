# Draws docs/figures/real-files-verdicts.png from BDF CSVs written by `cellfleet convert FILE --bdf /tmp/bdf/NAME.csv` (run in /tmp/bdf; matplotlib in a venv).
import csv, matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
files = ["gcpl.pr_182.1.mpt.csv", "test.ndax.csv", "250116_kigr_gen6_01_02_GCPL_CD8.mpr.csv", "gcpl.csv", "nw4-120-1-6-53.ndax.csv"]
fig, axes = plt.subplots(len(files), 1, figsize=(11, 14))
for ax, f in zip(axes, files):
    t=[];v=[];i=[]
    for r in csv.DictReader(open(f)):
        t.append(float(r["test_time_second"])/3600); v.append(float(r["voltage_volt"])); i.append(float(r["current_ampere"]))
    ax.plot(t, v, lw=0.6, color="C0"); ax.set_ylabel("V"); ax.set_title(f, fontsize=9)
    a2=ax.twinx(); a2.plot(t, [x*1000 for x in i], lw=0.4, color="C1", alpha=0.6); a2.set_ylabel("mA")
    if f.startswith("test.ndax"): ax.axhline(0.5, color="r", ls="--", lw=0.8); ax.axhline(2.0, color="gray", ls=":", lw=0.8)
    if f.startswith("gcpl.pr"): ax.axhline(0.003, color="r", ls="--", lw=0.8)
axes[-1].set_xlabel("test time (h)")
plt.tight_layout(); plt.savefig("/tmp/real-files.png", dpi=80)
