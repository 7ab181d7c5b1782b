"""Writes a LAND-shaped .xlsx of a long symmetric-cell test for `cellfleet bench parse`
(no public LAND file of realistic length exists): Record (split over Record, Record1, … past
RECORDS_PER_SHEET rows, continuation sheets without a header, as LAND writes them), Mode and
Cycle sheets. Written with openpyxl, as a spreadsheet library would, unlike the hand-made test
fixtures.

    python3 make_land_workbook.py OUT.xlsx [RECORDS]
"""
import sys
from datetime import datetime, timedelta
from openpyxl import Workbook

out = sys.argv[1]
records = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
RECORDS_PER_SHEET = 65_000  # LAND's .xls-era limit, kept by its .xlsx export

wb = Workbook(write_only=True)
header = ['Index', 'TestTime/h', 'StepTime/h', 'Voltage/V', 'Current/mA', 'Capacity/mAh', 'Energy/mWh', 'SysTime', 'State']
sheet = wb.create_sheet('Record')
sheet.append(header)
sheet_number, in_sheet = 0, 0
cycles = []  # (charge, discharge) mAh per cycle, the last one possibly partial
START = datetime(2024, 3, 1, 8, 0, 0)
step_h, per_step = 10 / 3600, 360  # 10 s logging, 1 h half cycles at 0.1 mA
t, index = 0.0, 1
state_cycle = [('D_CC', -0.1), ('C_CC', 0.1)]
step = 0
while index <= records:
    state, current = state_cycle[step % 2]
    cap = 0.0
    for k in range(per_step):
        if index > records:
            break
        if in_sheet == RECORDS_PER_SHEET:
            sheet_number += 1
            sheet = wb.create_sheet(f'Record{sheet_number}')
            in_sheet = 0
        cap += abs(current) * step_h
        volts = (0.02 + 1e-6 * index) * (1 if current > 0 else -1)
        clock = (START + timedelta(seconds=round(t * 3600))).strftime('%Y-%m-%d %H:%M:%S')
        sheet.append([index, round(t, 6), round((k + 1) * step_h, 6), round(volts, 6), current, round(cap, 6), round(cap * abs(volts), 6), clock, state])
        index += 1
        in_sheet += 1
        t += step_h
    if step % 2 == 0:
        cycles.append([0.0, round(cap, 6)])
    else:
        cycles[-1][0] = round(cap, 6)
    step += 1
wb.create_sheet('Mode').append(['Step', 'Mode'])
cycle = wb.create_sheet('Cycle')
cycle.append(['Index', 'Charge-Cap/mAh', 'Discharge-Cap/mAh', 'Efficiency/%'])
cycle.append([0, 0, 0, 0])
for c, (charge, discharge) in enumerate(cycles):
    cycle.append([c + 1, charge, discharge, round(100 * charge / discharge, 2) if discharge else 0])
wb.save(out)
print(out, records, 'records,', sheet_number + 1, 'record sheets,', len(cycles), 'cycles')
