// The overlay: capacity and CE against cycle for every test of a group or study attribute
// (`attr.KEY=VALUE`, or every value of KEY, one colour per value), to see a group's spread.
// Cycles are asked for a few tests at a time, not all at once.

import { get, getAll, query } from "./api.js";
import * as status from "./status.js";
import { colour } from "./palette.js";

const maxTests = 300, concurrent = 6;

async function cyclesOf(tests) {
  const out = new Array(tests.length);
  let next = 0;
  async function worker() {
    while (next < tests.length) {
      const index = next++;
      try { out[index] = (await get(`/tests/${tests[index].test_id}/cycles`)).cycles; } catch (_) { out[index] = []; }
    }
  }
  await Promise.all(Array.from({ length: concurrent }, worker));
  return out;
}

function chart(canvas, datasets, yTitle) {
  return new Chart(canvas, {
    type: "scatter",
    data: { datasets },
    options: {
      animation: false, maintainAspectRatio: false, parsing: false, normalized: true,
      elements: { point: { radius: 1 }, line: { borderWidth: 1 } },
      scales: { x: { type: "linear", title: { display: true, text: "cycle" } }, y: { type: "linear", title: { display: true, text: yTitle } } },
      plugins: { legend: { labels: { filter: item => datasets[item.datasetIndex].first } } },
    },
  });
}

export async function showOverlay(view, _argument, parameters) {
  const key = parameters.get("attr") ?? "scenario", value = parameters.get("value") ?? "";
  view.innerHTML = `<h2>Overlay per cycle</h2>
    <form class="controls" id="overlay-form">
      <label>attribute <input name="attr" size="14"></label>
      <label>value <input name="value" size="20" placeholder="every value"></label>
      <button>show</button> <span id="overlay-count" class="muted"></span>
    </form>
    <div class="plot"><h3>Discharge capacity (mAh)</h3><div class="chart"><canvas id="overlay-capacity"></canvas></div></div>
    <div class="plot"><h3>Coulombic efficiency (%)</h3><div class="chart"><canvas id="overlay-ce"></canvas></div></div>`;
  const form = view.querySelector("#overlay-form");
  form.elements.attr.value = key;
  form.elements.value.value = value;
  form.addEventListener("submit", e => {
    e.preventDefault();
    location.hash = "#/overlay" + query({ attr: form.elements.attr.value.trim(), value: form.elements.value.value.trim() });
  });

  const filter = value ? query({ [`attr.${key}`]: value }) : "";
  const tests = (await getAll("/tests" + filter, "tests", maxTests)).slice(0, maxTests)
    .filter(t => t.attributes && t.attributes[key] !== undefined);
  const cycles = await cyclesOf(tests);
  const values = [...new Set(tests.map(t => String(t.attributes[key])))].sort();
  const capacity = [], efficiency = [], labelled = new Set();
  let points = 0;
  tests.forEach((test, index) => {
    const group = String(test.attributes[key]), c = colour(values.indexOf(group));
    const first = !labelled.has(group);
    labelled.add(group);
    const list = cycles[index];
    const discharge = list.filter(r => r.discharge_capacity_ah != null).map(r => ({ x: r.cycle_index, y: r.discharge_capacity_ah * 1000 }));
    const ce = list.filter(r => r.coulombic_efficiency != null).map(r => ({ x: r.cycle_index, y: r.coulombic_efficiency * 100 }));
    points += discharge.length;
    const label = `${key}=${group}`;
    capacity.push({ label, data: discharge, borderColor: c, backgroundColor: c, showLine: true, first });
    efficiency.push({ label, data: ce, borderColor: c, backgroundColor: c, showLine: true, first });
  });
  chart(view.querySelector("#overlay-capacity"), capacity, "mAh");
  chart(view.querySelector("#overlay-ce"), efficiency, "%");
  view.querySelector("#overlay-count").textContent = `${tests.length} tests in ${values.length} group${values.length === 1 ? "" : "s"}`;
  status.loaded({ tests: tests.length, groups: values.length, cyclePoints: points });
}
