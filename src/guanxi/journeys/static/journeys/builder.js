// The journey builder: show only the fields of the chosen trigger kind and
// of each step's type (elements with data-for="type …" inside an element
// with data-switch, switched by its [data-switch-source] select).
(function () {
  "use strict";
  function apply(box) {
    var source = box.querySelector("[data-switch-source]");
    if (!source) { return; }
    var chosen = source.value;
    box.querySelectorAll("[data-for]").forEach(function (el) {
      if (el.closest("[data-switch]") !== box) { return; }
      var shown = el.getAttribute("data-for").split(" ").indexOf(chosen) !== -1;
      el.hidden = !shown;
    });
    if (box.classList.contains("flow-step")) {
      box.classList.toggle("branch", chosen === "condition");
      box.classList.toggle("exit", chosen === "exit");
    }
  }
  document.querySelectorAll("[data-switch]").forEach(function (box) {
    apply(box);
    var source = box.querySelector("[data-switch-source]");
    if (source) { source.addEventListener("change", function () { apply(box); }); }
  });
})();
