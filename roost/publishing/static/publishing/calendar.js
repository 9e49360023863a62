/* The calendar grid.
   - Drag a post onto another day to move it (the hidden form posts the move).
   - Keyboard: the grid is one stop in the Tab order. The arrow keys move between days
     (up and down by a week), Home and End to the ends of the week, Ctrl+Home and
     Ctrl+End to the first and last day shown; Enter goes to the day's posts, where the
     up and down arrows move between them and Escape goes back to the day.
   Without this script every post is a link in the Tab order, and posts move by their
   own page's schedule form. */
(function () {
  "use strict";

  function startDragging(form) {
    document.querySelectorAll(".calendar-item").forEach(function (item) {
      item.addEventListener("dragstart", function (event) {
        event.dataTransfer.setData("text/plain", item.dataset.post);
      });
    });
    document.querySelectorAll(".calendar-day[data-date]").forEach(function (day) {
      day.addEventListener("dragover", function (event) { event.preventDefault(); day.classList.add("drop-target"); });
      day.addEventListener("dragleave", function () { day.classList.remove("drop-target"); });
      day.addEventListener("drop", function (event) {
        event.preventDefault();
        form.elements.post.value = event.dataTransfer.getData("text/plain");
        form.elements.date.value = day.dataset.date;
        form.submit();
      });
    });
  }

  function startKeyboard(grid) {
    var cells = Array.prototype.slice.call(grid.querySelectorAll("td[data-date]"));
    if (!cells.length) { return; }
    var shown = function (cell) { return cell.getClientRects().length > 0; };

    function posts(cell) { return Array.prototype.slice.call(cell.querySelectorAll("a[href]")); }

    function activate(cell, focus) {
      cells.forEach(function (other) { other.tabIndex = other === cell ? 0 : -1; });
      if (focus) { cell.focus(); }
    }

    // From cell index `from`, step by `delta` to the next day that is shown (on a phone
    // the days of the neighbouring months are not); stay put at the edge of the grid.
    function step(from, delta) {
      for (var index = from + delta; index >= 0 && index < cells.length; index += delta) {
        if (shown(cells[index])) { return cells[index]; }
      }
      return cells[from];
    }

    function firstShown(list) {
      for (var i = 0; i < list.length; i += 1) { if (shown(list[i])) { return list[i]; } }
      return null;
    }

    cells.forEach(function (cell) { posts(cell).forEach(function (link) { link.tabIndex = -1; }); });
    var today = grid.querySelector("td[aria-current='date']");
    var start = (today && shown(today)) ? today
      : firstShown(cells.filter(function (cell) { return !cell.classList.contains("is-other"); }))
        || firstShown(cells) || cells[0];
    activate(start, false);

    grid.addEventListener("focusin", function (event) {
      var cell = event.target.closest("td[data-date]");
      if (cell && cell.tabIndex !== 0) { activate(cell, false); }
    });

    grid.addEventListener("keydown", function (event) {
      var target = event.target;
      var cell = target.closest("td[data-date]");
      if (!cell || event.altKey || event.metaKey) { return; }
      var index = cells.indexOf(cell);
      var next = null;
      if (target !== cell) {  // on one of the day's posts
        var list = posts(cell);
        var at = list.indexOf(target);
        if (event.key === "ArrowDown") { next = list[Math.min(at + 1, list.length - 1)]; }
        else if (event.key === "ArrowUp") { next = list[Math.max(at - 1, 0)]; }
        else if (event.key === "Escape" || event.key === "F2") { next = cell; }
        else { return; }
        event.preventDefault();
        next.focus();
        return;
      }
      var column = index % 7;
      switch (event.key) {
        case "ArrowRight": next = step(index, 1); break;
        case "ArrowLeft": next = step(index, -1); break;
        case "ArrowDown": next = step(index, 7); break;
        case "ArrowUp": next = step(index, -7); break;
        case "Home":
          next = event.ctrlKey ? firstShown(cells)
            : firstShown(cells.slice(index - column, index + 1)); break;
        case "End":
          next = event.ctrlKey ? firstShown(cells.slice().reverse())
            : firstShown(cells.slice(index, index - column + 7).reverse()); break;
        case "Enter":
        case "F2":
          next = posts(cell)[0] || null;
          if (next) { event.preventDefault(); next.focus(); }
          return;
        default: return;
      }
      event.preventDefault();
      if (next) { activate(next, true); }
    });
  }

  function start() {
    var form = document.getElementById("move-form");
    if (form) { startDragging(form); }
    var grid = document.querySelector("[data-calendar-grid]");
    if (grid) { startKeyboard(grid); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
