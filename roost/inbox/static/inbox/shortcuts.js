// Keyboard shortcuts for the inbox, and the small helpers the inbox pages share:
// ticking rows for bulk actions and inserting saved replies into the reply box.
//
// Queue page:   j / k select the next / previous row, Enter or o opens it, x ticks it,
//               e closes it, a goes to the bulk "assign to" list.
// Conversation: j / k open the next / previous conversation of the queue it was opened
//               from, r goes to the reply box, e closes, a goes to the assignee list.
// Split inbox:  j / k open the next / previous conversation of the list beside it, r, e
//               and a as on a conversation; Ctrl+Enter in the reply box sends the reply
//               and opens the next conversation.
// Anywhere:     ? shows the list of shortcuts. Nothing happens while typing in a text
//               box, except Escape, which leaves it.
(function () {
  "use strict";
  var STORE_KEY = "roost.inbox.queue";
  var TEXT_INPUTS = /^(text|search|email|url|tel|password|number|date|datetime-local|time|month|week)$/;

  var help = document.getElementById("shortcut-help");
  var queue = document.querySelector("[data-inbox-queue]");
  var conversation = document.querySelector("[data-inbox-conversation]");
  var split = document.querySelector("[data-inbox-split]");
  var selectedId = null;
  var status = null;

  function isTyping(element) {
    if (!element || element === document.body) {
      return false;
    }
    if (element.isContentEditable || element.tagName === "TEXTAREA" || element.tagName === "SELECT") {
      return true;
    }
    return element.tagName === "INPUT" && TEXT_INPUTS.test(element.type || "text");
  }

  function say(text) {
    if (!status) {
      status = document.createElement("p");
      status.className = "shortcut-status";
      status.setAttribute("role", "status");
      document.body.appendChild(status);
    }
    status.textContent = text;
    window.clearTimeout(say.timer);
    say.timer = window.setTimeout(function () {
      status.textContent = "";
    }, 3000);
  }

  function openHelp() {
    if (help && !help.open) {
      help.showModal();
    }
  }

  // --- The queue ------------------------------------------------------------------------

  function rows() {
    return queue ? Array.prototype.slice.call(queue.querySelectorAll("tr.conversation-row")) : [];
  }

  function selectedIndex(list) {
    for (var i = 0; i < list.length; i += 1) {
      if (list[i].dataset.id === selectedId) {
        return i;
      }
    }
    return -1;
  }

  function markSelected() {
    rows().forEach(function (row) {
      var on = row.dataset.id === selectedId;
      row.classList.toggle("is-selected", on);
      if (on) {
        row.setAttribute("aria-current", "true");
      } else {
        row.removeAttribute("aria-current");
      }
    });
  }

  function moveSelection(step) {
    var list = rows();
    if (!list.length) {
      return;
    }
    var index = selectedIndex(list);
    index = index === -1 ? (step > 0 ? 0 : list.length - 1) : Math.min(list.length - 1, Math.max(0, index + step));
    selectedId = list[index].dataset.id;
    markSelected();
    list[index].scrollIntoView({ block: "nearest" });
    var link = list[index].querySelector("a");
    say("Selected " + (link ? link.textContent : "conversation") + " (" + (index + 1) + " of " + list.length + ")");
  }

  function selectedRow() {
    var list = rows();
    var index = selectedIndex(list);
    return index === -1 ? null : list[index];
  }

  function rememberQueue() {
    // The conversation page's j and k walk this list.
    var urls = rows().map(function (row) {
      return row.dataset.href;
    });
    try {
      window.sessionStorage.setItem(STORE_KEY, JSON.stringify({ urls: urls, back: window.location.href }));
    } catch (error) {
      // Private browsing may refuse storage; j and k then stay on the queue page.
    }
  }

  function tickBoxes() {
    return queue ? Array.prototype.slice.call(queue.querySelectorAll("input[name=ids]")) : [];
  }

  function updateBulkCount() {
    var counter = document.querySelector("[data-bulk-count]");
    var boxes = tickBoxes();
    var ticked = boxes.filter(function (box) {
      return box.checked;
    }).length;
    if (counter) {
      counter.textContent = ticked
        ? ticked + " selected."
        : "Tick conversations to act on several at once.";
    }
    var all = queue && queue.querySelector("[data-select-all]");
    if (all) {
      all.checked = boxes.length > 0 && ticked === boxes.length;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
    }
  }

  function bulkForm() {
    return document.getElementById("bulk-form");
  }

  function closeSelected() {
    var row = selectedRow();
    var form = bulkForm();
    if (!row || !form) {
      return;
    }
    tickBoxes().forEach(function (box) {
      box.checked = box.value === row.dataset.id;
    });
    form.elements.namedItem("action").value = "close";
    form.requestSubmit();
  }

  function toggleSelected() {
    var row = selectedRow();
    var box = row && row.querySelector("input[name=ids]");
    if (box) {
      box.checked = !box.checked;
      updateBulkCount();
    }
  }

  var queueKeys = {
    j: function () { moveSelection(1); },
    k: function () { moveSelection(-1); },
    o: function () { var row = selectedRow(); if (row) { window.location.href = row.dataset.href; } },
    Enter: function () { var row = selectedRow(); if (row) { window.location.href = row.dataset.href; } },
    x: toggleSelected,
    e: closeSelected,
    a: function () {
      var form = bulkForm();
      if (form) {
        form.elements.namedItem("action").value = "assign";
        document.getElementById("bulk-assignee").focus();
      }
    },
  };

  if (queue) {
    rememberQueue();
    queue.addEventListener("change", function (event) {
      if (event.target.matches("[data-select-all]")) {
        tickBoxes().forEach(function (box) {
          box.checked = event.target.checked;
        });
      }
      updateBulkCount();
    });
    // The rows are refreshed in place; keep the selection and the list j / k walk.
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.target === queue) {
        markSelected();
        rememberQueue();
        updateBulkCount();
      }
    });
    updateBulkCount();
  }

  // --- The conversation -----------------------------------------------------------------

  function neighbour(step) {
    var stored = null;
    try {
      stored = JSON.parse(window.sessionStorage.getItem(STORE_KEY) || "null");
    } catch (error) {
      stored = null;
    }
    if (!stored || !stored.urls) {
      say("Open a queue first to move between its conversations.");
      return;
    }
    var index = stored.urls.indexOf(window.location.pathname);
    var next = index === -1 ? -1 : index + step;
    if (next < 0 || next >= stored.urls.length) {
      say(step > 0 ? "This is the last conversation of the queue." : "This is the first conversation of the queue.");
      return;
    }
    window.location.href = stored.urls[next];
  }

  function focus(id) {
    var element = document.getElementById(id);
    if (element) {
      element.focus();
    }
  }

  var conversationKeys = {
    j: function () { neighbour(1); },
    k: function () { neighbour(-1); },
    r: function () { focus("reply-text"); },
    a: function () { focus("assignee"); },
    e: function () {
      var button = document.querySelector("[data-shortcut=close]");
      if (button) {
        button.click();
      }
    },
  };

  // --- The split inbox -------------------------------------------------------------------

  function openPane() {
    return split ? split.querySelector(".split-pane[data-conversation-id]") : null;
  }

  function splitRows() {
    return split ? Array.prototype.slice.call(split.querySelectorAll(".split-row[data-id]")) : [];
  }

  function markOpen() {
    var pane = openPane();
    var openId = pane ? pane.dataset.conversationId : null;
    splitRows().forEach(function (row) {
      var on = row.dataset.id === openId;
      var link = row.querySelector("a");
      row.classList.toggle("is-open", on);
      if (link && on) {
        link.setAttribute("aria-current", "true");
      } else if (link) {
        link.removeAttribute("aria-current");
      }
    });
    if (openId) {
      split.setAttribute("data-open", "");
    }
  }

  function openSibling(step) {
    var list = splitRows();
    if (!list.length) {
      return;
    }
    var pane = openPane();
    var index = -1;
    for (var i = 0; pane && i < list.length; i += 1) {
      if (list[i].dataset.id === pane.dataset.conversationId) {
        index = i;
      }
    }
    var next = index === -1 ? (step > 0 ? 0 : list.length - 1) : index + step;
    if (next < 0 || next >= list.length) {
      say(step > 0 ? "This is the last conversation of the list." : "This is the first conversation of the list.");
      return;
    }
    list[next].querySelector("a").click();
  }

  var splitKeys = {
    j: function () { openSibling(1); },
    k: function () { openSibling(-1); },
    r: function () { focus("reply-text"); },
    a: function () { focus("assignee"); },
    e: function () {
      var button = document.querySelector("[data-shortcut=close]");
      if (button) {
        button.click();
      }
    },
  };

  if (split) {
    markOpen();
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.target.id === "split-detail") {
        markOpen();
        bindPicker();
        var title = document.getElementById("conversation-title");
        if (title) {
          title.focus();
        }
      } else if (event.target.id === "split-list") {
        markOpen();
      }
    });
  }

  // --- Saved replies in the reply box ------------------------------------------------------

  function insertAtCursor(textarea, text) {
    var start = textarea.selectionStart || 0;
    var end = textarea.selectionEnd || 0;
    textarea.value = textarea.value.slice(0, start) + text + textarea.value.slice(end);
    textarea.selectionStart = textarea.selectionEnd = start + text.length;
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
    textarea.focus();
  }

  function warnUnknown(unknown) {
    var warning = document.getElementById("saved-reply-warning");
    if (!warning) {
      return;
    }
    warning.hidden = !unknown;
    warning.textContent = unknown ? "Check before sending: " + unknown + " left as typed (not a known variable)." : "";
  }

  function bindPicker() {
    var picker = document.querySelector("[data-saved-reply-picker]");
    if (!picker || picker.dataset.bound) {
      return;
    }
    picker.dataset.bound = "yes";
    var textarea = document.getElementById(picker.dataset.target);
    picker.addEventListener("submit", function (event) {
      var option = picker.elements.namedItem("insert").selectedOptions[0];
      if (!textarea || !option) {
        return; // without the reply box, let the page reload with the reply filled in
      }
      event.preventDefault();
      insertAtCursor(textarea, option.dataset.text);
      warnUnknown(option.dataset.unknown);
    });
    if (textarea) {
      // "/shortcut" then Tab expands to that saved reply.
      textarea.addEventListener("keydown", function (event) {
        if (event.key !== "Tab" || event.shiftKey) {
          return;
        }
        var before = textarea.value.slice(0, textarea.selectionStart);
        var match = /(^|\s)\/([a-z0-9_-]+)$/.exec(before);
        if (!match) {
          return;
        }
        var options = picker.elements.namedItem("insert").options;
        for (var i = 0; i < options.length; i += 1) {
          if (options[i].dataset.shortcut === match[2]) {
            event.preventDefault();
            textarea.selectionStart = textarea.selectionStart - match[2].length - 1;
            insertAtCursor(textarea, options[i].dataset.text);
            warnUnknown(options[i].dataset.unknown);
            return;
          }
        }
      });
    }
  }

  bindPicker();

  // --- Dispatch ---------------------------------------------------------------------------

  document.querySelectorAll("[data-shortcut-help]").forEach(function (button) {
    button.addEventListener("click", openHelp);
  });

  document.addEventListener("keydown", function (event) {
    if (split && (event.ctrlKey || event.metaKey) && event.key === "Enter" && event.target.id === "reply-text") {
      var sendNext = document.querySelector("[data-shortcut=reply-next]");
      if (sendNext) {
        event.preventDefault();
        sendNext.click();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) {
      return;
    }
    if (isTyping(event.target)) {
      if (event.key === "Escape") {
        event.target.blur();
      }
      return;
    }
    if (help && help.open) {
      return; // the dialog handles its own keys; Escape closes it
    }
    if (event.key === "?") {
      event.preventDefault();
      openHelp();
      return;
    }
    var keys = split ? splitKeys : queue ? queueKeys : conversation ? conversationKeys : {};
    var handler = keys[event.key];
    if (handler) {
      // Enter on a link or a button keeps its own meaning.
      if (event.key === "Enter" && event.target.closest("a, button")) {
        return;
      }
      event.preventDefault();
      handler();
    }
  });
})();
