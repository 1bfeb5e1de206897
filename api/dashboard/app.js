// The leaders' dashboard: figures from the service's own API, drawn without any library or
// network access beyond this service. Texts are Vietnamese; numbers use Vietnamese formats.
"use strict";

const TOKEN_KEY = "sos.dashboard.token";
const OPEN_STATES = "submitted,assigned,acknowledged,in_progress";
const number = new Intl.NumberFormat("vi-VN");
const decimal = new Intl.NumberFormat("vi-VN", { maximumFractionDigits: 1 });
const dateTime = new Intl.DateTimeFormat("vi-VN", {
  timeZone: "Asia/Ho_Chi_Minh", hour: "2-digit", minute: "2-digit", day: "2-digit", month: "2-digit",
});

const $ = (id) => document.getElementById(id);

/** A time the API gave, for people; a dash when it cannot be read as a date. */
function when(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "–" : dateTime.format(date);
}

function token() { return sessionStorage.getItem(TOKEN_KEY); }

async function api(path) {
  const response = await fetch(path, { headers: { authorization: `Bearer ${token()}` } });
  if (response.status === 401) { signOut(); throw new Error("Phiên đăng nhập đã hết hạn."); }
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    throw new Error(problem.detail || problem.title || `Lỗi ${response.status}`);
  }
  return response;
}

async function json(path) { return (await api(path)).json(); }

function percent(rate) { return rate === null || rate === undefined ? "–" : `${decimal.format(rate * 100)}%`; }
function hours(value) { return value === null || value === undefined ? "–" : `${decimal.format(value)} giờ`; }

function period() {
  const to = new Date();
  const from = new Date(to.getTime() - Number($("period").value) * 86400000);
  return { from: from.toISOString(), to: to.toISOString() };
}

function query(params) { return new URLSearchParams(params).toString(); }

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  show("login");
}

function show(view) {
  $("login-view").hidden = view !== "login";
  $("dashboard-view").hidden = view !== "dashboard";
  $("logout").hidden = view !== "dashboard";
  if (view === "login") { $("who").textContent = ""; }
}

async function signIn(event) {
  event.preventDefault();
  $("login-error").textContent = "";
  const response = await fetch("/v1/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: $("username").value.trim(), password: $("password").value }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    $("login-error").textContent = body.detail || "Đăng nhập không thành công.";
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, body.access_token);
  $("password").value = "";
  await open();
}

async function open() {
  show("dashboard");
  const me = await json("/v1/me");
  const place = me.ward ? ` — ${me.ward.name}` : "";
  $("who").textContent = `${me.display_name}${place}`;
  $("wards-section").hidden = !["city_leader", "admin"].includes(me.role) || Boolean(me.ward);
  await refresh();
}

async function refresh() {
  $("status").textContent = "Đang tải…";
  try {
    const range = period();
    const days = Number($("period").value);
    const [summary, series, departments] = await Promise.all([
      json(`/v1/stats/summary?${query(range)}`),
      json(`/v1/stats/timeseries?${query({ ...range, interval: days > 90 ? "month" : days > 14 ? "week" : "day" })}`),
      json(`/v1/stats/departments?${query(range)}`),
    ]);
    showSummary(summary);
    drawTrend(series.points);
    fillTable("departments", departments.items, (row) => `${row.department.name} (${row.ward.name})`);
    if (!$("wards-section").hidden) {
      const wards = await json(`/v1/stats/wards?${query(range)}`);
      fillTable("wards", wards.items, (row) => row.ward.name);
    }
    await showLate();
    await drawMap();
    $("status").textContent = `Cập nhật lúc ${dateTime.format(new Date())}`;
  } catch (error) {
    $("status").textContent = error.message;
  }
}

function showSummary(s) {
  $("kpi-received").textContent = number.format(s.received);
  $("kpi-resolved").textContent = number.format(s.resolved);
  $("kpi-open").textContent = number.format(s.backlog.open);
  $("kpi-overdue").textContent = number.format(s.backlog.overdue);
  $("kpi-ack-rate").textContent = percent(s.acknowledge.on_time_rate);
  $("kpi-resolve-rate").textContent = percent(s.resolve.on_time_rate);
  $("kpi-resolve-median").textContent = hours(s.resolve.median_hours);
  $("kpi-satisfaction").textContent = s.satisfaction.average === null ? "–" : `${decimal.format(s.satisfaction.average)}/5`;
}

function cell(text) {
  const td = document.createElement("td");
  td.textContent = text;
  return td;
}

// Leaders look for what is slow: the lowest on-time rate first, then the most overdue.
function slowestFirst(rows) {
  const rate = (row) => row.resolve.on_time_rate ?? 2;
  return [...rows].sort((a, b) => rate(a) - rate(b) || b.overdue - a.overdue);
}

function fillTable(id, rows, name) {
  const body = document.querySelector(`#${id} tbody`);
  body.replaceChildren(...slowestFirst(rows).map((row) => {
    const tr = document.createElement("tr");
    tr.append(
      cell(name(row)),
      cell(number.format(row.received)),
      cell(number.format(row.resolved)),
      cell(number.format(row.overdue)),
      cell(percent(row.resolve.on_time_rate)),
      cell(row.resolve.median_hours === null ? "–" : decimal.format(row.resolve.median_hours)),
    );
    return tr;
  }));
}

const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attributes) {
  const element = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) { element.setAttribute(key, value); }
  return element;
}

function drawTrend(points) {
  const width = 640, height = 220, pad = 28;
  const chart = svg("svg", {
    viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": "Số phản ánh tiếp nhận (cột) và đã giải quyết (đường) theo thời gian",
  });
  const top = Math.max(1, ...points.map((p) => Math.max(p.received, p.resolved)));
  const step = (width - 2 * pad) / Math.max(1, points.length);
  const y = (value) => height - pad - (value / top) * (height - 2 * pad);
  chart.append(svg("line", { x1: pad, x2: width - pad, y1: height - pad, y2: height - pad, stroke: "#c4cbd3" }));
  const label = svg("text", { x: 2, y: pad - 10, "font-size": 11, fill: "#5b6775" });
  label.textContent = number.format(top);
  chart.append(label);
  points.forEach((p, i) => {
    const x = pad + i * step;
    const bar = svg("rect", { x: x + step * 0.15, width: step * 0.7, y: y(p.received), height: height - pad - y(p.received), fill: "#9cc7bd" });
    const tip = svg("title", {});
    tip.textContent = `${p.start}: ${p.received} tiếp nhận, ${p.resolved} đã giải quyết`;
    bar.append(tip);
    chart.append(bar);
  });
  const line = points.map((p, i) => `${pad + (i + 0.5) * step},${y(p.resolved)}`).join(" ");
  chart.append(svg("polyline", { points: line, fill: "none", stroke: "#0a6e5c", "stroke-width": 2 }));
  $("trend").replaceChildren(chart);
}

async function showLate() {
  const late = await json(`/v1/reports?${query({ late: "true", limit: "20" })}`);
  const list = $("late");
  if (late.items.length === 0) {
    const li = document.createElement("li");
    li.textContent = "Không có phản ánh trễ hạn.";
    list.replaceChildren(li);
    return;
  }
  list.replaceChildren(...late.items.map((r) => {
    const li = document.createElement("li");
    const text = document.createElement("div");
    text.textContent = r.description;
    const meta = document.createElement("div");
    meta.className = "meta";
    const due = r.deadlines.resolve ? when(r.deadlines.resolve.due_at) : "–";
    meta.textContent = `${r.department ? r.department.name : "Chưa phân công"} · ${r.neighborhood.name} · hạn ${due}`;
    li.append(text, meta);
    return li;
  }));
}

const CATEGORY_COLOURS = { infrastructure: "#1f6fb2", security: "#b3261e", sanitation: "#3b8f3a", other: "#6b6b6b" };

async function drawMap() {
  const map = await json(`/v1/reports.geojson?${query({ status: OPEN_STATES, limit: "2000" })}`);
  const points = map.features.map((f) => ({ lon: f.geometry.coordinates[0], lat: f.geometry.coordinates[1], category: f.properties.category }));
  $("map-section").hidden = points.length === 0;
  if (points.length === 0) { return; }
  const lons = points.map((p) => p.lon), lats = points.map((p) => p.lat);
  const [minLon, maxLon, minLat, maxLat] = [Math.min(...lons), Math.max(...lons), Math.min(...lats), Math.max(...lats)];
  const width = 640, height = 360, pad = 16;
  const spanLon = Math.max(maxLon - minLon, 0.002), spanLat = Math.max(maxLat - minLat, 0.002);
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img" });
  chart.append(svg("rect", { x: 0, y: 0, width, height, fill: "#eef2f5" }));
  for (const p of points) {
    const x = pad + ((p.lon - minLon) / spanLon) * (width - 2 * pad);
    const y = height - pad - ((p.lat - minLat) / spanLat) * (height - 2 * pad);
    chart.append(svg("circle", { cx: x, cy: y, r: 4, fill: CATEGORY_COLOURS[p.category] || "#333", "fill-opacity": 0.75 }));
  }
  $("map").replaceChildren(chart);
}

async function downloadCsv(event) {
  const table = event.target.dataset.csv;
  const response = await api(`/v1/stats/${table}?${query({ ...period(), format: "csv" })}`);
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await response.blob());
  link.download = `${table}.csv`;
  link.click();
  URL.revokeObjectURL(link.href);
}

document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", (event) => { signIn(event).catch((e) => { $("login-error").textContent = e.message; }); });
  $("logout").addEventListener("click", signOut);
  $("period").addEventListener("change", refresh);
  for (const button of document.querySelectorAll("button.csv")) { button.addEventListener("click", downloadCsv); }
  if (token()) { open().catch(() => signOut()); } else { show("login"); }
});
