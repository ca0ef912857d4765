"use strict";
(function () {
  var only = document.getElementById("only-flagged");
  if (only) {
    only.addEventListener("change", function () {
      document.body.classList.toggle("only-flagged", only.checked);
    });
  }
  var sel = ["flag-kind", "flag-hop", "flag-sev"].map(function (id) {
    return document.getElementById(id);
  });
  function filter() {
    var rows = document.querySelectorAll("#flag-table tbody tr");
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i], show = true;
      if (sel[0] && sel[0].value && r.getAttribute("data-kind") !== sel[0].value) show = false;
      if (sel[1] && sel[1].value && r.getAttribute("data-hop") !== sel[1].value) show = false;
      if (sel[2] && sel[2].value && r.getAttribute("data-sev") !== sel[2].value) show = false;
      r.classList.toggle("hidden", !show);
    }
  }
  sel.forEach(function (s) { if (s) s.addEventListener("change", filter); });
  // Printing shows every folded section (signature tables).
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  });
  document.documentElement.setAttribute("data-js", "ready");
})();
