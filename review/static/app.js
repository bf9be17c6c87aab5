// markwatch review: small progressive enhancements; every page works without them.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var all = document.getElementById("select-all");
  if (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll("input.pick").forEach(function (box) { box.checked = all.checked; });
    });
  }
  var bulk = document.getElementById("bulk");
  if (bulk) {
    bulk.addEventListener("submit", function (ev) {
      if (!bulk.querySelector("input.pick:checked")) {
        ev.preventDefault();
        alert("Select at least one listing first.");
      }
    });
  }
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { ev.preventDefault(); }
    });
  });

  // Keyboard shortcuts (listed in #shortcuts; "?" opens the list).
  var help = document.getElementById("shortcuts");
  var undo = document.getElementById("undo-form");
  var decide = document.getElementById("decide");
  var rowDecide = document.getElementById("row-decide");
  var rows = Array.prototype.slice.call(document.querySelectorAll("table.queue tbody tr[data-id]"));
  var cursorKey = "mw-cursor:" + location.pathname + location.search;
  var cur = -1;
  function move(to) {
    if (!rows.length) { return; }
    if (cur >= 0 && rows[cur]) { rows[cur].classList.remove("cursor"); }
    cur = Math.max(0, Math.min(rows.length - 1, to));
    rows[cur].classList.add("cursor");
    rows[cur].scrollIntoView({block: "nearest"});
    try { sessionStorage.setItem(cursorKey, String(cur)); } catch (e) { /* private mode */ }
  }
  // After a decision from the queue the page reloads: keep the cursor's place.
  try {
    var saved = sessionStorage.getItem(cursorKey);
    if (saved !== null && rows.length) { move(parseInt(saved, 10) || 0); }
  } catch (e) { /* private mode */ }
  if (undo) {
    // Undo returns here; from a listing page it reopens the listing in its queue.
    document.getElementById("undo-return").value = location.pathname + location.search;
    var from = document.getElementById("from");
    if (from) { document.getElementById("undo-from").value = from.value; }
  }
  function submitDecision(form, status) {
    var field = form.querySelector("input[name=status]");
    if (!field) {
      field = document.createElement("input");
      field.type = "hidden";
      field.name = "status";
      form.appendChild(field);
    }
    field.value = status;
    form.submit();
  }
  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    if (/INPUT|SELECT|TEXTAREA/.test(ev.target.tagName)) {
      if (ev.key === "Escape") { ev.target.blur(); }
      return;
    }
    var key = ev.key;
    if (key === "?") {
      if (help) { help.open = !help.open; if (help.open) { help.scrollIntoView({block: "nearest"}); } }
      ev.preventDefault();
      return;
    }
    if (key === "Escape" && help) { help.open = false; return; }
    if (key === "u" && undo) { ev.preventDefault(); undo.submit(); return; }
    if (key === "/") {
      var search = document.getElementById("f-q");
      if (search) { ev.preventDefault(); search.focus(); }
      return;
    }
    if (decide && decide.method === "post") { // a listing page
      if ((key === "c" && document.getElementById("to-confirmed")) || (key === "d" && document.getElementById("to-dismissed"))) {
        ev.preventDefault();
        submitDecision(decide, key === "c" ? "confirmed" : "dismissed");
      } else if (key === "s") {
        var skip = document.getElementById("skip");
        if (skip) { ev.preventDefault(); window.location = skip.href; }
      } else if (key === "n") {
        ev.preventDefault();
        document.getElementById("note").focus();
      } else if (key === "q") {
        var back = document.getElementById("back-to-queue");
        if (back) { ev.preventDefault(); window.location = back.href; }
      }
      return;
    }
    if (!rows.length) { return; }
    if (key === "j" || key === "k") {
      ev.preventDefault();
      move(cur + (key === "j" ? 1 : -1));
    } else if ((key === "o" || key === "Enter") && cur >= 0) {
      var link = rows[cur].querySelector("a.open");
      if (link) { ev.preventDefault(); window.location = link.href; }
    } else if (key === "x" && cur >= 0) {
      var box = rows[cur].querySelector("input.pick");
      if (box) { box.checked = !box.checked; }
    } else if ((key === "c" || key === "d") && cur >= 0 && rowDecide) {
      ev.preventDefault();
      rowDecide.action = "/listings/" + rows[cur].getAttribute("data-id") + "/decide";
      submitDecision(rowDecide, key === "c" ? "confirmed" : "dismissed");
    }
  });
});
document.addEventListener("DOMContentLoaded", function () {
  var print = document.getElementById("print-report");
  if (print) {
    print.addEventListener("click", function (ev) { ev.preventDefault(); window.print(); });
  }
});
