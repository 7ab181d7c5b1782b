// The survival page: Kaplan–Meier curves per group as step lines with their confidence bands,
// the Weibull fit of each group as a dashed line, and the log-rank p across the groups, from
// GET /stats (the report `cellfleet stats --input --json` prints: groups → {n, events, km:
// [{time, survival, lower, upper, …}], median…, weibull: {shape, scale, …}}, logrank: {p, …}).

import { get, query } from "./api.js";
import * as status from "./status.js";
import { colour } from "./palette.js";

function translucent(hex, alpha) {
  const value = parseInt(hex.slice(1), 16);
  return `rgba(${value >> 16}, ${(value >> 8) & 255}, ${value & 255}, ${alpha})`;
}

/** The curve from time 0 (survival 1) through each row; a band's edge likewise. */
function steps(km, key) {
  return [{ x: 0, y: 1 }].concat(km.filter(r => r[key] !== null).map(r => ({ x: r.time, y: r[key] })));
}

function weibullLine(fit, end) {
  const line = [];
  for (let i = 0; i <= 100; i++) {
    const t = end * i / 100;
    line.push({ x: t, y: Math.exp(-Math.pow(t / fit.scale, fit.shape)) });
  }
  return line;
}

const format = (value, digits = 3) => value === null || value === undefined ? "—" : Number(value).toPrecision(digits);

export async function showSurvival(view, _argument, parameters) {
  const groupBy = parameters.get("group_by") ?? "scenario";
  const event = parameters.get("event") ?? "fail", unit = parameters.get("unit") ?? "cycles";
  view.innerHTML = `<h2>Survival</h2>
    <form class="controls" id="survival-form">
      <label>group by attribute <input name="group_by" size="14"></label>
      <label>event <select name="event"><option value="fail">first fail alert</option><option value="soh80">state of health below 80 %</option></select></label>
      <label>life in <select name="unit"><option>cycles</option><option>hours</option></select></label>
      <button>show</button>
    </form>
    <p id="logrank"></p>
    <div class="plot"><div class="chart" style="height:420px"><canvas id="survival"></canvas></div></div>
    <table><thead><tr><th>group</th><th>tests</th><th>events</th><th>censored</th><th>median (95 % CI)</th><th>Weibull shape</th><th>Weibull scale</th><th>B10</th></tr></thead><tbody id="groups"></tbody></table>`;
  const form = view.querySelector("#survival-form");
  form.elements.group_by.value = groupBy;
  form.elements.event.value = event;
  form.elements.unit.value = unit;
  form.addEventListener("submit", e => {
    e.preventDefault();
    location.hash = "#/survival" + query({ group_by: form.elements.group_by.value.trim(), event: form.elements.event.value, unit: form.elements.unit.value });
  });

  const report = await get("/stats" + query({ group_by: groupBy, event, unit }));
  const groups = Object.entries(report.groups ?? {});
  const end = Math.max(1, ...groups.flatMap(([, g]) => (g.km ?? []).map(r => r.time)));
  const datasets = [];
  const table = view.querySelector("#groups");
  groups.forEach(([name, group], index) => {
    const c = colour(index), km = group.km ?? [];
    // Upper edge filled down to the lower edge (the next dataset): the band.
    datasets.push({ label: `${name} upper`, data: steps(km, "upper"), stepped: "before", borderWidth: 0, pointRadius: 0,
                    borderColor: "transparent", backgroundColor: translucent(c, 0.15), fill: "+1", band: true });
    datasets.push({ label: `${name} lower`, data: steps(km, "lower"), stepped: "before", borderWidth: 0, pointRadius: 0,
                    borderColor: "transparent", fill: false, band: true });
    datasets.push({ label: `${name} (n=${group.n}, ${group.events} events)`, data: steps(km, "survival"), stepped: "before",
                    borderColor: c, backgroundColor: c, borderWidth: 2, pointRadius: 0 });
    if (group.weibull && group.weibull.scale > 0 && group.weibull.shape > 0) {
      datasets.push({ label: `${name} Weibull`, data: weibullLine(group.weibull, end), borderColor: c, borderDash: [6, 4],
                      borderWidth: 1.5, pointRadius: 0, fill: false });
    }
    const tr = document.createElement("tr");
    for (const text of [name, group.n, group.events, group.censored,
                        `${format(group.median)} (${format(group.median_lower)} – ${format(group.median_upper)})`,
                        format(group.weibull?.shape), format(group.weibull?.scale), format(group.weibull?.b10)]) {
      const td = document.createElement("td");
      td.textContent = text ?? "";
      tr.append(td);
    }
    if (group.weibull_note || group.weibull?.indicative_only) tr.title = group.weibull_note ?? "Weibull fit indicative only (fewer than 5 events)";
    table.append(tr);
  });

  new Chart(view.querySelector("#survival"), {
    type: "scatter",
    data: { datasets: datasets.map(d => ({ showLine: true, ...d })) },
    options: {
      animation: false, maintainAspectRatio: false, parsing: false,
      scales: {
        x: { type: "linear", min: 0, title: { display: true, text: `life (${unit})` } },
        y: { type: "linear", min: 0, max: 1, title: { display: true, text: "survival" } },
      },
      plugins: {
        legend: { labels: { filter: item => !datasets[item.datasetIndex].band } },
        tooltip: { filter: item => !datasets[item.datasetIndex].band },
      },
    },
  });
  const logrank = view.querySelector("#logrank");
  logrank.textContent = report.logrank
    ? `${report.logrank.test}: χ² = ${format(report.logrank.chi2)}, df = ${report.logrank.df}, p = ${format(report.logrank.p)}`
    : "log-rank: needs at least two groups";
  status.loaded({ groups: groups.length, curvePoints: groups.reduce((sum, [, g]) => sum + (g.km?.length ?? 0), 0),
                  logrankP: report.logrank?.p ?? "none" });
}
