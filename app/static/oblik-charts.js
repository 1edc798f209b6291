/* Placeholder (the reports screen's helper): the charts helper's own oblik-charts.js replaces it at
   merge. Draws every canvas.oblik-chart from its data-chart JSON {type, labels, datasets, unit}
   when Chart.js (static/vendor/chart.umd.min.js) is loaded. */
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") { return; }
  document.querySelectorAll("canvas.oblik-chart").forEach(function (canvas) {
    var spec = JSON.parse(canvas.getAttribute("data-chart") || "{}");
    new window.Chart(canvas, {type: spec.type || "bar", data: {labels: spec.labels || [], datasets: spec.datasets || []},
      options: {responsive: true, plugins: {legend: {position: "bottom"}}}});
  });
})();
