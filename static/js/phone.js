// What a phone does differently: the main menu and the history's filters wait behind their
// buttons so the page's own content comes first, and after Execute the dashboard brings the
// new run's panel into view.
"use strict";

(function () {
  const NARROW = window.matchMedia("(max-width: 640px)");
  const EXECUTED = "executor.executed"; // set on submit, read once by the next page

  function init() {
    const menu = document.querySelector("details.navmenu");
    if (menu) {
      if (NARROW.matches) menu.open = false;
      // Wider again (a rotated phone, a resized window): the menu has no button there.
      NARROW.addEventListener("change", (event) => (menu.open = !event.matches));
    }
    if (NARROW.matches) {
      // Closed unless the reader is filtering already (then they see what they chose).
      document.querySelectorAll("details.filter-box:not([data-filtered])").forEach((box) => (box.open = false));
    }
    document.querySelectorAll("form[data-run-form]").forEach((form) =>
      form.addEventListener("submit", () => sessionStorage.setItem(EXECUTED, "1")),
    );
    const panel = document.querySelector("[data-run]");
    if (sessionStorage.getItem(EXECUTED)) {
      sessionStorage.removeItem(EXECUTED);
      if (panel && NARROW.matches) panel.scrollIntoView({ block: "start" });
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
