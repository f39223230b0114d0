// The schedule form: shows only the chosen timetable's fields, and checks what is typed
// through the server (the same validation a submit gets: the server is the truth), so
// a person sees each field's message and the next five firings before saving.
(function () {
  "use strict";

  const WAIT_MS = 300;

  function start(form) {
    const touched = new Set();
    let timer = null;
    let sent = 0;

    function showKind() {
      const chosen = form.querySelector("input[name=kind]:checked");
      form.querySelectorAll("[data-kind]").forEach((part) => {
        part.hidden = Boolean(chosen) && part.dataset.kind !== chosen.value;
      });
    }

    function fieldOf(name) {
      const control = form.elements.namedItem(name);
      const element = control && (control.length !== undefined && !control.tagName ? control[0] : control);
      return element ? [element.closest(".field"), control] : [null, null];
    }

    function setError(name, message) {
      const [field, control] = fieldOf(name);
      if (!field) return;
      field.querySelectorAll(".errorlist").forEach((list) => list.remove());
      field.classList.toggle("has-error", Boolean(message));
      const controls = control.tagName ? [control] : Array.from(control);
      controls.forEach((item) => {
        if (message) item.setAttribute("aria-invalid", "true");
        else item.removeAttribute("aria-invalid");
      });
      if (!message) return;
      const list = document.createElement("ul");
      list.className = "errorlist";
      list.id = `${name}-live-error`;
      const item = document.createElement("li");
      item.textContent = message;
      list.appendChild(item);
      field.appendChild(list);
      controls.forEach((each) => each.setAttribute("aria-describedby", list.id));
    }

    function showPreview(answer) {
      const words = form.querySelector("[data-preview-timetable]");
      const list = form.querySelector("[data-preview-list]");
      list.replaceChildren();
      if (!answer.valid) {
        words.textContent = "The next firings show once the form is valid.";
        return;
      }
      words.textContent = answer.timetable;
      answer.upcoming.forEach((moment) => {
        const item = document.createElement("li");
        const time = document.createElement("time");
        time.dateTime = moment.at;
        time.textContent = moment.text;
        item.appendChild(time);
        list.appendChild(item);
      });
      if (!answer.upcoming.length) words.textContent += ": nothing more is due.";
    }

    function showErrors(errors) {
      touched.forEach((name) => setError(name, errors[name] || ""));
      const general = form.querySelector("[data-form-errors]");
      if (touched.size && general) {
        general.textContent = errors[""] || "";
        general.hidden = !errors[""];
      }
    }

    async function check() {
      const number = ++sent;
      const response = await fetch(form.dataset.check, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok || number !== sent) return;
      const answer = await response.json();
      if (number !== sent) return;
      showErrors(answer.errors || {});
      showPreview(answer);
    }

    function later(event) {
      if (event.target.name) touched.add(event.target.name);
      if (event.target.name === "kind") showKind();
      clearTimeout(timer);
      timer = setTimeout(() => check().catch(() => {}), WAIT_MS);
    }

    // The preview is live here; the button is for browsers without JavaScript.
    const previewButton = form.querySelector("[data-preview-button]");
    if (previewButton) previewButton.hidden = true;
    form.addEventListener("input", later);
    form.addEventListener("change", later);
    showKind();
    check().catch(() => {});
  }

  document.querySelectorAll("[data-schedule-form]").forEach(start);
})();
