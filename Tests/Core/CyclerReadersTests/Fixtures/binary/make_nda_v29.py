#!/usr/bin/env python3
"""Writes `nda_v29_synthetic.nda`, a Neware BTSDA 7.x ("version 29") file with invented values,
and `nda_v29_synthetic.expected.json`, what NewareNDA (BSD-3, SES AI) reads from it.

Layout (as NewareNDA's `_read_nda_29` / `_bytes_to_list` / `_aux_bytes_to_list` decode it):
- header: b"NEWARE" at 0, version byte 29 at offset 14, data-section pointer at 64, active mass
  (µg, u32) at 152, "BTSServer…" / client version strings, remarks at 2317..2417. The header is
  2560 bytes and ends with four zero bytes, so the first record is found by the pattern
  00 00 00 00 55 00. A decoy copy of that pattern sits earlier in the header (NewareNDA and our
  reader must both skip it: the 86 bytes after it are not followed by another record).
- 86-byte records: 0x55 0x00 data records and 0x65 <channel> aux records, each ending in four
  zero bytes.

Steps: Rest, CC charge, CV charge, Rest, CC discharge over four cycles, then a CCCV charge
and a CP discharge; one duplicated record (first wins) and one pair written out of order
(NewareNDA sorts by Index). Aux temperature (channel 1) every 5th record, channel 2 a few times.

Also writes `TestFile.expected.json` (the version-130 fixture TestFile.nda) and one
`<name>.expected.json` per `.ndax` fixture: NewareNDA's reading of them, sampled.

Run from this directory: python3 make_nda_v29.py  (needs NewareNDA, pandas for the expected JSON)
"""
import json
import math
import struct
import sys
from datetime import datetime, timedelta

RECORD = 86
HEADER = 2560
NAME = "nda_v29_synthetic.nda"
CURRENT_RANGE = 10  # multiplier 1e-3: current in µA, capacity in µAs, energy in µWs


def header() -> bytearray:
    h = bytearray(HEADER)
    h[0:6] = b"NEWARE"
    h[6:14] = b"20150604"
    h[14] = 29
    struct.pack_into("<II", h, 64, HEADER, 0)  # data section begin, length (0 = to the end)
    struct.pack_into("<I", h, 152, 12345)  # active mass 12.345 mg
    h[300:309] = b"BTSServer"
    h[309:330] = b"(7.6.0.237)".ljust(21, b"\x00")
    h[400:420] = b"BTSClient(7.6.1.276)"
    # Decoy: the record marker inside the header, not followed by a record.
    h[1000:1006] = b"\x00\x00\x00\x00\x55\x00"
    h[1016] = 4  # non-zero "status" so only the next-record check rejects it
    h[2317:2340] = b"synthetic v29 for tests"
    return h


def data_record(index, cycle, step_index, status, step_count, time_ms, voltage_v, current_ma,
                cc_mah, dc_mah, ce_mwh, de_mwh, when: datetime) -> bytes:
    r = bytearray(RECORD)
    r[0] = 0x55
    struct.pack_into("<IIHBB", r, 2, index, cycle, step_index, status, step_count)
    struct.pack_into("<Qii", r, 14, time_ms, round(voltage_v * 10000), round(current_ma * 1000))
    scale = 3600 * 1000  # mAh -> µAs with multiplier 1e-3
    struct.pack_into("<qqqq", r, 38, round(cc_mah * scale), round(dc_mah * scale),
                     round(ce_mwh * scale), round(de_mwh * scale))
    struct.pack_into("<HBBBBB", r, 70, when.year, when.month, when.day, when.hour, when.minute, when.second)
    struct.pack_into("<i", r, 78, CURRENT_RANGE)
    return bytes(r)


def aux_record(channel, index, temperature_c, voltage_v) -> bytes:
    r = bytearray(RECORD)
    r[0] = 0x65
    struct.pack_into("<BI", r, 1, channel, index)
    struct.pack_into("<i", r, 22, round(voltage_v * 10000))
    struct.pack_into("<h", r, 34, round(temperature_c * 10))
    return bytes(r)


def build() -> bytes:
    # (status, step seconds, current mA); status codes as in NewareNDA's state_dict.
    cycle_steps = [(4, 60, 0.0), (1, 600, 2.0), (3, 300, None), (4, 60, 0.0), (2, 660, -2.0)]
    plan = []
    for c in range(4):
        plan += [(c, s) for s in cycle_steps]
    plan += [(4, (7, 900, 1.5)), (4, (8, 600, -1.8)), (5, (4, 120, 0.0))]
    records = []
    index = 0
    start = datetime(2019, 3, 30, 23, 58, 41)  # crosses midnight and a month end
    clock = start
    voltage = 3.0
    cap = {"cc": 0.0, "dc": 0.0, "ce": 0.0, "de": 0.0}
    step_index = 0
    for step_count, (cycle, (status, seconds, current)) in enumerate(plan, start=1):
        step_index += 1
        for k in ("cc", "dc", "ce", "de"):
            cap[k] = 0.0
        dt = 30 if seconds >= 300 else 10
        t = 0
        while t <= seconds:
            index += 1
            if status == 3:  # CV at 4.2 V, current decays
                i = 2.0 * math.exp(-t / 120)
                voltage = 4.2
            elif current is None or current == 0:
                i = 0.0
                voltage += (3.6 - voltage) * 0.05
            else:
                i = current
                voltage += 0.0021 * (1 if current > 0 else -1) * dt / 10
                voltage = min(4.2, max(2.75, voltage))
            if t > 0 and i != 0:
                dq = abs(i) * dt / 3600
                if i > 0:
                    cap["cc"] += dq
                    cap["ce"] += dq * voltage
                else:
                    cap["dc"] += dq
                    cap["de"] += dq * voltage
            records.append(data_record(
                index, cycle, step_index, status, step_count, t * 1000 + (index % 7), round(voltage, 4), round(i, 3),
                cap["cc"], cap["dc"], cap["ce"], cap["de"], clock))
            if index % 5 == 0:
                records.append(aux_record(1, index, 25.0 + 0.1 * (index % 23), 0.0))
            if index % 97 == 0:
                records.append(aux_record(2, index, 31.5 - 0.1 * (index % 11), 1.2345))
            clock += timedelta(seconds=dt)
            t += dt
    # A repeated record (BTSDA writes some twice) and two records swapped.
    def position(i):
        return next(k for k, r in enumerate(records) if r[0] == 0x55 and struct.unpack_from("<I", r, 2)[0] == i)
    records.insert(position(40) + 1, records[position(38)])
    a, b = position(120), position(121)
    records[a], records[b] = records[b], records[a]
    return bytes(header()) + b"".join(records)


def run_lengths(values):
    out = []
    for v in values:
        if out and out[-1][0] == v:
            out[-1][1] += 1
        else:
            out.append([v, 1])
    return out


def expected(path: str, stride: int = 1) -> dict:
    """NewareNDA.read(path) as JSON: Cycle and Step whole (run-length coded), the other
    columns at every `stride`-th row (keeps the JSON of a large file small)."""
    import NewareNDA
    import numpy as np
    df = NewareNDA.read(path)
    rows = list(range(0, len(df), stride))
    if rows[-1] != len(df) - 1:
        rows.append(len(df) - 1)
    s = df.iloc[rows]

    def f32(series):
        return [None if math.isnan(x) else float(x) for x in series.astype("float32")]

    stamps = df["Timestamp"].iloc[rows]
    if getattr(stamps.dt, "tz", None) is not None:
        # Aware (BTS 9.x stores UTC): seconds since the epoch.
        seconds = [x.timestamp() for x in stamps]
        zone = "UTC"
    else:
        # Naive tester wall clock: seconds since 1970-01-01T00:00:00 on that clock.
        epoch = np.datetime64("1970-01-01T00:00:00")
        seconds = [float((np.datetime64(x) - epoch) / np.timedelta64(1, "us")) / 1e6 for x in stamps.values]
        zone = "tester local time"
    return {
        "generator": "make_nda_v29.py; expected values from NewareNDA " + NewareNDA.__version__ + " NewareNDA.read()",
        "rows": len(df),
        "columns": list(df.columns),
        "Cycle_runs": run_lengths([int(x) for x in df["Cycle"]]),
        "Step_runs": run_lengths([int(x) for x in df["Step"]]),
        "sample_rows": rows,
        "Index": [int(x) for x in s["Index"]],
        "Step_Index": [int(x) for x in s["Step_Index"]],
        "Status": [str(x) for x in s["Status"]],
        # NewareNDA keeps these as float32: the test compares Float(our value) with them.
        "float32": {c: f32(s[c]) for c in df.columns if str(df[c].dtype) == "float32"},
        "Timestamp_zone": zone,
        "Timestamp": seconds,
    }


if __name__ == "__main__":
    data = build()
    with open(NAME, "wb") as f:
        f.write(data)
    print(f"wrote {NAME}: {len(data)} bytes")
    if "--no-expected" not in sys.argv:
        with open(NAME.replace(".nda", ".expected.json"), "w") as f:
            json.dump(expected(NAME), f, separators=(",", ":"))
        # The BTS 9.1 fixture (version 130) and the .ndax fixtures, sampled, to check those paths too.
        for fixture, stride in [("TestFile.nda", 20), ("test.ndax", 5), ("nw4-120-1-6-53.ndax", 50),
                                ("123456789012_Unit27_Example_Data_File.ndax", 1)]:
            name = fixture.rsplit(".", 1)[0] + ".expected.json"
            with open(name, "w") as f:
                json.dump(expected(fixture, stride=stride), f, separators=(",", ":"))
        print("wrote expected JSON")
