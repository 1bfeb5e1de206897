// The queue: a department's open reports, the triage desk's, or the ward's for leaders and
// admins (the API decides which), late first, then at risk, then on time; on the map too.
import { $, OPEN_STATES, element, json, label, state, t, when } from "./core.js";
import { currentDeadline, drawWard, mapIn, reportPin, showPins } from "./map.js";

const STANDING_ORDER = { late: 0, at_risk: 1, on_time: 2 };
const PAGE = 100;

export const queue = {
  reports: [],
  cursor: null,
  selected: 0,
  /** Filters that came with the address (`#/queue?department=…&ward=…&late=true`), from
   *  the dashboard's rows; shown with a way to drop them. */
  scope: {},
};

function byStanding(a, b) {
  const da = currentDeadline(a), db = currentDeadline(b);
  const rank = (d) => (d ? STANDING_ORDER[d.standing] : 3);
  return rank(da) - rank(db) || (da?.due_at ?? "9").localeCompare(db?.due_at ?? "9");
}

function queueQuery(cursor) {
  const params = new URLSearchParams({ limit: String(PAGE) });
  const status = $("filter-status").value;
  if (status === "open") params.set("status", OPEN_STATES);
  if (status === "resolved") params.set("status", "resolved");
  if ($("filter-category").value) params.set("category", $("filter-category").value);
  if ($("filter-neighborhood").value) params.set("neighborhood", $("filter-neighborhood").value);
  const text = $("filter-text").value.trim();
  if (text) params.set("q", text);
  for (const [name, value] of Object.entries(queue.scope)) params.set(name, value);
  if (cursor) params.set("cursor", cursor);
  return params.toString();
}

export async function loadQueue(more = false) {
  const page = await json(`/v1/reports?${queueQuery(more ? queue.cursor : null)}`);
  queue.reports = more ? queue.reports.concat(page.items) : page.items;
  queue.reports.sort(byStanding);
  queue.cursor = page.next_cursor;
  queue.selected = Math.min(queue.selected, Math.max(queue.reports.length - 1, 0));
  drawQueue();
  await drawQueueMap();
}

function drawQueue() {
  const rows = queue.reports.map((report, index) => {
    const deadline = currentDeadline(report);
    const standing = deadline?.standing;
    const open = () => { location.hash = `#/reports/${report.id}`; };
    return element("tr", {
      class: index === queue.selected ? "selected" : "", "data-id": report.id, tabindex: index === queue.selected ? "0" : "-1",
      onclick: open, onkeydown: (e) => { if (e.key === "Enter") open(); },
    },
    element("td", {}, standing ? element("span", { class: `badge ${standing}` }, t(standing)) : "–"),
    element("td", {}, when(deadline?.due_at)),
    element("td", {}, label(report.subcategory)),
    element("td", {}, element("a", { href: `#/reports/${report.id}` }, report.description)),
    element("td", {}, report.neighborhood?.name ?? ""),
    element("td", {}, label(report.status)));
  });
  $("queue-rows").replaceChildren(...rows);
  $("queue-empty").hidden = queue.reports.length > 0;
  $("queue-more").hidden = !queue.cursor;
  $("queue-count").textContent = `(${queue.reports.length}${queue.cursor ? "+" : ""})`;
}

/** The reports of the queue on the map, clustered where dense, coloured by standing. */
async function drawQueueMap() {
  const entry = mapIn("queue-map");
  if (!entry) return;
  const bounds = await drawWard(entry, queue.scope.ward ?? state.me?.ward?.id);
  showPins(entry, queue.reports.filter((r) => r.location).map((r) => reportPin(r)), bounds);
}

/** The queue, with the filters of the address (`params`). */
export async function openQueue(params) {
  queue.scope = {};
  for (const name of ["department", "ward", "late"]) if (params.get(name)) queue.scope[name] = params.get(name);
  if (queue.scope.late) $("filter-status").value = "open";
  const names = params.get("title");
  $("queue-scope").hidden = Object.keys(queue.scope).length === 0;
  $("queue-scope-text").textContent = [names, queue.scope.late ? t("late") : null].filter(Boolean).join(" · ");
  await loadQueue();
  $("queue-rows").querySelector("tr.selected")?.focus({ preventScroll: true });
}

export function select(step) {
  if (queue.reports.length === 0) return;
  queue.selected = Math.max(0, Math.min(queue.reports.length - 1, queue.selected + step));
  drawQueue();
  $("queue-rows").querySelector("tr.selected")?.focus();
}

export function selectedReport() { return queue.reports[queue.selected]; }
