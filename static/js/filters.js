// Filter forms leave empty fields out of the URL, so a bookmarked view reads plainly.
"use strict";

(function (Executor) {
  function tidyFilters(form) {
    form.addEventListener("submit", () => {
      for (const field of form.elements) {
        if (field.name && field.value === "" && !field.disabled) field.disabled = true;
      }
      setTimeout(() => {
        for (const field of form.elements) field.disabled = false;
      });
    });
  }

  function init() {
    document.querySelectorAll("form.filters").forEach(tidyFilters);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})((window.Executor = window.Executor || {}));
