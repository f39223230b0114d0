// Tables of runs: rows of active runs follow them until they end. Needs format.js;
// starts every table[data-live-rows] on the page.
"use strict";

(function (Executor) {
  const { announce, formatDuration } = Executor;

  const ROWS_POLL_MS = 1500;

  function followRows(table) {
    const url = table.dataset.statesUrl;
    async function tick() {
      const rows = table.querySelectorAll("tr[data-active]");
      if (!rows.length) return;
      if (!document.hidden) {
        const query = new URLSearchParams();
        rows.forEach((row) => query.append("id", row.dataset.task));
        try {
          const response = await fetch(url + "?" + query, {
            headers: { Accept: "application/json" },
            credentials: "same-origin",
          });
          if (response.ok) {
            const states = (await response.json()).tasks;
            rows.forEach((row) => updateRow(row, states[row.dataset.task]));
          }
        } catch (error) {
          // Try again at the next tick.
        }
      }
      setTimeout(tick, ROWS_POLL_MS);
    }
    setTimeout(tick, ROWS_POLL_MS);
  }

  function updateRow(row, state) {
    if (!state) return;
    const badge = row.querySelector('[data-cell="status"]');
    if (badge.textContent !== state.status_display) {
      badge.className = "badge " + state.status;
      badge.textContent = state.status_display;
      if (state.finished) announce("Run " + state.id.slice(0, 8) + ": " + state.status_display + ".");
    }
    row.querySelector('[data-cell="progress"]').textContent = state.progress === null ? "—" : state.progress + " %";
    row.querySelector('[data-cell="duration"]').textContent = formatDuration(state.elapsed);
    if (state.finished) row.removeAttribute("data-active");
  }

  function init() {
    document.querySelectorAll("table[data-live-rows]").forEach(followRows);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})((window.Executor = window.Executor || {}));
