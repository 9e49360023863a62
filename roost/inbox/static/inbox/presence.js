// Collision detection on a conversation, on its own page or in the split inbox's pane.
// While the page is visible, a heartbeat every 3 seconds (and at once when the person
// starts or stops typing a reply) tells the server who has the conversation open; the
// answer, inbox/_presence.html, lists who else is here, and its list replaces ours.
// Closing the page leaves at once. In the split inbox htmx swaps the pane: the
// conversation left behind is left at once and the one opened is watched instead.
(function () {
  "use strict";
  var HEARTBEAT_MS = 3000;
  var TYPING_MS = 5000; // typing: text in the reply box and a keystroke this recently
  var IDLE_MS = 10 * 60 * 1000; // nobody at the keyboard: stop saying "viewing"

  if (window.roostPresence) {
    window.roostPresence.sync(); // loaded twice: the first copy watches
    return;
  }

  var lastActivityAt = Date.now();
  var current = null; // the conversation watched: see watch()

  // Watch the conversation whose presence box is `box`; answers what the page-wide
  // listeners below call, and stop() to leave it.
  function watch(box) {
    var list = box.querySelector("[data-presence-list]");
    var textarea = document.getElementById(box.dataset.presenceTextarea);
    var seenInput = textarea && textarea.form ? textarea.form.elements.namedItem("seen_message_id") : null;
    var lastInputAt = 0;
    var typingSent = false;
    var inFlight = false;
    var again = false;
    var present = false;
    var stopped = false;
    var stopTimer = null;

    function typing() {
      return Boolean(textarea && textarea.value.trim() !== "" && Date.now() - lastInputAt < TYPING_MS);
    }

    function form(isTyping) {
      var data = new FormData();
      data.append("csrfmiddlewaretoken", box.dataset.csrfToken);
      data.append("typing", isTyping ? "1" : "0");
      if (seenInput && seenInput.value) {
        data.append("seen_message_id", seenInput.value);
      }
      return data;
    }

    function show(html) {
      var answer = new DOMParser().parseFromString(html, "text/html");
      var fresh = answer.querySelector("[data-presence-list]");
      // Only a real change is written, so screen readers announce changes and nothing else.
      if (!stopped && fresh && fresh.innerHTML !== list.innerHTML) {
        list.innerHTML = fresh.innerHTML;
      }
    }

    function beat() {
      if (stopped) {
        return;
      }
      if (document.visibilityState === "hidden" || Date.now() - lastActivityAt > IDLE_MS) {
        leave();
        return;
      }
      if (inFlight) {
        again = true;
        return;
      }
      inFlight = true;
      present = true;
      typingSent = typing();
      fetch(box.dataset.presenceUrl, {
        method: "POST",
        body: form(typingSent),
        headers: { "X-CSRFToken": box.dataset.csrfToken },
        credentials: "same-origin",
      })
        .then(function (response) {
          return response.ok ? response.text() : "";
        })
        .then(show)
        .catch(function () {
          // Offline for a moment: the next heartbeat tries again.
        })
        .finally(function () {
          inFlight = false;
          if (again) {
            again = false;
            beat();
          }
        });
    }

    function leave() {
      if (!present) {
        return;
      }
      present = false;
      navigator.sendBeacon(box.dataset.presenceLeaveUrl, form(false));
    }

    function typingMayHaveChanged() {
      if (typing() !== typingSent) {
        beat();
      }
    }

    function onInput() {
      lastInputAt = Date.now();
      typingMayHaveChanged();
      window.clearTimeout(stopTimer);
      stopTimer = window.setTimeout(typingMayHaveChanged, TYPING_MS + 50);
    }

    if (textarea) {
      textarea.addEventListener("input", onInput);
    }
    var timer = window.setInterval(beat, HEARTBEAT_MS);
    beat();
    return {
      box: box,
      beat: beat,
      leave: leave,
      stop: function () {
        leave();
        stopped = true;
        window.clearInterval(timer);
        window.clearTimeout(stopTimer);
        if (textarea) {
          textarea.removeEventListener("input", onInput);
        }
      },
    };
  }

  // Watch the conversation the page shows now (none, the same, or another).
  function sync() {
    var box = document.querySelector("[data-presence-url]");
    if (current && current.box === box) {
      return;
    }
    if (current) {
      current.stop();
    }
    current = box ? watch(box) : null;
  }

  function active() {
    var wasIdle = Date.now() - lastActivityAt > IDLE_MS;
    lastActivityAt = Date.now();
    if (wasIdle && current) {
      current.beat();
    }
  }

  ["pointerdown", "keydown", "scroll", "input"].forEach(function (name) {
    document.addEventListener(name, active, { passive: true, capture: true });
  });
  document.addEventListener("visibilitychange", function () {
    if (current) {
      current.beat();
    }
  });
  window.addEventListener("pagehide", function () {
    if (current) {
      current.leave();
    }
  });
  // htmx swapped part of the page: perhaps the split inbox's conversation pane.
  document.addEventListener("htmx:afterSettle", sync);
  window.roostPresence = { sync: sync };
  sync();
})();
