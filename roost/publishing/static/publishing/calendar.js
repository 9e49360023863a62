/* The calendar: drag a post onto another day to move it (the form posts the move). */
(function () {
  "use strict";
  function start() {
    var form = document.getElementById("move-form");
    if (!form) { return; }
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
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
