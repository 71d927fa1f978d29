/* The "Changed since reported" panel: weeks the weekly job had already exported or e-mailed
 * whose figures changed since (GET /reports/restatements), with the files that changed them.
 *
 * On its own: it reloads whenever app.js has loaded a period (body[data-loaded] = "start/end"),
 * so the other panels' code does not know it exists. Text only, through ui.js.
 */
"use strict";

(() => {
  const { show, fillTable, panelError } = SalesUi;
  const panel = document.querySelector("#restated");
  let asked = 0;  // the latest period asked for: answers for an earlier one are dropped

  const both = (row, figure) => `${row[`${figure}_before`] ?? "none"} → `
    + `${row[`${figure}_after`] ?? "none"}`
    + (row[`${figure}_change`] === null ? "" : ` (${signed(row[`${figure}_change`])})`);
  const signed = (text) => (String(text).startsWith("-") || Number(text) === 0 ? text : `+${text}`);
  const files = (row) => row.files.map((f) => `${f.source_file} (import ${f.import_id}, `
    + `${f.action === "replaced" ? `replaced import ${f.replaced_import}` : f.action})`).join("; ");
  const names = (row) => row.changes.map((c) => `${c.name}: ${both(c, "revenue")}`).join("; ");

  async function load(loaded) {
    const [start, end] = loaded.split("/");
    const mine = ++asked;
    try {
      const answer = await SalesApi.getJSON("/reports/restatements",
                                            { start_date: start, end_date: end });
      if (mine !== asked) return;
      const reported = answer.data.filter((r) => r.reported);
      fillTable(panel.querySelector("table"), [
        ["Week", (r) => `${r.iso_week} (${r.week_start} – ${r.week_end})`],
        ["Reported", (r) => r.reported_at.slice(0, 16).replace("T", " ")],
        ["Changed", (r) => r.recorded_at.slice(0, 16).replace("T", " ")],
        ["Revenue", (r) => both(r, "revenue"), "num"],
        ["Lines", (r) => both(r, "lines"), "num"],
        ["Sellers, products, shipping", names],
        ["Files", files],
      ], reported);
      panel.dataset.count = String(reported.length);
      show(panel, true);
      panelError(panel, null);
    } catch (error) {
      if (mine !== asked) return;
      if (error.status === 401) { show(panel, false); return; }  // app.js asks for a key
      panelError(panel, error);
    }
  }

  new MutationObserver(() => {
    const loaded = document.body.dataset.loaded;
    if (loaded) { load(loaded); return; }
    asked += 1;  // signed out or loading another period: nothing of the old one stays
    panel.querySelector("table").replaceChildren();
    show(panel, false);
  }).observe(document.body, { attributes: true, attributeFilter: ["data-loaded"] });
})();
