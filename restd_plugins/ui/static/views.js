// What each card shows, from the data the app holds: pure rendering, no
// requests. Every card says so when it has nothing to show.

import { columns, el, formatNumber, legend, meter, segmentedBar, stackedBars, timeline } from "./charts.js";

export const JOB_STATES = ["idle", "running", "removed", "completed", "held", "transferring_output", "suspended"];
const STATE_LABELS = { transferring_output: "transferring" };
export const stateLabel = (name) => STATE_LABELS[name] || name;
export const stateOf = (code) => JOB_STATES[code - 1] || "unknown";
const STATE_SERIES = JOB_STATES.map((key) => ({ key, label: stateLabel(key), cls: `s-${key}` }));
const PALETTE = 8;
// A slot's State in the colours of the jobs' states it goes with.
const SLOT_STATE_CLASSES = { Claimed: "s-running", Unclaimed: "s-idle", Preempting: "s-held", Matched: "c1", Owner: "c3", Drained: "c7", Backfill: "c4" };
const ROWS_SHOWN = 500;

const $ = (id) => document.getElementById(id);

function empty(container, text) {
  container.replaceChildren(el("p", { class: "empty" }, text));
}

// What a card without data says: still asking, or why it cannot show anything.
function waiting(problem) {
  return problem ? `Not available: ${problem}` : "Loading…";
}

function ago(seconds) {
  if (!Number.isFinite(seconds)) return "–";
  const s = Math.max(0, Math.round(Date.now() / 1000 - seconds));
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 172800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

function fillTable(table, rows) {
  table.tBodies[0].replaceChildren(...rows.map((cells) => el("tr", {}, ...cells.map(([text, cls]) =>
    el("td", cls ? { class: cls } : {}, text)))));
}

const TIMELINE_SERIES = ["running", "idle", "held"].map((key) => ({ key, label: stateLabel(key), cls: `s-${key}` }));

// jobs: {totals, byOwner: [{owner, counts}], perSchedd: [{schedd, totals}] | null, note};
// history: [{t, values: totals}] of this view, oldest first.
export function renderJobSummary(jobs, problem, history) {
  const tiles = $("job-totals");
  const total = jobs ? jobs.totals.jobs || 0 : 0;
  tiles.replaceChildren(...["jobs", ...JOB_STATES.filter((s) => s !== "suspended" || (jobs && jobs.totals.suspended))]
    .map((key) => el("div", { class: `tile ${key === "jobs" ? "" : "s-" + key}`, "data-key": key },
      el("span", { class: "tile-n" }, jobs ? formatNumber(jobs.totals[key] || 0) : "–"),
      el("span", { class: "tile-k" }, stateLabel(key)))));
  $("jobs-note").textContent = jobs ? jobs.note || "" : "";
  const lines = el("div");
  if (jobs) timeline(lines, TIMELINE_SERIES, history);
  $("jobs-timeline").replaceChildren(...(jobs ? [el("h3", {}, "over time"), lines] : []));
  const perSchedd = $("per-schedd-box");
  if (!jobs) {
    empty($("jobs-by-owner"), waiting(problem));
    perSchedd.hidden = true;
    return;
  }
  if (!total) {
    empty($("jobs-by-owner"), "No jobs in the queue.");
  } else {
    stackedBars($("jobs-by-owner"), STATE_SERIES,
      jobs.byOwner.map(({ owner, counts }) => ({ label: owner ?? "(no owner)", values: counts })));
  }
  perSchedd.hidden = !jobs.perSchedd;
  if (jobs.perSchedd) {
    stackedBars($("jobs-by-schedd"), STATE_SERIES,
      jobs.perSchedd.map(({ schedd, totals }) => ({ label: schedd, values: totals })));
  }
}

function gib(mib) {
  return `${formatNumber(mib / 1024)} GiB`;
}

const RESOURCES = [
  ["slots", "slots", formatNumber],
  ["cpus", "CPUs", formatNumber],
  ["gpus", "GPUs", formatNumber],
  ["memory", "memory", gib],
];

// slots: {label, totals, groups: [{key, slots, cpus, gpus, memory}], note}
export function renderSlots(slots, problem) {
  const chart = $("slot-chart");
  $("slots-note").textContent = slots ? slots.note || "" : "";
  if (!slots) return empty(chart, waiting(problem));
  if (!slots.totals.slots) return empty(chart, "No slots in the pool.");
  const series = slots.groups.map((group, i) => ({
    key: String(i), label: group.key, cls: (slots.label === "State" && SLOT_STATE_CLASSES[group.key]) || `c${i % PALETTE}`,
  }));
  const byLabel = RESOURCES.map(([name, label, format]) => ({
    label,
    total: format(slots.totals[name] === undefined ? 0 : name === "slots" ? slots.totals.slots : slots.totals[name].total),
    values: Object.fromEntries(slots.groups.map((group, i) => [String(i), name === "slots" ? group.slots : group[name].total])),
  }));
  const use = [{ key: "claimed", label: "claimed", cls: "s-running" }, { key: "unclaimed", label: "unclaimed", cls: "s-idle" }];
  const inUse = RESOURCES.slice(1).map(([name, label, format]) => ({
    label, values: slots.totals[name], total: `${format(slots.totals[name].claimed)} / ${format(slots.totals[name].total)}`,
  }));
  const top = el("div");
  const bottom = el("div");
  stackedBars(top, series, byLabel, { normalize: true });
  stackedBars(bottom, use, inUse, { normalize: true });
  chart.replaceChildren(el("h3", {}, `by ${slots.label}`), top, el("h3", {}, "claimed"), bottom);
}

// priorities: {rows: [{name, effective, factor, inUse, usageHours}], note}
export function renderPriorities(priorities, problem) {
  $("prio-note").textContent = priorities ? priorities.note || "" : "";
  const table = $("prio");
  if (!priorities || !priorities.rows.length) {
    fillTable(table, [[[priorities ? "No submitters have a priority yet." : waiting(problem), "empty"]]]);
    table.tBodies[0].rows[0].cells[0].colSpan = 5;
    return;
  }
  fillTable(table, priorities.rows.map((row) => [
    [row.name, "name"], [formatNumber(row.effective), "num"], [formatNumber(row.factor), "num opt"],
    [formatNumber(row.inUse), "num"], [formatNumber(row.usageHours), "num"],
  ]));
}

// ready: {ok, text}; daemons: [{type, name, heard}] | null
export function renderHealth(ready, daemons, problem) {
  const line = $("ready");
  line.textContent = ready ? ready.text : "Asking…";
  line.dataset.ok = ready ? String(ready.ok) : "";
  const table = $("daemons");
  if (!daemons || !daemons.length) {
    fillTable(table, [[[daemons ? "No daemons in the collector." : waiting(problem), "empty"]]]);
    table.tBodies[0].rows[0].cells[0].colSpan = 3;
    return;
  }
  fillTable(table, daemons.map((d) => [[d.type], [d.name, "name"], [ago(d.heard)]]));
}

// held: {held, groups: [{key, code, name, count, oldest, newest, examples}], note};
// open: the keys of the reasons whose example jobs are shown, kept across
// renders (read from the page first: a click's toggle event may come after).
export function renderHeld(held, problem, open) {
  const list = $("held-reasons");
  for (const shown of list.querySelectorAll("details.reason")) {
    if (shown.open) open.add(shown.dataset.key);
    else open.delete(shown.dataset.key);
  }
  $("held-note").textContent = held ? held.note || "" : "";
  $("held-total").textContent = held ? `${formatNumber(held.held)} held` : "";
  if (!held) return empty(list, waiting(problem));
  if (!held.groups.length) return empty(list, "No held jobs.");
  const largest = Math.max(...held.groups.map((group) => group.count));
  list.replaceChildren(...held.groups.map((group) => {
    const label = group.name ?? (group.code === null ? "(no code)" : `code ${group.code}`);
    const reason = el("details", { class: "reason", "data-key": group.key, "data-label": label },
      el("summary", { class: "bar-row" },
        el("span", { class: "bar-label", title: group.code === null ? label : `${label} (HoldReasonCode ${group.code})` },
          label),
        meter(group.count, largest, "s-held", label),
        el("span", { class: "bar-total" }, formatNumber(group.count))),
      heldDetails(group));
    reason.open = open.has(group.key);
    return reason;
  }));
}

function heldDetails(group) {
  const since = group.oldest === null ? "" : group.oldest === group.newest ? `held ${ago(group.oldest)}`
    : `held between ${ago(group.oldest)} and ${ago(group.newest)}`;
  const box = el("div", { class: "examples" }, el("p", { class: "note" }, since));
  if (!group.examples) {
    box.append(el("p", { class: "empty" }, "No example jobs for this reason (only the largest reasons have them)."));
    return box;
  }
  const table = el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "job"), el("th", {}, "hold reason"))),
    el("tbody"));
  fillTable(table, group.examples.map((job) => [
    [job.schedd ? `${job.jobid} · ${job.schedd}` : job.jobid, "job"], [job.hold_reason ?? "–", "name"]]));
  box.append(table);
  return box;
}

// The idle card: each cause (the API's cause codes) in a few words, and how bad it is.
const CAUSES = {
  no_slot_matches: ["no slot matches", "bad"],
  slots_reject_job: ["the slots refuse the jobs", "bad"],
  matching_slots_busy: ["matching slots are busy", "wait"],
  owner_priority: ["passed over: priority or limits", "wait"],
  not_considered_yet: ["not matched yet", "fine"],
  not_idle: ["not idle", "fine"],
};
// The slots of a group at each stage, as the parts of one bar (of the pool's slots).
const STAGES = [
  { key: "unclaimed", label: "unclaimed, would run them", cls: "st-unclaimed" },
  { key: "claimed", label: "would run them, claimed", cls: "st-claimed" },
  { key: "refuse", label: "match, but their START refuses", cls: "st-refuse" },
  { key: "rejected", label: "the jobs' Requirements reject", cls: "st-rejected" },
];

function stageParts(slots) {
  return {
    unclaimed: slots.unclaimed, claimed: slots.accept_job - slots.unclaimed,
    refuse: slots.match_job - slots.accept_job, rejected: slots.total - slots.match_job,
  };
}

// idle: {idle, groups: [{schedd, autoclusterid, idle, cause: {code, text, clause},
// worst: {clause, rejects} | null, slots: {total, match_job, accept_job, unclaimed, if_drained} | null}], note}.
// Every text of the API (clauses, causes, names) is put in as text, never as HTML.
export function renderIdle(idle, problem) {
  const list = $("idle-groups");
  $("idle-note").textContent = idle ? idle.note || "" : "";
  $("idle-total").textContent = idle ? `${formatNumber(idle.idle)} idle` : "";
  if (!idle) return empty(list, waiting(problem));
  if (!idle.groups.length) return empty(list, idle.idle ? "No idle jobs analysed." : "No idle jobs.");
  const largest = Math.max(...idle.groups.map((group) => group.idle));
  const rows = idle.groups.filter((group) => group.slots).map((group) => ({ values: stageParts(group.slots) }));
  list.replaceChildren(legend(STAGES, rows),
    el("div", { class: "idle-list" }, ...idle.groups.map((group) => idleGroup(group, largest))));
}

// A group: its cause in words and its jobs (a bar against the largest group's);
// the cause's line, unless the clause's says it (no slot matches: that
// clause rejects the most); the clause rejecting the most slots; the slots
// at each stage (a bar of the pool's slots) with their counts.
function idleGroup(group, largest) {
  const [words, severity] = CAUSES[group.cause.code] ?? [group.cause.code, "wait"];
  const jobs = `${formatNumber(group.idle)} ${group.idle === 1 ? "job" : "jobs"}`;
  const box = el("div", { class: `idle-group ${severity}`, "data-cause": group.cause.code },
    el("div", { class: "bar-row" },
      el("span", { class: "bar-label cause", title: group.cause.text }, words),
      meter(group.idle, largest, "s-idle", words),
      el("span", { class: "bar-total" }, jobs)));
  if (group.cause.clause === null) box.append(el("p", { class: "cause-text" }, group.cause.text));
  if (group.worst) {
    box.append(el("p", { class: "clause" },
      el("span", { class: "clause-k" }, "rejects the most slots: "),
      el("code", { class: "clause-text" }, group.worst.clause),
      el("span", { class: "clause-n" }, ` ${formatNumber(group.worst.rejects)} of ${formatNumber(group.slots.total)}`)));
  }
  const meta = el("p", { class: "meta" });
  if (group.slots) {
    const s = group.slots;
    const drained = s.if_drained ? `, ${formatNumber(s.if_drained)} if drained` : "";
    const counts = `${formatNumber(s.match_job)} match / ${formatNumber(s.accept_job)} accept / ` +
      `${formatNumber(s.unclaimed)} unclaimed of ${formatNumber(s.total)}${drained}`;
    box.append(el("div", { class: "bar-row stages" },
      el("span", { class: "bar-label" }, "slots"),
      segmentedBar(STAGES, stageParts(s), s.total, `slots: ${counts}`),
      el("span", { class: "bar-total" }, formatNumber(s.total))));
    meta.append(el("span", { class: "stage-counts" }, counts), " · ");
  }
  const where = group.autoclusterid === null ? "not grouped yet" : `autocluster ${group.autoclusterid}`;
  meta.append(el("span", { class: "where" }, group.schedd ? `${where} · ${group.schedd}` : where));
  box.append(meta);
  return box;
}

const CHECK_TEXTS = {
  duty_cycle: (v) => `duty cycle ${formatNumber(v * 100)}%`,
  ad_age: (v) => `last heard ${formatNumber(Math.round(v))} s ago`,
  running: (v) => `running ${formatNumber(v * 100)}% of its maximum`,
  transfer_waiting: (v) => `${formatNumber(v)} transfers waiting`,
  curb_matchmaking: () => "curbing matchmaking",
  last_cycle: (v) => `last cycle ${formatNumber(v)} intervals long`,
  last_cycle_age: (v) => `last cycle ended ${formatNumber(v)} intervals ago`,
  dropped_queries: (v) => `${formatNumber(v)} queries dropped`,
  pending_queries: (v) => `${formatNumber(v)} queries pending`,
  updates_lost: (v) => `${formatNumber(v)} updates lost`,
};

// What a daemon's row says: its checks that are not ok, else its main numbers.
function daemonText({ type, checks, numbers: n }) {
  const bad = Object.entries(checks).filter(([, check]) => check.verdict !== "ok")
    .map(([name, check]) => (CHECK_TEXTS[name] || ((v) => `${name} ${v}`))(check.value));
  if (bad.length) return bad.join(", ");
  if (type === "schedd") return `${formatNumber(n.running_jobs ?? NaN)} running of ${formatNumber(n.max_jobs_running ?? NaN)}, ${formatNumber(n.shadows ?? NaN)} shadows`;
  if (type === "negotiator") return `last cycle ${formatNumber(n.last_cycle_seconds ?? NaN)} s, ended ${formatNumber(Math.round(n.last_cycle_age_seconds ?? NaN))} s ago`;
  return `${formatNumber(n.pending_queries ?? NaN)} queries pending, ${formatNumber(n.dropped_queries ?? NaN)} dropped`;
}

// health: {verdict, rows: [{type, name, verdict, checks, numbers}]} (the worst first)
export function renderDaemonHealth(health, problem) {
  const overall = $("health-verdict");
  overall.textContent = health ? health.verdict : "";
  overall.dataset.verdict = health ? health.verdict : "";
  const table = $("daemon-verdicts");
  if (!health || !health.rows.length) {
    fillTable(table, [[[health ? "No daemons in the collector." : waiting(problem), "empty"]]]);
    table.tBodies[0].rows[0].cells[0].colSpan = 3;
    return;
  }
  fillTable(table, health.rows.map((row) => [[row.verdict, `verdict v-${row.verdict}`],
    [el("span", {}, el("span", { class: "kind" }, row.type), el("span", { class: "daemon-name" }, row.name)), "name"],
    [daemonText(row), "why"]]));
}

function jobKey(job) {
  return [job.schedd, job.clusterid ?? 0, job.procid ?? 0];
}

function compareJobs(a, b) {
  const [sa, ca, pa] = jobKey(a);
  const [sb, cb, pb] = jobKey(b);
  return sa < sb ? -1 : sa > sb ? 1 : ca - cb || pa - pb;
}

// jobs: [{schedd, id, owner, jobstatus, ...}]; filter: {owner, state};
// complete: every schedd of the view has answered.
export function renderJobTable(jobs, filter, complete, problem) {
  const owners = [...new Set(jobs.map((job) => job.owner).filter(Boolean))].sort();
  const ownerSelect = $("filter-owner");
  if (filter.owner && !owners.includes(filter.owner)) owners.push(filter.owner);
  const wanted = ["", ...owners];
  if ([...ownerSelect.options].map((o) => o.value).join("\n") !== wanted.join("\n")) {
    ownerSelect.replaceChildren(...wanted.map((o) => el("option", { value: o }, o || "all")));
    ownerSelect.value = filter.owner;
  }
  const shown = jobs.filter((job) => (!filter.owner || job.owner === filter.owner)
    && (!filter.state || stateOf(job.jobstatus) === filter.state)).sort(compareJobs);
  $("jobs-count").textContent = !complete && !jobs.length ? "" : shown.length > ROWS_SHOWN
    ? `the first ${ROWS_SHOWN} of ${formatNumber(shown.length)} jobs`
    : `${formatNumber(shown.length)} of ${formatNumber(jobs.length)} jobs`;
  const table = $("job-table");
  if (!shown.length) {
    const why = jobs.length ? "No job matches these filters." : complete ? "No jobs in the queue." : waiting(problem);
    fillTable(table, [[[why, "empty"]]]);
    table.tBodies[0].rows[0].cells[0].colSpan = 6;
    return;
  }
  fillTable(table, shown.slice(0, ROWS_SHOWN).map((job) => {
    const state = stateOf(job.jobstatus);
    return [[job.id], [job.schedd], [job.owner ?? "–"], [stateLabel(state), `st s-${state}`],
      [job.jobbatchname || job.cmd || "–"], [ago(job.enteredcurrentstatus), "opt"]];
  }));
}

export function fillStateFilter() {
  $("filter-state").append(...JOB_STATES.map((s) => el("option", { value: s }, stateLabel(s))));
}

// ------------------------------------------------ over time, archived --

const ARCHIVE_SERIES = [{ key: "completed", label: "completed", cls: "s-completed" },
  { key: "removed", label: "removed", cls: "s-removed" }];
const EFFICIENCY_LINE = { key: "efficiency", label: "CPU efficiency (0–100%)", cls: "efficiency" };

function when(seconds) {
  return new Date(seconds * 1000).toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

// archive: null (hidden: this server has no archive, or it did not answer
// yet) or {range, ranges: {name: {label, per, answer | null}}}: answer is
// /v1/summary/history's ({from, to, bucket, buckets: [{start, groups}]}).
export function renderArchiveHistory(archive) {
  const box = $("archive-box");
  box.hidden = !archive;
  if (!archive) return;
  for (const button of box.querySelectorAll("button[data-range]")) {
    button.setAttribute("aria-pressed", String(button.dataset.range === archive.range));
  }
  const { label, per, answer, whole } = archive.ranges[archive.range];
  $("archive-title").textContent = `finished per ${per}, the last ${label}`;
  const chart = $("archive-chart");
  const note = $("archive-note");
  if (!answer) {
    note.textContent = "";
    return empty(chart, "Loading…");
  }
  const sum = (groups, key) => groups.reduce((n, g) => n + (g[key] || 0), 0);
  const buckets = answer.buckets.map(({ start, groups }) => ({ // without `by`: a group per bucket that has jobs
    start, values: { completed: sum(groups, "completed"), removed: sum(groups, "removed"),
      efficiency: groups.length === 1 ? groups[0].cpu_efficiency : null },
  }));
  const all = answer.buckets.flatMap((b) => b.groups);
  chart.dataset.from = String(answer.from);
  chart.dataset.to = String(answer.to);
  chart.dataset.bucket = String(answer.bucket);
  columns(chart, ARCHIVE_SERIES, buckets,
    { line: EFFICIENCY_LINE, axis: [when(answer.from), when((answer.from + answer.to) / 2), "now"] });
  const overall = whole?.buckets[0]?.groups[0]?.cpu_efficiency ?? null;
  note.textContent = `${formatNumber(sum(all, "completed"))} completed, ${formatNumber(sum(all, "removed"))} removed`
    + (overall === null ? "" : `; CPU efficiency ${formatNumber(Math.round(overall * 100))}%`)
    + " (from the archive of finished jobs).";
}
