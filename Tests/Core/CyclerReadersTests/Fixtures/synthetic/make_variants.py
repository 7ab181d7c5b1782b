"""Writes synthetic cycler exports in the layouts of variants labs hold back (issue 11): a Maccor
tab-separated export with a metadata block above a header of unit-less names (`Test Time (sec)`,
`Capacity`, `Current`, `Voltage`, `MD`), the same without `Rec#`, a Neware BTSDA layered export
whose cycle layer is in Ah (`Chg. Cap.(Ah)`, `Chg.-DChg. Eff(%)`) and whose record layer has
`Total Time`, `Current(A)`, `Voltage(V)`, and an export of a rig no profile knows (for role
inference and `cellfleet profile suggest`). Values are invented. Each file gets an
`.expected.json` computed here, independently of the Swift reader: rows, cycles, per-cycle
charge/discharge capacity in Ah, first/last test time in s, first Unix time, voltage range, and
a few records in SI units with positive current = charge.
Run: python3 make_variants.py (deterministic)."""
import datetime, json

EPOCH = datetime.datetime(1970, 1, 1)
START = datetime.datetime(2024, 3, 11, 9, 12, 5)


def plan():
    # (state, records, current magnitude in A); 30 s between records; two cycles
    steps = [("R", 4, 0.0)]
    for _ in range(2):
        steps += [("C", 10, 1.5), ("R", 4, 0.0), ("D", 10, 1.5), ("R", 4, 0.0)]
    return steps


def records():
    """One dict per record: test time, step time, step, cycle, state, signed current (A), voltage, step capacity (Ah), step energy (Wh)."""
    out, t, step_no, cycle = [], 0.0, 0, 1
    v = 3.40
    seen_discharge = False
    for state, n, amps in plan():
        step_no += 1
        if state == "C" and seen_discharge:
            cycle += 1
            seen_discharge = False
        if state == "D":
            seen_discharge = True
        cap = energy = 0.0
        for k in range(n):
            signed = amps if state == "C" else -amps if state == "D" else 0.0
            if k > 0:
                cap += amps * 30 / 3600
                energy += amps * 30 / 3600 * v
            if state == "C": v += 0.05
            if state == "D": v -= 0.05
            out.append(dict(t=t, st=k * 30.0, step=step_no, cycle=cycle, state=state, i=signed, v=round(v, 4),
                            cap=round(cap, 6), e=round(energy, 6)))
            t += 30.0
    return out


def expectation(recs, fmt, first_unix=None):
    per = {}
    # capacity restarts at every step: a cycle's charge is the sum of its charge steps' final values
    last = {}
    for r in recs:
        last[(r["cycle"], r["step"], r["state"])] = r["cap"]
    for (cycle, _, state), cap in last.items():
        c = per.setdefault(cycle, [0.0, 0.0])
        if state == "C": c[0] += cap
        if state == "D": c[1] += cap
    picks = [0, 5, 20, len(recs) - 1]
    return {
        "format": fmt, "rows": len(recs), "cycles": sorted(per), "per_cycle": {str(k): v for k, v in per.items()},
        "first_test_time_s": recs[0]["t"], "last_test_time_s": recs[-1]["t"],
        "first_unix_time_s": first_unix, "voltage_min_V": min(r["v"] for r in recs), "voltage_max_V": max(r["v"] for r in recs),
        "records": [{"index": k, "test_time_s": recs[k]["t"], "voltage_V": recs[k]["v"], "current_A": recs[k]["i"]} for k in picks],
    }


def clock(t):
    return START + datetime.timedelta(seconds=t)


def maccor(with_rec):
    recs = records()
    lines = [
        "Today's Date\t03/14/2024 10:02:41 AM",
        "Date of Test:\t03/11/2024 09:12:05 AM",
        "Filename:\tC:\\Data\\LAB-CELL-042.001",
        "Procedure:\tcycle_1C_2x.000",
        "Comment/Barcode:\tNMC811 pouch 042, 25 degC chamber",
        "",
    ]
    names = ["Cyc#", "Step", "Test Time (sec)", "Step Time (sec)", "Capacity", "Energy", "Current", "Voltage", "MD", "ES", "DPt Time"]
    if with_rec: names = ["Rec#"] + names
    lines.append("\t".join(names))
    for k, r in enumerate(recs):
        # Maccor writes the current's magnitude; MD says which way it flows. ES 0 within a step, 133 at its end.
        es = "133" if k + 1 == len(recs) or recs[k + 1]["step"] != r["step"] else "0"
        fields = [str(r["cycle"]), str(r["step"]), f"{r['t']:.2f}", f"{r['st']:.2f}", f"{r['cap']:.6f}", f"{r['e']:.6f}",
                  f"{abs(r['i']):.4f}", f"{r['v']:.4f}", r["state"], es, clock(r["t"]).strftime("%m/%d/%Y %H:%M:%S")]
        if with_rec: fields = [str(k + 1)] + fields
        lines.append("\t".join(fields))
    name = "maccor_metadata_tab" if with_rec else "maccor_metadata_no_rec"
    open(name + ".txt", "w", newline="").write("\r\n".join(lines) + "\r\n")
    json.dump(expectation(recs, "maccor_txt", (START - EPOCH).total_seconds()), open(name + ".expected.json", "w"), indent=1)


def hms(seconds):
    h, rest = divmod(int(seconds), 3600)
    m, s = divmod(rest, 60)
    return f"{h:02d}:{m:02d}:{s:02d}"


def neware_layered_ah():
    recs = records()
    out = ["Cycle ID,Chg. Cap.(Ah),DChg. Cap.(Ah),Chg.-DChg. Eff(%),Chg. Energy(Wh),DChg. Energy(Wh)",
           ",Step ID,Step Type,Step Time,Capacity(Ah),Energy(Wh),Start Voltage(V),End Voltage(V)",
           ",,Record ID,Total Time,Current(A),Voltage(V),Capacity(Ah),Energy(Wh),Realtime"]
    type_name = {"C": "CC Chg", "D": "CC DChg", "R": "Rest"}
    exp = expectation(recs, "neware_csv_layered", (START - EPOCH).total_seconds())
    for cycle in sorted({r["cycle"] for r in recs}):
        in_cycle = [r for r in recs if r["cycle"] == cycle]
        chg, dchg = exp["per_cycle"][str(cycle)]
        out.append(f"{cycle},{chg:.6f},{dchg:.6f},{100 * dchg / chg:.2f},0.000000,0.000000")
        for step in sorted({r["step"] for r in in_cycle}):
            rs = [r for r in in_cycle if r["step"] == step]
            out.append(f",{step},{type_name[rs[0]['state']]},{hms(rs[-1]['st'])},{rs[-1]['cap']:.6f},{rs[-1]['e']:.6f},{rs[0]['v']:.4f},{rs[-1]['v']:.4f}")
            for r in rs:
                index = recs.index(r) + 1
                out.append(f",,{index},{hms(r['t'])},{r['i']:.4f},{r['v']:.4f},{r['cap']:.6f},{r['e']:.6f},{clock(r['t']):%Y-%m-%d %H:%M:%S}")
    open("neware_btsda_layered_ah.csv", "w").write("\n".join(out) + "\n")
    json.dump(exp, open("neware_btsda_layered_ah.expected.json", "w"), indent=1)


def unknown_rig():
    """A rig no profile knows: semicolons, decimal comma, a comment block, units in brackets, current in mA."""
    recs = records()
    lines = ["# Rig 3 logger export", "# cell: coin-17", "# operator: synthetic", ""]
    lines.append("Elapsed Time [s];Cell Voltage [V];Cell Current [mA];Q [mAh];Cycle;Temperature [°C]")
    for r in recs:
        # a coin cell: 1000 times smaller current than the pouch above
        lines.append(";".join([f"{r['t']:.1f}", f"{r['v']:.4f}", f"{r['i']:.4f}", f"{r['cap']:.6f}", str(r["cycle"]), "25,0"]).replace(".", ","))
    open("rig3_unknown_logger.csv", "w").write("\n".join(lines) + "\n")
    exp = expectation(recs, None, None)
    for rec in exp["records"]: rec["current_A"] = rec["current_A"] / 1000
    exp["per_cycle"] = {k: [v[0] / 1000, v[1] / 1000] for k, v in exp["per_cycle"].items()}
    json.dump(exp, open("rig3_unknown_logger.expected.json", "w"), indent=1)


maccor(True); maccor(False); neware_layered_ah(); unknown_rig()
