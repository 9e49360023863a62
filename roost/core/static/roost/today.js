// Today asks for its cards again every so often. Each answer is named by an entity tag
// (data-etag on the polled element): sending the last one back lets the server answer
// an unchanged Today with a bodiless 304, and the page then keeps what it shows, and
// where the keyboard is, instead of swapping in the same cards.
(function () {
  "use strict";

  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.dataset && elt.dataset.etag) {
      event.detail.headers["If-None-Match"] = elt.dataset.etag;
    }
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var elt = event.target;
    if (!elt || !elt.dataset || !("etag" in elt.dataset)) {
      return;
    }
    var xhr = event.detail.xhr;
    var tag = xhr.getResponseHeader("ETag");
    // A browser that revalidated on its own hands over its stored copy as a 200.
    if (xhr.status === 304 || (tag && tag === elt.dataset.etag)) {
      event.detail.shouldSwap = false;
      return;
    }
    if (tag) {
      elt.dataset.etag = tag;
    }
  });
})();
