// The run form's file inputs: a file past its limit is refused here, beside its field,
// before it is sent (the server refuses it too, but only once it has started to arrive).
(function () {
  "use strict";

  function sizeText(bytes) {
    const units = ["bytes", "KB", "MB", "GB"];
    let size = bytes;
    let unit = 0;
    while (size >= 1024 && unit < units.length - 1) {
      size /= 1024;
      unit += 1;
    }
    return unit === 0 ? `${size} bytes` : `${size.toFixed(1)} ${units[unit]}`;
  }

  function check(input) {
    const limit = Number(input.dataset.maxSize);
    const field = input.closest(".field");
    const old = field && field.querySelector("[data-size-error]");
    if (old) old.remove();
    input.removeAttribute("aria-invalid");
    const tooBig = Array.from(input.files || []).find((file) => file.size > limit);
    if (!tooBig || !field) return true;
    const message = document.createElement("ul");
    message.className = "errorlist";
    message.dataset.sizeError = "";
    const item = document.createElement("li");
    item.textContent = `${tooBig.name} is larger than ${sizeText(limit)}.`;
    message.appendChild(item);
    field.appendChild(message);
    input.setAttribute("aria-invalid", "true");
    return false;
  }

  document.addEventListener("change", (event) => {
    if (event.target.matches("input[type=file][data-max-size]")) check(event.target);
  });
  document.addEventListener("submit", (event) => {
    const inputs = event.target.querySelectorAll("input[type=file][data-max-size]");
    const refused = Array.from(inputs).filter((input) => !check(input));
    if (refused.length) {
      event.preventDefault();
      refused[0].focus();
    }
  });
})();
