/* The dashboard: ask for a key, pick a period, fill each panel from its /reports endpoint.
 *
 * Money and units are shown exactly as the API sends them (strings), grouped in the browser's
 * locale; derived figures come from decimal.js; every figure opens its lines (drill.js); the
 * filter state lives in the URL (state.js); tables are built by ui.js (text only, never
 * innerHTML), the audit lines of a data-quality sample by audit.js.
 */
"use strict";

(() => {
  const $ = (selector) => document.querySelector(selector);
  const BAD_KEY = "This API key is not valid (or was revoked) — enter another";
  const IMPORTS_SHOWN = 20;
  const period = { start: null, end: null };
  let loadedImports = [];
  let isAdmin = false;
  const num = (text) => SalesDecimal.localized(text);
  const drill = SalesDrill.link;
  const compare = () => $("#compare").value;
  // Each start (new key, new period) and each sign-out begins a generation: answers to the
  // requests of an older one are dropped, so a slow old answer never overwrites a newer one.
  let generation = 0;
  const STALE = Symbol("stale");

  async function get(path, params) {
    const mine = generation;
    const answer = await SalesApi.getJSON(path, params);
    if (mine !== generation) throw STALE;
    return answer;
  }

  const { show, fillTable, button, panelError } = SalesUi;

  function say(text) {
    $("#message").textContent = text || "";
    show($("#message"), Boolean(text));
  }

  /** Run one panel's loader; a bad key stops everything, a 403 hides the (admin) panel. */
  async function panel(element, load) {
    try {
      await load();
      panelError(element, null);
      return true;
    } catch (error) {
      if (error === STALE || error.status === 401) throw error;
      if (error.status === 403) { show(element, false); return false; }
      panelError(element, error);
      return true;
    }
  }

  function change(current, previous) {
    const pct = SalesDecimal.percentChange(current, previous);
    const diff = num(SalesDecimal.subtract(current, previous));
    return pct === null ? `${diff} (no sales the week before)` : `${pct} % (${diff})`;
  }

  const compared = SalesCompare.changeText;

  const within = (r) => ({ start_date: r.week_start < period.start ? period.start : r.week_start,
                           end_date: r.week_end > period.end ? period.end : r.week_end });

  function addDays(isoDate, days) {
    const d = new Date(`${isoDate}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() + days);
    return d.toISOString().slice(0, 10);
  }

  const weekBefore = (isoMonday) => addDays(isoMonday, -7);

  const weekRevenue = (r) => drill(num(r.revenue), `the week of ${r.week_start}`, within(r),
                                   `week:${r.week_start}`);

  async function loadComparedWeeks() {
    const summary = await get("/reports/weekly-summary", { ...range(), compare: compare() });
    SalesCompare.showWeeks(summary, weekRevenue);
  }

  async function loadWeekly() {
    if (compare()) { await loadComparedWeeks(); return; }
    $("#weekly-note").textContent = "Change: against the ISO week before (a week cut by the "
      + "period is partial).";
    const summary = await get("/reports/weekly-summary", range());
    const rows = summary.data;
    let before = {};
    if (rows.length) {  // the whole week before the first one: its change needs it
      const first = rows[0].week_start;
      const previous = await get("/reports/weekly-summary", {
        start_date: weekBefore(first), end_date: addDays(first, -1) });
      before = previous.data[0] || {};
    }
    const zero = { revenue: "0", units: "0", line_count: 0 };
    const byStart = Object.fromEntries(rows.map((r) => [r.week_start, r]));
    const previousOf = (r) => byStart[weekBefore(r.week_start)]
      || (before.week_start === weekBefore(r.week_start) ? before : zero);
    const partial = (r) => r.week_start < period.start || r.week_end > period.end;
    fillTable($("#weekly-table"), [
      ["Week", (r) => `${r.week_start} – ${r.week_end}${partial(r) ? " (partial)" : ""}`],
      ["Revenue", weekRevenue, "num"],
      ["Change", (r) => change(r.revenue, previousOf(r).revenue), "num"],
      ["Units", (r) => num(r.units), "num"],
      ["Change", (r) => change(r.units, previousOf(r).units), "num"],
      ["Lines", (r) => num(String(r.line_count)), "num"],
      ["Change", (r) => change(String(r.line_count), String(previousOf(r).line_count)), "num"],
    ], rows);
    SalesCharts.weekly(rows);
  }

  async function loadSellers() {
    const ranking = await get("/reports/seller-ranking", { ...range(), compare: compare() });
    const lines = (r) => drill(num(r.revenue), `seller ${r.seller}`,
                               { ...range(), seller: r.seller }, `seller:${r.seller}`);
    fillTable($("#sellers-table"), [
      ["#", (r) => (r.rank === null ? "–" : String(r.rank)), "num"], ["Seller", (r) => r.seller],
      ["Revenue", lines, "num"], ["Units", (r) => num(r.units), "num"],
      ["Lines", (r) => num(String(r.line_count)), "num"],
      ...(compare() ? [["Before", (r) => num(r.compared_revenue), "num"],
                       ["Change", compared, "num"]] : []),
    ], ranking.data);
  }

  function topN() {
    const n = $("#top-n");
    return n.checkValidity() ? n.value : "10";
  }

  async function loadProducts() {
    const top = await get("/reports/top-products",
                          { ...range(), limit: topN(), compare: compare() });
    const lines = (r) => drill(num(r.revenue), `product ${r.product}`,
                               { ...range(), product: r.product }, `product:${r.product}`);
    fillTable($("#products-table"), [
      ["#", (r) => String(r.rank), "num"], ["Product", (r) => r.product],
      ["Revenue", lines, "num"], ["Units", (r) => num(r.units), "num"],
      ...(compare() ? [["Before", (r) => num(r.compared_revenue), "num"],
                       ["Change", compared, "num"]] : []),
    ], top.data);
  }

  async function loadShipping() {
    const shipping = await get("/reports/shipping-breakdown", range());
    fillTable($("#shipping-table"), [
      ["Company", (r) => r.shipping_company],
      ["Revenue", (r) => drill(num(r.revenue), `shipping company ${r.shipping_company}`,
                               { ...range(), shipping_company: r.shipping_company },
                               `shipping:${r.shipping_company}`), "num"],
      ["Lines", (r) => num(String(r.line_count)), "num"],
      ["Share", (r) => `${SalesDecimal.percent(r.revenue_share)} %`, "num"],
    ], shipping.data);
    SalesCharts.shipping(shipping.data);
  }

  const RULES = [["mismatched_total", "Total ≠ unit price × units"],
                 ["nonpositive_units", "Units ≤ 0"], ["negative_amount", "Negative amount"],
                 ["missing_shipping_company", "No shipping company"],
                 ["rejected_row", "Rejected (quarantined) rows"]];

  async function loadQuality() {
    const dq = await get("/reports/data-quality", range());
    const status = $("#quality-status");
    status.textContent = dq.status;
    status.className = `badge ${dq.status}`;
    $("#quality-tolerance").textContent = dq.tolerance;
    const count = (r) => {
      const text = num(String(dq.counts[`${r[0]}_count`]));
      if (r[0] === "rejected_row") return text;  // not sales lines: see the imports' rejections
      // The tolerance the count was made with, when the API takes it (0-5, two decimals);
      // else the lines default to the configured one, which the refresh also used.
      const asked = /^([0-4](\.\d{1,2})?|5(\.0{1,2})?)$/.test(dq.tolerance);
      const tolerance = r[0] === "mismatched_total" && asked ? { tolerance: dq.tolerance } : {};
      return drill(text, r[1].toLowerCase(), { ...range(), rule: r[0], ...tolerance },
                   `rule:${r[0]}`);
    };
    fillTable($("#quality-table"), [["Check", (r) => r[1]], ["Count", count, "num"]], RULES);
    const samples = $("#samples");
    show(samples, dq.samples !== null);  // null: a viewer key
    show($("#audit"), false);
    if (dq.samples === null) return;
    fillTable($("#samples-table"), [
      ["Day", (s) => s.day, "nowrap"], ["Rule", (s) => s.rule], ["File", (s) => s.source_file],
      ["Sheet", (s) => s.source_sheet ?? ""], ["Row", (s) => String(s.source_row_number), "num"],
      ["Values", (s) => JSON.stringify(s.row_values), "values"],
      ["", (s) => button("Audit lines", () => SalesAudit.open(s, {
        imports: loadedImports, downloads: addDownloads,
        badKey: () => signOut(BAD_KEY) }))],
    ], dq.samples);
  }

  async function loadImports() {
    const log = await get("/imports", { limit: IMPORTS_SHOWN });
    loadedImports = log.data;
    show($("#imports"), true);
    fillTable($("#imports-table"), [
      ["Id", (r) => String(r.id), "num"], ["File", (r) => r.source_file],
      ["Status", (r) => r.status], ["Read", (r) => String(r.rows_read), "num"],
      ["Loaded", (r) => String(r.rows_loaded), "num"],
      ["Rejected", (r) => String(r.rows_rejected), "num"],
      ["Skipped", (r) => String(r.rows_skipped), "num"],
      ["Started", (r) => r.imported_at], ["Error", (r) => r.error ?? ""],
      ["Header", driftMark],
      ["", (r) => button("Feedback", () => saveFeedback(r.id))],
    ], log.data, (r) => `status-${r.status}`);
  }

  /** The import's header drift: a marker listing the changes (as its tooltip), "unchanged",
   * or nothing when no comparison was recorded. */
  function driftMark(r) {
    if (!r.drift) return "";
    const changes = r.drift.changes;
    if (!changes.length) return r.drift.references.length ? "unchanged" : "";
    const mark = document.createElement("span");
    mark.className = "badge warn drift";
    mark.textContent = `changed (${changes.length})`;
    mark.title = changes.map((c) => [c.against, c.sheet, c.kind, c.column,
      c.before === null ? null : `“${c.before}”`, "→", c.after === null ? null : `“${c.after}”`]
      .filter((part) => part !== null).join(" ")).join("\n");
    return mark;
  }

  /** Save the import's feedback page (Markdown, to forward to whoever makes the export). */
  async function saveFeedback(id) {
    try {
      await SalesApi.save(`/imports/${id}/feedback`, {}, `import-${id}-feedback.md`);
    } catch (error) {
      if (error.status === 401) signOut(BAD_KEY); else say(`Feedback failed: ${error.message}`);
    }
  }

  function range() { return { start_date: period.start, end_date: period.end }; }

  function addDownloads(container, path, params) {
    container.replaceChildren();
    for (const format of ["csv", "xlsx"]) {
      container.appendChild(button(format.toUpperCase(), async () => {
        try { await SalesApi.download(path, params(), format); } catch (error) {
          if (error.status === 401) signOut(BAD_KEY); else say(`Download failed: ${error.message}`);
        }
      }));
    }
  }

  async function loadAll() {
    const mine = generation;
    say("");
    $("#period-text").textContent = `${period.start} – ${period.end}`;
    try {
      const admin = await panel($("#imports"), loadImports);
      isAdmin = admin;
      $("#role").textContent = admin ? "admin" : "viewer";
      await Promise.all([panel($("#weekly"), loadWeekly), panel($("#sellers"), loadSellers),
                         panel($("#products"), loadProducts), panel($("#shipping"), loadShipping),
                         panel($("#quality"), loadQuality)]);
      if (mine === generation) document.body.dataset.loaded = `${period.start}/${period.end}`;
    } catch (error) {
      if (error === STALE || mine !== generation) return;
      if (error.status === 401) signOut(BAD_KEY); else say(error.message);
    }
  }

  /** The default period is the API's own: what it answers when no dates are given. */
  async function lastCompleteWeek() {
    const answer = await get("/reports/data-quality");
    return { start: answer.start_date, end: answer.end_date };
  }

  async function start(usePeriod) {
    generation += 1;
    delete document.body.dataset.loaded;
    try {
      Object.assign(period, usePeriod || await lastCompleteWeek());
    } catch (error) {
      if (error === STALE) return;
      if (error.status === 401) signOut(BAD_KEY); else say(error.message);
      return;
    }
    $("#start-date").value = period.start;
    $("#end-date").value = period.end;
    SalesDrill.close();
    remember();
    show($("#key-form"), false);
    show($("#key-info"), true);
    show($("#reports"), true);
    await loadAll();
  }

  /** The filter state into the page's URL (never the key): a shared link restores the view. */
  function remember() {
    SalesState.write({ start: period.start, end: period.end, compare: compare(), top: topN() });
  }

  function signOut(message) {
    generation += 1;
    SalesApi.key.clear();
    delete document.body.dataset.loaded;
    show($("#reports"), false);
    show($("#key-info"), false);
    show($("#key-form"), true);
    $("#api-key").value = "";
    $("#api-key").focus();
    say(message);
  }

  function init() {
    const wanted = SalesState.read();
    if (wanted.compare !== undefined) $("#compare").value = wanted.compare;
    if (wanted.top) $("#top-n").value = wanted.top;
    const wantedPeriod = wanted.start ? { start: wanted.start, end: wanted.end } : undefined;
    SalesDrill.init({ admin: () => isAdmin, downloads: addDownloads,
                      badKey: () => signOut(BAD_KEY) });
    $("#drill-close").addEventListener("click", () => SalesDrill.close());
    $("#compare").addEventListener("change", () => {
      if (period.start) start({ start: period.start, end: period.end });
    });
    for (const box of document.querySelectorAll(".downloads[data-report]")) {
      const path = box.dataset.report;
      addDownloads(box, path, () => (path.endsWith("top-products")
        ? { ...range(), limit: topN() } : range()));
    }
    $("#key-form").addEventListener("submit", (event) => {
      event.preventDefault();
      say("");
      SalesApi.key.set($("#api-key").value.trim());
      start(period.start ? { start: period.start, end: period.end } : wantedPeriod);
    });
    $("#change-key").addEventListener("click", () => signOut(""));
    $("#period-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const [from, to] = [$("#start-date").value, $("#end-date").value];
      if (from > to) { say("The period's first day is after its last day."); return; }
      start({ start: from, end: to });
    });
    $("#last-week").addEventListener("click", () => start());
    $("#top-n").addEventListener("change", () => {
      if ($("#top-n").checkValidity()) remember();
      if ($("#top-n").checkValidity()) panel($("#products"), loadProducts).catch((error) => {
        if (error !== STALE) signOut(BAD_KEY);
      });
    });
    if (SalesApi.key.get()) start(wantedPeriod); else signOut("");
  }

  document.addEventListener("DOMContentLoaded", init);
})();
