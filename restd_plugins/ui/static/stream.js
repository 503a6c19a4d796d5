// A watch endpoint (Server-Sent Events) read with fetch(), not EventSource:
// EventSource cannot send an Authorization header, and one reader serves
// the pasted token and the cookie alike. It reconnects by itself with
// Last-Event-ID (the server replays what was missed, or sends a fresh
// snapshot), after Retry-After when the server gives one, and never sooner
// than the stream's own "retry:" field (as an EventSource would).

import { BASE, errorOf, headers } from "./api.js";

const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 15000;

// Split a text/event-stream into events: {event, data, id}; onRetry(ms) for
// a "retry:" field.
export class EventParser {
  constructor(onEvent, onRetry = () => {}) {
    this.onEvent = onEvent;
    this.onRetry = onRetry;
    this.buffer = "";
    this.reset();
  }

  reset() {
    this.event = "";
    this.data = [];
    this.id = null;
  }

  feed(text) {
    this.buffer += text;
    let end;
    while ((end = this.buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = this.buffer.slice(0, end);
      const newline = this.buffer.startsWith("\r\n", end) ? 2 : 1;
      this.buffer = this.buffer.slice(end + newline);
      this.line(line);
    }
  }

  line(line) {
    if (line === "") {
      if (this.data.length || this.event) {
        this.onEvent({ event: this.event || "message", data: this.data.join("\n"), id: this.id });
      }
      this.reset();
      return;
    }
    if (line.startsWith(":")) return; // a comment: the heartbeat
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.event = value;
    else if (field === "data") this.data.push(value);
    else if (field === "id") this.id = value;
    else if (field === "retry" && /^[0-9]+$/.test(value)) this.onRetry(Number(value));
  }
}

// Watch `path` until stop() is called. handlers: onOpen(), onEvent(name,
// data) with data parsed from JSON, onFail(ApiError) for an answer that is
// not a stream (400, 404, no place for a watcher, 401 and 403 end the
// watch: the page must act; others are tried again), onDrop() when a
// stream breaks.
export function watch(path, handlers) {
  const controller = new AbortController();
  let lastId = null;
  let least = RETRY_MIN_MS; // the stream's "retry:", once it said
  let delay = least;
  let stopped = false;

  async function once() {
    const sent = headers({ Accept: "text/event-stream" });
    if (lastId) sent["Last-Event-ID"] = lastId;
    const response = await fetch(BASE + path, {
      headers: sent, credentials: "same-origin", cache: "no-store", signal: controller.signal,
    });
    if (!response.ok || !(response.headers.get("Content-Type") || "").startsWith("text/event-stream")) {
      const error = await errorOf(response);
      if (stopped) return "end"; // its body was cut by stop(): nothing to tell
      handlers.onFail(error);
      const final = ["missing", "auth", "forbidden"].includes(error.kind) || error.status === 400 || error.noPlace;
      return final ? "end" : error.retryAfter * 1000;
    }
    handlers.onOpen();
    delay = least;
    const parser = new EventParser(({ event, data, id }) => {
      if (stopped) return;
      if (id) lastId = id;
      let parsed = {};
      try {
        parsed = data ? JSON.parse(data) : {};
      } catch {
        return;
      }
      handlers.onEvent(event, parsed);
    }, (ms) => {
      least = Math.min(Math.max(ms, RETRY_MIN_MS), RETRY_MAX_MS);
      delay = Math.max(delay, least);
    });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      parser.feed(value);
    }
    return 0;
  }

  (async () => {
    while (!stopped) {
      let wait = 0;
      try {
        wait = await once();
      } catch {
        if (stopped) return;
      }
      if (wait === "end" || stopped) return;
      handlers.onDrop();
      await new Promise((resolve) => setTimeout(resolve, Math.max(wait, delay)));
      delay = Math.min(delay * 2, RETRY_MAX_MS);
    }
  })();

  return {
    stop() {
      stopped = true;
      controller.abort();
    },
  };
}
