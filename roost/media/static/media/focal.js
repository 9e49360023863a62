/* Focal points: placed from data attributes (the Content-Security-Policy allows no
   inline style attributes), and chosen by clicking the image on a media page. */
(function () {
  "use strict";
  function percent(value) {
    var number = parseFloat(value);
    return (isNaN(number) ? 50 : Math.min(100, Math.max(0, number * 100))) + "%";
  }
  function place(root) {
    root.querySelectorAll("img[data-focal-x]").forEach(function (image) {
      image.style.objectPosition = percent(image.dataset.focalX) + " " + percent(image.dataset.focalY);
    });
    root.querySelectorAll(".media-focal-dot[data-focal-x]").forEach(function (dot) {
      dot.style.left = percent(dot.dataset.focalX);
      dot.style.top = percent(dot.dataset.focalY);
    });
  }
  function chooser() {
    var figure = document.querySelector("[data-focal]");
    // Without the focal point fields the viewer may only look.
    if (!figure || !document.getElementById("id_focal_x")) { return; }
    var image = figure.querySelector("img");
    var dot = figure.querySelector(".media-focal-dot");
    image.addEventListener("click", function (event) {
      var box = image.getBoundingClientRect();
      var x = Math.min(1, Math.max(0, (event.clientX - box.left) / box.width));
      var y = Math.min(1, Math.max(0, (event.clientY - box.top) / box.height));
      document.getElementById("id_focal_x").value = x.toFixed(2);
      document.getElementById("id_focal_y").value = y.toFixed(2);
      dot.style.left = (x * 100) + "%";
      dot.style.top = (y * 100) + "%";
    });
  }
  function start() { place(document); chooser(); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
  document.addEventListener("htmx:afterSwap", function (event) { place(event.target); });
})();
