// Voltage against test time (dygraphs) over the whole test from the downsampling endpoint
// (`points=2000`); a zoom asks again for the visible range only, so a months-long test shows
// its single samples when zoomed far enough. The overview is kept outside the zoomed range, so
// double-click (unzoom) shows the whole test again. Alerts are drawn as lines at their test
// time and as annotations on the nearest plotted point.

import { get, query } from "./api.js";
import { severityColour } from "./palette.js";

const points = 2000;
const hour = 3600;

/** An alert's test time in seconds (`alerts list --json` calls it test_time_second), or null. */
const alertTime = alert => alert.test_time_second ?? alert.test_time_s ?? null;

function rows(samples) {
  const t = samples.columns.test_time_second ?? [], v = samples.columns.voltage_volt ?? [];
  const out = [];
  for (let i = 0; i < t.length; i++) if (t[i] !== null && v[i] !== null) out.push([t[i] / hour, v[i]]);
  return out;
}

function nearestX(data, x) {
  let low = 0, high = data.length - 1;
  while (high - low > 1) {
    const middle = (low + high) >> 1;
    if (data[middle][0] < x) low = middle; else high = middle;
  }
  return Math.abs(data[low][0] - x) <= Math.abs(data[high][0] - x) ? data[low][0] : data[high][0];
}

/**
 * Draws into `element`; `report({points, zoomed})` is told what each fetch plotted.
 * `window` ({from, to} in seconds of test time) opens zoomed (a shared link of a zoomed view).
 * Returns {setAlerts(alerts)}.
 */
export async function voltagePlot(element, testID, report, window = null) {
  const base = `/tests/${testID}/samples`;
  const overview = rows(await get(base + query({ points })));
  let data = overview, alerts = [], generation = 0, graph = null;

  const annotations = () => data.length === 0 ? [] : alerts
    .filter(a => alertTime(a) !== null)
    .map(a => ({
      series: "voltage (V)", x: nearestX(data, alertTime(a) / hour), shortText: a.rule, width: 28,
      text: `${a.severity} ${a.rule}: ${a.message}`, cssClass: `sev-${a.severity}`,
    }));

  report({ points: data.length, zoomed: false });
  if (data.length === 0) {
    element.textContent = "no samples yet";
    return { setAlerts() {} };
  }

  graph = new Dygraph(element, data, {
    labels: ["test time (h)", "voltage (V)"],
    xlabel: "test time (h)", ylabel: "voltage (V)",
    colors: ["#1f77b4"], strokeWidth: 1, connectSeparatedPoints: true,
    legend: "follow", labelsSeparateLines: true,
    underlayCallback(canvas, area, g) {
      for (const alert of alerts) {
        if (alertTime(alert) === null) continue;
        const x = g.toDomXCoord(alertTime(alert) / hour);
        if (x < area.x || x > area.x + area.w) continue;
        canvas.strokeStyle = severityColour[alert.severity] ?? "#888";
        canvas.lineWidth = 1.5;
        canvas.beginPath(); canvas.moveTo(x, area.y); canvas.lineTo(x, area.y + area.h); canvas.stroke();
      }
    },
    zoomCallback(minX, maxX) { return zoom(minX, maxX, this.isZoomed("x")); },
  });

  async function zoom(minX, maxX, zoomed) {
    const mine = ++generation;
    if (!zoomed) {
      data = overview;
      graph.updateOptions({ file: data });
      graph.setAnnotations(annotations());
      report({ points: data.length, zoomed: false });
      return;
    }
    let detail;
    try {
      detail = rows(await get(base + query({ points, from_time: minX * hour, to_time: maxX * hour })));
    } catch (error) {
      report({ points: 0, zoomed: true, zoomError: error.message });
      return;
    }
    if (mine !== generation) return;  // a newer zoom has asked already
    // The overview outside, the detail inside: unzoom still shows the whole test.
    data = overview.filter(r => r[0] < minX).concat(detail, overview.filter(r => r[0] > maxX));
    graph.updateOptions({ file: data, dateWindow: [minX, maxX] });
    graph.setAnnotations(annotations());
    report({ points: detail.length, zoomed: true, from: minX * hour, to: maxX * hour });
  }
  if (window && window.to > window.from) await zoom(window.from / hour, window.to / hour, true);

  return {
    setAlerts(list) {
      alerts = list;
      const marks = annotations();
      graph.setAnnotations(marks);
      report({ markedAlerts: marks.length });
      graph.updateOptions({});  // redraw the underlay's alert lines
    },
  };
}
