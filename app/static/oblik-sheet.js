// Oblik: the readings sheet (oblik/reading_sheet.html) — the consumption computed as you type,
// the row's problem (below the previous reading, implausibly high: over factor × the average ×
// the months since the previous reading, at least one), and the keyboard: Tab and Enter move
// down to the next meter's value (or to the «I confirm» box of a high row first), Shift+Tab and
// Shift+Enter up, → at the end of a value to its date. The server checks everything again.
(function () {
  "use strict";
  var table = document.getElementById("reading-sheet");
  if (!table) { return; }
  var MONTH_DAYS = 30.4375;
  var factor = parseFloat(table.getAttribute("data-factor")) || 3;

  function parseNumber(text) {
    text = (text || "").replace(/\s/g, "").replace(",", ".");
    if (!/^[0-9]+(\.[0-9]*)?$/.test(text)) { return null; }
    return parseFloat(text);
  }

  function parseDate(text) {
    var m = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec((text || "").trim());
    if (m) { return new Date(+m[3], +m[2] - 1, +m[1]); }
    m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec((text || "").trim());
    return m ? new Date(+m[1], +m[2] - 1, +m[3]) : null;
  }

  function shown(value) {
    return (Math.round(value * 1000) / 1000).toString().replace(".", ",");
  }

  function check(row) {
    var valueInput = row.querySelector(".sheet-value");
    var text = valueInput.value.trim();
    var out = row.querySelector(".sheet-consumption");
    var live = row.querySelector(".sheet-live");
    var confirm = row.querySelector(".sheet-confirm");
    var serverHigh = confirm.getAttribute("data-server") === "1";
    row.classList.remove("warning");
    live.textContent = "";
    out.textContent = "";
    if (!text) {
      if (!serverHigh) { confirm.classList.add("hidden"); }
      return;
    }
    var value = parseNumber(text);
    if (value === null) { live.textContent = table.getAttribute("data-bad"); row.classList.add("warning"); return; }
    var previous = parseFloat(row.getAttribute("data-previous"));
    var used = value - previous;
    var digits = parseInt(row.getAttribute("data-digits"), 10);
    if (used < 0 && digits) {
      var capacity = Math.pow(10, digits);
      var turned = value + capacity - previous;
      if (value < capacity && turned < capacity * 0.1) { used = turned; }
    }
    out.textContent = shown(used);
    var high = false;
    if (used < 0) {
      live.textContent = table.getAttribute("data-below");
      row.classList.add("warning");
    } else {
      var average = parseFloat(row.getAttribute("data-average"));
      if (average > 0) {
        var since = parseDate(row.getAttribute("data-previous-date"));
        var day = parseDate(row.querySelector(".sheet-date").value) || parseDate(table.getAttribute("data-on"));
        var months = 1;
        if (since && day) { months = Math.max((day - since) / 86400000 / MONTH_DAYS, 1); }
        if (used > factor * average * months) {
          high = true;
          live.textContent = table.getAttribute("data-high");
          row.classList.add("warning");
        }
      }
    }
    confirm.classList.toggle("hidden", !(high || serverHigh));
  }

  var rows = Array.prototype.slice.call(table.querySelectorAll("tr.sheet-row"));
  rows.forEach(function (row) {
    var confirm = row.querySelector(".sheet-confirm");
    if (!confirm.classList.contains("hidden")) { confirm.setAttribute("data-server", "1"); }
    check(row);
  });

  function next(index, column, step) {
    for (var i = index + step; i >= 0 && i < rows.length; i += step) {
      var field = rows[i].querySelector(column);
      if (field) { return field; }
    }
    return null;
  }

  function move(field, step) {
    var row = field.closest("tr.sheet-row");
    var index = rows.indexOf(row);
    var column = field.classList.contains("sheet-date") ? ".sheet-date" : ".sheet-value";
    var target;
    if (step > 0 && column === ".sheet-value") {
      var box = row.querySelector(".sheet-confirm");
      if (field.classList.contains("sheet-value") && !box.classList.contains("hidden")) {
        target = box.querySelector("input");
      }
    }
    if (!target) { target = next(index, column, step); }
    if (!target && step > 0) { target = document.getElementById("sheet-save"); }
    if (target) {
      target.focus();
      if (target.select) { target.select(); }
    }
  }

  table.addEventListener("input", function (e) {
    var row = e.target.closest("tr.sheet-row");
    if (row) { check(row); }
  });
  table.addEventListener("keydown", function (e) {
    var field = e.target;
    if (!field.closest || !field.closest("tr.sheet-row")) { return; }
    var isText = field.classList.contains("sheet-value") || field.classList.contains("sheet-date");
    var isBox = field.type === "checkbox";
    if (e.key === "Enter" || e.key === "Tab") {
      if (!isText && !isBox) { return; }
      e.preventDefault();
      if (isBox) {
        var row = field.closest("tr.sheet-row");
        var index = rows.indexOf(row);
        var target = e.shiftKey ? row.querySelector(".sheet-value") : next(index, ".sheet-value", 1);
        if (!target && !e.shiftKey) { target = document.getElementById("sheet-save"); }
        if (target) { target.focus(); if (target.select) { target.select(); } }
        return;
      }
      move(field, e.shiftKey ? -1 : 1);
    } else if (e.key === "ArrowRight" && field.classList.contains("sheet-value") &&
               field.selectionStart === field.value.length) {
      e.preventDefault();
      var date = field.closest("tr.sheet-row").querySelector(".sheet-date");
      date.focus(); date.select();
    } else if (e.key === "ArrowLeft" && field.classList.contains("sheet-date") && field.selectionStart === 0 &&
               field.selectionEnd === 0) {
      e.preventDefault();
      var value = field.closest("tr.sheet-row").querySelector(".sheet-value");
      value.focus(); value.select();
    }
  });
  var first = table.querySelector("tr.danger .sheet-value") || table.querySelector(".sheet-value");
  if (first) { first.focus(); first.select(); }
})();
