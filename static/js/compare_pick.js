// The history's "select two to compare": the Compare button waits for exactly two ticked
// rows and says how many are. Without this file the form still works: the server refuses
// any other count with a message (tasks/web/views/compare.py, compare_selected).
"use strict";

(function () {
  function init() {
    const form = document.querySelector("[data-compare-pick]");
    if (!form) return;
    const button = form.querySelector("[data-compare-button]");
    const status = form.querySelector("[data-compare-status]");
    const boxes = () => document.querySelectorAll(`input[type=checkbox][form="${form.id}"]`);

    function update() {
      const ticked = Array.from(boxes()).filter((box) => box.checked).length;
      button.disabled = ticked !== 2;
      if (ticked === 2) status.textContent = "Two runs ticked: Compare shows them side by side.";
      else if (ticked < 2) status.textContent = `Tick two runs to compare them (${ticked} ticked).`;
      else status.textContent = `Tick only two runs to compare them (${ticked} ticked).`;
    }

    document.addEventListener("change", (event) => {
      if (event.target.matches && event.target.matches(`input[form="${form.id}"]`)) update();
    });
    update();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
