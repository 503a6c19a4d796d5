// The API, asked with the caller's credentials: a token pasted into the page
// (kept in sessionStorage: this tab only, gone when it closes), sent as
// "Authorization: Bearer ..."; without one, whatever the browser sends by
// itself to this origin (the KBase session cookie). URLs are relative to
// /ui/, so the page also works under a path prefix.

const TOKEN_KEY = "restd.token";
export const BASE = "../";

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export function headers(extra = {}) {
  const sent = { Accept: "application/json", ...extra };
  const t = token();
  if (t) sent.Authorization = `Bearer ${t}`;
  return sent;
}

// Why a request failed, in the terms the page shows.
export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || (status ? `HTTP ${status}` : "the server does not answer"));
    this.status = status; // 0: no answer at all
    this.errno = body && body.errno;
    this.details = (body && body.details) || {};
    this.retryAfter = 0;
  }

  // "auth": 401 (no or a bad credential), "forbidden": 403, "pool": HTCondor
  // down or slow, "missing": no such endpoint here (an older server),
  // "server": the server itself is unreachable, "other".
  // A watch refused for want of a place (its 503 at the server's cap names
  // the limit; 429 at the caller's), not because of the pool.
  get noPlace() {
    return this.status === 429 || (this.status === 503 && this.details.limit !== undefined);
  }

  get kind() {
    if (this.status === 401) return "auth";
    if (this.status === 403) return "forbidden";
    if (this.status === 404) return "missing";
    if (this.status === 0) return "server";
    if (this.status === 503 && (this.errno === 201 || this.errno === 202)) return "pool";
    return "other";
  }
}

export async function errorOf(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  const error = new ApiError(response.status, body);
  error.retryAfter = Number(response.headers.get("Retry-After")) || 0;
  return error;
}

// Requests go one at a time, gentle on the server's shared workers; a 429
// (the caller's queue full, or its rate) is tried again after its Retry-After.
const TRIES_ON_429 = 3;
let queue = Promise.resolve();

function pause(seconds) {
  return new Promise((resolve) => setTimeout(resolve, 1000 * Math.max(seconds, 0.2)));
}

async function fetchJson(path) {
  for (let tries = 1; ; tries++) {
    let response;
    try {
      response = await fetch(BASE + path, { headers: headers(), credentials: "same-origin", cache: "no-store" });
    } catch {
      throw new ApiError(0, null);
    }
    if (response.ok) return response.json();
    const error = await errorOf(response);
    if (response.status !== 429 || tries === TRIES_ON_429) throw error;
    await pause(error.retryAfter || 1);
  }
}

// GET a path of the API (relative to the server's root); its JSON.
export function get(path) {
  const answer = queue.then(() => fetchJson(path));
  queue = answer.catch(() => undefined);
  return answer;
}

// A path segment or query value, escaped (schedd names hold "@").
export function seg(value) {
  return encodeURIComponent(value);
}

export function query(params) {
  const pairs = Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== "");
  return pairs.length ? "?" + new URLSearchParams(pairs).toString() : "";
}
