// Stacked horizontal bars in plain SVG: one row per label, a segment per
// series, the numbers beside them in HTML (they stay readable on a narrow
// screen while the bars stretch). Colours come from style.css classes.

const SVG = "http://www.w3.org/2000/svg";

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  for (const child of children) node.append(child);
  return node;
}

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  return node;
}

export function formatNumber(value) {
  if (!Number.isFinite(value)) return "–";
  if (Number.isInteger(value)) return value.toLocaleString("en-US");
  return value.toLocaleString("en-US", { maximumFractionDigits: 2 });
}

// The series that have a value in some of `rows` ([{values: {key: number}}]), as a legend.
export function legend(series, rows) {
  const list = el("ul", { class: "legend" });
  for (const s of series.filter((s) => rows.some((row) => row.values[s.key]))) {
    list.append(el("li", {}, el("span", { class: `swatch ${s.cls}` }), s.label));
  }
  return list;
}

// One bar: a segment per series of `values` (in the series' order), `scale`
// its full width, `title` what it says as a whole.
export function segmentedBar(series, values, scale, title) {
  const bar = svg("svg", { viewBox: "0 0 100 10", preserveAspectRatio: "none", class: "bar-svg", role: "img" });
  bar.append(Object.assign(svg("title"), { textContent: title }));
  let x = 0;
  for (const s of series) {
    const value = values[s.key] || 0;
    if (!value) continue;
    const width = (100 * value) / Math.max(1, scale);
    const rect = svg("rect", { x: x.toFixed(3), y: 0, width: width.toFixed(3), height: 10, class: s.cls });
    rect.append(Object.assign(svg("title"), { textContent: `${s.label}: ${formatNumber(value)}` }));
    bar.append(rect);
    x += width;
  }
  return bar;
}

// series: [{key, label, cls}]; rows: [{label, values: {key: number}, total?: text}].
// normalize: every bar is its own 100% (rows of different units).
export function stackedBars(container, series, rows, { normalize = false } = {}) {
  const sums = rows.map((row) => series.reduce((sum, s) => sum + (row.values[s.key] || 0), 0));
  const largest = Math.max(1, ...sums);
  const list = el("div", { class: "bars" });
  rows.forEach((row, i) => {
    const bar = segmentedBar(series, row.values, normalize ? sums[i] : largest, `${row.label}: ${formatNumber(sums[i])}`);
    list.append(el("div", { class: "bar-row", "data-label": row.label },
      el("span", { class: "bar-label", title: row.label }, row.label),
      bar,
      el("span", { class: "bar-total" }, row.total ?? formatNumber(sums[i]))));
  });
  container.replaceChildren(legend(series, rows), list);
}

// One bar of `label`'s `value` against `largest` (its full width), in class `cls`.
export function meter(value, largest, cls, label) {
  return segmentedBar([{ key: "value", label, cls }], { value }, largest, `${label}: ${formatNumber(value)}`);
}

// Lines over time in plain SVG: samples [{t (ms), values: {key: number}}],
// oldest first; the y axis from 0 to the largest value shown.
export function timeline(container, series, samples) {
  if (samples.length < 2) {
    container.replaceChildren(el("p", { class: "empty" }, "The lines grow as the numbers come in (a point a change, or a minute)."));
    return;
  }
  const t0 = samples[0].t;
  const span = Math.max(1, samples[samples.length - 1].t - t0);
  const top = Math.max(1, ...samples.flatMap((s) => series.map((x) => s.values[x.key] || 0)));
  const chart = svg("svg", { viewBox: "0 0 100 30", preserveAspectRatio: "none", class: "timeline-svg", role: "img" });
  chart.append(Object.assign(svg("title"), { textContent: `jobs over the last ${Math.round(span / 60000) || "<1"} min` }));
  for (const s of series) {
    const points = samples.map((sample) =>
      `${((100 * (sample.t - t0)) / span).toFixed(2)},${(30 - (29 * (sample.values[s.key] || 0)) / top).toFixed(2)}`);
    chart.append(svg("polyline", { points: points.join(" "), class: `line ${s.cls}`, "vector-effect": "non-scaling-stroke" }));
  }
  const legend = el("ul", { class: "legend" });
  for (const s of series) legend.append(el("li", {}, el("span", { class: `swatch ${s.cls}` }), s.label));
  const minutes = span / 60000;
  const since = minutes < 1 ? `${Math.round(span / 1000)} s` : `${Math.round(minutes)} min`;
  container.replaceChildren(legend, el("div", { class: "timeline" },
    el("span", { class: "timeline-top" }, formatNumber(top)), chart,
    el("span", { class: "timeline-axis" }, `the last ${since}`)));
}

// Columns over time in plain SVG, one per bucket (oldest first), stacked by
// `series` ({key, label, cls}); `line` ({key, label, cls}): a value from 0
// to 1 per bucket (null: none), drawn on its own 0-100% scale over them (in
// the legend only if a bucket has one). buckets: [{start (s), values: {key:
// number}}]; `axis`: the texts under the time axis, spread evenly.
export function columns(container, series, buckets, { line = null, axis = [] } = {}) {
  const sums = buckets.map((b) => series.reduce((sum, s) => sum + (b.values[s.key] || 0), 0));
  const top = Math.max(1, ...sums);
  const width = 100 / Math.max(1, buckets.length);
  const chart = svg("svg", { viewBox: "0 0 100 30", preserveAspectRatio: "none", class: "columns-svg", role: "img" });
  chart.append(Object.assign(svg("title"), { textContent: `${series.map((s) => s.label).join(", ")}: ${axis.join(" – ")}` }));
  buckets.forEach((bucket, i) => {
    let y = 30;
    for (const s of series) {
      const value = bucket.values[s.key] || 0;
      if (!value) continue;
      const height = (29 * value) / top;
      y -= height;
      const rect = svg("rect", { x: (i * width + width * 0.1).toFixed(3), y: y.toFixed(3), width: (width * 0.8).toFixed(3),
        height: height.toFixed(3), class: `column ${s.cls}`, "data-start": String(bucket.start), "data-value": String(value) });
      rect.append(Object.assign(svg("title"), { textContent: `${new Date(bucket.start * 1000).toLocaleString()}: ${formatNumber(value)} ${s.label}` }));
      chart.append(rect);
    }
  });
  if (line) { // a step line per run of buckets that have a value
    let run = [];
    const flush = () => {
      if (run.length) chart.append(svg("polyline", { points: run.join(" "), class: `line ${line.cls}`, "vector-effect": "non-scaling-stroke" }));
      run = [];
    };
    buckets.forEach((bucket, i) => {
      const value = bucket.values[line.key];
      if (value === null || value === undefined || !Number.isFinite(value)) return flush();
      const y = (29 - 28 * Math.min(1, Math.max(0, value))).toFixed(2); // 0% and 100% inside the frame
      run.push(`${(i * width).toFixed(2)},${y}`, `${((i + 1) * width).toFixed(2)},${y}`);
    });
    flush();
  }
  const legend = el("ul", { class: "legend" });
  const lined = line && buckets.some((b) => Number.isFinite(b.values[line.key]));
  for (const s of [...series, ...(lined ? [line] : [])]) legend.append(el("li", {}, el("span", { class: `swatch ${s.cls}` }), s.label));
  container.replaceChildren(legend, el("div", { class: "timeline" },
    el("span", { class: "timeline-top" }, formatNumber(top)), chart,
    el("span", { class: "timeline-axis columns-axis" }, ...axis.map((text) => el("span", {}, text)))));
}
