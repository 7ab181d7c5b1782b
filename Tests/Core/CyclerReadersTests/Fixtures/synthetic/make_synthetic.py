"""Writes the synthetic cycler files used by the tests (no public LAND, BaSyTec multi-cycle or
layered Neware file exists under a permissive licence). Each file comes with an
`.expected.json` computed here, independently of the Swift reader: rows, cycles and per-cycle
charge/discharge capacity in Ah from the instrument-style counters.
Run: python3 make_synthetic.py (deterministic)."""
import json, math, datetime

def steps_plan():
    # (kind, n_records, current_mA) ; discharge-first half cell, 2 full cycles + a final charge
    plan = [("R", 5, 0.0)]
    for _ in range(2):
        plan += [("D_CC", 12, -0.5), ("R", 4, 0.0), ("C_CC", 10, 0.5), ("C_CV", 6, None), ("R", 4, 0.0)]
    plan += [("D_CC", 8, -0.5)]
    return plan

def land():
    rows, t = [], 0.0
    dt = 60.0
    per_cycle, cycle, first_dir, last_dir = {}, 1, None, None
    v = 3.0
    index = 1
    for kind, n, cur in steps_plan():
        d = None if kind == "R" else kind[0]
        if d is not None:
            if first_dir is None: first_dir = d
            if d == first_dir and last_dir is not None and last_dir != d: cycle += 1
            last_dir = d
        cap = 0.0
        step_t = 0.0
        for k in range(n):
            i = cur if cur is not None else 0.5 * math.exp(-k / 2.0)
            if k > 0:
                cap += abs(i) * dt / 3600.0
            step_t = k * dt
            v += (0.01 if i > 0 else -0.01 if i < 0 else 0.0)
            rows.append((index, t / 3600.0, step_t / 3600.0, v, i, cap, kind))
            index += 1
            t += dt
        c = per_cycle.setdefault(cycle, [0.0, 0.0])
        if d == "C": c[0] += round(cap, 4) / 1000.0
        if d == "D": c[1] += round(cap, 4) / 1000.0
    with open("land_synthetic.csv", "w") as f:
        f.write("Index,TestTime/h,StepTime/h,Voltage/V,Current/mA,Capacity/mAh,State\n")
        for r in rows:
            f.write(f"{r[0]},{r[1]:.6f},{r[2]:.6f},{r[3]:.4f},{r[4]:.4f},{r[5]:.4f},{r[6]}\n")
    json.dump({"rows": len(rows), "cycles": sorted(per_cycle), "per_cycle": {str(k): v for k, v in per_cycle.items()},
               "voltage_min_V": round(min(r[3] for r in rows), 4), "voltage_max_V": round(max(r[3] for r in rows), 4),
               "last_test_time_s": round(rows[-1][1], 6) * 3600},
              open("land_synthetic.expected.json", "w"), indent=1)

def basytec():
    start = datetime.datetime(2023, 6, 19, 17, 56, 53)
    lines = ["~Resultfile from Basytec Battery Test System", "~Date and Time of Data Converting: 07.07.2023 10:55:58", "~",
             "~Name of Test: synthetic", "~Battery: cell", "~Testplan: plan.pln", "~Testchannel: 1 CH1",
             "~Start of Test: 19.06.2023 17:56:53", "~End of Test: 20.06.2023 11:05:04", "~",
             "~Time[h]\tDataSet\tt-Step[h]\tLine\tCommand\tU[V]\tI[A]\tAh[Ah]\tAh-Cyc-Charge\tAh-Cyc-Discharge\tT1[\u00b0C]\tCyc-Count\tState"]
    t, ds, ah = 0.0, 1, 0.0
    per_cycle = {}
    rows = 0
    dt = 30.0
    vmin, vmax = 9, -9
    for cyc in (1, 2, 3):
        chg = dis = 0.0
        first = True
        for line, cmd, n, cur in ((3, "Pause", 3, 0.0), (4, "Charge", 8, 1.0), (5, "Pause", 2, 0.0), (6, "Discharge", 8, -1.0)):
            for k in range(n):
                if k > 0 or not first:
                    q = cur * dt / 3600.0
                    if cur > 0: chg += q
                    if cur < 0: dis += q
                    ah += q
                first = False
                u = 3.6 + ah
                vmin, vmax = min(vmin, u), max(vmax, u)
                lines.append(f"{t/3600:.9f}\t{ds}\t{k*dt/3600:.9f}\t{line}\t{cmd}\t{u:.6f}\t{cur:.6f}\t{ah:.9f}\t{chg:.9f}\t{dis:.9f}\t25.1\t{cyc}\t1")
                t += dt; ds += 1; rows += 1
        per_cycle[cyc] = [round(chg, 9), round(-dis, 9)]
    with open("basytec_synthetic.txt", "wb") as f:
        f.write(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    json.dump({"rows": rows, "cycles": [1, 2, 3], "per_cycle": {str(k): v for k, v in per_cycle.items()},
               "first_unix_time_s": (start - datetime.datetime(1970, 1, 1)).total_seconds()},
              open("basytec_synthetic.expected.json", "w"), indent=1)

def neware_layered():
    out = ["Cycle ID,Cap_Chg(mAh),Cap_DChg(mAh),Charge/Discharge Efficiency(%)",
           ",Step ID,Step Name,Step Time(h:min:s.ms),Capacity(mAh)",
           ",,Record ID,Time(h:min:s.ms),Voltage(V),Current(mA),Capacitance_Chg(mAh),Capacitance_DChg(mAh),Realtime"]
    rec, t = 1, 0
    start = datetime.datetime(2024, 1, 1, 10, 0, 0)
    per_cycle, rows = {}, 0
    step_id = 1
    for cyc in (1, 2):
        body = []
        chg_total = dis_total = 0.0
        for name, n, cur in (("CC_Chg", 6, 2.0), ("Rest", 3, 0.0), ("CC_DChg", 6, -2.0), ("Rest", 3, 0.0)):
            recs = []
            cap = 0.0
            for k in range(n):
                if k > 0: cap += abs(cur) * 10 / 3600
                v = 3.5 + (0.05 * k if cur > 0 else -0.05 * k if cur < 0 else 0)
                ts = start + datetime.timedelta(seconds=t)
                c_chg = cap if cur > 0 else 0.0
                c_dis = cap if cur < 0 else 0.0
                recs.append(f",,{rec},00:00:{k*10:02d}.000,{v:.4f},{cur:.4f},{c_chg:.4f},{c_dis:.4f},{ts:%Y-%m-%d %H:%M:%S}")
                rec += 1; t += 10; rows += 1
            if cur > 0: chg_total += round(cap, 4)
            if cur < 0: dis_total += round(cap, 4)
            body.append(f",{step_id},{name},00:00:{(n-1)*10:02d}.000,{cap:.4f}")
            body += recs
            step_id += 1
        per_cycle[cyc] = [chg_total / 1000, dis_total / 1000]
        out.append(f"{cyc},{chg_total:.4f},{dis_total:.4f},{100*dis_total/chg_total:.2f}")
        out += body
    open("neware_layered_synthetic.csv", "w").write("\n".join(out) + "\n")
    json.dump({"rows": rows, "cycles": [1, 2], "per_cycle": {str(k): v for k, v in per_cycle.items()}},
              open("neware_layered_synthetic.expected.json", "w"), indent=1)

land(); basytec(); neware_layered()
