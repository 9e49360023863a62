/* Behaviour shared by every page. The Content-Security-Policy allows no inline
   script, so pages ask for behaviour with data attributes instead:
   - data-autosubmit on a form control submits its form when it changes;
   - data-swap-errors on an htmx element shows answers below 500 (such as a 422
     with field errors) instead of dropping them;
   - data-poll-pause-when="selector" on a polling htmx element skips a refresh while
     something inside matches (rows ticked for a bulk action stay ticked). */
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
})();
