// The one-page app: asks the server whether it wants a token (GET /session), asks the person
// for one only then, and routes the hash (#/fleet, #/test/ID, #/alerts, #/survival,
// #/overlay) to its page. Each page returns a function that stops its timers.

import { APIError, forgetToken, get, keepToken, storedToken } from "./api.js";
import * as status from "./status.js";
import { showFleet } from "./fleet.js";
import { showTest } from "./test.js";
import { showAlerts } from "./alerts.js";
import { showSurvival } from "./survival.js";
import { showOverlay } from "./overlay.js";

const pages = { fleet: showFleet, test: showTest, alerts: showAlerts, survival: showSurvival, overlay: showOverlay };
let stopPage = () => {};
let started = false;

/** `#/test/ID?x=1` → {page: "test", argument: "ID", parameters}. */
function route() {
  const [path, search] = location.hash.replace(/^#\/?/, "").split("?");
  const [page, ...rest] = path.split("/");
  return { page: pages[page] ? page : "fleet", argument: rest.map(decodeURIComponent).join("/"), parameters: new URLSearchParams(search ?? "") };
}

async function render() {
  stopPage();
  stopPage = () => {};
  const { page, argument, parameters } = route();
  const view = document.getElementById("view");
  view.replaceChildren();
  status.begin(page);
  try {
    stopPage = (await pages[page](view, argument, parameters)) ?? (() => {});
  } catch (error) {
    if (error instanceof APIError && error.status === 401) return askForToken(error.message);
    status.failed(error);
  }
}

function askForToken(message) {
  const form = document.getElementById("login");
  form.hidden = false;
  document.getElementById("view").replaceChildren();
  document.getElementById("login-error").textContent = message ?? "";
  status.begin("login");
  status.loaded({ login: "token needed" });
  document.getElementById("token").focus();
}

async function start() {
  // A token handed in the address (`/?token=cft_…`, e.g. by a test or a link a person was
  // given) is kept like a typed one, and taken out of the address bar at once.
  const handed = new URLSearchParams(location.search).get("token");
  if (handed) {
    keepToken(handed);
    history.replaceState(null, "", location.pathname + location.hash);
  }
  let session;
  try {
    session = await get("/session");
  } catch (error) {
    if (error instanceof APIError && error.status === 401) {
      // A kept token the server refuses (revoked, mistyped) is forgotten; say why.
      const hadToken = storedToken() !== null;
      if (hadToken) forgetToken();
      return askForToken(hadToken ? error.message : "");
    }
    status.begin("session");
    return status.failed(error);
  }
  document.getElementById("login").hidden = true;
  const who = document.getElementById("who");
  if (session.authentication === "none") {
    who.textContent = "no tokens (--insecure-http)";
  } else {
    who.textContent = `${session.name} (${session.role})`;
    document.getElementById("logout").hidden = false;
  }
  document.body.dataset.role = session.role;
  if (!started) window.addEventListener("hashchange", render);
  started = true;
  render();
}

document.getElementById("login").addEventListener("submit", event => {
  event.preventDefault();
  const token = document.getElementById("token").value.trim();
  if (!token) return;
  keepToken(token);
  start();
});
document.getElementById("logout").addEventListener("click", () => {
  forgetToken();
  location.reload();
});

start();
