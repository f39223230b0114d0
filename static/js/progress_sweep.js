// The sweep of a progress bar whose run does not say how far it is: stepped a few times a
// second from here, not animated by CSS, which had the browser draw 60 frames a second
// for as long as the run ran (site.css, progress:indeterminate). Still for readers who
// ask for reduced motion. Needs nothing.
"use strict";

(function () {
  const STEP_MS = 250;
  const STEPS = 8; // -40 % to 135 %: the gradient enters on the left and leaves on the right

  function start() {
    const still = window.matchMedia("(prefers-reduced-motion: reduce)");
    let step = 0;
    setInterval(() => {
      if (document.hidden || still.matches) return;
      step = (step + 1) % STEPS;
      for (const bar of document.querySelectorAll("[data-run] progress:indeterminate")) {
        bar.style.setProperty("--sweep", String(step));
      }
    }, STEP_MS);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
