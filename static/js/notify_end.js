// A browser notification when a run you started ends: offered by the panel's button to
// whoever started the run, asked for only when pressed, never by default. The choice is
// kept for the run in this tab (sessionStorage), so a reload keeps it. run_panel.js
// calls wire() for each panel and ended() when its run ends.
"use strict";

(function (Executor) {
  const KEY = "executor-notify:";

  function wire(panel) {
    const button = panel.root.querySelector('[data-action="notify"]');
    if (!button || !("Notification" in window) || Notification.permission === "denied") return;
    button.hidden = false;
    const set = (on) => {
      panel.notifyEnd = on;
      button.setAttribute("aria-pressed", String(on));
      if (on) sessionStorage.setItem(KEY + panel.id, "1");
      else sessionStorage.removeItem(KEY + panel.id);
    };
    set(Notification.permission === "granted" && sessionStorage.getItem(KEY + panel.id) === "1");
    button.addEventListener("click", async () => {
      if (panel.notifyEnd) {
        set(false);
        panel.note("No notification when it ends.");
        return;
      }
      const answer = Notification.permission === "granted" ? "granted" : await Notification.requestPermission();
      if (answer === "granted") {
        set(true);
        panel.note("You will be notified when it ends.");
      } else {
        panel.note("The browser does not allow notifications for this site.");
        button.hidden = answer === "denied";
      }
    });
  }

  function ended(panel, state, label) {
    const button = panel.root.querySelector('[data-action="notify"]');
    if (button) button.hidden = true;
    if (!panel.notifyEnd) return;
    panel.notifyEnd = false;
    sessionStorage.removeItem(KEY + panel.id);
    const why = state.exception || state.error || state.end_reason_display || "";
    const script = panel.root.dataset.script;
    new Notification(label + ": " + script + " " + panel.shortId, { body: why, tag: panel.id });
  }

  Executor.notifyEnd = { wire, ended };
})((window.Executor = window.Executor || {}));
