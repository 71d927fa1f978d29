/* The view's filter state in the page's URL (?start=&end=&compare=&top=), so a link can be
 * shared and restores the same view once a key is entered. Never the key: it stays in session
 * storage and the X-API-Key header (api.js). */
"use strict";

const SalesState = (() => {
  const DATE = /^\d{4}-\d{2}-\d{2}$/;
  const COMPARE = ["", "previous", "year"];

  /** The state the URL asks for; anything malformed is left out (the defaults apply). */
  function read() {
    const q = new URLSearchParams(window.location.search);
    const state = {};
    const [start, end] = [q.get("start"), q.get("end")];
    if (DATE.test(start || "") && DATE.test(end || "") && start <= end) {
      Object.assign(state, { start, end });
    }
    if (COMPARE.includes(q.get("compare") || "")) state.compare = q.get("compare") || "";
    const top = Number(q.get("top"));
    if (Number.isInteger(top) && top >= 1 && top <= 1000) state.top = String(top);
    return state;
  }

  /** Write the state into the URL (replacing the history entry: no reload, no new entry). */
  function write({ start, end, compare, top }) {
    const q = new URLSearchParams();
    if (start && end) { q.set("start", start); q.set("end", end); }
    if (compare) q.set("compare", compare);
    if (top && top !== "10") q.set("top", top);
    const text = q.toString();
    window.history.replaceState(null, "", `${window.location.pathname}${text ? `?${text}` : ""}`);
  }

  return { read, write };
})();
