"""Writes the hand-made .xlsx fixtures used by BinaryXLSXTests (run: python3 make_synthetic_xlsx.py).

The XML is written by hand (not by a spreadsheet library) so that each feature the reader must
handle appears on purpose: shared and inline strings, rich-text runs, booleans, error cells,
self-closing empty cells, rows and cells with gaps in their `r` references, a namespace prefix,
entities, date-styled numbers, an Arbin-style test split over two sheets, and a LAND record
sheet split over three (continuation sheets without a header row).
"""
import zipfile

ROOT_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
             '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')

def content_types(n, shared):
    sml = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    parts = f'<Override PartName="/xl/workbook.xml" ContentType="{sml}.sheet.main+xml"/>'
    parts += f'<Override PartName="/xl/styles.xml" ContentType="{sml}.styles+xml"/>'
    if shared:
        parts += f'<Override PartName="/xl/sharedStrings.xml" ContentType="{sml}.sharedStrings+xml"/>'
    parts += ''.join(f'<Override PartName="/xl/worksheets/s{i+1}.xml" ContentType="{sml}.worksheet+xml"/>' for i in range(n))
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            f'<Default Extension="xml" ContentType="application/xml"/>{parts}</Types>')

def workbook(names):
    sheets = ''.join(f'<sheet name="{n}" sheetId="{i+1}" r:id="rId{i+1}"/>' for i, n in enumerate(names))
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<sheets>{sheets}</sheets></workbook>')

def rels(names):
    # Targets deliberately not in sheet order, to prove the reader follows the relationships.
    items = ''.join(f'<Relationship Id="rId{i+1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/s{len(names)-i}.xml"/>'
                    for i in range(len(names)))
    return f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{items}</Relationships>'

STYLES = '''<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd\\ hh:mm:ss"/></numFmts>
<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="164" applyNumberFormat="1"/><xf numFmtId="2"/></cellXfs></styleSheet>'''

def sheet(rows, prefix=''):
    p = f'{prefix}:' if prefix else ''
    ns = f' xmlns:{prefix}="http://schemas.openxmlformats.org/spreadsheetml/2006/main"' if prefix else ' xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    return f'<?xml version="1.0" encoding="UTF-8"?><{p}worksheet{ns}><{p}sheetData>{rows}</{p}sheetData></{p}worksheet>'

def write(path, names, sheets, shared):
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('[Content_Types].xml', content_types(len(names), shared is not None))
        z.writestr('_rels/.rels', ROOT_RELS)
        z.writestr('xl/workbook.xml', workbook(names))
        z.writestr('xl/_rels/workbook.xml.rels', rels(names))
        z.writestr('xl/styles.xml', STYLES)
        if shared is not None:
            z.writestr('xl/sharedStrings.xml', shared)
        for i, s in enumerate(sheets):
            z.writestr(f'xl/worksheets/s{len(names)-i}.xml', s)

# LAND-style workbook: Record (data), Mode, Cycle.
shared = ('<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="6" uniqueCount="6">'
          '<si><t>Index</t></si><si><t>Current/mA</t></si><si><t>Voltage/V</t></si>'
          '<si><r><t>Sys</t></r><r><rPr><b/></rPr><t>Time</t></r><rPh sb="0" eb="3"><t>ignored</t></rPh></si>'
          '<si><t xml:space="preserve">CC_DChg </t></si><si><t>R&amp;D &#x3bc;A</t></si></sst>')
record = sheet(
    '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c>'
    '<c r="D1" t="s"><v>3</v></c><c r="E1" t="inlineStr"><is><t>State</t></is></c><c r="F1" t="inlineStr"><is><t>Flag</t></is></c></row>'
    '<row r="2"><c r="A2"><v>1</v></c><c r="B2"><v>-0.5</v></c><c r="C2"><v>3.2501</v></c><c r="D2" s="1"><v>45000.5</v></c>'
    '<c r="E2" t="s"><v>4</v></c><c r="F2" t="b"><v>1</v></c></row>'
    '<row r="3" spans="1:6"><c r="A3"><v>2</v></c><c r="C3"><v>3.2e0</v></c><c r="D3" s="1"><v>45000.50001157407</v></c>'
    '<c r="E3" t="inlineStr"><is><r><t>C</t></r><r><t>V</t></r></is></c><c r="F3" t="e"><v>#N/A</v></c></row>'
    '<row r="4"/>'
    '<row r="7"><c r="A7"><v>3</v></c><c r="B7" s="2"/><c r="C7"><f>C3+0</f><v>1.5E-3</v></c><c r="E7" t="s"><v>5</v></c><c r="F7" t="b"><v>0</v></c></row>',
    prefix='x')
mode = sheet('<row r="1"><c r="A1" t="inlineStr"><is><t>Mode</t></is></c></row>')
cycle = sheet('<row r="1"><c r="A1" t="inlineStr"><is><t>Cycle</t></is></c></row><row r="2"><c r="A2"><v>1</v></c></row>')
write('land_synthetic.xlsx', ['Record', 'Mode', 'Cycle'], [record, mode, cycle], shared)

# Arbin-style: Global_Info + a test split over Channel_3_1 and Channel_3_2 (+ a RawData copy),
# the second part with its columns in another order.
glob = sheet('<row r="1"><c r="A1" t="inlineStr"><is><t>Channel</t></is></c><c r="B1" t="inlineStr"><is><t>Start DateTime</t></is></c></row>'
             '<row r="2"><c r="A2"><v>3</v></c><c r="B2" s="1"><v>44123.5</v></c></row>')
def part(first, n, swap=False):
    head = ('<row r="1"><c r="A1" t="inlineStr"><is><t>Data_Point</t></is></c><c r="B1" t="inlineStr"><is><t>Voltage(V)</t></is></c></row>'
            if not swap else
            '<row r="1"><c r="A1" t="inlineStr"><is><t>Voltage(V)</t></is></c><c r="B1" t="inlineStr"><is><t>Data_Point</t></is></c></row>')
    rows = ''
    for k in range(n):
        i = first + k
        v = 3.0 + i / 1000
        a, b = (i, v) if not swap else (v, i)
        rows += f'<row r="{k+2}"><c r="A{k+2}"><v>{a}</v></c><c r="B{k+2}"><v>{b}</v></c></row>'
    return sheet(head + rows)
write('arbin_split_synthetic.xlsx', ['Global_Info', 'Channel_3_1', 'Channel_3_2', 'RawData_3_1'],
      [glob, part(1, 5), part(6, 4, swap=True), part(1, 5)], None)

# LAND symmetric cell (Li|LGPS|Li style, discharge first) whose Record sheet is split over
# 'Record', 'Record1', 'Record2': only the first sheet has a header row, as LAND writes them.
# Cycle sheet: the all-zero Index 0 row, then one row per discharge/charge pair.
def cell(ref, v):
    return f'<c r="{ref}" t="inlineStr"><is><t>{v}</t></is></c>' if isinstance(v, str) else f'<c r="{ref}"><v>{v!r}</v></c>'
def land_rows(records, first_row):
    out = ''
    for k, rec in enumerate(records):
        r = first_row + k
        out += f'<row r="{r}">' + ''.join(cell(f'{"ABCDEFG"[j]}{r}', v) for j, v in enumerate(rec)) + '</row>'
    return out
land_header = ['Index', 'TestTime/h', 'StepTime/h', 'Voltage/V', 'Current/mA', 'Capacity/mAh', 'State']
land_records, index, t = [], 1, 0.0
def land_step(state, current, volts, n, step_h=0.05):
    global index, t
    for k in range(n):
        cap = round(abs(current) * step_h * (k + 1), 6) if current else 0.0
        land_records.append([index, round(t, 6), round(step_h * (k + 1), 6), volts + 0.001 * k, current, cap, state])
        index += 1
        t += step_h
land_step('R', 0.0, 0.002, 2)
land_cycles = []
for c in range(3):
    land_step('D_CC', -0.1, -0.020 - 0.002 * c, 5)
    land_step('C_CC', 0.1, 0.021 + 0.002 * c, 4 + (c == 2))
    land_cycles.append((round(0.1 * 0.05 * (4 + (c == 2)), 6), round(0.1 * 0.05 * 5, 6)))
head_row = '<row r="1">' + ''.join(cell(f'{"ABCDEFG"[j]}1', v) for j, v in enumerate(land_header)) + '</row>'
cycle_rows = land_rows([['Index', 'Charge-Cap/mAh', 'Discharge-Cap/mAh', 'Efficiency/%'], [0, 0, 0, 0]]
                       + [[c + 1, ch, dis, round(100 * ch / dis, 2)] for c, (ch, dis) in enumerate(land_cycles)], 1)
write('land_split_synthetic.xlsx', ['Record', 'Record1', 'Record2', 'Mode', 'Cycle'],
      [sheet(head_row + land_rows(land_records[:12], 2)), sheet(land_rows(land_records[12:24], 1)),
       sheet(land_rows(land_records[24:], 1)), mode, sheet(cycle_rows)], None)

# A zip bomb shaped like a workbook: xl/workbook.xml inflates to 16 MiB of zeros (~16 KiB on disk).
with zipfile.ZipFile('zip_bomb.xlsx', 'w', zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    with z.open('xl/workbook.xml', 'w') as f:
        for _ in range(16):
            f.write(bytes(1 << 20))

# Cell references out of order in the header row (found by the fuzzer: sizing the header by its
# last cell trapped). Data cells are out of order too.
unordered = sheet('<row r="1"><c r="C1" t="inlineStr"><is><t>c</t></is></c><c r="A1" t="inlineStr"><is><t>a</t></is></c></row>'
                  '<row r="2"><c r="C2"><v>3</v></c><c r="A2"><v>1</v></c><c r="B2"><v>2</v></c></row>')
write('unordered_cells.xlsx', ['Sheet1'], [unordered], None)
