// The ward administrator's pages: accounts (with the spreadsheet import), neighborhoods,
// departments, routing rules, deadline policies, office hours, webhooks and the audit log.
// Each page is the API's list and a form per change; what the API refuses is shown as it
// says it, next to the form.
import { $, element, json, label, notice, number, problemText, send, state, t, when, write } from "./core.js";

export const TABS = ["accounts", "neighborhoods", "departments", "routing", "deadlines", "hours", "webhooks", "audit"];
const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const EVENT_TYPES = ["report.submitted", "report.assigned", "report.acknowledged", "report.in_progress", "report.resolved",
  "report.rejected", "report.duplicate", "report.rerouted", "report.reopened", "report.closed", "report.commented",
  "report.deadline_warning", "report.escalated", "report.deadline_extended"];

const admin = { ward: null, tab: "accounts", auditCursor: null };

/** The ward administered: the admin's own, or for a city administrator the one chosen. */
async function chooseWard() {
  if (state.me.ward) { admin.ward = state.me.ward; $("admin-ward-label").hidden = true; return; }
  const select = $("admin-ward");
  if (select.options.length === 0) {
    const wards = await json("/v1/wards");
    select.replaceChildren(...(wards.items ?? wards).map((w) => element("option", { value: w.id }, w.name)));
    select.addEventListener("change", () => { admin.ward = { id: select.value, name: select.selectedOptions[0].textContent }; showTab(); });
  }
  $("admin-ward-label").hidden = false;
  admin.ward = select.value ? { id: select.value, name: select.selectedOptions[0]?.textContent } : null;
}

export async function openAdmin(tab) {
  admin.tab = TABS.includes(tab) ? tab : "accounts";
  // What was said of the last page's change is not about this one.
  notice("");
  await chooseWard();
  await showTab();
}

async function showTab() {
  for (const link of $("admin-tabs").querySelectorAll("a")) {
    if (link.dataset.tab === admin.tab) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
  }
  $("admin-title").textContent = t(`tab_${admin.tab}`);
  $("admin-error").textContent = "";
  $("admin-accounts").hidden = admin.tab !== "accounts";
  $("admin-panel").hidden = admin.tab === "accounts";
  if (!admin.ward) return;
  if (admin.tab === "accounts") { await loadAccounts(); return; }
  const panel = $("admin-panel");
  const page = `${admin.ward.id}/${admin.tab}`;
  // Another page's forms must not stand under this page's title while it loads.
  if (panel.dataset.page !== page) { panel.replaceChildren(); delete panel.dataset.page; }
  panel.setAttribute("aria-busy", "true");
  const content = await PAGES[admin.tab](admin.ward.id);
  // A page opened meanwhile wins: this one's answer came too late to be shown.
  if (page !== `${admin.ward?.id}/${admin.tab}`) return;
  panel.replaceChildren(...content);
  panel.dataset.page = page;
  panel.removeAttribute("aria-busy");
}

/** Runs a change, shows what the API said, and draws the page again with the change. */
async function change(work) {
  $("admin-error").textContent = "";
  try {
    const said = await work();
    notice(typeof said === "string" ? said : t("done"));
    await showTab();
  } catch (error) {
    $("admin-error").textContent = error.message;
  }
}

// --- Small builders ------------------------------------------------------------------

let fieldCount = 0;
/** A labelled control. */
function field(text, control) {
  fieldCount += 1;
  control.id ||= `admin-field-${fieldCount}`;
  return element("div", { class: "field" }, element("label", { for: control.id }, text), control);
}

const input = (name, attributes = {}) => element("input", { name, ...attributes });
const select = (name, options, attributes = {}) => element("select", { name, ...attributes },
  ...options.map(([value, text]) => element("option", { value }, text)));

/** A form of `fields` whose submit runs `work(form)` through [`change`]. */
function form(title, fields, work, button = t("save")) {
  const node = element("form", { class: "card admin-form" },
    element("h3", {}, title), ...fields, element("div", { class: "buttons" }, element("button", { type: "submit" }, button)));
  node.addEventListener("submit", (event) => { event.preventDefault(); change(() => work(node.elements)); });
  return node;
}

/** A table with a caption, one header row and `rows` of cells. */
function table(caption, headings, rows) {
  return element("table", { class: "queue" },
    element("caption", { class: "hint" }, caption),
    element("thead", {}, element("tr", {}, ...headings.map((h) => element("th", { scope: "col" }, h)))),
    element("tbody", {}, ...rows.map((cells) => element("tr", {}, ...cells.map((c) => element("td", {}, c))))));
}

const yesNo = (value) => (value ? t("yes") : t("no"));
const wardPath = (ward, rest) => `/v1/wards/${ward}/${rest}`;
const optional = (value) => (value === "" ? undefined : value);

// --- Accounts (the page's markup is in index.html: the import is the larger part) -----

async function loadAccounts() {
  const page = await json(`/v1/accounts?${new URLSearchParams({ limit: "100", ward_id: admin.ward.id })}`);
  $("account-rows").replaceChildren(...page.items.map((a) => element("tr", {},
    element("td", {}, a.username), element("td", {}, a.display_name), element("td", {}, label(a.role)),
    element("td", {}, yesNo(a.active)),
    element("td", {},
      element("button", {
        type: "button", class: "small", "aria-label": `${a.active ? t("deactivate") : t("reactivate")} ${a.username}`,
        onclick: () => change(() => send("PATCH", `/v1/accounts/${a.id}`, { active: !a.active })),
      }, a.active ? t("deactivate") : t("reactivate")), " ",
      element("button", {
        type: "button", class: "small", "aria-label": `${t("resetPassword")} ${a.username}`,
        onclick: () => change(async () => {
          const reset = await send("POST", `/v1/accounts/${a.id}/password-reset`);
          return `${a.username}: ${t("oneTimePassword")} ${reset.initial_password}`;
        }),
      }, t("resetPassword"))))));
}

/** Sends the chosen spreadsheet: a dry run names each wrong row; an import makes them all. */
export async function sendRoster(dryRun) {
  const file = $("import-file").files[0];
  if (!file || !admin.ward) return;
  const path = `${wardPath(admin.ward.id, "accounts/import")}${dryRun ? "?dry_run=true" : ""}`;
  const response = await write(path, await file.arrayBuffer(), { contentType: "text/csv" });
  const body = await response.json().catch(() => ({}));
  const rows = $("import-rows"), created = $("import-created");
  rows.hidden = true;
  created.hidden = true;
  if (response.status === 200 && body.dry_run) {
    $("import-summary").textContent = t("checked")(body.valid, body.invalid);
    showRosterProblems(body.rows.flatMap((row) => row.problems.map((p) => [row.line, p.field, p.message])));
  } else if (response.status === 201) {
    $("import-summary").textContent = t("imported")(body.created.length);
    created.tBodies[0].replaceChildren(...body.created.map((a) => element("tr", {},
      element("td", {}, a.username), element("td", {}, a.display_name),
      element("td", {}, a.initial_password ? element("code", {}, a.initial_password) : t("sentTo")(a.password_sent_to)))));
    created.hidden = false;
    await loadAccounts();
  } else {
    $("import-summary").textContent = problemText(body, response);
    // A refused import names each wrong cell as /lines/{line}/{column}.
    showRosterProblems((body.errors ?? []).map((e) => {
      const [, line = "", column = ""] = (e.field ?? "").match(/^\/lines\/(\d+)\/?(.*)$/) ?? [];
      return [line, column ? `/${column}` : e.field, e.message];
    }));
  }
}

function showRosterProblems(problems) {
  const rows = $("import-rows");
  rows.tBodies[0].replaceChildren(...problems.map((cells) => element("tr", {}, ...cells.map((c) => element("td", {}, c)))));
  rows.hidden = problems.length === 0;
}

// --- The other pages -----------------------------------------------------------------

const PAGES = {
  async neighborhoods(ward) {
    const list = await json(wardPath(ward, "neighborhoods"));
    const names = Object.fromEntries(list.map((n) => [n.id, n.name]));
    const active = list.filter((n) => n.active).map((n) => [n.id, n.name]);
    const today = new Date().toLocaleDateString("sv-SE", { timeZone: "Asia/Ho_Chi_Minh" });
    return [
      table(t("tab_neighborhoods"), [t("code"), t("name"), t("active"), t("mergedInto"), ""], list.map((n) => [
        n.code, n.name, yesNo(n.active), n.merged_into ? names[n.merged_into] ?? "" : "",
        n.merged_into ? "" : element("button", {
          type: "button", class: "small", "aria-label": `${n.active ? t("deactivate") : t("reactivate")} ${n.name}`,
          onclick: () => change(() => send("PATCH", wardPath(ward, `neighborhoods/${n.id}`), { active: !n.active })),
        }, n.active ? t("deactivate") : t("reactivate")),
      ])),
      element("div", { class: "forms" },
        form(t("addNeighborhood"), [
          field(t("code"), input("code", { required: true, maxlength: 30, pattern: "[a-z0-9][a-z0-9_\\-]*", placeholder: "kp6" })),
          field(t("name"), input("name", { required: true, maxlength: 200 })),
        ], (f) => send("POST", wardPath(ward, "neighborhoods"), { code: f.code.value.trim(), name: f.name.value.trim() }), t("add")),
        form(t("rename"), [
          field(t("neighborhood"), select("neighborhood", list.map((n) => [n.id, n.name]))),
          field(t("newName"), input("name", { required: true, maxlength: 200 })),
        ], (f) => send("PATCH", wardPath(ward, `neighborhoods/${f.neighborhood.value}`), { name: f.name.value.trim() })),
        form(t("mergeNeighborhoods"), [
          field(t("mergeFrom"), select("from", active)),
          field(t("mergeTarget"), select("into", active)),
          field(t("mergeDay"), input("day", { type: "date", required: true, value: today, max: today })),
        ], async (f) => {
          const merged = await send("POST", wardPath(ward, `neighborhoods/${f.from.value}/merge`), { into: f.into.value, from: f.day.value });
          return t("merged")(merged.reports_moved, merged.heads_moved);
        }, t("merge"))),
    ];
  },

  async departments(ward) {
    const list = await json(wardPath(ward, "departments"));
    return [
      table(t("tab_departments"), [t("code"), t("name"), t("external"), t("email"), t("triageDesk")],
        list.map((d) => [d.code, d.name, yesNo(d.external), d.email ?? "", yesNo(d.triage_desk)])),
      element("div", { class: "forms" },
        form(t("addDepartment"), [
          field(t("code"), input("code", { required: true, maxlength: 50, pattern: "[a-z][a-z0-9_]{1,49}" })),
          field(t("name"), input("name", { required: true, maxlength: 200 })),
          field(t("external"), select("external", [["false", t("no")], ["true", t("yes")]])),
          field(t("email"), input("email", { type: "email", maxlength: 254 })),
        ], (f) => send("POST", wardPath(ward, "departments"), {
          code: f.code.value.trim(), name: f.name.value.trim(), external: f.external.value === "true", email: optional(f.email.value.trim()),
        }), t("add")),
        form(t("editDepartment"), [
          field(t("department"), select("code", list.map((d) => [d.code, d.name]))),
          field(t("newName"), input("name", { maxlength: 200 })),
          field(t("email"), input("email", { type: "email", maxlength: 254 })),
        ], (f) => {
          const body = { name: optional(f.name.value.trim()), email: optional(f.email.value.trim()) };
          return send("PATCH", wardPath(ward, `departments/${f.code.value}`), body);
        })),
    ];
  },

  async routing(ward) {
    const [routing, departments] = await Promise.all([json(wardPath(ward, "routing")), json(wardPath(ward, "departments"))]);
    const choices = departments.map((d) => [d.code, d.name]);
    return [
      element("p", { class: "hint" }, t("routingHint")),
      table(t("tab_routing"), [t("kind"), t("department")], routing.rules.map((rule) => {
        const chooser = select("department", choices, { "aria-label": `${t("department")}: ${label(rule.subcategory)}` });
        chooser.value = rule.department.code;
        chooser.addEventListener("change", () => change(() =>
          send("PUT", wardPath(ward, `routing/${rule.subcategory}`), { department: chooser.value })));
        return [label(rule.subcategory), chooser];
      })),
    ];
  },

  async deadlines(ward) {
    const { policies } = await json(wardPath(ward, "deadline-policies"));
    const target = (x) => `${number(x.minutes)} ${t("minutes")} (${t(`clock_${x.clock}`)})`;
    const clock = (name) => select(name, [["calendar", t("clock_calendar")], ["working", t("clock_working")]]);
    const minutes = (name) => input(name, { type: "number", min: 1, max: 527040, required: true });
    return [
      table(t("tab_deadlines"), [t("priority"), t("kind"), t("acknowledgeDeadline"), t("resolveDeadline"), ""], policies.map((p) => [
        label(p.priority), p.subcategory ? label(p.subcategory) : t("wholePriority"), target(p.acknowledge), target(p.resolve),
        p.default ? element("span", { class: "hint" }, t("builtIn")) : element("button", {
          type: "button", class: "small", "aria-label": `${t("remove")} ${label(p.priority)} ${p.subcategory ? label(p.subcategory) : ""}`,
          onclick: () => change(() => send("DELETE", `${wardPath(ward, `deadline-policies/${p.priority}`)}${p.subcategory ? `?subcategory=${p.subcategory}` : ""}`)),
        }, t("remove")),
      ])),
      form(t("setDeadline"), [
        field(t("priority"), select("priority", (state.taxonomy.priorities ?? []).map((p) => [p.code, p.label]))),
        field(t("kind"), select("subcategory", [["", t("wholePriority")],
          ...(state.taxonomy.categories ?? []).flatMap((c) => c.subcategories.map((s) => [s.code, s.label]))])),
        field(`${t("acknowledgeDeadline")} (${t("minutes")})`, minutes("ackMinutes")), field(t("clock"), clock("ackClock")),
        field(`${t("resolveDeadline")} (${t("minutes")})`, minutes("resolveMinutes")), field(t("clock"), clock("resolveClock")),
      ], (f) => send("PUT", `${wardPath(ward, `deadline-policies/${f.priority.value}`)}${f.subcategory.value ? `?subcategory=${f.subcategory.value}` : ""}`, {
        acknowledge: { minutes: Number(f.ackMinutes.value), clock: f.ackClock.value },
        resolve: { minutes: Number(f.resolveMinutes.value), clock: f.resolveClock.value },
      })),
    ];
  },

  async hours(ward) {
    const week = await json(wardPath(ward, "office-hours"));
    return [form(t("tab_hours"), [
      element("p", { class: "hint" }, t("hoursHint")),
      ...WEEKDAYS.map((day) => field(t(`day_${day}`), input(day, { value: week[day].join(", "), maxlength: 200, pattern: "[0-9:, \\-]*" }))),
    ], (f) => send("PUT", wardPath(ward, "office-hours"),
      Object.fromEntries(WEEKDAYS.map((day) => [day, f[day].value.split(",").map((p) => p.trim()).filter(Boolean)]))))];
  },

  async webhooks(ward) {
    const { items } = await json(wardPath(ward, "webhooks"));
    const secret = element("p", { id: "webhook-secret", role: "status" });
    return [
      table(t("tab_webhooks"), [t("address"), t("events"), t("active"), t("filed"), ""], items.map((w) => [
        w.url, w.event_types.length ? w.event_types.join(", ") : t("allEvents"), yesNo(w.active), when(w.created_at),
        element("button", {
          type: "button", class: "small", "aria-label": `${t("remove")} ${w.url}`,
          onclick: () => change(() => send("DELETE", wardPath(ward, `webhooks/${w.id}`))),
        }, t("remove")),
      ])),
      form(t("addWebhook"), [
        field(t("address"), input("url", { type: "url", required: true, maxlength: 2000, placeholder: "https://" })),
        element("fieldset", { class: "choices" }, element("legend", {}, `${t("events")} (${t("noneMeansAll")})`),
          ...EVENT_TYPES.map((type) => element("label", {}, element("input", { type: "checkbox", name: "events", value: type }), ` ${type}`))),
      ], async (f) => {
        const events = [...f].filter((c) => c.name === "events" && c.checked).map((c) => c.value);
        const made = await send("POST", wardPath(ward, "webhooks"), { url: f.url.value.trim(), event_types: events });
        secret.textContent = `${t("secretOnce")} ${made.secret}`;
        return `${t("secretOnce")} ${made.secret}`;
      }, t("add")),
      secret,
    ];
  },

  async audit() {
    admin.auditCursor = null;
    const filter = input("action", { maxlength: 64, placeholder: "account." });
    const body = element("tbody");
    const more = element("button", { type: "button", hidden: true }, t("more"));
    const load = async (next) => {
      const params = new URLSearchParams({ limit: "50" });
      if (filter.value.trim()) params.set("action", filter.value.trim());
      if (next) params.set("cursor", next);
      const page = await json(`/v1/audit?${params}`);
      const rows = page.items.map((e) => element("tr", {},
        element("td", {}, when(e.at)), element("td", {}, e.actor_username ?? "–"), element("td", {}, e.action),
        element("td", {}, [e.target_kind, e.target_id].filter(Boolean).join(" ")), element("td", {}, e.address ?? ""),
        element("td", {}, e.before || e.after
          ? element("details", {}, element("summary", {}, t("details")), element("pre", {}, JSON.stringify({ before: e.before, after: e.after }, null, 1)))
          : "")));
      if (next) body.append(...rows); else body.replaceChildren(...rows);
      admin.auditCursor = page.next_cursor;
      more.hidden = !page.next_cursor;
    };
    const search = element("form", { class: "filters", role: "search" }, field(t("action"), filter), element("button", { type: "submit" }, t("search")));
    search.addEventListener("submit", (e) => { e.preventDefault(); load(null).catch((error) => { $("admin-error").textContent = error.message; }); });
    more.addEventListener("click", () => load(admin.auditCursor).catch((error) => { $("admin-error").textContent = error.message; }));
    await load(null);
    return [search, element("table", { class: "queue audit" },
      element("caption", { class: "hint" }, t("tab_audit")),
      element("thead", {}, element("tr", {}, ...[t("when"), t("who"), t("action"), t("target"), t("address"), ""].map((h) => element("th", { scope: "col" }, h)))),
      body), more];
  },
};
