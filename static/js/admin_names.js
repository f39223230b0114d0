// Names for two widgets that Django's admin draws without one (axe's serious rules): the
// search icon of a many-to-many picker carries an aria-label on a span with no role, and
// an autocomplete box (select2) is a combobox (and a textbox in it) named only by its
// value, so nothing names it while it is empty. Django's templates and scripts stay as they are: this names the
// widgets as they are drawn (they are drawn by scripts, at load or when a row is added).
"use strict";

(function () {
  function name(root) {
    for (const icon of root.querySelectorAll(".help-tooltip[aria-label]:not([role])")) {
      icon.setAttribute("role", "img");
    }
    for (const select of root.querySelectorAll("select.admin-autocomplete[id]")) {
      const label = document.querySelector('label[for="' + select.id + '"]');
      const container = select.nextElementSibling;
      const box = container && container.querySelector('.select2-selection[role="combobox"]');
      if (!label || !box || box.dataset.named) continue;
      label.id = label.id || select.id + "-label";
      // The label first, then the value select2 names it with: "Owner: root".
      box.setAttribute("aria-labelledby", (label.id + " " + (box.getAttribute("aria-labelledby") || "")).trim());
      // The value inside is a read-only textbox of its own, empty until one is chosen.
      const value = box.querySelector('[role="textbox"]');
      if (value) value.setAttribute("aria-labelledby", label.id);
      box.dataset.named = "1";
    }
  }

  let pending = false;
  const later = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      name(document);
    });
  };
  new MutationObserver(later).observe(document.documentElement, { childList: true, subtree: true });
  later();
})();
