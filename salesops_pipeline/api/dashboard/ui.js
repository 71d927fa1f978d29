/* Building blocks of the panels: tables of text (never innerHTML), buttons, errors. */
"use strict";

const SalesUi = (() => {
  function show(element, visible) { element.hidden = !visible; }

  /** Rows into a table: columns are [heading, row -> text, "num" for right alignment]. */
  function fillTable(table, columns, rows, rowClass) {
    table.replaceChildren();
    const head = table.createTHead().insertRow();
    for (const [heading, , kind] of columns) {
      const th = document.createElement("th");
      th.textContent = heading;
      if (kind) th.className = kind;
      head.appendChild(th);
    }
    const body = table.createTBody();
    for (const row of rows) {
      const tr = body.insertRow();
      if (rowClass) tr.className = rowClass(row) || "";
      for (const [, value, kind] of columns) {
        const td = tr.insertCell();
        const content = value(row);
        if (content instanceof Node) td.appendChild(content); else td.textContent = content ?? "";
        if (kind) td.className = kind;
      }
    }
    if (!rows.length) {
      const td = body.insertRow().insertCell();
      td.colSpan = columns.length;
      td.className = "muted";
      td.textContent = "Nothing in this period.";
    }
  }

  function button(text, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.addEventListener("click", onClick);
    return b;
  }

  /** A panel's own error line (its direct child `.error`), or none. */
  function panelError(panel, error) {
    const p = panel.querySelector(":scope > .error");
    p.textContent = error ? `Could not load: ${error.message}` : "";
    show(p, Boolean(error));
  }

  return { show, fillTable, button, panelError };
})();
