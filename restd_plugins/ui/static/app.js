// The dashboard: what it asks the API for, and when.
//
// Summaries (job counts, slots, priorities, daemons, /readyz) and the "why"
// cards (WHY_CARDS) are asked every REFRESH_MS and soon after a watch
// reports a change; the job list
// comes from the watch endpoints (a snapshot, then its changes). An
// endpoint this server does not have (404) is replaced by what every
// condor-restd has: the job list polled from /v1/jobs, counts made here
// from it or from /v1/status, priorities from the accounting ads.

import { ApiError, get, query, seg, setToken, token } from "./api.js";
import { watch } from "./stream.js";
import {
  JOB_STATES, fillStateFilter, renderArchiveHistory, renderDaemonHealth, renderHealth, renderHeld, renderIdle,
  renderJobSummary, renderJobTable, renderPriorities, renderSlots, stateOf,
} from "./views.js";

const REFRESH_MS = 15000;
const SOON_MS = 1500; // after a watch event: one summary request for a burst of changes
// Each watcher holds one of the server's threads (restd.watch.max_watchers),
// and a browser opens about 6 connections per server: a pool of more
// schedds is polled. Slots are not watched: their summary is refreshed.
const MAX_JOB_STREAMS = 2;
const WATCH_AGAIN_MAX_MS = 60000; // while no watch place is free: the longest wait between two tries
const POLL_LIMIT = 5000;
const HISTORY_SAMPLES = 240;
const JOB_ATTRS = ["ClusterId", "ProcId", "Owner", "JobStatus", "JobBatchName", "Cmd", "EnteredCurrentStatus"];
const DAEMON_TYPES = ["Collector", "Negotiator", "Scheduler", "DaemonMaster"];
const LABEL_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
const IDLE_GROUPS = 6; // the largest idle groups the idle card analyses and shows

const $ = (id) => document.getElementById(id);

const state = {
  schedd: "*", // "*": every schedd
  schedds: [], // the collector's Scheduler ads' names
  jobs: new Map(), // schedd -> Map(job id -> attributes, keys lower-cased)
  jobSummary: null,
  jobHistory: [], // [{t, values: totals}] of this view, for the timeline
  jobsCounted: false, // the job counts are made here from the job list (no summary endpoint)
  slots: null,
  priorities: null,
  ready: null,
  daemons: null,
  why: {}, // a "why" card (WHY_CARDS) -> what it shows
  whyAbsent: new Set(), // the "why" cards this server has no endpoint for (404): hidden
  heldOpen: new Set(), // the held reasons whose example jobs are shown (their keys)
  errors: {}, // source -> ApiError
  polling: false, // the job list is polled, not watched
  watchAgain: 0, // the timer of the next try to watch while polling for want of a place
  refusals: 0, // tries to watch refused in a row for want of a place
  streams: [], // {stop()}
  streamState: new Map(), // stream name -> "open" | "down"
  filter: { owner: "", state: "" },
  updated: null, // when the summaries were last asked
  archive: null, // the "over time" card's archived part: archive state (ARCHIVE_RANGES), null while absent
  view: 0, // counts the views (schedd, token): an answer for an older one is dropped
  streamsView: -1, // the view whose job list is watched or polled
};

// ---------------------------------------------------------------- errors --

function record(source, error) {
  if (error) state.errors[source] = error;
  else delete state.errors[source];
  render();
}

function renderBanner() {
  const errors = Object.values(state.errors);
  const banner = $("banner");
  const has = (kind) => errors.find((e) => e.kind === kind);
  let text = "";
  let kind = "";
  if (has("forbidden")) {
    kind = "forbidden";
    text = "Not allowed: your account may not read this pool. Ask its administrators for the read role, or use another token.";
  } else if (has("auth")) {
    kind = "auth";
    text = token()
      ? "Not allowed: the server does not accept this token. Paste another one."
      : "Not allowed: sign in first (the KBase session cookie), or paste a token.";
  } else if (state.ready && !state.ready.ok) {
    kind = "pool";
    text = `The pool is down: ${state.ready.text}. The page keeps trying.`;
  } else if (has("pool")) {
    kind = "pool";
    text = `The pool is not answering: ${has("pool").message}. The page keeps trying.`;
  } else if (has("server")) {
    kind = "server";
    text = "The server does not answer. The page keeps trying.";
  } else if (errors.length) {
    kind = "other";
    text = errors[0].message;
  }
  banner.hidden = !text;
  banner.textContent = text;
  banner.dataset.kind = kind;
  document.body.dataset.problem = kind;
  if (kind === "auth") showTokenForm(true);
}

// --------------------------------------------------------------- sources --

// Ask `fetcher`; its result, or null with why not recorded under `source`.
async function attempt(source, fetcher) {
  try {
    const result = await fetcher();
    record(source, null);
    return result;
  } catch (error) {
    record(source, error);
    return null;
  }
}

// `modern` (an endpoint an older server lacks: 404, or 400 for a schedd
// "*" it does not know), else `fallback`; null, recorded, on any other failure.
function either(source, modern, fallback) {
  return attempt(source, () => modern().catch((error) => {
    if (error.kind !== "missing" && error.status !== 400) throw error;
    return fallback();
  }));
}

async function loadReady() {
  try {
    const answer = await get("readyz");
    state.ready = { ok: true, text: `ready: collector ${answer.collector?.name ?? "?"}, schedd ${answer.schedd?.name ?? "?"}` };
  } catch (error) {
    const daemon = error.details?.daemon;
    state.ready = error.status === 503
      ? { ok: false, text: daemon ? `the ${daemon} does not answer` : "the pool does not answer" }
      : { ok: false, text: error.message };
  }
  render();
}

async function loadDaemons() {
  const constraint = DAEMON_TYPES.map((t) => `MyType == "${t}"`).join(" || ");
  const ads = await attempt("daemons", () => get(`v1/status${query({ query: "any", constraint, projection: "LastHeardFrom" })}`));
  if (!ads) return;
  state.daemons = ads.map((ad) => ({ type: ad.type, name: ad.name, heard: ad.classad.lastheardfrom }))
    .sort((a, b) => DAEMON_TYPES.indexOf(a.type) - DAEMON_TYPES.indexOf(b.type) || (a.name < b.name ? -1 : 1));
  render();
  const schedds = state.daemons.filter((d) => d.type === "Scheduler").map((d) => d.name);
  if (schedds.join("\n") !== state.schedds.join("\n")) {
    state.schedds = schedds;
    fillScheddPicker();
    if (state.schedd === "*" && state.streamsView === state.view) startJobStreams();
  }
}

function countsOf(groups) {
  const byOwner = new Map();
  for (const { key, count } of groups) {
    const owner = key.owner ?? null;
    if (!byOwner.has(owner)) byOwner.set(owner, {});
    const counts = byOwner.get(owner);
    const name = key.jobstatus_name || stateOf(key.jobstatus);
    counts[name] = (counts[name] || 0) + count;
  }
  return [...byOwner].map(([owner, counts]) => ({ owner, counts })).sort((a, b) => total(b.counts) - total(a.counts));
}

function total(counts) {
  return JOB_STATES.reduce((sum, s) => sum + (counts[s] || 0), 0);
}

function summaryFromList() {
  const groups = new Map();
  const perSchedd = [];
  for (const [schedd, jobs] of state.jobs) {
    const totals = { jobs: 0 };
    for (const job of jobs.values()) {
      const name = stateOf(job.jobstatus);
      const key = `${job.owner}\u0000${name}`;
      if (!groups.has(key)) groups.set(key, { key: { owner: job.owner ?? null, jobstatus_name: name }, count: 0 });
      groups.get(key).count += 1;
      totals[name] = (totals[name] || 0) + 1;
      totals.jobs += 1;
    }
    perSchedd.push({ schedd, totals });
  }
  const totals = { jobs: 0 };
  for (const { totals: t } of perSchedd) for (const [k, v] of Object.entries(t)) totals[k] = (totals[k] || 0) + v;
  return { totals, byOwner: countsOf([...groups.values()]), perSchedd: state.schedd === "*" ? perSchedd : null,
    note: "Counted in the page from the job list (this server has no /v1/summary/jobs)." };
}

async function loadJobSummary() {
  const view = state.view;
  const summary = await either("summary/jobs",
    async () => {
      const answer = await get(`v1/summary/jobs/${seg(state.schedd)}${query({ by: "Owner,JobStatus" })}`);
      const failed = (answer.failed || []).map((f) => f.schedd);
      state.jobsCounted = false;
      return {
        totals: answer.totals,
        byOwner: countsOf(answer.groups),
        perSchedd: answer.per_schedd
          ? Object.entries(answer.per_schedd).map(([schedd, v]) => ({ schedd, totals: v.totals })) : null,
        note: failed.length ? `Not answering: ${failed.join(", ")}.` : "",
      };
    },
    async () => {
      state.jobsCounted = true;
      return jobListComplete() ? summaryFromList() : null;
    });
  if (view !== state.view) return;
  state.jobSummary = summary ?? state.jobSummary;
  render();
}

function keyText(value) {
  return value === undefined || value === null ? "(none)" : String(value);
}

// The attribute slots are grouped by: what the user typed, if it is an attribute name.
function slotLabel() {
  const label = $("slot-label").value.trim();
  return LABEL_PATTERN.test(label) ? label : "State";
}

function slotsFromAds(ads, label) {
  const resource = () => ({ total: 0, claimed: 0, unclaimed: 0 });
  const totals = { slots: 0, cpus: resource(), gpus: resource(), memory: resource() };
  const groups = new Map();
  for (const { classad } of ads) {
    const key = keyText(classad[label.toLowerCase()]);
    if (!groups.has(key)) groups.set(key, { key, slots: 0, cpus: resource(), gpus: resource(), memory: resource() });
    const group = groups.get(key);
    const use = classad.state === "Claimed" ? "claimed" : "unclaimed";
    totals.slots += 1;
    group.slots += 1;
    for (const name of ["cpus", "gpus", "memory"]) {
      const n = Number(classad[name]) || 0;
      for (const r of [totals[name], group[name]]) {
        r.total += n;
        r[use] += n;
      }
    }
  }
  return { label, totals, groups: [...groups.values()],
    note: "Counted in the page from the slots' ads (this server has no /v1/summary/status)." };
}

async function loadSlots() {
  const label = slotLabel();
  state.slots = (await either("slots",
    async () => {
      const answer = await get(`v1/summary/status${query({ by: label })}`);
      return {
        label, totals: answer.totals,
        groups: answer.groups.map((g) => ({ ...g, key: keyText(Object.values(g.key)[0]) })),
        note: "",
      };
    },
    async () => slotsFromAds(await get(`v1/status${query({ query: "startd", projection: `State,Cpus,Gpus,Memory,${label}` })}`), label))) ?? state.slots;
  render();
}

async function loadPriorities() {
  state.priorities = (await either("priorities",
    async () => ({
      rows: (await get("v1/summary/priorities")).submitters.map((s) => ({
        name: s.name, effective: s.effective_priority, factor: s.priority_factor,
        inUse: s.resources_in_use, usageHours: s.weighted_accumulated_usage / 3600,
      })),
      note: "",
    }),
    async () => ({
      rows: (await get(`v1/status${query({ query: "accounting", projection: "Priority,PriorityFactor,ResourcesUsed,WeightedAccumulatedUsage,IsAccountingGroup" })}`))
        .filter((ad) => ad.classad.priority !== undefined && ad.classad.isaccountinggroup !== true)
        .map((ad) => ({
          name: ad.name, effective: ad.classad.priority, factor: ad.classad.priorityfactor,
          inUse: ad.classad.resourcesused, usageHours: (ad.classad.weightedaccumulatedusage || 0) / 3600,
        })),
      note: "From the collector's accounting ads (this server has no /v1/summary/priorities).",
    }))) ?? state.priorities;
  render();
}

// ------------------------------------------------------------ why cards --

const DAEMON_KINDS = [["schedds", "schedd"], ["negotiators", "negotiator"], ["collectors", "collector"]];
const VERDICTS = ["ok", "warning", "critical"];

// /v1/why/held's answer as the held card shows it: a group per reason.
function heldFrom(answer) {
  const failed = (answer.failed || []).map((f) => f.schedd);
  return {
    held: answer.held,
    groups: answer.groups.map((group) => ({
      key: JSON.stringify(group.key), code: group.key.holdreasoncode ?? null,
      name: group.key.holdreasoncode_name ?? null, count: group.count,
      oldest: group.oldest_entered, newest: group.newest_entered, examples: group.examples ?? null,
    })),
    note: failed.length ? `Not answering: ${failed.join(", ")}.` : "",
  };
}

// /v1/why/health's answer as the health card shows it: every daemon, the worst first.
function healthFrom(answer) {
  const rows = DAEMON_KINDS.flatMap(([kind, type]) => answer[kind].map((daemon) => ({ type, ...daemon })));
  const order = (row) => [-VERDICTS.indexOf(row.verdict), DAEMON_KINDS.findIndex(([, type]) => type === row.type)];
  rows.sort((a, b) => order(a)[0] - order(b)[0] || order(a)[1] - order(b)[1] || (a.name < b.name ? -1 : 1));
  return { verdict: answer.verdict, rows };
}

// /v1/why/idle's answer as the idle card shows it: a group per autocluster,
// with the clause that rejects the most slots (the first of them, as the
// API's cause names it), if any rejects one.
function idleFrom(answer) {
  const failed = (answer.failed || []).map((f) => f.schedd);
  const notes = [
    failed.length ? `Not answering: ${failed.join(", ")}.` : "",
    answer.groups_left_out ? `${answer.groups_left_out} more groups not shown.` : "",
    answer.slots_left_out ? `${answer.slots_left_out} slot ads left out of the analysis (its bounds).` : "",
  ];
  return {
    idle: answer.idle,
    groups: answer.groups.map((group) => {
      const worst = (group.clauses || []).reduce((most, clause) => (clause.rejects > (most?.rejects ?? 0) ? clause : most),
        null);
      return {
        schedd: group.schedd ?? null, autoclusterid: group.autoclusterid, idle: group.idle, cause: group.cause,
        slots: group.slots,
        worst: worst && group.slots ? { clause: worst.clause, rejects: worst.rejects } : null,
      };
    }),
    note: notes.filter(Boolean).join(" "),
  };
}

// The "why" cards: each one endpoint (asked with the summaries, and soon
// after a job event if it follows the jobs), the answer's shape for its
// renderer (views.js), and its <section> (index.html, id `card`). A server
// without the endpoint (404) hides the card. The idle groups do not follow
// the jobs: their analysis matches every group against every slot ad (a
// worker for up to restd.why.idle.budget_seconds), asked at most once a
// refresh.
const WHY_CARDS = [
  {
    card: "held", followsJobs: true, shape: heldFrom,
    path: () => `v1/why/held/${seg(state.schedd)}${query({ by: "HoldReasonCode", examples: 5 })}`,
    render: (held, problem) => renderHeld(held, problem, state.heldOpen),
  },
  {
    card: "idle", followsJobs: false, shape: idleFrom,
    path: () => `v1/why/idle/${seg(state.schedd)}${query({ groups: IDLE_GROUPS })}`,
    render: renderIdle,
  },
  {
    card: "daemon-health", followsJobs: false, shape: healthFrom, path: () => "v1/why/health",
    render: renderDaemonHealth,
  },
];

async function loadWhy({ card, path, shape }) {
  const view = state.view;
  const source = `why ${card}`;
  try {
    const answer = shape(await get(path()));
    if (view !== state.view) return;
    state.why[card] = answer;
    state.whyAbsent.delete(card);
    record(source, null);
  } catch (error) {
    if (view !== state.view) return;
    if (error.kind === "missing") state.whyAbsent.add(card);
    record(source, error.kind === "missing" ? null : error);
  }
}

function loadWhyCards(which = () => true) {
  return Promise.all(WHY_CARDS.filter(which).map(loadWhy));
}

// ------------------------------------------------------ archived history --

// The "over time" card's past, from the archive of finished jobs
// (/v1/summary/history): what finished per bucket in the last 24 hours and
// 7 days, asked at a view's first load and again every ARCHIVE_REFRESH_MS
// (the archive takes a job in as the schedd records it). A server without
// an archive (404) or whose archive does not answer (503, any failure)
// hides it: the card draws only what the page saw since it opened.
const ARCHIVE_RANGES = {
  day: { label: "24 hours", per: "hour", bucket: 3600, count: 24 },
  week: { label: "7 days", per: "6 hours", bucket: 21600, count: 28 },
};
const ARCHIVE_REFRESH_MS = 60000;
const archive = { range: "day", asked: 0, absent: false, answers: {} };

function archiveShown() {
  if (archive.absent || !Object.keys(archive.answers).length) return null;
  return {
    range: archive.range,
    ranges: Object.fromEntries(Object.entries(ARCHIVE_RANGES).map(([name, r]) =>
      [name, { label: r.label, per: r.per, answer: null, whole: null, ...archive.answers[name] }])),
  };
}

async function loadArchive() {
  if (archive.absent || Date.now() - archive.asked < ARCHIVE_REFRESH_MS) return;
  archive.asked = Date.now();
  const view = state.view;
  const now = Math.floor(Date.now() / 1000);
  for (const [name, { bucket, count }] of Object.entries(ARCHIVE_RANGES)) {
    const to = Math.ceil((now + 1) / bucket) * bucket; // whole buckets, the current one last
    const schedd = state.schedd === "*" ? {} : { schedd: state.schedd };
    try {
      const from = to - count * bucket;
      const answer = await get(`v1/summary/history${query({ from, to, bucket, ...schedd })}`);
      const whole = await get(`v1/summary/history${query({ from, to, bucket: to - from, ...schedd })}`);
      if (view !== state.view) return;
      archive.answers[name] = { answer, whole };
    } catch (error) {
      if (view !== state.view) return;
      if (error.kind === "missing") archive.absent = true;
      archive.answers = {}; // not answering now: today's card until it does
      break;
    }
  }
  state.archive = archiveShown();
  render();
}

function resetArchive() {
  Object.assign(archive, { asked: 0, absent: false, answers: {} });
  state.archive = null;
}

function initArchiveSwitch() {
  for (const button of document.querySelectorAll("#archive-box button[data-range]")) {
    button.addEventListener("click", () => {
      archive.range = button.dataset.range;
      state.archive = archiveShown();
      render();
    });
  }
}

// ------------------------------------------------------------- job list --

function viewedSchedds() {
  if (state.schedd !== "*") return [state.schedd];
  return state.schedds.length ? state.schedds : ["DEFAULT"];
}

function lower(attrs) {
  return Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k.toLowerCase(), v]));
}

// Why a card has no data: the first failure of its sources (by name prefix).
const PROBLEMS = {
  auth: "not allowed.", forbidden: "not allowed.", pool: "the pool is not answering.",
  server: "the server does not answer.",
};
function problem(...prefixes) {
  const found = Object.entries(state.errors).find(([source]) => prefixes.some((p) => source.startsWith(p)));
  return found ? PROBLEMS[found[1].kind] || found[1].message : "";
}

// The timeline's samples: a new one when the totals change (or a minute
// passed), the oldest dropped beyond HISTORY_SAMPLES.
function remember(totals) {
  const last = state.jobHistory[state.jobHistory.length - 1];
  const now = Date.now();
  const same = last && JOB_STATES.every((s) => (last.values[s] || 0) === (totals[s] || 0));
  if (same && now - last.t < 60000) return;
  state.jobHistory.push({ t: now, values: { ...totals } });
  if (state.jobHistory.length > HISTORY_SAMPLES) state.jobHistory.shift();
}

// Every card from the state, once for a burst of changes.
let renderTimer = 0;
function render() {
  clearTimeout(renderTimer);
  renderTimer = setTimeout(() => {
    const jobs = [];
    for (const [schedd, byId] of state.jobs) for (const [id, attrs] of byId) jobs.push({ ...attrs, id, schedd });
    const complete = jobListComplete();
    if (state.jobsCounted && complete) state.jobSummary = summaryFromList();
    const problems = {
      ...Object.fromEntries(WHY_CARDS.map(({ card }) => [card, problem(`why ${card}`)])),
      health: problem("daemons"),
      "jobs-summary": problem("summary/jobs") || (state.jobsCounted ? problem("jobs ", "watch ") : ""),
      slots: problem("slots"),
      priorities: problem("priorities"),
      jobs: problem("jobs ", "watch "),
    };
    const shown = { ...state.why, health: state.daemons, "jobs-summary": state.jobSummary, slots: state.slots,
      priorities: state.priorities, jobs: jobs.length };
    for (const [card, why] of Object.entries(problems)) $(card).dataset.stale = String(Boolean(why && shown[card]));
    renderBanner();
    renderHealth(state.ready, state.daemons, problems.health);
    if (state.jobSummary) remember(state.jobSummary.totals);
    renderJobSummary(state.jobSummary, problems["jobs-summary"], state.jobHistory);
    renderArchiveHistory(state.jobSummary ? state.archive : null);
    renderSlots(state.slots, problems.slots);
    renderPriorities(state.priorities, problems.priorities);
    renderJobTable(jobs, state.filter, complete, problems.jobs);
    for (const { card, render: renderCard } of WHY_CARDS) {
      $(card).hidden = state.whyAbsent.has(card);
      renderCard(state.why[card] ?? null, problems[card]);
    }
    if (state.updated) {
      $("updated").textContent = `updated ${state.updated.toLocaleTimeString()}`;
      document.body.dataset.loaded = "true"; // every card shows a first answer (or why not)
    }
  }, 30);
}

function jobListComplete() {
  return viewedSchedds().every((s) => state.jobs.has(s));
}

// A job event: the list now, the counts soon.
function onJobEvent(schedd, name, data) {
  if (name === "snapshot") {
    state.jobs.set(schedd, new Map(Object.entries(data.items || {}).map(([id, attrs]) => [id, lower(attrs)])));
  } else if (name === "added" || name === "changed") {
    const jobs = state.jobs.get(schedd) || new Map();
    state.jobs.set(schedd, jobs);
    jobs.set(data.id, { ...(jobs.get(data.id) || {}), ...lower(data.attrs || {}) });
  } else if (name === "removed") {
    state.jobs.get(schedd)?.delete(data.id);
  } else if (name === "error") {
    record(`watch ${schedd}`, new ApiError(data.code, data)); // a 4xx ends the stream: its reconnection says why
    return;
  } else if (name === "recovered") {
    record(`watch ${schedd}`, null);
    return;
  } else {
    return;
  }
  record(`watch ${schedd}`, null);
  render();
  soon("jobs", loadJobSummary);
  soon("why", () => loadWhyCards((card) => card.followsJobs));
}

let polling = null;
function pollJobs() {
  polling ??= (async () => {
    const view = state.view;
    for (const schedd of viewedSchedds()) {
      const jobs = await attempt(`jobs ${schedd}`,
        () => get(`v1/jobs/${seg(schedd)}${query({ projection: JOB_ATTRS.join(","), limit: POLL_LIMIT })}`));
      if (view !== state.view) return;
      if (jobs) state.jobs.set(schedd, new Map(jobs.map((job) => [job.jobid, lower(job.classad)])));
    }
    render();
  })().finally(() => {
    polling = null;
  });
  return polling;
}

function setLive(name, value) {
  state.streamState.set(name, value);
  showLive();
}

function showLive() {
  const values = [...state.streamState.values()];
  const now = state.polling ? "polling" : values.includes("down") ? "reconnecting"
    : values.includes("open") ? "live" : values.length ? "stopped" : "connecting";
  $("live").dataset.state = now;
  $("live").textContent = now;
}

// Poll the job list instead of watching it: this server has no watch
// endpoint (404), does not watch this view (400), or has no place for
// another watcher now (each holds a server thread: 503 at its cap, 429 at
// the caller's share). For want of a place the page tries watching again
// after the answer's Retry-After, then less and less often (at most
// WATCH_AGAIN_MAX_MS apart), and watches as soon as a place is free; else
// the next view (or a reload) tries again.
function pollInstead(error) {
  stopStreams();
  if (!state.polling) {
    state.polling = true;
    showLive();
    pollJobs();
  }
  if (error && error.noPlace) {
    const view = state.view;
    const wait = Math.min(Math.max(error.retryAfter, 1) * 1000 * 2 ** state.refusals, WATCH_AGAIN_MAX_MS);
    state.refusals += 1;
    state.watchAgain = setTimeout(() => {
      if (view === state.view && state.polling) watchJobs();
    }, wait);
  }
}

function streamHandlers(name, onEvent) {
  return {
    onOpen: () => {
      if (state.polling) { // a place was free again
        state.polling = false;
        state.refusals = 0;
      }
      setLive(name, "open");
    },
    onDrop: () => setLive(name, "down"),
    onEvent,
    onFail: (error) => {
      if (error.kind === "missing" || error.status === 400 || error.noPlace) {
        pollInstead(error);
      } else {
        setLive(name, error.kind === "auth" || error.kind === "forbidden" ? "stopped" : "down"); // stopped: the caller must act
        record(name, error);
      }
    },
  };
}

function stopStreams() {
  clearTimeout(state.watchAgain);
  for (const stream of state.streams) stream.stop();
  state.streams = [];
  state.streamState.clear();
}

// The job list of the view: one watch per schedd, or polling.
function startJobStreams() {
  stopStreams();
  state.jobs = new Map();
  state.polling = false;
  state.refusals = 0;
  render();
  if (viewedSchedds().length > MAX_JOB_STREAMS) pollInstead();
  else watchJobs();
}

// A watch per schedd of the view; each snapshot replaces its job list.
function watchJobs() {
  for (const schedd of viewedSchedds()) {
    const path = `v1/watch/jobs/${seg(schedd)}${query({ projection: JOB_ATTRS.join(",") })}`;
    state.streams.push(watch(path, streamHandlers(`watch ${schedd}`, (name, data) => onJobEvent(schedd, name, data))));
  }
  showLive();
}

// ------------------------------------------------------------- schedule --

const pending = new Map();
function soon(name, task) {
  if (pending.has(name)) return;
  pending.set(name, setTimeout(() => {
    pending.delete(name);
    task();
  }, SOON_MS));
}

async function refresh() {
  await loadReady();
  await loadDaemons();
  if (state.streamsView !== state.view) { // a new view: its job list, once its schedds are known
    state.streamsView = state.view;
    startJobStreams();
  }
  await Promise.all([loadJobSummary(), loadSlots(), loadPriorities(), loadWhyCards(), loadArchive()]);
  if (state.polling) await pollJobs();
  state.updated = new Date();
  render();
}

let timer = 0;
function schedule() {
  clearTimeout(timer);
  timer = setTimeout(async () => {
    if (!document.hidden) await refresh();
    schedule();
  }, REFRESH_MS);
}

// --------------------------------------------------------------- controls --

function fillScheddPicker() {
  const picker = $("schedd");
  const names = ["*", ...state.schedds];
  if (state.schedd !== "*" && !names.includes(state.schedd)) names.push(state.schedd);
  picker.replaceChildren(...names.map((name) => {
    const option = document.createElement("option");
    option.value = name;
    option.textContent = name === "*" ? "all schedds" : name;
    return option;
  }));
  picker.value = state.schedd;
}

function showTokenForm(open) {
  $("token-form").hidden = !open;
  $("token-toggle").setAttribute("aria-expanded", String(open));
}

// A new view (schedd, token): everything asked again, the streams anew.
async function restart() {
  state.view += 1;
  stopStreams();
  state.polling = false;
  state.errors = {};
  state.jobSummary = null;
  state.why = {};
  state.jobHistory = [];
  state.jobsCounted = false;
  resetArchive();
  render();
  await refresh();
  schedule();
}

function init() {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("schedd");
  if (fromHash) state.schedd = fromHash;
  fillScheddPicker();
  fillStateFilter();
  initArchiveSwitch();
  $("schedd").addEventListener("change", (event) => {
    state.schedd = event.target.value;
    history.replaceState(null, "", state.schedd === "*" ? "#" : `#schedd=${encodeURIComponent(state.schedd)}`);
    restart();
  });
  $("slot-label").addEventListener("change", () => loadSlots());
  $("filter-owner").addEventListener("change", (event) => {
    state.filter.owner = event.target.value;
    render();
  });
  $("filter-state").addEventListener("change", (event) => {
    state.filter.state = event.target.value;
    render();
  });
  $("token-toggle").addEventListener("click", () => showTokenForm($("token-form").hidden));
  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    setToken($("token").value.trim());
    $("token").value = "";
    showTokenForm(false);
    restart();
  });
  $("token-forget").addEventListener("click", () => {
    setToken("");
    restart();
  });
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) refresh();
  });
  restart();
}

init();
