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

// series: [{key, label, cls}]; rows: [{label, values: {key: number}, total?: text}].
// normalize: every bar is its own 100% (rows of different units).
export function stackedBars(container, series, rows, { normalize = false } = {}) {
  const legend = el("ul", { class: "legend" }); // the series that have a value somewhere
  for (const s of series.filter((s) => rows.some((row) => row.values[s.key]))) {
    legend.append(el("li", {}, el("span", { class: `swatch ${s.cls}` }), s.label));
  }
  const sums = rows.map((row) => series.reduce((sum, s) => sum + (row.values[s.key] || 0), 0));
  const largest = Math.max(1, ...sums);
  const list = el("div", { class: "bars" });
  rows.forEach((row, i) => {
    const scale = normalize ? Math.max(1, sums[i]) : largest;
    const bar = svg("svg", { viewBox: "0 0 100 10", preserveAspectRatio: "none", class: "bar-svg", role: "img" });
    bar.append(Object.assign(svg("title"), { textContent: `${row.label}: ${formatNumber(sums[i])}` }));
    let x = 0;
    for (const s of series) {
      const value = row.values[s.key] || 0;
      if (!value) continue;
      const width = (100 * value) / scale;
      const rect = svg("rect", { x: x.toFixed(3), y: 0, width: width.toFixed(3), height: 10, class: s.cls });
      rect.append(Object.assign(svg("title"), { textContent: `${s.label}: ${formatNumber(value)}` }));
      bar.append(rect);
      x += width;
    }
    list.append(el("div", { class: "bar-row", "data-label": row.label },
      el("span", { class: "bar-label", title: row.label }, row.label),
      bar,
      el("span", { class: "bar-total" }, row.total ?? formatNumber(sums[i]))));
  });
  container.replaceChildren(legend, list);
}
