// A run's status where another tab shows it: the page title starts with it and the favicon
// takes its colour and sign. Needs nothing; run_panel.js calls it on every state change.
"use strict";

(function (Executor) {
  const icon = document.querySelector('link[rel="icon"]');
  const iconsAt = icon ? icon.dataset.statusIcons : null; // the folder of the status icons
  let baseTitle = null;

  function showTabStatus(state, label) {
    if (baseTitle === null) {
      // The server may have put the status first already (the run page does).
      const prefix = state.status_display + " · ";
      baseTitle = document.title.startsWith(prefix) ? document.title.slice(prefix.length) : document.title;
    }
    document.title = label + " · " + baseTitle;
    if (icon && iconsAt) icon.href = iconsAt + state.status + ".svg";
  }

  Executor.showTabStatus = showTabStatus;
})((window.Executor = window.Executor || {}));
