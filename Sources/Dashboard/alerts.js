// The alerts page: filters (kept in the address, so a filtered view can be shared), a table
// newest first with "more" for the next page, and acknowledge / resolve with a note. A refused
// action (a viewer's 403, a 409 for an alert already resolved) shows the server's sentence.

import { get, post, query } from "./api.js";
import * as status from "./status.js";

const filters = ["state", "severity", "rule", "test", "agent", "source"];
const choices = { state: ["", "firing", "acknowledged", "resolved"], severity: ["", "fail", "warn", "info"], source: ["", "detector", "coordinator", "scheduler"] };

function control(name, value) {
  const label = document.createElement("label");
  label.append(name + " ");
  let input;
  if (choices[name]) {
    input = document.createElement("select");
    for (const choice of choices[name]) input.append(new Option(choice || "any", choice));
  } else {
    input = document.createElement("input");
    input.size = name === "test" ? 36 : 10;
  }
  input.name = name;
  input.value = value ?? "";
  label.append(input);
  return label;
}

function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text ?? "";
  if (className) td.className = className;
  row.append(td);
  return td;
}

export async function showAlerts(view, _argument, parameters) {
  view.innerHTML = `<h2>Alerts</h2><form class="controls" id="alert-filters"></form>
    <p id="alert-message" class="error"></p>
    <table><thead><tr><th>raised</th><th>severity</th><th>rule</th><th>state</th><th>channel</th><th>cell</th><th>message</th><th>note / action</th></tr></thead>
    <tbody id="alert-rows"></tbody></table><p><button id="alert-more" hidden>more</button> <span id="alert-count" class="muted"></span></p>`;
  const form = view.querySelector("#alert-filters");
  const values = Object.fromEntries(filters.map(name => [name, parameters.get(name) ?? (name === "state" && !parameters.has("state") ? "firing" : "")]));
  for (const name of filters) form.append(control(name, values[name]));
  const apply = document.createElement("button");
  apply.textContent = "filter";
  form.append(apply);
  form.addEventListener("submit", event => {
    event.preventDefault();
    const chosen = Object.fromEntries(filters.map(name => [name, form.elements[name].value.trim()]));
    location.hash = "#/alerts" + query({ ...chosen, state: chosen.state || "any" });
  });
  if (values.state === "any") { values.state = ""; form.elements.state.value = ""; }

  const body = view.querySelector("#alert-rows"), more = view.querySelector("#alert-more");
  const message = view.querySelector("#alert-message"), count = view.querySelector("#alert-count");
  const canAct = document.body.dataset.role !== "viewer";
  let cursor = null, shown = 0;

  function row(alert) {
    const tr = document.createElement("tr");
    tr.dataset.alert = alert.alert_id;
    cell(tr, alert.raised_at);
    cell(tr, alert.severity, `sev-${alert.severity}`);
    cell(tr, alert.rule);
    cell(tr, alert.state);
    cell(tr, alert.agent_id ? `${alert.agent_id}/${alert.channel_id ?? ""}` : "");
    cell(tr, alert.cell_id);
    const text = cell(tr, alert.message);
    if (alert.test_id) {
      const link = document.createElement("a");
      link.href = `#/test/${alert.test_id}`;
      link.textContent = " (test)";
      text.append(link);
    }
    const actions = cell(tr, "");
    if (alert.state !== "resolved") {
      const note = document.createElement("input");
      note.className = "note"; note.placeholder = "note (optional)";
      actions.append(note);
      for (const [verb, label] of [["ack", "acknowledge"], ["resolve", "resolve"]]) {
        if (verb === "ack" && alert.state !== "firing") continue;
        const button = document.createElement("button");
        button.textContent = label;
        button.dataset.action = verb;
        button.disabled = !canAct;
        if (!canAct) button.title = "a viewer token may not change alerts";
        button.addEventListener("click", async () => {
          message.textContent = "";
          try {
            const changed = await post(`/alerts/${alert.alert_id}/${verb}`, note.value.trim() ? { note: note.value.trim() } : {});
            tr.replaceWith(row(changed));
          } catch (error) {
            message.textContent = `${label} ${alert.rule} on ${alert.cell_id ?? alert.alert_id}: ${error.message}`;
          }
        });
        actions.append(" ", button);
      }
    } else if (alert.resolved_by) {
      actions.textContent = `resolved by ${alert.resolved_by}`;
    }
    return tr;
  }

  async function page() {
    const found = await get("/alerts" + query({ ...values, limit: 200, cursor }));
    const fragment = document.createDocumentFragment();
    for (const alert of found.alerts) fragment.append(row(alert));
    body.append(fragment);
    shown += found.alerts.length;
    cursor = found.next_cursor;
    more.hidden = !cursor;
    count.textContent = `${shown} alert${shown === 1 ? "" : "s"}${cursor ? " so far" : ""}`;
    status.loaded({ alerts: shown });
  }
  more.addEventListener("click", () => page().catch(error => { message.textContent = error.message; }));
  await page();
}
