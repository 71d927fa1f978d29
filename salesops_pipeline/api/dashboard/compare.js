/* Comparisons (compare=previous|year): the API's compared figures and changes, as shown. The
 * change is the API's exact text, its money grouped in the browser's locale. */
"use strict";

const SalesCompare = (() => {
  const num = (text) => SalesDecimal.localized(text);

  /** A compared row's change: "+12.50 % (+1,234.00)"; "" when the row has none. */
  function changeText(r) {
    if (r.revenue_change === null || r.revenue_change === undefined) return "";
    const diff = num(r.revenue_change);
    const signed = r.revenue_change.startsWith("-") ? diff : `+${diff}`;
    if (r.revenue_change_pct === null) return `${signed} (nothing before)`;
    const pct = r.revenue_change_pct.startsWith("-") ? r.revenue_change_pct
      : `+${r.revenue_change_pct}`;
    return `${pct} % (${signed})`;
  }

  /** The weekly panel with its compared weeks; `revenue(r)`: a week's revenue cell. */
  function showWeeks(summary, revenue) {
    const c = summary.comparison;
    document.querySelector("#weekly-note").textContent = `Compared with ${c.start_date} – `
      + `${c.end_date}: revenue ${num(c.revenue)} against ${num(c.compared_revenue)}, `
      + `${changeText(c)}.`;
    const maybe = (text) => (text === null ? "" : num(String(text)));
    SalesUi.fillTable(document.querySelector("#weekly-table"), [
      ["Week", (r) => `${r.week_start} – ${r.week_end}`], ["Revenue", revenue, "num"],
      ["Compared week", (r) => r.compared_week_start ?? ""],
      ["Compared revenue", (r) => maybe(r.compared_revenue), "num"],
      ["Change", changeText, "num"], ["Lines", (r) => num(String(r.line_count)), "num"],
      ["Compared lines", (r) => maybe(r.compared_line_count), "num"],
    ], summary.data);
    SalesCharts.weekly(summary.data);
  }

  return { changeText, showWeeks };
})();
