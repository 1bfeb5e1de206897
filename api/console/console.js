// The ward's desk: the queue of a department, the triage desk or a ward, a report with
// everything known of it and the forms of every action, the leaders' dashboard, and the ward
// administrator's pages. It reads and writes the same API as the phone app, with the
// signed-in person's token, so it shows exactly what they may see and offers exactly what they
// may do. Plain modules, no build step; the map library is vendored.
import {
  $, api, chooseLanguage, element, forgetSession, hooks, json, keepSession, notice, refreshSession, session, state, t,
} from "./core.js";
import { TABS, openAdmin, sendRoster } from "./admin.js";
import { openDashboard } from "./dashboard.js";
import { loadQueue, openQueue, select, selectedReport } from "./queue.js";
import { act, formInUse, openReport, opened } from "./report.js";

const VIEWS = ["login", "queue", "report", "dashboard", "admin"];
const LEADERS = ["ward_leader", "city_leader"];

function show(view) {
  for (const name of VIEWS) $(`${name}-view`).hidden = name !== view;
  $("nav").hidden = view === "login";
  $("logout").hidden = view === "login";
  if (view === "login") $("who").textContent = "";
  for (const link of $("nav").querySelectorAll("a")) {
    if (link.dataset.view === view) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
  }
  updateTitle();
}

const visible = (view) => !$(`${view}-view`).hidden;

function signOut(message) {
  forgetSession();
  state.stream?.abort();
  state.me = null;
  show("login");
  notice(message ?? "");
}
hooks.signedOut = signOut;

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
  const view = VIEWS.find(visible) ?? "login";
  const name = view === "report" ? "description" : view === "admin" ? "admin" : view === "login" ? "signIn" : view;
  const base = `${t(name)} — SOS Khu Phố`;
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
  remember(taxonomy.roles);
  state.labels = labels;
  state.taxonomy = taxonomy;
  $("filter-category").replaceChildren(element("option", { value: "" }, t("all")),
    ...(taxonomy.categories ?? []).map((c) => element("option", { value: c.code }, c.label)));
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

async function start() {
  state.me = await json("/v1/me");
  $("who").textContent = [state.me.display_name, state.me.ward?.name].filter(Boolean).join(" · ");
  await loadLabels();
  state.tiles = (await json("/v1/app")).map;
  $("nav-admin").hidden = state.me.role !== "admin";
  $("nav-dashboard").hidden = ![...LEADERS, "admin"].includes(state.me.role);
  if (state.me.ward) {
    const neighborhoods = await json(`/v1/wards/${state.me.ward.id}/neighborhoods`);
    $("filter-neighborhood").replaceChildren(element("option", { value: "" }, t("all")),
      ...(neighborhoods.items ?? neighborhoods).map((n) => element("option", { value: n.id }, n.name)));
  }
  listen();
  await route();
}

/** The page the address names; without one, the person's usual page. */
async function route() {
  if (!session()) { show("login"); return; }
  if (!state.me) return;
  const [path, search = ""] = location.hash.replace(/^#/, "").split("?");
  const params = new URLSearchParams(search);
  const report = path.match(/^\/reports\/([0-9a-f-]{36})$/);
  const adminTab = path.match(/^\/admin(?:\/([a-z]+))?$/);
  if (report) {
    show("report");
    await openReport(report[1]);
  } else if (adminTab && state.me.role === "admin") {
    show("admin");
    await openAdmin(adminTab[1]);
  } else if (path === "/dashboard" && !$("nav-dashboard").hidden) {
    show("dashboard");
    await openDashboard();
  } else if (path === "/queue") {
    show("queue");
    state.unseen = 0;
    updateTitle();
    await openQueue(params);
  } else {
    // Where each role starts its day.
    location.replace(state.me.role === "admin" ? "#/admin/accounts" : LEADERS.includes(state.me.role) ? "#/dashboard" : "#/queue");
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
    } catch {
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
  if (document.hidden || !visible("queue")) { state.unseen += 1; updateTitle(); }
  if (visible("queue")) {
    clearTimeout(reload);
    reload = setTimeout(() => loadQueue().catch((e) => notice(e.message)), 300);
    return;
  }
  if (!visible("report") || news.report_id !== opened.report?.id) return;
  clearTimeout(reload);
  reload = setTimeout(async () => {
    // The person's own action, still waiting for its answer, shows the report as it is
    // after it: the news may be that action, and a reload now would redraw the page twice.
    await opened.acting?.catch(() => {});
    // Another report opened meanwhile (none is held while it loads): this news is not its.
    if (opened.report?.id !== news.report_id) return;
    // What the page already shows (the person's own action) needs no reload.
    if ((opened.report.timeline ?? []).some((e) => e.id === news.event?.id)) return;
    // Never wipe what the person is typing: say the report changed instead.
    if (formInUse()) { notice(t("changedMeanwhile")); return; }
    openReport(news.report_id).catch((e) => notice(e.message));
  }, 300);
}

// --- Keyboard ------------------------------------------------------------------------

function onKey(event) {
  if (event.target.closest("input, textarea, select") || event.ctrlKey || event.metaKey || event.altKey) return;
  const inQueue = visible("queue");
  const inReport = visible("report");
  if (inQueue && event.key === "j") select(1);
  else if (inQueue && event.key === "k") select(-1);
  else if (inQueue && event.key === "Enter" && selectedReport()) location.hash = `#/reports/${selectedReport().id}`;
  else if (inReport && event.key === "Escape") location.hash = "#/queue";
  else if (inReport && (event.key === "a" || event.key === "s")) {
    const action = event.key === "a" ? "acknowledge" : "start";
    if (opened.report?.allowed_actions.includes(action)) act({ action });
  } else return;
  event.preventDefault();
}

// --- Start ---------------------------------------------------------------------------

const shown = (promise) => promise.catch((e) => notice(e.message));

document.addEventListener("DOMContentLoaded", () => {
  for (const tab of TABS) {
    $("admin-tabs").append(element("a", { href: `#/admin/${tab}`, "data-tab": tab, "data-text": `tab_${tab}` }, t(`tab_${tab}`)));
  }
  translatePage();
  $("login-form").addEventListener("submit", (e) => signIn(e).catch((error) => { $("login-error").textContent = error.message; }));
  $("logout").addEventListener("click", () => {
    api("/v1/auth/logout", { method: "POST" }).catch(() => {});
    signOut();
  });
  $("language").addEventListener("click", async () => {
    chooseLanguage(state.language === "vi" ? "en" : "vi");
    translatePage();
    if (state.me) { await loadLabels(); await route(); }
  });
  for (const id of ["filter-status", "filter-category", "filter-neighborhood"]) $(id).addEventListener("change", () => shown(loadQueue()));
  let typing = null;
  $("filter-text").addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(() => shown(loadQueue()), 300); });
  $("queue-more").addEventListener("click", () => shown(loadQueue(true)));
  $("queue-scope-clear").addEventListener("click", () => { location.hash = "#/queue"; });
  $("import-form").addEventListener("submit", (e) => { e.preventDefault(); shown(sendRoster(true)); });
  $("import-apply").addEventListener("click", () => shown(sendRoster(false)));
  document.addEventListener("keydown", onKey);
  document.addEventListener("visibilitychange", () => { if (!document.hidden && visible("queue")) { state.unseen = 0; updateTitle(); } });
  window.addEventListener("hashchange", () => shown(route()));
  if (session()) shown(start()); else show("login");
});
