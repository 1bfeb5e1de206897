// What every page of the console shares: the session, requests to the API with the person's
// token and language, the words of the chosen language, and small helpers to build the page.
import { TEXTS } from "./texts.js";

const SESSION_KEY = "sos.console.session";
const LANGUAGE_KEY = "sos.console.language";
export const OPEN_STATES = "submitted,assigned,acknowledged,in_progress";

export const state = {
  language: localStorage.getItem(LANGUAGE_KEY) === "en" ? "en" : "vi",
  me: null,
  labels: {},
  /** The operator's street tiles, if any (`GET /v1/app`). */
  tiles: null,
  /** News read on the stream while the person was looking elsewhere. */
  unseen: 0,
  /** Stops the stream being read (an AbortController). */
  stream: null,
  /** The codes and labels of `GET /v1/taxonomy`, for the admin pages' choices. */
  taxonomy: {},
};

export const $ = (id) => document.getElementById(id);
export const t = (key) => TEXTS[state.language][key] ?? key;
export const label = (code) => state.labels[code] ?? code;

export function chooseLanguage(language) {
  state.language = language;
  localStorage.setItem(LANGUAGE_KEY, language);
}

export function element(tag, properties = {}, ...children) {
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

const locale = () => (state.language === "vi" ? "vi-VN" : "en-GB");

/** A time of the API for people, in the ward's time zone; a dash when there is none. */
export function when(iso, parts = { hour: "2-digit", minute: "2-digit", day: "2-digit", month: "2-digit", year: "numeric" }) {
  if (!iso) return "–";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "–" : new Intl.DateTimeFormat(locale(), { timeZone: "Asia/Ho_Chi_Minh", ...parts }).format(date);
}

export function number(value, digits = 0) {
  return value === null || value === undefined ? "–" : new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(value);
}

export function notice(text) { $("notice").textContent = text; }

// --- Session -------------------------------------------------------------------------

export function session() {
  try { return JSON.parse(sessionStorage.getItem(SESSION_KEY)); } catch { return null; }
}

export function keepSession(pair) {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify({ access: pair.access_token, refresh: pair.refresh_token }));
}

export function forgetSession() { sessionStorage.removeItem(SESSION_KEY); }

/** Called when the session cannot go on (set by the entry module, which owns the views). */
export const hooks = { signedOut: () => {} };

export async function refreshSession() {
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
export async function api(path, options = {}, retried = false) {
  const headers = { "accept-language": state.language, ...(options.headers ?? {}) };
  const current = session();
  if (current) headers.authorization = `Bearer ${current.access}`;
  const response = await fetch(path, { ...options, headers });
  if (response.status === 401) {
    const problem = await response.clone().json().catch(() => ({}));
    if (!retried && problem.type?.endsWith(":token-expired") && await refreshSession()) {
      return api(path, options, true);
    }
    hooks.signedOut(t("expired"));
    throw new Error(t("expired"));
  }
  return response;
}

export async function json(path) {
  const response = await api(path);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(problemText(body, response));
  return body;
}

/** Sends a write with a fresh Idempotency-Key, so a retry by the browser cannot do it twice. */
export async function write(path, body, { method = "POST", contentType = "application/json" } = {}) {
  const headers = { "idempotency-key": crypto.randomUUID() };
  if (contentType) headers["content-type"] = contentType;
  return api(path, { method, headers, body });
}

/** A JSON write; the answer's body, or an error in the person's words. */
export async function send(method, path, body) {
  const response = await write(path, body === undefined ? undefined : JSON.stringify(body), {
    method, contentType: body === undefined ? null : "application/json",
  });
  const answer = response.status === 204 ? {} : await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(problemText(answer, response));
  return answer;
}

/** A problem's detail and the fields it names, in one line. */
export function problemText(problem, response) {
  const fields = (problem.errors ?? []).map((e) => [e.field, e.detail ?? e.message].filter(Boolean).join(": ")).filter(Boolean);
  return [problem.detail || problem.title || `HTTP ${response.status}`, ...fields].join(" ");
}
