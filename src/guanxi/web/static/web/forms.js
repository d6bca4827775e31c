// What inline event handlers did, which the Content-Security-Policy forbids:
// a form with data-confirm asks before it is sent; a field with
// data-select-on-click selects its whole value when clicked (to copy it); a
// button with data-append-to="ID" adds its data-text to that field (reply
// templates).
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm) {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    }
  }, true);
  document.addEventListener("click", function (event) {
    const field = event.target;
    if (field instanceof HTMLInputElement && field.hasAttribute("data-select-on-click")) {
      field.select();
    }
    const button = event.target instanceof Element ? event.target.closest("[data-append-to]") : null;
    if (button instanceof HTMLElement) {
      const target = document.getElementById(button.dataset.appendTo || "");
      if (target instanceof HTMLTextAreaElement || target instanceof HTMLInputElement) {
        target.value += button.dataset.text || "";
        target.focus();
      }
    }
  });
})();
