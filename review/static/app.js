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
  // Keyboard: j/k move between queue rows, o opens the current one.
  var rows = Array.prototype.slice.call(document.querySelectorAll("table.queue tbody tr"));
  var cur = -1;
  document.addEventListener("keydown", function (ev) {
    if (!rows.length || /INPUT|SELECT|TEXTAREA/.test(ev.target.tagName)) { return; }
    if (ev.key === "j" || ev.key === "k") {
      if (cur >= 0) { rows[cur].classList.remove("cursor"); }
      cur = Math.max(0, Math.min(rows.length - 1, cur + (ev.key === "j" ? 1 : -1)));
      rows[cur].classList.add("cursor");
      rows[cur].scrollIntoView({block: "nearest"});
    } else if (ev.key === "o" && cur >= 0) {
      var link = rows[cur].querySelector("a.open");
      if (link) { window.location = link.href; }
    } else if (ev.key === "x" && cur >= 0) {
      var box = rows[cur].querySelector("input.pick");
      if (box) { box.checked = !box.checked; }
    }
  });
});
