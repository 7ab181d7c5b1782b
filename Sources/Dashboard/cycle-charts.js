// Per-cycle plots (Chart.js): charge and discharge capacity with coulombic efficiency on a
// second axis, and for symmetric cells the plateau overpotential of each half-cycle.

import { colour } from "./palette.js";

const percent = value => value === null || value === undefined ? null : value * 100;

function points(cycles, key, scale = 1) {
  return cycles.filter(c => c[key] !== null && c[key] !== undefined).map(c => ({ x: c.cycle_index, y: c[key] * scale }));
}

function lineOptions(yTitle, extraScales = {}) {
  return {
    animation: false, maintainAspectRatio: false, parsing: false, normalized: true,
    interaction: { mode: "nearest", intersect: false },
    elements: { point: { radius: 1.5 }, line: { borderWidth: 1.5 } },
    scales: {
      x: { type: "linear", title: { display: true, text: "cycle" } },
      y: { type: "linear", title: { display: true, text: yTitle } },
      ...extraScales,
    },
  };
}

/** Capacity (in `unit`) and CE against cycle; returns a function that redraws in another unit. */
export function capacityChart(canvas, cycles, unit) {
  const datasets = scaleUnit => [
    { label: `charge capacity (${scaleUnit.label})`, data: points(cycles, "charge_capacity_ah", scaleUnit.scale), borderColor: colour(0), backgroundColor: colour(0), showLine: true, yAxisID: "y" },
    { label: `discharge capacity (${scaleUnit.label})`, data: points(cycles, "discharge_capacity_ah", scaleUnit.scale), borderColor: colour(1), backgroundColor: colour(1), showLine: true, yAxisID: "y" },
    { label: "coulombic efficiency (%)", data: cycles.filter(c => c.coulombic_efficiency != null).map(c => ({ x: c.cycle_index, y: percent(c.coulombic_efficiency) })), borderColor: colour(2), backgroundColor: colour(2), showLine: true, yAxisID: "ce" },
  ];
  const chart = new Chart(canvas, {
    type: "scatter",
    data: { datasets: datasets(unit) },
    options: lineOptions(`capacity (${unit.label})`, {
      ce: { type: "linear", position: "right", title: { display: true, text: "CE (%)" }, grid: { drawOnChartArea: false } },
    }),
  });
  return next => {
    chart.data.datasets = datasets(next);
    chart.options.scales.y.title.text = `capacity (${next.label})`;
    chart.update();
  };
}

/** The charge and discharge plateau overpotentials of a symmetric cell, in mV. */
export function overpotentialChart(canvas, cycles) {
  const charge = points(cycles, "charge_plateau_overpotential_v", 1000);
  const discharge = points(cycles, "discharge_plateau_overpotential_v", 1000);
  new Chart(canvas, {
    type: "scatter",
    data: {
      datasets: [
        { label: "charge (stripping) half-cycle", data: charge, borderColor: colour(3), backgroundColor: colour(3), showLine: true },
        { label: "discharge (plating) half-cycle", data: discharge, borderColor: colour(4), backgroundColor: colour(4), showLine: true },
      ],
    },
    options: lineOptions("plateau overpotential (mV)"),
  });
  return charge.length + discharge.length;
}
