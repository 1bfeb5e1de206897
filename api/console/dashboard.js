// The leaders' dashboard: key figures, the trend with dated axes, the slowest departments and
// wards (the first few, all on request), late reports and a map of open ones; every row opens
// the queue it counts, every report its page. Read from the stats API with the leader's token.
import { $, OPEN_STATES, api, element, json, label, number, state, t, when } from "./core.js";
import { drawWard, mapIn, pin, showPins } from "./map.js";

/** Rows of a ranking shown before "show all". */
const TOP = 10;
/** The longest range the stats API takes. */
const MAX_DAYS = 1098;
const DAY_MS = 86_400_000;

const board = { showAll: { departments: false, wards: false }, rows: { departments: [], wards: [] }, wired: false, generation: 0 };

const percent = (rate) => (rate === null || rate === undefined ? "–" : `${number(rate * 100, 1)}%`);
const hours = (value) => (value === null || value === undefined ? "–" : number(value, 1));
const query = (params) => new URLSearchParams(params).toString();

/** A day typed in a date field, as the instant it starts in Ho Chi Minh City. */
const dayStart = (day) => new Date(`${day}T00:00:00+07:00`);

/** The chosen period as the API's `from`/`to`, with its length in days; an error in words
 *  when a custom range cannot be used. */
function period() {
  const choice = $("period").value;
  if (choice !== "custom") {
    const to = new Date();
    const days = Number(choice);
    return { from: new Date(to.getTime() - days * DAY_MS).toISOString(), to: to.toISOString(), days };
  }
  const [first, last] = [$("period-from").value, $("period-to").value];
  if (!first || !last) throw new Error(t("rangeMissing"));
  const from = dayStart(first);
  const to = new Date(dayStart(last).getTime() + DAY_MS);
  const days = Math.round((to - from) / DAY_MS);
  if (days < 1) throw new Error(t("rangeBackwards"));
  if (days > MAX_DAYS) throw new Error(t("rangeTooLong"));
  return { from: from.toISOString(), to: to.toISOString(), days };
}

function wire() {
  if (board.wired) return;
  board.wired = true;
  const custom = () => {
    const on = $("period").value === "custom";
    for (const id of ["period-from-label", "period-to-label", "period-apply"]) $(id).hidden = !on;
    return on;
  };
  $("period").addEventListener("change", () => { if (!custom()) refresh(); });
  $("period-form").addEventListener("submit", (event) => { event.preventDefault(); refresh(); });
  for (const table of ["departments", "wards"]) {
    $(`${table}-all`).addEventListener("click", () => {
      board.showAll[table] = !board.showAll[table];
      fillRanking(table);
    });
  }
  for (const button of document.querySelectorAll("button.csv")) button.addEventListener("click", downloadCsv);
}

export async function openDashboard() {
  wire();
  $("wards-section").hidden = state.me.role !== "city_leader" && !(state.me.role === "admin" && !state.me.ward);
  await refresh();
}

/** Every part is drawn as soon as its figures arrive: the key figures and rankings are
 *  quick (packed day facts), the trend of a city's month and its map take longer. */
async function refresh() {
  $("dashboard-status").textContent = t("loading");
  try {
    const range = period();
    const interval = range.days > 92 ? "month" : range.days > 31 ? "week" : "day";
    const span = { from: range.from, to: range.to };
    const wards = !$("wards-section").hidden;
    // A period chosen meanwhile wins: the answers of an earlier one are dropped.
    const generation = ++board.generation;
    const draw = (path, drawing) => json(path).then((answer) => { if (generation === board.generation) drawing(answer); });
    const ranking = (table) => draw(`/v1/stats/${table}?${query(span)}`, (answer) => {
      board.rows[table] = slowestFirst(answer.items);
      fillRanking(table);
    });
    // The first screen (figures, rankings) before the heavier trend, late list and map, so
    // that a city's month does not queue behind them on the server and in the browser.
    await Promise.all([
      draw(`/v1/stats/summary?${query(span)}`, showSummary),
      ranking("departments"),
      wards ? ranking("wards") : null,
    ]);
    await Promise.all([
      draw(`/v1/stats/timeseries?${query({ ...span, interval })}`, (series) => drawTrend(series.points, interval)),
      showLate(),
      drawOpenMap(),
    ]);
    if (generation !== board.generation) return;
    $("dashboard-status").textContent = `${t("updated")} ${when(new Date().toISOString())}`;
  } catch (error) {
    $("dashboard-status").textContent = error.message;
  }
}

function showSummary(s) {
  $("kpi-received").textContent = number(s.received);
  $("kpi-resolved").textContent = number(s.resolved);
  $("kpi-open").textContent = number(s.backlog.open);
  $("kpi-overdue").textContent = number(s.backlog.overdue);
  $("kpi-ack-rate").textContent = percent(s.acknowledge.on_time_rate);
  $("kpi-resolve-rate").textContent = percent(s.resolve.on_time_rate);
  $("kpi-resolve-median").textContent = s.resolve.median_hours === null ? "–" : `${hours(s.resolve.median_hours)} ${t("hoursUnit")}`;
  $("kpi-satisfaction").textContent = s.satisfaction.average === null ? "–" : `${number(s.satisfaction.average, 1)}/5`;
}

// --- Rankings ------------------------------------------------------------------------

// Leaders look for what is slow: the lowest on-time rate first, then the most overdue.
function slowestFirst(rows) {
  const rate = (row) => row.resolve.on_time_rate ?? 2;
  return [...rows].sort((a, b) => rate(a) - rate(b) || b.overdue - a.overdue);
}

/** The queue a row counts: its department (in its ward) or its ward. */
function queueOf(table, row, late = false) {
  const params = table === "departments"
    ? { department: row.department.code, ward: row.ward.id, title: `${row.department.name} · ${row.ward.name}` }
    : { ward: row.ward.id, title: row.ward.name };
  if (late) params.late = "true";
  return `#/queue?${query(params)}`;
}

function fillRanking(table) {
  const rows = board.rows[table];
  const shown = board.showAll[table] ? rows : rows.slice(0, TOP);
  const city = !$("wards-section").hidden;
  document.querySelector(`#${table} tbody`).replaceChildren(...shown.map((row) => {
    const name = table === "departments" ? (city ? `${row.department.name} · ${row.ward.name}` : row.department.name) : row.ward.name;
    return element("tr", { onclick: (e) => { if (!e.target.closest("a")) location.hash = queueOf(table, row); } },
      element("td", {}, element("a", { href: queueOf(table, row) }, name)),
      element("td", {}, number(row.received)),
      element("td", {}, number(row.resolved)),
      element("td", {}, row.overdue > 0 ? element("a", { href: queueOf(table, row, true) }, number(row.overdue)) : "0"),
      element("td", {}, percent(row.resolve.on_time_rate)),
      element("td", {}, hours(row.resolve.median_hours)));
  }));
  const more = $(`${table}-all`);
  more.hidden = rows.length <= TOP;
  more.textContent = board.showAll[table] ? t("showFewer") : t("showAll")(rows.length);
  more.setAttribute("aria-expanded", String(board.showAll[table]));
}

// --- Trend ---------------------------------------------------------------------------

const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attributes, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A round step for about `ticks` gridlines up to `top`: 1, 2 or 5 times a power of ten. */
function niceStep(top, ticks = 4) {
  const raw = Math.max(top / ticks, 1);
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= raw);
}

function pointLabel(start, interval) {
  const date = `${start}T00:00:00+07:00`;
  return interval === "month" ? when(date, { month: "2-digit", year: "numeric" }) : when(date, { day: "2-digit", month: "2-digit" });
}

/** Received (bars) and resolved (line) per day, week or month, with a value axis and dates. */
function drawTrend(points, interval) {
  const width = 720, height = 260, left = 52, right = 12, top = 12, bottom = 34;
  const step = niceStep(Math.max(1, ...points.map((p) => Math.max(p.received, p.resolved))));
  const highest = step * Math.ceil(Math.max(1, ...points.map((p) => Math.max(p.received, p.resolved))) / step);
  const plotWidth = width - left - right, plotHeight = height - top - bottom;
  const y = (value) => top + plotHeight - (value / highest) * plotHeight;
  const slot = plotWidth / Math.max(1, points.length);
  const total = points.reduce((sum, p) => sum + p.received, 0);
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": t("trendDescription")(number(total), points.length) });
  for (let value = 0; value <= highest; value += step) {
    chart.append(svg("line", { x1: left, x2: width - right, y1: y(value), y2: y(value), stroke: value === 0 ? "#4a5560" : "#dde3e8" }));
    chart.append(svg("text", { x: left - 6, y: y(value) + 4, "text-anchor": "end", class: "axis" }, number(value)));
  }
  const every = Math.max(1, Math.ceil(points.length / 8));
  points.forEach((p, i) => {
    const x = left + i * slot;
    const bar = svg("rect", { x: x + slot * 0.15, width: Math.max(1, slot * 0.7), y: y(p.received), height: y(0) - y(p.received), class: "received" });
    bar.append(svg("title", {}, `${pointLabel(p.start, interval)}: ${number(p.received)} ${t("receivedWord")}, ${number(p.resolved)} ${t("resolvedWord")}`));
    chart.append(bar);
    if (i % every === 0) {
      chart.append(svg("text", { x: x + slot / 2, y: height - bottom + 16, "text-anchor": "middle", class: "axis" }, pointLabel(p.start, interval)));
    }
  });
  const line = points.map((p, i) => `${left + (i + 0.5) * slot},${y(p.resolved)}`).join(" ");
  chart.append(svg("polyline", { points: line, class: "resolved" }));
  $("trend").replaceChildren(chart);
}

// --- Late reports and the map --------------------------------------------------------

async function showLate() {
  const late = await json(`/v1/reports?${query({ late: "true", limit: "20" })}`);
  $("late-all").href = `#/queue?${query({ late: "true", title: t("lateReports") })}`;
  $("late-all").hidden = !late.next_cursor;
  if (late.items.length === 0) {
    $("late").replaceChildren(element("li", { class: "hint" }, t("noLate")));
    return;
  }
  $("late").replaceChildren(...late.items.map((r) => element("li", {},
    element("a", { href: `#/reports/${r.id}` }, r.description),
    element("div", { class: "when" }, [
      r.department?.name ?? t("unassigned"), r.neighborhood?.name, `${t("due")} ${when((r.deadlines.resolve ?? r.deadlines.acknowledge)?.due_at)}`,
    ].filter(Boolean).join(" · ")))));
}

/** Open reports on the map, the late ones in red; a click opens the report. */
async function drawOpenMap() {
  const entry = mapIn("dashboard-map");
  if (!entry) return;
  const [open, late] = await Promise.all([
    api(`/v1/reports.geojson?${query({ status: OPEN_STATES, limit: "2000" })}`).then((r) => r.json()),
    api(`/v1/reports.geojson?${query({ late: "true", limit: "2000" })}`).then((r) => r.json()),
  ]);
  const lateIds = new Set((late.features ?? []).map((f) => f.id));
  const pins = (open.features ?? []).map((f) => pin({
    id: f.id,
    point: [f.geometry.coordinates[1], f.geometry.coordinates[0]],
    standing: lateIds.has(f.id) ? "late" : "open",
    title: label(f.properties.subcategory),
    tip: `${lateIds.has(f.id) ? `${t("late")} · ` : ""}${label(f.properties.subcategory)}`,
  }));
  showPins(entry, pins, await drawWard(entry, state.me.ward?.id));
}

async function downloadCsv(event) {
  const table = event.target.dataset.csv;
  const { from, to } = period();
  const response = await api(`/v1/stats/${table}?${query({ from, to, format: "csv" })}`);
  const link = element("a", { href: URL.createObjectURL(await response.blob()), download: `${table}.csv` });
  link.click();
  URL.revokeObjectURL(link.href);
}
