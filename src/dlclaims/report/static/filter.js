// dlclaims report: filter the claims by status (checkboxes), keep the matrix and the count in step;
// open a question's details when a link points inside them, and every details before printing.
(function () {
  "use strict";
  var form = document.getElementById("filter");
  if (!form) { return; }
  var boxes = Array.prototype.slice.call(form.querySelectorAll("input[type=checkbox][data-status]"));
  var claims = Array.prototype.slice.call(document.querySelectorAll("tr.claim[data-status]"));
  var cells = Array.prototype.slice.call(document.querySelectorAll("td[data-status]"));
  var sections = Array.prototype.slice.call(document.querySelectorAll("section.question"));
  var count = document.getElementById("filter-count");
  function apply() {
    var on = {};
    boxes.forEach(function (b) { on[b.getAttribute("data-status")] = b.checked; });
    var shown = 0;
    claims.forEach(function (c) {
      var show = on[c.getAttribute("data-status")] !== false;
      c.hidden = !show;
      if (show) { shown += 1; }
    });
    cells.forEach(function (td) {
      td.classList.toggle("dim", on[td.getAttribute("data-status")] === false);
    });
    sections.forEach(function (s) {
      s.hidden = s.querySelector("tr.claim:not([hidden])") === null;
    });
    if (count) { count.textContent = "showing " + shown + " of " + claims.length + " claims"; }
  }
  boxes.forEach(function (b) { b.addEventListener("change", apply); });
  var all = document.getElementById("filter-all");
  if (all) {
    all.addEventListener("click", function () {
      boxes.forEach(function (b) { b.checked = true; });
      apply();
    });
  }
  function reveal() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    var el = id ? document.getElementById(id) : null;
    for (var p = el; p; p = p.parentElement) {
      if (p.tagName === "DETAILS") { p.open = true; }
    }
    if (el && el.closest && el.closest("details")) { el.scrollIntoView(); }
  }
  window.addEventListener("hashchange", reveal);
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("details"), function (d) { d.open = true; });
  });
  form.hidden = false;
  apply();
  reveal();
})();
