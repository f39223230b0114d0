// The Schedules list stays current: it polls the server for its cards (drawn by the
// same template as the page) and swaps in those whose data-version changed (a firing,
// a run that ended, a pause from elsewhere), adds new ones and drops deleted ones.
// Needs format.js (the announcer).
"use strict";

(function (Executor) {
  const POLL_MS = 2000;

  function follow(list) {
    const url = list.dataset.rowsUrl;

    async function tick() {
      if (!document.hidden) {
        try {
          const response = await fetch(url, {
            headers: { Accept: "text/html" },
            credentials: "same-origin",
          });
          // A redirect is the sign-in page (the session ended): keep the cards shown.
          if (response.ok && !response.redirected) redraw(list, await response.text());
        } catch (error) {
          // Try again at the next tick.
        }
      }
      setTimeout(tick, POLL_MS);
    }
    setTimeout(tick, POLL_MS);
  }

  function redraw(list, html) {
    const incoming = document.createElement("template");
    incoming.innerHTML = html;
    const cards = Array.from(incoming.content.querySelectorAll("li[data-schedule]"));
    const kept = new Set(cards.map((card) => card.id));
    list.querySelectorAll("li[data-schedule]").forEach((card) => {
      if (!kept.has(card.id) && !card.contains(document.activeElement)) card.remove();
    });
    let previous = null;
    cards.forEach((card) => {
      const shown = document.getElementById(card.id);
      if (!shown) {
        list.insertBefore(card, previous ? previous.nextSibling : list.firstChild);
      } else if (shown.dataset.version !== card.dataset.version) {
        replace(shown, card);
      }
      previous = document.getElementById(card.id);
    });
  }

  function replace(shown, card) {
    announceRun(shown, card);
    if (shown.contains(document.activeElement)) {
      // Keep the focused button where it is: redraw only what the card says.
      ["h2", ".timetable", ".facts"].forEach((part) => {
        const old = shown.querySelector(part);
        const fresh = card.querySelector(part);
        if (old && fresh) old.replaceWith(fresh);
      });
      shown.dataset.version = card.dataset.version;
    } else {
      shown.replaceWith(card);
    }
  }

  function announceRun(shown, card) {
    const before = shown.querySelector("[data-last-run]");
    const after = card.querySelector("[data-last-run]");
    if (!after || !after.dataset.status) return;
    if (before && before.dataset.status === after.dataset.status && before.innerHTML === after.innerHTML) return;
    const name = card.querySelector("h2").textContent.trim();
    Executor.announce(name + ": last run " + after.dataset.status.toLowerCase() + ".");
  }

  function init() {
    document.querySelectorAll("ul[data-live-schedules]").forEach(follow);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})((window.Executor = window.Executor || {}));
