// report.html's script: fills the page from the embedded JSON (#report-data),
// draws the charts with uPlot, makes the tables sortable, and writes a
// self-check into #selfcheck that the browser test reads.
(function () {
  "use strict";

  const data = JSON.parse(document.getElementById("report-data").textContent);
  const summary = data.summary;
  const palette = ["#103a71", "#ffa409", "#2ca02c", "#d62728", "#9467bd", "#17becf",
                   "#8c564b", "#e377c2", "#7f7f7f"];
  const maxStacked = 8;  // organizations drawn on their own; the rest are "Other"

  function formatNumber(n) {
    return n === null || n === undefined ? "—" : Number(n).toLocaleString("en-US");
  }
  function compact(n) {
    const a = Math.abs(n);
    if (a >= 1e9) return (n / 1e9).toFixed(a >= 1e10 ? 0 : 1) + "G";
    if (a >= 1e6) return (n / 1e6).toFixed(a >= 1e7 ? 0 : 1) + "M";
    if (a >= 1e3) return (n / 1e3).toFixed(a >= 1e4 ? 0 : 1) + "k";
    return String(n);
  }
  function lookup(object, path) {
    return path.split(".").reduce((o, k) => (o === undefined ? undefined : o[k]), object);
  }
  function dayToSeconds(date) {
    const [y, m, d] = date.split("-").map(Number);
    return Date.UTC(y, m - 1, d) / 1000;
  }
  function element(tag, attributes, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attributes || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // The numbers of summary.json, where the page names them (data-key).
  function fillSummary() {
    for (const e of document.querySelectorAll("[data-key]")) {
      const value = lookup(summary, e.dataset.key);
      if (Array.isArray(value)) {
        e.textContent = formatNumber(value.length);
        if (value.length > 0) e.title = value.join(", ");
      } else if (typeof value === "number") {
        e.textContent = formatNumber(value);
      } else if (value !== undefined) {
        e.textContent = value;
      }
    }
    document.getElementById("window-note").textContent =
      summary.window_days > 0
        ? "Active: date directories in [as-of, as-of + " + summary.window_days + " days)."
        : "Active: every date directory dated as-of or later.";
  }

  // A table of rows (objects) with the given columns; headers sort it.
  function fillTable(id, rows, columns, rowId) {
    const table = document.getElementById(id);
    const body = table.tBodies[0];
    for (const row of rows) {
      const tr = element("tr", { "data-id": rowId(row) });
      for (const c of columns) {
        const td = c.render ? c.render(row) : element("td", {}, row[c.key]);
        if (c.numeric) {
          td.className = "n";
          td.dataset.value = row[c.key];
          td.textContent = formatNumber(row[c.key]);
        }
        if (c.key) td.dataset.key = c.key;
        tr.appendChild(td);
      }
      body.appendChild(tr);
    }
    for (const th of table.tHead.rows[0].cells) {
      if (!th.dataset.sort) continue;
      th.addEventListener("click", () => sortTable(table, th));
    }
  }

  function sortTable(table, th) {
    const key = th.dataset.sort;
    const numeric = th.dataset.type === "num";
    // First click: numbers largest first, names A to Z; then each click reverses.
    const current = th.getAttribute("aria-sort");
    const descending = current ? current === "ascending" : numeric;
    for (const other of table.tHead.rows[0].cells) other.removeAttribute("aria-sort");
    th.setAttribute("aria-sort", descending ? "descending" : "ascending");
    const cell = (tr) => tr.querySelector('td[data-key="' + key + '"]');
    const rows = Array.from(table.tBodies[0].rows);
    rows.sort((a, b) => {
      const x = cell(a), y = cell(b);
      const order = numeric ? Number(x.dataset.value) - Number(y.dataset.value)
                            : x.textContent.localeCompare(y.textContent);
      return descending ? -order : order;
    });
    for (const tr of rows) table.tBodies[0].appendChild(tr);
  }

  function fillTables() {
    const counts = ["certs_active", "fqdns_active", "regdomains_active", "wildcards_active"]
      .map((key) => ({ key: key, numeric: true }));
    const files = data.organization_files || {};
    fillTable("table-organizations", summary.organizations, [{ key: "organization" }].concat(counts, [{
      render: (row) => {
        const td = element("td");
        if (files[row.organization]) {
          td.appendChild(element("a", { href: files[row.organization] }, files[row.organization]));
        }
        return td;
      },
    }]), (row) => row.organization);
    fillTable("table-issuers", summary.issuers, [{
      key: "issuer_name",
      render: (row) => element("td", { title: "issuer id " + row.issuer_id }, row.issuer_name),
    }, { key: "organization" }].concat(counts), (row) => row.issuer_id);
  }

  const charts = [];

  function chartWidth(el) {
    return Math.max(320, Math.floor(el.clientWidth || 900));
  }

  function axes(label) {
    return [
      {},
      { label: label, size: 64, values: (u, ticks) => ticks.map(compact) },
    ];
  }

  function activeChart() {
    const el = document.getElementById("chart-active");
    // The days with an active count: rows that only count issuance (before
    // the earliest date directory) are left out.
    const all = data.daily;
    const rows = all.dates.map((_, i) => i).filter((i) => all.certs_active[i] !== null);
    const pick = (column) => rows.map((i) => column[i]);
    const d = { certs_active: pick(all.certs_active), backfilled: pick(all.backfilled),
                fqdns_active: pick(all.fqdns_active), regdomains_active: pick(all.regdomains_active) };
    const xs = pick(all.dates).map(dayToSeconds);
    const backfilled = d.certs_active.map((v, i) => (d.backfilled[i] ? v : null));
    const counted = d.certs_active.map((v, i) => (d.backfilled[i] ? null : v));
    const series = [
      {},
      { label: "Certificates (back-filled)", stroke: palette[0], width: 2, dash: [6, 4],
        value: (u, v) => formatNumber(v) },
      { label: "Certificates (counted)", stroke: palette[0], width: 2, spanGaps: true,
        points: { show: true, size: 7 }, value: (u, v) => formatNumber(v) },
      { label: "FQDNs", stroke: palette[1], width: 2, spanGaps: true,
        points: { show: true, size: 7 }, value: (u, v) => formatNumber(v) },
      { label: "Registered domains", stroke: palette[2], width: 2, spanGaps: true,
        points: { show: true, size: 7 }, value: (u, v) => formatNumber(v) },
    ];
    return draw(el, "active", {
      series: series,
      axes: axes("active"),
    }, [xs, backfilled, counted, d.fqdns_active, d.regdomains_active]);
  }

  // Stacked areas: series k draws the sum of groups 0..k, filled down to
  // zero; drawn from the top of the stack down, each hides the one before it
  // below its own line, so every band shows one group. The legend shows each
  // group's own value.
  function stackedSeries(xs, groups) {
    const stacked = [];
    let below = xs.map(() => 0);
    for (const g of groups) {
      below = below.map((v, i) => v + g.values[i]);
      stacked.push(below);
    }
    const series = [{}];
    const columns = [xs];
    for (let k = groups.length - 1; k >= 0; --k) {
      const raw = groups[k].values;
      const color = palette[k % palette.length];
      series.push({
        label: groups[k].label, stroke: color, fill: color, width: 1,
        value: (u, v, si, i) => (i === null || i === undefined ? "—" : formatNumber(raw[i])),
      });
      columns.push(stacked[k]);
    }
    return { series: series, columns: columns, stacked: stacked };
  }

  // Active certificates by lifetime class over time (lifetime-daily-stats.tsv).
  function lifetimeChart() {
    const el = document.getElementById("chart-lifetime");
    const lifetime = data.lifetime;
    const xs = lifetime.dates.map(dayToSeconds);
    const groups = lifetime.classes.map((name, k) => ({ label: name, values: lifetime.counts[k] }));
    const { series, columns } = stackedSeries(xs, groups);
    const plot = draw(el, "lifetime", { series: series, axes: axes("active") }, columns);
    // The as-of day's counts, which the browser test compares with summary.json.
    const last = {};
    const n = lifetime.dates.length;
    if (n > 0) groups.forEach((g) => { last[g.label] = g.values[n - 1]; });
    charts[charts.length - 1].last = { date: n > 0 ? lifetime.dates[n - 1] : null, counts: last };
    return plot;
  }

  // One horizontal bar per organization (the largest first, as in the
  // table), its segments the organization's active certificates of each class
  // of `kind` ("key" or "validation") from summary.json. Each segment keeps
  // its count (data-count) for the self-check.
  function breakdownBars(kind) {
    const el = document.getElementById("breakdown-" + kind);
    const classes = Object.keys(summary.totals.breakdowns[kind]);
    const legend = element("div", { class: "legend" });
    classes.forEach((name, k) => {
      const item = element("span", { class: "legend-item" });
      const swatch = element("span", { class: "swatch" });
      swatch.style.background = palette[k % palette.length];
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(name));
      legend.appendChild(item);
    });
    el.appendChild(element("h3", {}, kind === "key" ? "Key type" : "Validation level"));
    el.appendChild(legend);
    const rows = [];
    for (const org of summary.organizations) {
      const counts = org.breakdowns[kind];
      const total = classes.reduce((a, name) => a + counts[name], 0);
      const row = element("div", { class: "bar-row", "data-organization": org.organization });
      row.appendChild(element("div", { class: "bar-label", title: org.organization }, org.organization));
      const bar = element("div", { class: "bar" });
      classes.forEach((name, k) => {
        const n = counts[name];
        if (n === 0) return;
        const segment = element("span", {
          class: "segment", "data-class": name, "data-count": String(n),
          title: name + ": " + formatNumber(n) + " (" + (100 * n / total).toFixed(1) + "%)",
        });
        segment.style.width = (100 * n / total) + "%";
        segment.style.background = palette[k % palette.length];
        bar.appendChild(segment);
      });
      row.appendChild(bar);
      row.appendChild(element("div", { class: "bar-total n" }, formatNumber(total)));
      el.appendChild(row);
      rows.push(row);
    }
    if (rows.length === 0) el.appendChild(element("div", { class: "empty" }, "No data yet."));
  }

  // What the bars show, read back from the page: organization -> kind ->
  // class -> count, for the browser test to compare with summary.json.
  function barCounts() {
    const out = {};
    for (const el of document.querySelectorAll(".breakdown")) {
      for (const row of el.querySelectorAll(".bar-row")) {
        const org = (out[row.dataset.organization] = out[row.dataset.organization] || {});
        const kind = (org[el.dataset.kind] = {});
        for (const s of row.querySelectorAll(".segment")) kind[s.dataset.class] = Number(s.dataset.count);
      }
    }
    return out;
  }

  function issuedChart() {
    const el = document.getElementById("chart-issued");
    const issued = data.issued;
    const xs = issued.dates.map(dayToSeconds);
    const total = (s) => s.certs_issued.reduce((a, b) => a + b, 0);
    const orgs = issued.organizations.slice().sort((a, b) => total(b) - total(a) ||
      a.organization.localeCompare(b.organization));
    const shown = orgs.slice(0, orgs.length > maxStacked + 1 ? maxStacked : orgs.length);
    const groups = shown.map((o) => ({ label: o.organization, values: o.certs_issued }));
    if (orgs.length > shown.length) {
      const other = xs.map(() => 0);
      for (const o of orgs.slice(shown.length)) o.certs_issued.forEach((v, i) => { other[i] += v; });
      groups.push({ label: "Other (" + (orgs.length - shown.length) + ")", values: other });
    }
    const { series, columns, stacked } = stackedSeries(xs, groups);
    const sum = groups.reduce((a, g) => a + g.values.reduce((x, y) => x + y, 0), 0);
    const view = bulk(xs, stacked.length ? stacked[stacked.length - 1] : [], sum);
    const plot = draw(el, "issued", { series: series, axes: axes("issued per day") }, columns, sum);
    // Opens on the days that hold all but the outermost 0.5% of the
    // certificates on each side (a stray notBefore in 1999 would squeeze the
    // rest);
    // double-click shows every day. Set before the first draw, which uPlot
    // defers to a microtask.
    if (plot) plot.setScale("x", view);
    return plot;
  }

  function bulk(xs, totals, sum) {
    const cut = sum * 0.005;
    let lo = 0, hi = xs.length - 1, seen = 0;
    for (; lo < hi && seen + totals[lo] <= cut; ++lo) seen += totals[lo];
    seen = 0;
    for (; hi > lo && seen + totals[hi] <= cut; --hi) seen += totals[hi];
    const pad = 2 * 86400;
    return { min: xs[lo] - pad, max: xs[hi] + pad };
  }

  function draw(el, name, options, columns, issuedTotal) {
    const record = { name: name, points: 0, drawn: 0, pixels: 0, issuedTotal: issuedTotal };
    for (const c of columns.slice(1)) {
      for (const v of c) if (v !== null && v !== undefined) record.points++;
    }
    charts.push(record);
    if (columns[0].length === 0) {
      el.appendChild(element("div", { class: "empty" }, "No data yet."));
      return null;
    }
    const hooks = Object.assign({}, options.hooks || {});
    hooks.draw = (hooks.draw || []).concat([(u) => { record.drawn++; record.plot = u; }]);
    const opts = Object.assign({
      width: chartWidth(el),
      height: 320,
      scales: { x: { time: true } },
      legend: { live: true },
    }, options, { hooks: hooks });
    return new uPlot(opts, columns, el);
  }

  // Pixels of a chart's canvas in a series colour (saturated), not the
  // grey axes and grid.
  function colouredPixels(u) {
    const canvas = u.ctx.canvas;
    const image = u.ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 0; i < image.length; i += 4) {
      const r = image[i], g = image[i + 1], b = image[i + 2], a = image[i + 3];
      if (a > 128 && Math.max(r, g, b) - Math.min(r, g, b) > 60) n++;
    }
    return n;
  }

  function selfCheck(attempt) {
    if (charts.some((c) => c.points > 0 && c.drawn === 0) && attempt < 50) {
      setTimeout(() => selfCheck(attempt + 1), 20);
      return;
    }
    for (const c of charts) c.pixels = c.plot ? colouredPixels(c.plot) : 0;
    const ok = window.reportErrors.length === 0 && charts.length > 0 &&
      charts.every((c) => c.points > 0 && c.drawn > 0 && c.pixels > 100);
    const out = document.getElementById("selfcheck");
    out.dataset.status = ok ? "ok" : "fail";
    out.dataset.errors = JSON.stringify(window.reportErrors);
    out.dataset.charts = JSON.stringify(charts.map((c) => ({
      name: c.name, points: c.points, drawn: c.drawn, pixels: c.pixels,
      issued_total: c.issuedTotal, last: c.last,
    })));
    out.dataset.bars = JSON.stringify(barCounts());
  }

  fillSummary();
  fillTables();
  activeChart();
  issuedChart();
  lifetimeChart();
  breakdownBars("key");
  breakdownBars("validation");
  window.addEventListener("load", () => setTimeout(() => selfCheck(0), 0));
})();
