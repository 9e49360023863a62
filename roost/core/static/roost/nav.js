/* The main menu. On a phone it folds away behind the Menu button in the top bar, closed
   until asked for; on a wider screen it is always shown and the button is not. Without
   this script the <details> around the menu does the folding (see roost.css).

   Loaded without `defer` right after the menu, so the menu is folded before the page
   below it is drawn and nothing jumps. */
(function () {
  "use strict";
  var toggle = document.querySelector("[data-nav-toggle]");
  var menu = toggle ? document.getElementById(toggle.getAttribute("aria-controls")) : null;
  if (!menu) {
    return;
  }
  var fallback = menu.closest("details");
  if (fallback) {
    fallback.replaceWith(menu);
  }
  var narrow = window.matchMedia("(max-width: 48rem)");

  function show(open) {
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    menu.hidden = !open;
  }

  toggle.hidden = false;
  show(!narrow.matches);
  narrow.addEventListener("change", function () {
    show(!narrow.matches);
  });
  toggle.addEventListener("click", function () {
    show(toggle.getAttribute("aria-expanded") !== "true");
  });
  menu.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && narrow.matches) {
      show(false);
      toggle.focus();
    }
  });
})();
