// The fleet grid: every channel a tile coloured by its state (fill) and its worst open alert
// (border), polled every 2 s. Tiles are made once per channel and afterwards only their class
// and title change when the channel's do, so a fleet of 10 000 channels redraws cheaply; one
// click handler on the grid opens the running test.

import { get } from "./api.js";
import * as status from "./status.js";

const knownStates = new Set(["idle", "running", "reserved", "loading", "held"]);

function tileClass(channel) {
  const state = knownStates.has(channel.state) ? channel.state : "other";
  const worst = channel.open_alerts?.worst_severity;
  return "tile s-" + state + (worst ? " a-" + worst : "");
}

function tileTitle(channel) {
  const alerts = channel.open_alerts?.count ?? 0;
  return [
    `${channel.channel} — ${channel.state}${channel.held ? " (held)" : ""}`,
    channel.cell_id ? `cell ${channel.cell_id}` : null,
    channel.last_sample_at ? `last sample ${channel.last_sample_at}` : null,
    alerts ? `${alerts} open alert${alerts === 1 ? "" : "s"} (worst ${channel.open_alerts.worst_severity})` : null,
    channel.make ? `${channel.make} ${channel.model ?? ""}` : null,
  ].filter(Boolean).join("\n");
}

export async function showFleet(view) {
  view.innerHTML = `
    <h2>Fleet <span id="fleet-summary" class="muted"></span></h2>
    <p class="legend">
      <span><i style="background:var(--running)"></i>running</span><span><i style="background:var(--idle)"></i>idle</span>
      <span><i style="background:var(--reserved)"></i>reserved</span><span><i style="background:var(--loading)"></i>loading</span>
      <span><i style="background:var(--held)"></i>held</span><span><i style="background:var(--other)"></i>other</span>
      <span><i style="border:2px solid var(--fail)"></i>fail alert</span><span><i style="border:2px solid var(--warn)"></i>warn alert</span>
    </p>
    <div id="grid"></div>`;
  const grid = view.querySelector("#grid");
  const summary = view.querySelector("#fleet-summary");
  const agents = new Map();  // agent_id → {section, heading, tiles}
  const tiles = new Map();   // "AGENT/CH" → {element, className, title, test}

  grid.addEventListener("click", event => {
    const tile = event.target.closest(".tile");
    if (tile?.dataset.test) location.hash = `#/test/${tile.dataset.test}`;
  });

  function agentSection(agentID) {
    let agent = agents.get(agentID);
    if (!agent) {
      const section = document.createElement("section");
      section.className = "agent";
      const heading = document.createElement("h3");
      const box = document.createElement("div");
      box.className = "tiles";
      section.append(heading, box);
      grid.append(section);
      agent = { section, heading, box, headingText: "" };
      agents.set(agentID, agent);
    }
    return agent;
  }

  function apply(fleet) {
    const started = performance.now();
    const connected = new Map(fleet.agents.map(a => [a.agent_id, a.connected]));
    const fresh = new Map();  // agent → fragment of its new tiles, appended once
    const seen = new Set();
    for (const channel of fleet.channels) {
      seen.add(channel.channel);
      let tile = tiles.get(channel.channel);
      if (!tile) {
        const element = document.createElement("div");
        element.textContent = channel.channel_id;
        tile = { element, className: "", title: "", test: "" };
        tiles.set(channel.channel, tile);
        if (!fresh.has(channel.agent_id)) fresh.set(channel.agent_id, document.createDocumentFragment());
        fresh.get(channel.agent_id).append(element);
      }
      const className = tileClass(channel), title = tileTitle(channel), test = channel.test_id ?? "";
      if (className !== tile.className) { tile.element.className = className; tile.className = className; }
      if (title !== tile.title) { tile.element.title = title; tile.title = title; }
      if (test !== tile.test) {
        if (test) tile.element.dataset.test = test; else delete tile.element.dataset.test;
        tile.test = test;
      }
    }
    for (const [agentID, fragment] of fresh) agentSection(agentID).box.append(fragment);
    for (const [name, tile] of tiles) {
      if (!seen.has(name)) { tile.element.remove(); tiles.delete(name); }
    }
    const counts = new Map();
    for (const channel of fleet.channels) counts.set(channel.agent_id, (counts.get(channel.agent_id) ?? 0) + 1);
    for (const [agentID, agent] of agents) {
      const text = `${agentID} · ${counts.get(agentID) ?? 0} channels` + (connected.get(agentID) === false ? " · offline" : "");
      if (text !== agent.headingText) {
        agent.heading.innerHTML = "";
        agent.heading.append(`${agentID} · ${counts.get(agentID) ?? 0} channels`);
        if (connected.get(agentID) === false) {
          const offline = document.createElement("span");
          offline.className = "offline";
          offline.textContent = " · offline";
          agent.heading.append(offline);
        }
        agent.headingText = text;
      }
    }
    const running = fleet.channels.filter(c => c.state === "running").length;
    summary.textContent = `${fleet.channels.length} channels, ${running} running, ${fleet.open_alerts} open alerts`;
    status.loaded({ tiles: tiles.size, running, openAlerts: fleet.open_alerts, updated: new Date().toISOString(),
                    renderMs: Math.round(performance.now() - started) });
  }

  apply(await get("/fleet"));
  let stopped = false, busy = false;
  const timer = setInterval(async () => {
    if (stopped || busy) return;  // a slow answer is not asked for twice
    busy = true;
    try {
      const fleet = await get("/fleet");
      if (!stopped) apply(fleet);  // the page may have changed while it was asked
    } catch (error) { if (!stopped) status.failed(error); } finally { busy = false; }
  }, 2000);
  return () => { stopped = true; clearInterval(timer); };
}
