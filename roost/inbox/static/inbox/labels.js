// Correcting a conversation's labels by keyboard. Each label's options are buttons in a
// plain form (one click corrects, without scripts too); this adds:
//   l / s / i  go to the language / sentiment / intent options (the current one);
//   arrows     move between the options of one label; Enter or Space corrects.
// After a correction the page comes back at the corrected label (#corrected-<field>), and
// the focus goes back to its option, so a keyboard user carries on where they were.
(function () {
  "use strict";
  var TEXT_INPUTS = /^(text|search|email|url|tel|password|number|date|datetime-local|time|month|week)$/;
  var KEYS = { l: "language", s: "sentiment", i: "intent" };

  function isTyping(element) {
    if (!element || element === document.body) {
      return false;
    }
    if (element.isContentEditable || element.tagName === "TEXTAREA" || element.tagName === "SELECT") {
      return true;
    }
    return element.tagName === "INPUT" && TEXT_INPUTS.test(element.type || "text");
  }

  function focusLabel(field) {
    var group = document.querySelector("[data-label-field=" + field + "]");
    if (!group) {
      return false;
    }
    var option = group.querySelector(".label-option[aria-pressed=true]") || group.querySelector(".label-option");
    if (option) {
      option.focus();
    }
    return Boolean(option);
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) {
      return;
    }
    var option = event.target instanceof Element ? event.target.closest(".label-option") : null;
    if (option && (event.key === "ArrowRight" || event.key === "ArrowLeft" || event.key === "ArrowDown" || event.key === "ArrowUp")) {
      var options = Array.prototype.slice.call(option.parentElement.querySelectorAll(".label-option"));
      var step = event.key === "ArrowRight" || event.key === "ArrowDown" ? 1 : -1;
      var next = options[(options.indexOf(option) + step + options.length) % options.length];
      event.preventDefault();
      next.focus();
      return;
    }
    if (isTyping(event.target)) {
      return;
    }
    var help = document.getElementById("shortcut-help");
    if (help && help.open) {
      return;
    }
    var field = KEYS[event.key];
    if (field && focusLabel(field)) {
      event.preventDefault();
    }
  });

  function focusCorrected() {
    var match = /^#corrected-(language|sentiment|intent)$/.exec(window.location.hash);
    if (match) {
      focusLabel(match[1]);
    }
  }

  focusCorrected();
  // The split inbox swaps a conversation in without a page load.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.target.id === "split-detail") {
      focusCorrected();
    }
  });
})();
