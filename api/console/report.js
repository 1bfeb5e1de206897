// A report with everything known of it (classification and its deciding words, deadlines,
// photos, timeline, place, possible duplicates nearby) and one form per action the person may
// take now: the API's `allowed_actions` decides, as it decides what the person may read.
import { $, OPEN_STATES, api, element, json, label, notice, number, problemText, t, when, write } from "./core.js";
import { drawWard, mapIn, pin, reportPin } from "./map.js";

/** How far around a report possible duplicates are looked for. */
const NEARBY_METRES = 300;
const NEARBY_SHOWN = 10;

export const opened = { report: null, nearby: [], acting: null };

async function photoUrl(path) {
  const response = await api(path);
  if (!response.ok) return null;
  return URL.createObjectURL(await response.blob());
}

function fact(name, value) {
  return value === null || value === undefined || value === "" ? [] : [element("dt", {}, t(name)), element("dd", {}, value)];
}

export async function openReport(id) {
  notice(t("loading"));
  if (opened.report?.id !== id) {
    // Another report's facts and action forms must not stand while this one loads: an
    // action taken meanwhile would go to it.
    opened.report = null;
    $("report-title").textContent = t("loading");
    for (const part of ["report-facts", "report-classification", "report-deadlines", "report-photos", "report-timeline", "report-actions", "report-nearby"]) {
      $(part).replaceChildren();
    }
    // Its pins too: clicking one would choose the other report's neighbour for a merge.
    mapIn("report-map")?.pins.clearLayers();
  }
  const report = await json(`/v1/reports/${id}`);
  // A page opened meanwhile wins: this report came too late to be shown.
  if (location.hash.split("?")[0] !== `#/reports/${id}`) return;
  await showReport(report);
}

async function showReport(report) {
  opened.report = report;
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
  opened.nearby = await findNearby(report).catch(() => []);
  // Another report opened while this one's neighbours were asked for: it owns the page now.
  if (opened.report !== report) return;
  drawNearby(report);
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
    element("div", {}, eventName(e)),
    e.text ? element("p", {}, e.text) : null)));
}

/** What an event did, in words: the state it led to, or the action it records. */
function eventName(e) {
  const actions = {
    "report.commented": "comment", "report.rerouted": "reroute", "report.deadline_extended": "extend",
    "report.duplicate": "mark_duplicate", "report.reopened": "reopen",
  };
  if (actions[e.type]) return t(actions[e.type]);
  return e.to_status ? label(e.to_status) : e.type;
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
  if (opened.report === report) container.replaceChildren(...figures);
}

// --- Possible duplicates -------------------------------------------------------------

/** Metres between two positions (equirectangular: exact enough within a ward). */
function metres(a, b) {
  const radians = Math.PI / 180;
  const x = (b.lon - a.lon) * radians * Math.cos(((a.lat + b.lat) / 2) * radians);
  const y = (b.lat - a.lat) * radians;
  return Math.round(Math.hypot(x, y) * 6371000);
}

/** Reports of the same category within [`NEARBY_METRES`], open or resolved, nearest first:
 *  those this one may be merged into. Only for someone who may merge. */
async function findNearby(report) {
  if (!report.location || !report.allowed_actions.includes("mark_duplicate")) return [];
  const { lat, lon } = report.location;
  const dLat = NEARBY_METRES / 111320;
  const dLon = NEARBY_METRES / (111320 * Math.cos((lat * Math.PI) / 180));
  const params = new URLSearchParams({
    bbox: [lon - dLon, lat - dLat, lon + dLon, lat + dLat].map((v) => v.toFixed(6)).join(","),
    category: report.category,
    status: `${OPEN_STATES},resolved`,
    limit: "50",
  });
  const page = await json(`/v1/reports?${params}`);
  return page.items
    .filter((r) => r.id !== report.id && r.location)
    .map((r) => ({ ...r, distance: metres(report.location, r.location) }))
    .filter((r) => r.distance <= NEARBY_METRES)
    .sort((a, b) => a.distance - b.distance)
    .slice(0, NEARBY_SHOWN);
}

/** Puts `other` in the merge form, ready to send with a reason. */
function chooseOriginal(other) {
  const form = $("report-actions").querySelector("form[data-action=mark_duplicate]");
  if (!form) return;
  form.elements.original.value = other.id;
  for (const item of $("report-nearby").querySelectorAll("li")) item.classList.toggle("chosen", item.dataset.id === other.id);
  $("merge-choice").textContent = `${t("chosen")}: ${other.description}`;
  form.elements.reason.focus();
}

function drawNearby(report) {
  const section = $("nearby-section");
  section.hidden = !report.allowed_actions.includes("mark_duplicate") || !report.location;
  $("report-nearby").replaceChildren(...opened.nearby.map((other) => element("li", { "data-id": other.id },
    element("a", { href: `#/reports/${other.id}` }, other.description),
    element("div", { class: "when" }, `${number(other.distance)} m · ${label(other.subcategory)} · ${label(other.status)} · ${when(other.created_at)}`),
    element("button", { type: "button", class: "small", onclick: () => chooseOriginal(other) }, t("mergeInto")))));
  $("nearby-empty").hidden = opened.nearby.length > 0;
}

/** The report's place within its ward, with the possible duplicates around it: clicking one
 *  chooses it for the merge. */
async function drawReportMap(report) {
  const entry = mapIn("report-map");
  if (!entry) return;
  const bounds = await drawWard(entry, report.ward?.id);
  if (opened.report !== report) return;
  entry.pins.clearLayers();
  if (report.location) {
    for (const other of opened.nearby) {
      entry.pins.addLayer(pin({
        id: other.id, point: [other.location.lat, other.location.lon], standing: "nearby", title: other.description,
        tip: `${t("possibleDuplicate")} · ${number(other.distance)} m · ${other.description}`,
      }, () => chooseOriginal(other)));
    }
    entry.pins.addLayer(reportPin(report));
    entry.map.setView([report.location.lat, report.location.lon], 17, { animate: false });
  } else if (bounds?.isValid()) {
    entry.map.fitBounds(bounds, { animate: false });
    notice(t("noPosition"));
  }
}

// --- Actions -------------------------------------------------------------------------

function drawActions(report) {
  $("report-actions").replaceChildren(...report.allowed_actions.map((action) => actionForm(action, report)));
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
  const text = (required = true, max = 4000) => element("textarea", { rows: 3, maxlength: max, required });
  switch (action) {
    case "resolve":
      fields.push(field("response", text()), field("afterPhoto", element("input", { type: "file", accept: "image/jpeg,image/png,image/webp" })));
      break;
    case "reject": case "reopen": case "mark_duplicate":
      if (action === "mark_duplicate") {
        fields.push(element("p", { id: "merge-choice", class: "hint", "aria-live": "polite" }, t("chooseOnMap")));
        fields.push(field("original", element("input", { required: true, pattern: "[0-9a-fA-F\\-]{36}", autocomplete: "off" })));
      }
      fields.push(field("reason", text(action === "reject", 2000)));
      break;
    case "reroute": {
      const select = element("select", { required: true }, element("option", { value: "" }, "—"),
        element("option", { value: "__triage" }, t("toTriage")));
      json(`/v1/wards/${report.ward.id}/departments`).then((list) => {
        for (const d of list.items ?? list) if (d.code !== report.department?.code) select.append(element("option", { value: d.code }, d.name));
      }).catch(() => {});
      fields.push(field("department", select), field("reason", text(false, 2000)));
      break;
    }
    case "comment": {
      const visibility = element("select", {}, element("option", { value: "internal" }, t("internal")), element("option", { value: "public" }, t("public")));
      fields.push(field("text", text()), field("visibility", visibility));
      break;
    }
    case "extend":
      fields.push(field("newDeadline", element("input", { type: "datetime-local", required: true })), field("reason", text(true, 2000)));
      break;
    case "close":
      fields.push(field("text", text(false)));
      break;
    default:
      break;
  }
  const form = element("form", { class: "action", "data-action": action },
    element("fieldset", {}, fields.length ? element("legend", {}, t(action)) : null, ...fields,
      element("button", { type: "submit" }, t(action))));
  form.addEventListener("submit", (event) => { event.preventDefault(); submitAction(action, form).catch((e) => notice(e.message)); });
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
    const sent = await write(`/v1/reports/${opened.report.id}/photos`, upload, { contentType: null });
    if (!sent.ok) { await showProblem(sent); return; }
  }
  await act(body);
}

/** Problems that mean the report changed since the page showed it: someone else acted
 *  meanwhile (`stale`), or its state no longer allows what the page offered. */
const CONFLICTS = [":stale", ":transition-refused"];

/** Sends an action and shows its answer; while that lasts, `opened.acting` holds it, so that
 *  live news of the change waits for the answer instead of reloading the page under it. */
export function act(body) {
  const acting = sendAction(body).finally(() => {
    if (opened.acting === acting) opened.acting = null;
  });
  opened.acting = acting;
  return acting;
}

async function sendAction(body) {
  const response = await write(`/v1/reports/${opened.report.id}/actions`, JSON.stringify(body));
  if (response.ok) {
    // The answer is the report as the person now sees it; a report sent to another
    // department may be out of their sight, and they go back to the queue.
    const report = await response.json();
    if (report.allowed_actions) await showReport(report); else location.hash = "#/queue";
    notice(t("done"));
    return;
  }
  const problem = await response.clone().json().catch(() => ({}));
  if (response.status === 409 && CONFLICTS.some((type) => problem.type?.endsWith(type))) {
    await openReport(opened.report.id);
    $("action-error").textContent = t("stale");
    $("action-error").focus?.();
    return;
  }
  await showProblem(response);
}

async function showProblem(response) {
  $("action-error").textContent = problemText(await response.json().catch(() => ({})), response);
}

/** True while the person is typing in an action's form: news then must not wipe it. */
export function formInUse() {
  const fields = [...$("report-actions").querySelectorAll("input, textarea, select")];
  return fields.some((f) => f === document.activeElement || (f.type !== "select-one" && f.value));
}
