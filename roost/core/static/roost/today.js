// Today asks for its cards again every so often. Each answer is named by an entity tag
// (data-etag on the polled element): sending the last one back lets the server answer
// an unchanged Today with a bodiless 304, and the page then keeps what it shows, and
// where the keyboard is, instead of swapping in the same cards. A tab in the background
// does not ask at all; it asks once as soon as it is looked at again.
(function () {
  "use strict";

  function conditional(elt) {
    return Boolean(elt && elt.dataset && "etag" in elt.dataset);
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (document.hidden && conditional(event.detail.elt)) {
      event.preventDefault();
    }
  });

  document.addEventListener("visibilitychange", function () {
    if (document.hidden || !window.htmx) {
      return;
    }
    document.querySelectorAll("[data-etag][hx-get]").forEach(function (elt) {
      window.htmx.ajax("GET", elt.getAttribute("hx-get"), {source: elt, target: elt, swap: "innerHTML"});
    });
  });

  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    if (conditional(elt) && elt.dataset.etag) {
      event.detail.headers["If-None-Match"] = elt.dataset.etag;
    }
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var elt = event.target;
    if (!conditional(elt)) {
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
