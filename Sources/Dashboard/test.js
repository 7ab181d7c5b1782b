// A test's page: its metadata, voltage against time over the whole test (zoomable, alerts
// marked), capacity and CE per cycle in the units the test allows, and for symmetric cells
// the overpotential of each half-cycle.

import { getAll, get } from "./api.js";
import * as status from "./status.js";
import { voltagePlot } from "./voltage-plot.js";
import { capacityChart, overpotentialChart } from "./cycle-charts.js";
import { capacityUnits, unitPicker } from "./units.js";

function metadata(test) {
  const list = document.createElement("dl");
  list.className = "meta";
  const rows = [
    ["test", test.test_id], ["channel", `${test.agent_id}/${test.channel_id}`], ["cell", test.cell_id],
    ["cell type", test.cell_type], ["state", test.state + (test.end_reason ? ` (${test.end_reason})` : "")],
    ["started", test.started_at], ["ended", test.ended_at], ["samples committed", test.committed_seq],
    ["active mass", test.active_mass_kg ? `${(test.active_mass_kg * 1e6).toPrecision(4)} mg` : null],
    ["electrode area", test.electrode_area_m2 ? `${(test.electrode_area_m2 * 1e4).toPrecision(4)} cm²` : null],
    ["attributes", Object.entries(test.attributes ?? {}).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join(", ")],
  ];
  for (const [name, value] of rows) {
    if (value === null || value === undefined || value === "") continue;
    const term = document.createElement("dt"), detail = document.createElement("dd");
    term.textContent = name; detail.textContent = String(value);
    list.append(term, detail);
  }
  return list;
}

export async function showTest(view, testID, parameters) {
  if (!testID) throw new Error("no test given: open one from the fleet grid");
  const test = await get(`/tests/${encodeURIComponent(testID)}`);
  const heading = document.createElement("h2");
  heading.textContent = `Test ${test.cell_id ?? ""} on ${test.agent_id}/${test.channel_id}`;
  view.append(heading, metadata(test));
  view.insertAdjacentHTML("beforeend", `
    <div class="plot"><h3>Voltage <span class="muted">(drag to zoom, double-click for the whole test)</span></h3><div id="voltage" class="dygraph"></div></div>
    <div class="plot"><h3>Capacity and coulombic efficiency per cycle <span id="unit-slot"></span></h3><div class="chart"><canvas id="capacity"></canvas></div></div>
    <div class="plot" id="overpotential-plot" hidden><h3>Plateau overpotential per half-cycle</h3><div class="chart"><canvas id="overpotential"></canvas></div></div>
    <p id="test-errors" class="error"></p>`);
  const errors = view.querySelector("#test-errors");
  const note = (what, error) => { errors.append(`${what}: ${error.message}. `); };

  const from = Number(parameters.get("from_time")), to = Number(parameters.get("to_time"));
  const window = parameters.has("from_time") && parameters.has("to_time") && to > from ? { from, to } : null;
  const voltage = voltagePlot(view.querySelector("#voltage"), test.test_id, facts => status.loaded(facts), window);
  const alerts = getAll(`/alerts?test=${test.test_id}`, "alerts", 5000);
  const cycles = get(`/tests/${test.test_id}/cycles`);

  const [plot, alertList, cycleDocument] = await Promise.allSettled([voltage, alerts, cycles]);
  if (plot.status === "rejected") { note("voltage", plot.reason); status.loaded({ points: 0 }); }
  if (alertList.status === "fulfilled") {
    status.loaded({ alerts: alertList.value.length });
    if (plot.status === "fulfilled") plot.value.setAlerts(alertList.value);
  } else note("alerts", alertList.reason);

  if (cycleDocument.status === "fulfilled") {
    const list = cycleDocument.value.cycles;
    const units = capacityUnits(test);
    const redraw = capacityChart(view.querySelector("#capacity"), list, units[0]);
    view.querySelector("#unit-slot").append(unitPicker(units, redraw));
    const facts = { cycles: list.length, units: units.map(u => u.key).join(" ") };
    if (test.cell_type === "symmetric") {
      view.querySelector("#overpotential-plot").hidden = false;
      facts.overpotentialPoints = overpotentialChart(view.querySelector("#overpotential"), list);
    }
    status.loaded(facts);
  } else note("cycles", cycleDocument.reason);
  if (errors.textContent) status.failed(new Error(errors.textContent.trim()));
}
