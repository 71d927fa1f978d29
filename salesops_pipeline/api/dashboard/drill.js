/* Drill-down: every figure of every panel opens the sales lines behind it (/reports/lines with
 * the figure's period and seller, product, shipping company or rule), paged, with CSV/XLSX
 * downloads, each line with its file, sheet, row and a link to its import's feedback (the import
 * and its quarantined rows). The lines endpoint is admin-only: for a viewer key, figures are
 * plain text. */
"use strict";

const SalesDrill = (() => {
  const $ = (selector) => document.querySelector(selector);
  const { show, fillTable, button, panelError } = SalesUi;
  const num = (text) => SalesDecimal.localized(text);
  const PAGE = 100;
  const EXPORT_LIMIT = 10000;  // the lines endpoint's largest page: what a download holds
  const view = { title: "", params: null, offset: 0, opened: 0 };
  let hooks = { admin: () => false, downloads: () => {}, badKey: () => {} };

  function init(given) { hooks = given; }

  /** The figure's text; for an admin a link that opens its lines (`key` names it for tests). */
  function link(text, title, params, key) {
    if (!hooks.admin()) return text;
    const a = document.createElement("a");
    a.href = "#drill";
    a.className = "figure";
    a.textContent = text;
    a.title = `Show the lines behind this figure: ${title}`;
    if (key) a.dataset.drill = key;
    a.addEventListener("click", (event) => { event.preventDefault(); open(title, params); });
    return a;
  }

  function open(title, params) {
    Object.assign(view, { title, params, offset: 0 });
    show($("#drill"), true);
    show($("#drill-import"), false);
    hooks.downloads($("#drill-downloads"), "/reports/lines",
                    () => ({ ...view.params, limit: EXPORT_LIMIT }));
    load();
    $("#drill").scrollIntoView({ block: "start" });
  }

  async function load() {
    const mine = ++view.opened;
    const box = $("#drill");
    delete box.dataset.loaded;
    $("#drill-title").textContent = `Lines behind ${view.title}`;
    try {
      const page = await SalesApi.getJSON("/reports/lines",
                                          { ...view.params, limit: PAGE, offset: view.offset });
      if (mine !== view.opened) return;
      fillTable($("#drill-table"), [
        ["File", (r) => r.source_file], ["Sheet", (r) => r.source_sheet ?? ""],
        ["Row", (r) => String(r.source_row_number), "num"],
        ["Import", (r) => importLink(r.import_id), "num"], ["Sold at", (r) => r.sold_at, "nowrap"],
        ["Seller", (r) => r.seller], ["Product", (r) => r.product],
        ["Shipping", (r) => r.shipping_company ?? ""],
        ["Unit price", (r) => num(r.unit_price), "num"], ["Units", (r) => num(r.units), "num"],
        ["Total", (r) => num(r.total_price), "num"],
      ], page.data);
      const first = view.offset + 1, last = view.offset + page.count;
      $("#drill-page").textContent = page.count
        ? `Lines ${num(String(first))}–${num(String(last))}${page.next_offset === null ? " (all)" : ""}`
        : "No lines.";
      pager(page);
      panelError(box, null);
      box.dataset.loaded = `${view.title}|${view.offset}|${page.count}`;
    } catch (error) {
      if (mine !== view.opened) return;
      if (error.status === 401) { hooks.badKey(); return; }
      panelError(box, error);
    }
  }

  function pager(page) {
    const nav = $("#drill-pager");
    nav.replaceChildren();
    if (view.offset > 0) {
      nav.appendChild(button("Previous", () => {
        view.offset = Math.max(0, view.offset - PAGE); load();
      }));
    }
    if (page.next_offset !== null) {
      nav.appendChild(button("Next", () => { view.offset = page.next_offset; load(); }));
    }
  }

  function importLink(id) {
    const a = document.createElement("a");
    a.href = "#drill-import";
    a.textContent = String(id);
    a.title = "The import that loaded this line: its file and feedback";
    a.addEventListener("click", (event) => { event.preventDefault(); openImport(id); });
    return a;
  }

  /** One import's feedback: its log entry and its quarantined rows. */
  async function openImport(id) {
    const box = $("#drill-import");
    show(box, true);
    $("#drill-import-title").textContent = `Import ${id}`;
    try {
      const [log, rejected] = await Promise.all([
        SalesApi.getJSON("/imports", { limit: 1000 }),
        SalesApi.getJSON(`/imports/${id}/rejections`, { limit: 1000 })]);
      const entry = log.data.find((i) => i.id === id);
      $("#drill-import-title").textContent = entry
        ? `Import ${id}: ${entry.source_file} — ${entry.status}, ${num(String(entry.rows_read))}`
          + ` rows read, ${num(String(entry.rows_loaded))} loaded, `
          + `${num(String(entry.rows_rejected))} rejected, ${num(String(entry.rows_skipped))}`
          + ` skipped, started ${entry.imported_at}`
        : `Import ${id}`;
      fillTable($("#drill-import-table"), [
        ["Sheet", (r) => r.source_sheet ?? ""], ["Row", (r) => String(r.source_row_number), "num"],
        ["Reasons", (r) => r.reasons.join("; ")],
        ["Values", (r) => JSON.stringify(r.raw_values), "values"],
      ], rejected.data);
      box.scrollIntoView({ block: "nearest" });
    } catch (error) {
      if (error.status === 401) { hooks.badKey(); return; }
      panelError($("#drill"), error);
    }
  }

  function close() { show($("#drill"), false); view.opened += 1; }

  return { init, link, open, close };
})();
