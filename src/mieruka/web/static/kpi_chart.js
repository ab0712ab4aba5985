// Draws the KPI chart from the traces the server embedded in #chart-data, with Plotly served by this server.
(function () {
  "use strict";
  var holder = document.getElementById("chart");
  var data = document.getElementById("chart-data");
  if (!holder || !data || typeof Plotly === "undefined") { return; }
  var spec = JSON.parse(data.textContent);
  var layout = {
    margin: { l: 70, r: 20, t: 20, b: 50 },
    xaxis: { title: { text: spec.labels.date }, type: "date" },
    yaxis: { title: { text: spec.labels.value + (spec.unit ? " (" + spec.unit + ")" : "") }, rangemode: "tozero" },
    legend: { orientation: "h", y: -0.2 },
    font: { family: "Noto Sans CJK JP, Noto Sans JP, sans-serif" }
  };
  // No mode bar: its "send to cloud" style buttons and logo link point outside the server.
  Plotly.newPlot(holder, spec.traces, layout, { displayModeBar: false, responsive: true, displaylogo: false });
})();
