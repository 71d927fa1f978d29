/* The two charts, drawn with the vendored Chart.js (see README.md here). The exact figures are
 * in the tables beside them; tooltips show the API's strings, not the floats drawn. */
"use strict";

const SalesCharts = (() => {
  const charts = {};
  const COLORS = ["#2f6db5", "#e07b39", "#3a9d5d", "#b54a6d", "#7c5cbf", "#8a8a3a", "#3aa0a8",
                  "#a0522d", "#607080", "#c0a020"];

  function replace(id, config) {
    if (charts[id]) charts[id].destroy();
    config.options = { animation: false, responsive: true, maintainAspectRatio: false,
                       ...config.options };
    charts[id] = new Chart(document.getElementById(id), config);
  }

  function exactLabel(texts) {
    return (item) => `${item.dataset.label}: ${texts[item.datasetIndex][item.dataIndex]}`;
  }

  /** Revenue as bars (left axis), units and lines as lines (right axis), one point a week. */
  function weekly(rows) {
    const revenue = rows.map((r) => r.revenue), units = rows.map((r) => r.units);
    const lines = rows.map((r) => String(r.line_count));
    replace("weekly-chart", {
      type: "bar",
      data: {
        labels: rows.map((r) => r.week_start),
        datasets: [
          { label: "Revenue", data: revenue.map(SalesDecimal.toNumber), yAxisID: "y",
            backgroundColor: COLORS[0], order: 2 },
          { label: "Units", data: units.map(SalesDecimal.toNumber), yAxisID: "y1", type: "line",
            borderColor: COLORS[1], backgroundColor: COLORS[1], order: 1 },
          { label: "Lines", data: rows.map((r) => r.line_count), yAxisID: "y1", type: "line",
            borderColor: COLORS[2], backgroundColor: COLORS[2], order: 0 },
        ],
      },
      options: {
        scales: {
          y: { beginAtZero: true, title: { display: true, text: "Revenue" } },
          y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false },
                title: { display: true, text: "Units, lines" } },
        },
        plugins: { tooltip: { callbacks: { label: exactLabel([revenue, units, lines]) } } },
      },
    });
  }

  /** Each company's share of the period's revenue. */
  function shipping(rows) {
    const shares = rows.map((r) => `${SalesDecimal.percent(r.revenue_share)} %`);
    replace("shipping-chart", {
      type: "doughnut",
      data: {
        labels: rows.map((r) => r.shipping_company),
        datasets: [{ label: "Share of revenue",
                     data: rows.map((r) => SalesDecimal.toNumber(r.revenue_share)),
                     backgroundColor: rows.map((_, i) => COLORS[i % COLORS.length]) }],
      },
      options: { plugins: { legend: { position: "right" },
                            tooltip: { callbacks: { label: exactLabel([shares]) } } } },
    });
  }

  return { weekly, shipping };
})();
