// The page status element: what each plot of the current page received, as data attributes
// (data-state, data-page, data-tiles, data-points, …) that tests read from the DOM, and as
// a line of text for a person.

const element = () => document.getElementById("status");
let facts = {};

/** Starts a page: forgets the previous page's facts. */
export function begin(page) {
  facts = {};
  const status = element();
  for (const name of Object.keys(status.dataset)) delete status.dataset[name];
  status.dataset.page = page;
  status.dataset.state = "loading";
  status.textContent = `${page}: loading…`;
}

/** Records what a plot got (`{points: 2000}`) and shows the page as loaded. */
export function loaded(values) {
  Object.assign(facts, values);
  const status = element();
  for (const [key, value] of Object.entries(facts)) status.dataset[key] = String(value);
  status.dataset.state = "loaded";
  status.textContent = `${status.dataset.page}: ` +
    Object.entries(facts).map(([key, value]) => `${key.replace(/[A-Z]/g, c => " " + c.toLowerCase())} ${value}`).join(", ");
}

/** Shows a failure: the server's sentence, not a stack. */
export function failed(error) {
  const status = element();
  status.dataset.state = "error";
  status.dataset.error = error.message;
  status.textContent = `${status.dataset.page}: ${error.message}`;
}
