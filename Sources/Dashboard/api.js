// The API client: every request carries the bearer token kept in local storage (the page
// asks for it once), and a failed request becomes an Error whose message is the problem
// details' `detail` — the sentence the server wrote for a person.

const tokenKey = "cellfleet.token";

export function storedToken() { return localStorage.getItem(tokenKey); }
export function keepToken(token) { localStorage.setItem(tokenKey, token.trim()); }
export function forgetToken() { localStorage.removeItem(tokenKey); }

export class APIError extends Error {
  constructor(status, detail) { super(detail); this.status = status; }
}

async function problem(response) {
  let detail = `${response.status} ${response.statusText}`;
  try {
    const body = await response.json();
    if (body && body.detail) detail = body.detail;
    else if (body && body.title) detail = body.title;
  } catch (_) { /* not JSON: keep the status line */ }
  return new APIError(response.status, detail);
}

function headers(extra) {
  const all = { Accept: "application/json", ...extra };
  const token = storedToken();
  if (token) all.Authorization = `Bearer ${token}`;
  return all;
}

/** GET /api/v1 + path (with its query) as JSON. */
export async function get(path) {
  const response = await fetch(`/api/v1${path}`, { headers: headers() });
  if (!response.ok) throw await problem(response);
  return response.json();
}

/** POST JSON to /api/v1 + path. */
export async function post(path, body) {
  const response = await fetch(`/api/v1${path}`, {
    method: "POST", headers: headers({ "Content-Type": "application/json" }), body: JSON.stringify(body ?? {}),
  });
  if (!response.ok) throw await problem(response);
  return response.json();
}

/** Every page of a cursor listing (`key` is the array's name), up to `max` rows. */
export async function getAll(path, key, max = 10000) {
  const rows = [];
  let cursor = null;
  do {
    const separator = path.includes("?") ? "&" : "?";
    const page = await get(path + separator + "limit=1000" + (cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""));
    rows.push(...page[key]);
    cursor = page.next_cursor;
  } while (cursor && rows.length < max);
  return rows;
}

/** Query text from an object, leaving out empty values. */
export function query(parameters) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(parameters)) {
    if (value !== undefined && value !== null && value !== "") search.set(key, value);
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}
