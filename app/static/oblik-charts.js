// Oblik: every <canvas class="oblik-chart" data-chart='{json}'> on the page drawn with the
// vendored Chart.js (static/vendor/chart.umd.min.js; nothing is loaded from the internet).
//
// The contract (the dashboard and the report screens write it the same way):
//   {"type": "bar" | "line" | ...,         Chart.js chart type
//    "labels": ["10.2026", ...],
//    "datasets": [{"label": "...", "data": [1.5, null, ...], "color": "#337ab7"}, ...],
//    "money": true,        optional: values are UAH (ticks and tooltips with two places)
//    "percent": true,      optional: values are percents
//    "horizontal": true,   optional: bars along the x axis
//    "stacked": true,      optional: stacked bars
//    "unit": "%" | "UAH",  optional: the same as percent / money (a Report.chart's "unit")
//    "locale": "uk"}       optional: the interface language (default: the page's, else Ukrainian)
// Numbers are shown in the page's language (a decimal comma in Ukrainian). A drawn canvas gets
// data-drawn="1"; Chart.getChart(canvas) returns its chart.
(function () {
  "use strict";

  function locale(spec) {
    var lang = (spec.locale || document.documentElement.getAttribute("lang") || "uk").toLowerCase();
    return lang.indexOf("en") === 0 ? "en-GB" : "uk-UA";
  }

  function formatter(spec) {
    var digits = spec.money ? 2 : 1;
    var number = new Intl.NumberFormat(locale(spec), { minimumFractionDigits: spec.percent || spec.money ? digits : 0,
                                                   maximumFractionDigits: digits });
    return function (value) {
      if (value === null || value === undefined) { return "—"; }
      return number.format(value) + (spec.percent ? " %" : "");
    };
  }

  function axisFormatter(spec) {
    var number = new Intl.NumberFormat(locale(spec), { maximumFractionDigits: spec.percent ? 1 : 0 });
    return function (value) { return number.format(value) + (spec.percent ? " %" : ""); };
  }

  function dataset(spec, set) {
    var color = set.color || "#337ab7";
    var line = spec.type === "line";
    return {
      label: set.label, data: set.data,
      backgroundColor: line ? color : color + "cc", borderColor: color, borderWidth: line ? 2 : 1,
      pointRadius: line ? 3 : 0, spanGaps: true, tension: 0.2, fill: false,
      maxBarThickness: 28
    };
  }

  function draw(canvas) {
    if (canvas.getAttribute("data-drawn") === "1" || typeof Chart === "undefined") { return null; }
    var spec;
    try {
      spec = JSON.parse(canvas.getAttribute("data-chart"));
    } catch (e) {
      canvas.setAttribute("data-drawn", "error");
      return null;
    }
    if (spec.unit === "%") { spec.percent = true; }
    if (spec.unit === "UAH" || spec.unit === "грн") { spec.money = true; }
    var shown = formatter(spec);
    var value = spec.horizontal ? "x" : "y";
    var scales = { x: { stacked: !!spec.stacked, grid: { display: !!spec.horizontal } },
                   y: { stacked: !!spec.stacked, grid: { display: !spec.horizontal } } };
    scales[value].beginAtZero = true;
    scales[value].ticks = { callback: axisFormatter(spec) };
    var chart = new Chart(canvas, {
      type: spec.type || "bar",
      data: { labels: spec.labels || [], datasets: (spec.datasets || []).map(function (s) { return dataset(spec, s); }) },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        indexAxis: spec.horizontal ? "y" : "x",
        interaction: { mode: "index", intersect: false },
        scales: scales,
        plugins: {
          legend: { display: (spec.datasets || []).length > 1, position: "bottom" },
          tooltip: { callbacks: { label: function (item) {
            return (item.dataset.label ? item.dataset.label + ": " : "") + shown(item.raw);
          } } }
        }
      }
    });
    canvas.setAttribute("data-drawn", "1");
    return chart;
  }

  function drawAll(root) {
    var canvases = (root || document).querySelectorAll("canvas.oblik-chart");
    for (var i = 0; i < canvases.length; i++) { draw(canvases[i]); }
  }

  window.OblikCharts = { draw: draw, drawAll: drawAll };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  } else {
    drawAll(document);
  }
})();
