/* The audit trail behind one data-quality sample, shown under the samples table (admin). */
"use strict";

const SalesAudit = (() => {
  const $ = (selector) => document.querySelector(selector);
  const { show, fillTable, panelError } = SalesUi;
  const PAGE = 1000, PAGES = 20;  // up to 20,000 lines of one day are searched
  let opened = 0;  // the latest sample opened: answers for an earlier one are dropped

  /** The rows behind one sample: that day's lines of that file (or, for a quarantined row,
   * its import's rejections), the sample's own row highlighted. */
  async function open(sample, { imports, downloads, badKey }) {
    const box = $("#audit");
    const mine = ++opened;
    show(box, true);
    const same = (r) => r.source_file === sample.source_file
      && (r.source_sheet ?? null) === (sample.source_sheet ?? null);
    const mark = (r) => (same(r) && r.source_row_number === sample.source_row_number
      ? "flagged" : "");
    $("#audit-downloads").replaceChildren();
    $("#audit-table").replaceChildren();  // never the rows of the sample opened before
    $("#audit-title").textContent = "Loading…";
    delete box.dataset.sample;
    try {
      if (sample.rule === "rejected_row") {
        const logged = imports.filter((i) => i.source_file === sample.source_file);
        const ids = logged.map((i) => i.id).join(", ") || "not among the latest";
        $("#audit-title").textContent = `Quarantined rows of ${sample.source_file} (import ${ids})`;
        const rows = [];
        for (const entry of logged) {
          const page = await SalesApi.getJSON(`/imports/${entry.id}/rejections`, { limit: 1000 });
          rows.push(...page.data.filter(same));
        }
        if (mine !== opened) return;
        fillTable($("#audit-table"), [
          ["Import", (r) => String(r.import_id), "num"],
          ["Row", (r) => String(r.source_row_number), "num"],
          ["Reasons", (r) => r.reasons.join("; ")],
          ["Values", (r) => JSON.stringify(r.raw_values), "values"],
        ], rows, mark);
      } else {
        const day = { start_date: sample.day, end_date: sample.day };
        const title = `Sales lines of ${sample.source_file} sold on ${sample.day}`;
        $("#audit-title").textContent = title;
        downloads($("#audit-downloads"), "/reports/lines", () => day);
        const rows = [];
        let offset = 0;
        for (let i = 0; i < PAGES && offset !== null; i += 1) {
          const page = await SalesApi.getJSON("/reports/lines", { ...day, limit: PAGE, offset });
          rows.push(...page.data.filter(same));
          offset = page.next_offset;
        }
        if (mine !== opened) return;
        fillTable($("#audit-table"), [
          ["Row", (r) => String(r.source_row_number), "num"], ["Sold at", (r) => r.sold_at],
          ["Product", (r) => r.product], ["Seller", (r) => r.seller],
          ["Shipping", (r) => r.shipping_company ?? ""], ["Unit price", (r) => r.unit_price, "num"],
          ["Units", (r) => r.units, "num"], ["Total", (r) => r.total_price, "num"],
          ["Import", (r) => String(r.import_id), "num"],
        ], rows, mark);
      }
      panelError(box, null);
      box.dataset.sample = `${sample.day} ${sample.rule} ${sample.source_row_number}`;
      const flagged = $("#audit-table tr.flagged");
      if (flagged) flagged.scrollIntoView({ block: "nearest" });
    } catch (error) {
      if (mine !== opened) return;
      if (error.status === 401) { badKey(); return; }
      panelError(box, error);
    }
  }

  return { open };
})();
