/* Behaviour shared by every page. The Content-Security-Policy allows no inline
   script, so pages ask for behaviour with data attributes instead:
   - data-autosubmit on a form control submits its form when it changes;
   - data-swap-errors on an htmx element shows answers below 500 (such as a 422
     with field errors) instead of dropping them;
   - data-poll-pause-when="selector" on a polling htmx element skips a refresh while
     something inside matches (rows ticked for a bulk action stay ticked).
   A box that scrolls sideways (a wide table, a long line of code on a phone) becomes,
   while it overflows, a focusable region named after its table or heading, so that it
   can be scrolled with the keyboard. */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var control = event.target;
    if (control instanceof Element && control.hasAttribute("data-autosubmit") && control.form) {
      control.form.requestSubmit ? control.form.requestSubmit() : control.form.submit();
    }
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    var source = event.detail.elt;
    if (source instanceof Element && source.closest("[data-swap-errors]") && event.detail.xhr.status < 500) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var source = event.detail.elt;
    var pauseWhen = source instanceof Element ? source.getAttribute("data-poll-pause-when") : null;
    if (pauseWhen && source.querySelector(pauseWhen)) {
      event.preventDefault();
    }
  });

  var SCROLLERS = ".table-wrap, pre";

  function regionName(box) {
    var caption = box.querySelector("caption");
    if (caption && caption.textContent.trim()) { return caption.textContent.trim(); }
    for (var node = box.previousElementSibling; node; node = node.previousElementSibling) {
      if (/^H[1-6]$/.test(node.tagName)) { return node.textContent.trim(); }
    }
    var section = box.closest("section, article, .card");
    var heading = section ? section.querySelector("h1, h2, h3, h4") : null;
    return heading ? heading.textContent.trim() : "Scrolls sideways";
  }

  function markScrollers(root) {
    root.querySelectorAll(SCROLLERS).forEach(function (box) {
      var overflows = box.scrollWidth > box.clientWidth + 1;
      var marked = box.hasAttribute("data-scroll-region");
      if (overflows && !marked && !box.hasAttribute("tabindex")) {
        box.tabIndex = 0;
        box.setAttribute("data-scroll-region", box.hasAttribute("role") ? "" : "named");
        if (box.getAttribute("data-scroll-region") === "named") {
          box.setAttribute("role", "region");
          box.setAttribute("aria-label", regionName(box));
        }
      } else if (!overflows && marked) {
        if (box.getAttribute("data-scroll-region") === "named") {
          box.removeAttribute("role");
          box.removeAttribute("aria-label");
        }
        box.removeAttribute("data-scroll-region");
        box.removeAttribute("tabindex");
      }
    });
  }

  var pending = false;
  function markSoon() {
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(function () {
      pending = false;
      markScrollers(document);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", markSoon);
  } else {
    markSoon();
  }
  window.addEventListener("resize", markSoon);
  document.addEventListener("htmx:afterSettle", markSoon);
})();
