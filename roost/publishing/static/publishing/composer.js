/* The composer's behaviour on top of a form that works without it:
   - the channel picker's search, and a group's "All" box ticking its channels;
   - files dropped on (or chosen in) the upload area go to the library at once and are
     ticked for this post;
   - the "Update preview" button is only for pages without JavaScript (the panel is live);
   - a suggested time beside the date field fills the field. */
(function () {
  "use strict";

  function changed(element) {
    element.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function syncGroup(group) {
    var all = group.querySelector("[data-select-group]");
    var boxes = group.querySelectorAll("input[name=channels]");
    var ticked = group.querySelectorAll("input[name=channels]:checked").length;
    if (!all) { return; }
    all.checked = ticked === boxes.length && boxes.length > 0;
    all.indeterminate = ticked > 0 && ticked < boxes.length;
  }

  function summarise(picker) {
    var summary = picker.querySelector("[data-picker-summary]");
    var total = picker.querySelectorAll("input[name=channels]").length;
    var ticked = picker.querySelectorAll("input[name=channels]:checked").length;
    if (summary) { summary.textContent = ticked + " of " + total + " channels chosen."; }
  }

  function setUpPicker(picker) {
    var tools = picker.querySelector("[data-picker-tools]");
    var search = picker.querySelector("[data-picker-search]");
    var none = picker.querySelector("[data-picker-none]");
    if (tools) { tools.hidden = false; }
    picker.querySelectorAll("[data-picker-group]").forEach(syncGroup);
    picker.addEventListener("change", function (event) {
      var box = event.target;
      var group = box instanceof Element ? box.closest("[data-picker-group]") : null;
      if (!group) { return; }
      if (box.hasAttribute("data-select-group")) {
        group.querySelectorAll("input[name=channels]").forEach(function (channel) {
          channel.checked = box.checked;
        });
      }
      syncGroup(group);
      summarise(picker);
    });
    if (!search) { return; }
    search.addEventListener("input", function (event) {
      event.stopPropagation(); // searching is not composing: no live check
      var words = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      picker.querySelectorAll("[data-picker-group]").forEach(function (group) {
        var legend = group.querySelector("legend").textContent.toLowerCase();
        var visible = 0;
        group.querySelectorAll("[data-picker-item]").forEach(function (item) {
          var text = legend + " " + item.textContent.toLowerCase();
          var match = words.every(function (word) { return text.indexOf(word) !== -1; });
          item.hidden = !match;
          if (match) { visible += 1; }
        });
        group.hidden = visible === 0;
        shown += visible;
      });
      if (none) { none.hidden = shown > 0; }
    });
  }

  function setUpDropzone(form, zone) {
    var input = zone.querySelector("input[type=file]");
    var alt = zone.querySelector("textarea, input[name=upload_alt_text]");
    var status = zone.querySelector("[data-upload-status]");
    var list = form.querySelector("[data-attachments]");
    var url = form.getAttribute("data-upload-url");
    var token = form.querySelector("input[name=csrfmiddlewaretoken]");
    if (!input || !list || !url || !token) { return; }

    function upload(file) {
      var body = new FormData();
      body.append("upload", file);
      if (alt) { body.append("upload_alt_text", alt.value); }
      status.textContent = "Uploading " + file.name + "…";
      fetch(url, { method: "POST", body: body, headers: { "X-CSRFToken": token.value }, credentials: "same-origin" })
        .then(function (response) {
          return response.text().then(function (html) { return { ok: response.ok, html: html }; });
        })
        .then(function (answer) {
          var holder = document.createElement("template");
          holder.innerHTML = answer.html.trim();
          if (!answer.ok) {
            status.textContent = file.name + ": " + holder.content.textContent;
            return;
          }
          var item = holder.content.firstElementChild;
          list.insertBefore(item, list.firstChild);
          var empty = form.querySelector("[data-no-media]");
          if (empty) { empty.hidden = true; }
          status.textContent = file.name + " uploaded to the library and attached.";
          if (alt) { alt.value = ""; }
          changed(item.querySelector("input"));
        })
        .catch(function () { status.textContent = file.name + ": the upload failed. Try again."; });
    }

    input.addEventListener("change", function () {
      Array.prototype.forEach.call(input.files, upload);
      input.value = "";
    });
    zone.addEventListener("dragover", function (event) {
      event.preventDefault();
      zone.classList.add("is-over");
    });
    zone.addEventListener("dragleave", function () { zone.classList.remove("is-over"); });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      zone.classList.remove("is-over");
      Array.prototype.forEach.call(event.dataTransfer.files, upload);
    });
  }

  function setUpScheduleHints(form) {
    // Delegated: the suggestions are replaced whenever the chosen channels change.
    form.addEventListener("click", function (event) {
      var button = event.target instanceof Element ? event.target.closest("[data-fill-schedule]") : null;
      var field = form.querySelector("input[name=scheduled_at]");
      if (!button || !field) { return; }
      field.value = button.getAttribute("data-fill-schedule");
      changed(field);
      field.focus();
    });
  }

  function setUp() {
    var form = document.getElementById("composer");
    if (!form) { return; }
    setUpScheduleHints(form);
    form.querySelectorAll("[data-no-js-only]").forEach(function (element) { element.hidden = true; });
    var picker = form.querySelector("[data-picker]");
    if (picker) { setUpPicker(picker); }
    var zone = form.querySelector("[data-dropzone]");
    if (zone) { setUpDropzone(form, zone); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
