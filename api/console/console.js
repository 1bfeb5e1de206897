// The ward's desk: the queue of a department, the triage desk or a ward, a report with
// everything known of it, and the forms of every action. It reads and writes the same API as
// the phone app, with the signed-in person's token, so it shows exactly what they may see and
// offers exactly what they may do. No library, no network beyond this service.
"use strict";

const SESSION_KEY = "sos.console.session";
const LANGUAGE_KEY = "sos.console.language";
const OPEN_STATES = "submitted,assigned,acknowledged,in_progress";
const STANDING_ORDER = { late: 0, at_risk: 1, on_time: 2 };
const PAGE = 100;

const TEXTS = {
  vi: {
    app: "Bàn làm việc", skip: "Bỏ qua đến nội dung chính", queue: "Hàng đợi", signIn: "Đăng nhập",
    signOut: "Đăng xuất", username: "Tên đăng nhập", password: "Mật khẩu", status: "Trạng thái",
    open: "Đang mở", resolvedState: "Đã giải quyết", all: "Tất cả", category: "Lĩnh vực",
    neighborhood: "Khu phố", search: "Tìm", standing: "Tiến độ", due: "Hạn", kind: "Loại",
    description: "Nội dung", empty: "Không có phản ánh nào.", more: "Xem thêm", back: "← Hàng đợi",
    classification: "Phân loại", deadlines: "Thời hạn", photos: "Ảnh", timeline: "Diễn biến",
    actions: "Xử lý", late: "Quá hạn", at_risk: "Sắp quá hạn", on_time: "Trong hạn",
    keys: "Phím tắt: j/k chọn, Enter mở, a tiếp nhận, s bắt đầu xử lý, Esc quay lại.",
    loading: "Đang tải…", signInFailed: "Đăng nhập không thành công.", expired: "Phiên đăng nhập đã hết, hãy đăng nhập lại.",
    stale: "Người khác vừa cập nhật phản ánh này; đã tải lại để bạn xem trước khi thao tác.",
    done: "Đã lưu.", reporter: "Người báo", address: "Địa chỉ", position: "Vị trí", department: "Đơn vị",
    priority: "Mức độ", filed: "Gửi lúc", confidence: "Độ tin cậy", words: "Từ quyết định",
    suggestions: "Gợi ý của máy", choose: "Chọn", routedToTriage: "Máy chưa chắc chắn: cần bộ phận tiếp nhận phân loại.",
    internal: "Nội bộ", public: "Công khai", noPhotos: "Chưa có ảnh.", before: "Trước", after: "Sau",
    acknowledge: "Tiếp nhận", start: "Bắt đầu xử lý", resolve: "Báo kết quả", reject: "Từ chối",
    reroute: "Chuyển đơn vị", mark_duplicate: "Gộp vào phản ánh trùng", comment: "Ghi chú",
    reopen: "Mở lại", close: "Đóng", extend: "Gia hạn", response: "Kết quả gửi khu phố",
    afterPhoto: "Ảnh sau khi xử lý (không bắt buộc)", reason: "Lý do", text: "Nội dung",
    visibility: "Ai được xem", newDeadline: "Hạn xử lý mới", original: "Mã phản ánh gốc",
    send: "Gửi", toTriage: "Trả về bộ phận tiếp nhận", ward: "Phường", acknowledgeDeadline: "Tiếp nhận (đơn vị)",
    resolveDeadline: "Giải quyết (đơn vị)", wardAcknowledge: "Tiếp nhận (cam kết của phường)",
    wardResolve: "Giải quyết (cam kết của phường)", rating: "Đánh giá", supporters: "Người cùng báo",
    changedMeanwhile: "Phản ánh vừa có thay đổi mới; nội dung sẽ được tải lại sau khi bạn gửi.",
    map: "Bản đồ", noPosition: "Phản ánh không có vị trí.",
  },
  en: {
    app: "Ward desk", skip: "Skip to the main content", queue: "Queue", signIn: "Sign in",
    signOut: "Sign out", username: "Username", password: "Password", status: "Status",
    open: "Open", resolvedState: "Resolved", all: "All", category: "Category",
    neighborhood: "Neighborhood", search: "Search", standing: "Standing", due: "Due", kind: "Kind",
    description: "Description", empty: "No reports.", more: "Show more", back: "← Queue",
    classification: "Classification", deadlines: "Deadlines", photos: "Photos", timeline: "Timeline",
    actions: "Actions", late: "Late", at_risk: "At risk", on_time: "On time",
    keys: "Shortcuts: j/k select, Enter opens, a acknowledges, s starts work, Esc goes back.",
    loading: "Loading…", signInFailed: "Sign-in failed.", expired: "Your session ended; sign in again.",
    stale: "Someone else just changed this report; it was reloaded so you can see it before acting.",
    done: "Saved.", reporter: "Reported by", address: "Address", position: "Position", department: "Department",
    priority: "Priority", filed: "Filed", confidence: "Confidence", words: "Deciding words",
    suggestions: "Classifier's suggestions", choose: "Choose", routedToTriage: "The classifier was unsure: the triage desk classifies it.",
    internal: "Internal", public: "Public", noPhotos: "No photos yet.", before: "Before", after: "After",
    acknowledge: "Acknowledge", start: "Start work", resolve: "Resolve", reject: "Reject",
    reroute: "Reroute", mark_duplicate: "Merge into a duplicate", comment: "Comment",
    reopen: "Reopen", close: "Close", extend: "Extend", response: "Answer to the neighborhood",
    afterPhoto: "Photo after the fix (optional)", reason: "Reason", text: "Text",
    visibility: "Who reads it", newDeadline: "New deadline to resolve", original: "Original report id",
    send: "Send", toTriage: "Hand back to the triage desk", ward: "Ward", acknowledgeDeadline: "Acknowledge (department)",
    resolveDeadline: "Resolve (department)", wardAcknowledge: "Acknowledge (ward's promise)",
    wardResolve: "Resolve (ward's promise)", rating: "Rating", supporters: "Also reported by",
    changedMeanwhile: "The report just changed; it will be reloaded once you send.",
    map: "Map", noPosition: "The report has no position.",
  },
};

const state = {
  language: localStorage.getItem(LANGUAGE_KEY) === "en" ? "en" : "vi",
  me: null,
  labels: {},
  reports: [],
  cursor: null,
  selected: 0,
  report: null,
  unseen: 0,
  stream: null,
};

const $ = (id) => document.getElementById(id);
const t = (key) => TEXTS[state.language][key] ?? key;
const label = (code) => state.labels[code] ?? code;

function element(tag, properties = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(properties)) {
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function when(iso) {
  if (!iso) return "–";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "–" : new Intl.DateTimeFormat(state.language === "vi" ? "vi-VN" : "en-GB", {
    timeZone: "Asia/Ho_Chi_Minh", hour: "2-digit", minute: "2-digit", day: "2-digit", month: "2-digit", year: "numeric",
  }).format(date);
}

function notice(text) { $("notice").textContent = text; }

// --- Session -------------------------------------------------------------------------

function session() {
  try { return JSON.parse(sessionStorage.getItem(SESSION_KEY)); } catch { return null; }
}

function keepSession(pair) {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify({ access: pair.access_token, refresh: pair.refresh_token }));
}

function signOut(message) {
  sessionStorage.removeItem(SESSION_KEY);
  state.stream?.abort();
  state.me = null;
  show("login");
  notice(message ?? "");
}

async function refreshSession() {
  const current = session();
  if (!current) return false;
  const response = await fetch("/v1/auth/refresh", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ refresh_token: current.refresh }),
  });
  if (!response.ok) return false;
  keepSession(await response.json());
  return true;
}

/** A request with the person's token and language; refreshes the token once when it expired. */
async function api(path, options = {}, retried = false) {
  const headers = { "accept-language": state.language, ...(options.headers ?? {}) };
  const current = session();
  if (current) headers.authorization = `Bearer ${current.access}`;
  const response = await fetch(path, { ...options, headers });
  if (response.status === 401) {
    const problem = await response.clone().json().catch(() => ({}));
    if (!retried && problem.type?.endsWith(":token-expired") && await refreshSession()) {
      return api(path, options, true);
    }
    signOut(t("expired"));
    throw new Error(t("expired"));
  }
  return response;
}

async function json(path) {
  const response = await api(path);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.detail || body.title || `HTTP ${response.status}`);
  return body;
}

/** Sends a write with a fresh Idempotency-Key, so a retry by the browser cannot do it twice. */
async function write(path, body, contentType = "application/json") {
  const headers = { "idempotency-key": crypto.randomUUID() };
  if (contentType) headers["content-type"] = contentType;
  return api(path, { method: "POST", headers, body });
}

async function signIn(event) {
  event.preventDefault();
  $("login-error").textContent = "";
  const response = await fetch("/v1/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json", "accept-language": state.language },
    body: JSON.stringify({ username: $("username").value.trim(), password: $("password").value }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    $("login-error").textContent = body.detail || t("signInFailed");
    return;
  }
  keepSession(body);
  $("password").value = "";
  await start();
}

// --- Views ---------------------------------------------------------------------------

function show(view) {
  for (const name of ["login", "queue", "report"]) $(`${name}-view`).hidden = name !== view;
  $("nav").hidden = view === "login";
  $("logout").hidden = view === "login";
  if (view === "login") $("who").textContent = "";
}

function translatePage() {
  document.documentElement.lang = state.language;
  for (const node of document.querySelectorAll("[data-text]")) node.textContent = t(node.dataset.text);
  for (const node of document.querySelectorAll("[data-label]")) node.setAttribute("aria-label", t(node.dataset.label));
  const other = state.language === "vi" ? "en" : "vi";
  $("language").textContent = other === "en" ? "English" : "Tiếng Việt";
  $("language").lang = other;
  updateTitle();
}

function updateTitle() {
  const base = `${t(state.report && !$("report-view").hidden ? "description" : "queue")} — SOS Khu Phố`;
  document.title = state.unseen > 0 ? `(${state.unseen}) ${base}` : base;
}

async function loadLabels() {
  const taxonomy = await json("/v1/taxonomy");
  const labels = {};
  const remember = (items) => { for (const item of items ?? []) labels[item.code] = item.label; };
  remember(taxonomy.categories);
  for (const category of taxonomy.categories ?? []) remember(category.subcategories);
  remember(taxonomy.departments);
  remember(taxonomy.priorities);
  remember(taxonomy.statuses);
  state.labels = labels;
  const categories = $("filter-category");
  categories.replaceChildren(element("option", { value: "" }, t("all")),
    ...(taxonomy.categories ?? []).map((c) => element("option", { value: c.code }, c.label)));
}

async function start() {
  state.me = await json("/v1/me");
  $("who").textContent = [state.me.display_name, state.me.ward?.name].filter(Boolean).join(" · ");
  await loadLabels();
  if (state.me.ward) {
    const neighborhoods = await json(`/v1/wards/${state.me.ward.id}/neighborhoods`);
    $("filter-neighborhood").replaceChildren(element("option", { value: "" }, t("all")),
      ...(neighborhoods.items ?? neighborhoods).map((n) => element("option", { value: n.id }, n.name)));
  }
  listen();
  await route();
}

async function route() {
  if (!session()) { show("login"); return; }
  const match = location.hash.match(/^#\/reports\/([0-9a-f-]{36})$/);
  if (match) await openReport(match[1]);
  else await openQueue();
}

// --- Queue ---------------------------------------------------------------------------

/** The deadline that matters now: to acknowledge until done, then to resolve. */
function current(report) {
  const d = report.deadlines ?? {};
  return report.acknowledged_at ? d.resolve ?? d.ward_resolve : d.acknowledge ?? d.ward_acknowledge;
}

function byStanding(a, b) {
  const da = current(a), db = current(b);
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
  if (cursor) params.set("cursor", cursor);
  return params.toString();
}

async function loadQueue(more = false) {
  const page = await json(`/v1/reports?${queueQuery(more ? state.cursor : null)}`);
  state.reports = more ? state.reports.concat(page.items) : page.items;
  state.reports.sort(byStanding);
  state.cursor = page.next_cursor;
  state.selected = Math.min(state.selected, Math.max(state.reports.length - 1, 0));
  drawQueue();
  await drawQueueMap();
}

function drawQueue() {
  const rows = state.reports.map((report, index) => {
    const deadline = current(report);
    const standing = deadline?.standing;
    const open = () => { location.hash = `#/reports/${report.id}`; };
    return element("tr", {
      class: index === state.selected ? "selected" : "", "data-id": report.id, tabindex: index === state.selected ? "0" : "-1",
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
  $("queue-empty").hidden = state.reports.length > 0;
  $("queue-more").hidden = !state.cursor;
  $("queue-count").textContent = `(${state.reports.length}${state.cursor ? "+" : ""})`;
}

async function openQueue() {
  show("queue");
  state.report = null;
  state.unseen = 0;
  updateTitle();
  await loadQueue();
  $("queue-rows").querySelector("tr.selected")?.focus({ preventScroll: true });
}

function select(step) {
  if (state.reports.length === 0) return;
  state.selected = Math.max(0, Math.min(state.reports.length - 1, state.selected + step));
  drawQueue();
  $("queue-rows").querySelector("tr.selected")?.focus();
}

// --- Report --------------------------------------------------------------------------

async function photoUrl(path) {
  const response = await api(path);
  if (!response.ok) return null;
  return URL.createObjectURL(await response.blob());
}

function fact(name, value) {
  return value === null || value === undefined || value === "" ? [] : [element("dt", {}, t(name)), element("dd", {}, value)];
}

async function openReport(id) {
  show("report");
  notice(t("loading"));
  await showReport(await json(`/v1/reports/${id}`));
}

async function showReport(report) {
  state.report = report;
  updateTitle();
  $("report-title").textContent = report.description;
  const position = report.location ? `${report.location.lat.toFixed(5)}, ${report.location.lon.toFixed(5)}` : null;
  $("report-facts").replaceChildren(
    ...fact("status", label(report.status)),
    ...fact("kind", `${label(report.category)} — ${label(report.subcategory)}`),
    ...fact("priority", label(report.priority)),
    ...fact("department", report.department?.name),
    ...fact("neighborhood", report.neighborhood?.name),
    ...fact("reporter", report.reporter?.display_name),
    ...fact("address", report.address),
    ...fact("position", position),
    ...fact("filed", when(report.created_at)),
    ...fact("supporters", report.supporters || null),
    ...fact("rating", report.rating ? `${report.rating}/5` : null),
  );
  drawClassification(report);
  drawDeadlines(report.deadlines ?? {});
  drawTimeline(report.timeline ?? []);
  drawActions(report);
  notice("");
  await Promise.all([drawPhotos(report), drawReportMap(report)]);
}

function drawClassification(report) {
  const c = report.classification ?? {};
  const rerouting = report.allowed_actions.includes("reroute");
  const suggestions = (c.suggestions ?? []).map((s) => element("li", {},
    `${label(s.subcategory)} (${Math.round((s.confidence ?? 0) * 100)}%) `,
    rerouting && s.subcategory !== report.subcategory
      ? element("button", { type: "button", class: "small", onclick: () => act({ action: "reroute", subcategory: s.subcategory }) }, t("choose"))
      : null));
  $("report-classification").replaceChildren(...[
    element("p", {}, `${t("confidence")}: ${Math.round((c.confidence ?? 0) * 100)}%`),
    c.routed_to_triage ? element("p", { class: "hint" }, t("routedToTriage")) : null,
    (c.matched_terms ?? []).length ? element("p", {}, `${t("words")}: `, ...c.matched_terms.map((w) => element("mark", {}, w))) : null,
    suggestions.length ? element("div", {}, element("p", {}, t("suggestions")), element("ul", { class: "plain" }, suggestions)) : null,
  ].filter(Boolean));
}

function drawDeadlines(d) {
  const items = [["acknowledgeDeadline", d.acknowledge], ["resolveDeadline", d.resolve],
    ["wardAcknowledge", d.ward_acknowledge], ["wardResolve", d.ward_resolve]]
    .filter(([, deadline]) => deadline)
    .map(([name, deadline]) => element("li", {}, `${t(name)}: ${when(deadline.due_at)} `,
      element("span", { class: `badge ${deadline.standing}` }, t(deadline.standing))));
  $("report-deadlines").replaceChildren(...items);
}

function drawTimeline(events) {
  $("report-timeline").replaceChildren(...events.map((e) => element("li", { class: e.visibility },
    element("div", { class: "when" }, when(e.created_at), " · ", e.actor?.display_name ?? "",
      " ", element("span", { class: `badge ${e.visibility}` }, t(e.visibility))),
    element("div", {}, label(e.to_status ?? "") !== "" && e.to_status ? `${label(e.type)} → ${label(e.to_status)}` : label(e.type)),
    e.text ? element("p", {}, e.text) : null)));
}

async function drawPhotos(report) {
  const container = $("report-photos");
  if (!report.photos?.length) { container.replaceChildren(element("p", { class: "hint" }, t("noPhotos"))); return; }
  const figures = await Promise.all(report.photos.map(async (photo) => {
    const [thumb, full] = [photo.files.thumbnail ?? photo.files.screen, photo.files.screen ?? photo.files.original];
    const src = await photoUrl(thumb);
    const caption = `${t(photo.kind)} · ${when(photo.created_at)}`;
    return element("figure", {},
      element("a", { href: "#", onclick: async (e) => { e.preventDefault(); window.open(await photoUrl(full), "_blank"); } },
        element("img", { src, alt: caption, width: 160 })),
      element("figcaption", {}, caption));
  }));
  container.replaceChildren(...figures);
}

/** One form per action the person may take now; the API's `allowed_actions` decides. */
function drawActions(report) {
  const forms = report.allowed_actions.map((action) => actionForm(action, report));
  $("report-actions").replaceChildren(...forms);
  $("action-error").textContent = "";
}

function field(name, control) {
  const id = `field-${name}-${Math.random().toString(36).slice(2, 8)}`;
  control.id = id;
  control.name = name;
  return element("div", { class: "field" }, element("label", { for: id }, t(name)), control);
}

function actionForm(action, report) {
  const fields = [];
  const text = (name, required = true, max = 4000) => element("textarea", { rows: 3, maxlength: max, required });
  switch (action) {
    case "resolve":
      fields.push(field("response", text("response")), field("afterPhoto", element("input", { type: "file", accept: "image/jpeg,image/png,image/webp" })));
      break;
    case "reject": case "reopen": case "mark_duplicate":
      if (action === "mark_duplicate") fields.push(field("original", element("input", { required: true, pattern: "[0-9a-fA-F-]{36}" })));
      fields.push(field("reason", text("reason", action === "reject", 2000)));
      break;
    case "reroute": {
      const select = element("select", { required: true }, element("option", { value: "" }, "—"),
        element("option", { value: "__triage" }, t("toTriage")));
      json(`/v1/wards/${report.ward.id}/departments`).then((list) => {
        for (const d of list.items ?? list) if (d.code !== report.department?.code) select.append(element("option", { value: d.code }, d.name));
      }).catch(() => {});
      fields.push(field("department", select), field("reason", text("reason", false, 2000)));
      break;
    }
    case "comment": {
      const visibility = element("select", {}, element("option", { value: "internal" }, t("internal")), element("option", { value: "public" }, t("public")));
      fields.push(field("text", text("text")), field("visibility", visibility));
      break;
    }
    case "extend":
      fields.push(field("newDeadline", element("input", { type: "datetime-local", required: true })), field("reason", text("reason", true, 2000)));
      break;
    case "close":
      fields.push(field("text", text("text", false)));
      break;
    default:
      break;
  }
  const form = element("form", { class: "action", "data-action": action },
    element("fieldset", {}, fields.length ? element("legend", {}, t(action)) : null, ...fields,
      element("button", { type: "submit" }, t(action))));
  form.addEventListener("submit", (event) => { event.preventDefault(); submitAction(action, form); });
  return form;
}

function value(form, name) { return form.elements[name]?.value?.trim() || undefined; }

async function submitAction(action, form) {
  const body = { action };
  const reason = value(form, "reason");
  if (reason) body.reason = reason;
  if (action === "resolve") body.response = value(form, "response");
  if (action === "comment") { body.text = value(form, "text"); body.visibility = value(form, "visibility"); }
  if (action === "close" && value(form, "text")) body.text = value(form, "text");
  if (action === "mark_duplicate") body.duplicate_of = value(form, "original");
  if (action === "extend") body.resolve_by = new Date(value(form, "newDeadline")).toISOString();
  if (action === "reroute") {
    const destination = value(form, "department");
    if (destination === "__triage") body.to_triage = true; else body.department = destination;
  }
  const photo = form.elements.afterPhoto?.files?.[0];
  if (photo) {
    const upload = new FormData();
    upload.append("kind", "after");
    upload.append("photo", photo);
    const sent = await write(`/v1/reports/${state.report.id}/photos`, upload, null);
    if (!sent.ok) { await showProblem(sent); return; }
  }
  await act(body);
}

async function act(body) {
  const response = await write(`/v1/reports/${state.report.id}/actions`, JSON.stringify(body));
  if (response.ok) {
    // The answer is the report as the person now sees it; a report sent to another
    // department may be out of their sight, and they go back to the queue.
    const report = await response.json();
    if (report.allowed_actions) await showReport(report); else location.hash = "#/queue";
    notice(t("done"));
    return;
  }
  const problem = await response.clone().json().catch(() => ({}));
  if (problem.type?.endsWith(":stale")) {
    await openReport(state.report.id);
    $("action-error").textContent = t("stale");
    return;
  }
  await showProblem(response);
}

async function showProblem(response) {
  const problem = await response.json().catch(() => ({}));
  const fields = (problem.errors ?? []).map((e) => e.detail ?? e.message).filter(Boolean);
  $("action-error").textContent = [problem.detail || problem.title || `HTTP ${response.status}`, ...fields].join(" ");
}

// --- Map -----------------------------------------------------------------------------

const maps = {};
const wardShapes = {};

/** The map drawn in `#id`, made on first use; none when the map library did not load (the
 *  console works without it). */
function mapIn(id) {
  if (!window.L) return null;
  if (!maps[id]) {
    // No animations: a moving map is no help at a desk, and a hidden tab never finishes one.
    // The zoom limits are needed by the marker clusters (a tile layer would set them).
    const still = {
      attributionControl: false, zoomAnimation: false, fadeAnimation: false, markerZoomAnimation: false,
      minZoom: 10, maxZoom: 19,
    };
    const map = L.map(id, still).setView([10.8, 106.7], 12);
    maps[id] = { map, shapes: L.layerGroup().addTo(map), pins: L.layerGroup().addTo(map) };
  }
  return maps[id];
}

/** Draws the ward's boundary and its neighborhoods'; their bounds, if the ward has any. */
async function drawWard(entry, wardId) {
  if (!wardId) return null;
  wardShapes[wardId] ??= json(`/v1/wards/${wardId}/boundaries.geojson`).catch(() => null);
  const shapes = await wardShapes[wardId];
  entry.shapes.clearLayers();
  if (!shapes?.features?.length) return null;
  const layer = L.geoJSON(shapes, {
    style: (f) => f.properties.level === "ward"
      ? { color: "#0b5cab", weight: 2, fill: false }
      : { color: "#4a5560", weight: 1, dashArray: "4", fillOpacity: 0.04 },
    onEachFeature: (f, shape) => shape.bindTooltip(f.properties.neighborhood_name ?? f.properties.ward_name),
  });
  entry.shapes.addLayer(layer);
  return layer.getBounds();
}

function pin(report) {
  const standing = current(report)?.standing ?? "none";
  const marker = L.marker([report.location.lat, report.location.lon], {
    icon: L.divIcon({ className: "", html: `<span class="pin ${standing}"></span>`, iconSize: [14, 14] }),
    title: report.description,
    keyboard: false,
  });
  marker.bindTooltip(`${standing === "none" ? "" : `${t(standing)} · `}${label(report.subcategory)}`);
  marker.on("click", () => { location.hash = `#/reports/${report.id}`; });
  return marker;
}

/** The reports of the queue on the map, clustered where dense, coloured by standing. */
async function drawQueueMap() {
  const entry = mapIn("queue-map");
  if (!entry) return;
  entry.map.invalidateSize();
  const bounds = await drawWard(entry, state.me?.ward?.id);
  entry.pins.clearLayers();
  const placed = state.reports.filter((r) => r.location);
  const cluster = L.markerClusterGroup
    ? L.markerClusterGroup({ showCoverageOnHover: false, animate: false, removeOutsideVisibleBounds: false })
    : L.layerGroup();
  for (const report of placed) cluster.addLayer(pin(report));
  entry.pins.addLayer(cluster);
  const view = bounds ?? (placed.length ? L.latLngBounds(placed.map((r) => [r.location.lat, r.location.lon])) : null);
  if (view?.isValid()) entry.map.fitBounds(view, { padding: [12, 12], maxZoom: 17, animate: false });
}

/** The report's place within its ward. */
async function drawReportMap(report) {
  const entry = mapIn("report-map");
  if (!entry) return;
  entry.map.invalidateSize();
  const bounds = await drawWard(entry, report.ward?.id);
  entry.pins.clearLayers();
  if (report.location) {
    entry.pins.addLayer(pin(report));
    entry.map.setView([report.location.lat, report.location.lon], 17, { animate: false });
  } else if (bounds?.isValid()) {
    entry.map.fitBounds(bounds, { animate: false });
    notice(t("noPosition"));
  }
}

// --- Live ----------------------------------------------------------------------------

/** Reads the person's stream (Server-Sent Events over fetch, which can carry the token). */
async function listen() {
  state.stream?.abort();
  const controller = new AbortController();
  state.stream = controller;
  let lastId = null;
  while (!controller.signal.aborted && session()) {
    try {
      const headers = { authorization: `Bearer ${session().access}` };
      if (lastId) headers["last-event-id"] = lastId;
      const response = await fetch("/v1/stream", { headers, signal: controller.signal });
      if (response.status === 401) { if (!(await refreshSession())) return; continue; }
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value: chunk, done } = await reader.read();
        if (done) break;
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const id = block.split("\n").find((line) => line.startsWith("id:"));
          if (id) { lastId = id.slice(3).trim(); changed(block); }
        }
      }
    } catch (error) {
      if (controller.signal.aborted) return;
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

let reload = null;
function changed(block) {
  const data = block.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5)).join("\n");
  let news = {};
  try { news = JSON.parse(data); } catch { /* a heartbeat or a line we do not read */ }
  if (document.hidden || $("queue-view").hidden) { state.unseen += 1; updateTitle(); }
  if (!$("queue-view").hidden) {
    clearTimeout(reload);
    reload = setTimeout(() => loadQueue().catch((e) => notice(e.message)), 300);
    return;
  }
  if (!state.report || news.report_id !== state.report.id) return;
  clearTimeout(reload);
  reload = setTimeout(() => {
    // What the page already shows (the person's own action) needs no reload.
    if ((state.report?.timeline ?? []).some((e) => e.id === news.event?.id)) return;
    // Never wipe what the person is typing: say the report changed instead.
    if (formInUse()) { notice(t("changedMeanwhile")); return; }
    openReport(state.report.id).catch((e) => notice(e.message));
  }, 300);
}

function formInUse() {
  const fields = [...$("report-actions").querySelectorAll("input, textarea, select")];
  return fields.some((f) => f === document.activeElement || (f.type !== "select-one" && f.value));
}

// --- Keyboard ------------------------------------------------------------------------

function onKey(event) {
  if (event.target.closest("input, textarea, select") || event.ctrlKey || event.metaKey || event.altKey) return;
  const inQueue = !$("queue-view").hidden;
  const inReport = !$("report-view").hidden;
  if (inQueue && event.key === "j") select(1);
  else if (inQueue && event.key === "k") select(-1);
  else if (inQueue && event.key === "Enter" && state.reports[state.selected]) location.hash = `#/reports/${state.reports[state.selected].id}`;
  else if (inReport && event.key === "Escape") location.hash = "#/queue";
  else if (inReport && (event.key === "a" || event.key === "s")) {
    const action = event.key === "a" ? "acknowledge" : "start";
    if (state.report?.allowed_actions.includes(action)) act({ action });
  } else return;
  event.preventDefault();
}

// --- Start ---------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  translatePage();
  $("login-form").addEventListener("submit", (e) => signIn(e).catch((error) => { $("login-error").textContent = error.message; }));
  $("logout").addEventListener("click", () => {
    api("/v1/auth/logout", { method: "POST" }).catch(() => {});
    signOut();
  });
  $("language").addEventListener("click", async () => {
    state.language = state.language === "vi" ? "en" : "vi";
    localStorage.setItem(LANGUAGE_KEY, state.language);
    translatePage();
    if (state.me) { await loadLabels(); await route(); }
  });
  for (const id of ["filter-status", "filter-category", "filter-neighborhood"]) $(id).addEventListener("change", () => loadQueue().catch((e) => notice(e.message)));
  let typing = null;
  $("filter-text").addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(() => loadQueue().catch((e) => notice(e.message)), 300); });
  $("queue-more").addEventListener("click", () => loadQueue(true).catch((e) => notice(e.message)));
  document.addEventListener("keydown", onKey);
  document.addEventListener("visibilitychange", () => { if (!document.hidden && !$("queue-view").hidden) { state.unseen = 0; updateTitle(); } });
  window.addEventListener("hashchange", () => route().catch((e) => notice(e.message)));
  if (session()) start().catch((e) => notice(e.message)); else show("login");
});
