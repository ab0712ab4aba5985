// Draws the KPI chart from the traces the server embedded in #chart-data, with Plotly served by this server.
(function () {
  "use strict";
  var holder = document.getElementById("chart");
  var data = document.getElementById("chart-data");
  if (!holder || !data || typeof Plotly === "undefined") { return; }
  var spec = JSON.parse(data.textContent);
  var ja = document.documentElement.lang !== "en";
  // Plotly writes "Jan 2015" by default; a Japanese page reads 2015年1月 (the table below adds 和暦).
  var dateTicks = ja ? [
    { dtickrange: [null, 86400000], value: "%Y年%-m月%-d日" },
    { dtickrange: [86400000, "M1"], value: "%-m月%-d日\n%Y年" },
    { dtickrange: ["M1", "M11"], value: "%Y年%-m月" },
    { dtickrange: ["M12", null], value: "%Y年" }
  ] : undefined;
  var layout = {
    margin: { l: 80, r: 20, t: 20, b: 60 },
    xaxis: { title: { text: spec.labels.date }, type: "date", tickformatstops: dateTicks },
    // Whole numbers with separators (1,000), never SI suffixes such as 400B: money comes already in 億円/百万円.
    yaxis: { title: { text: spec.labels.value + (spec.unit ? " (" + spec.unit + ")" : "") }, rangemode: "tozero",
             exponentformat: "none", separatethousands: true },
    legend: { orientation: "h", y: -0.22 },
    font: { family: "Noto Sans CJK JP, Noto Sans JP, sans-serif" }
  };
  // A rank improves downward: 1位 at the top, so "up" on the chart is always "better".
  if (spec.reversed) { layout.yaxis.autorange = "reversed"; layout.yaxis.rangemode = "normal"; }
  // A yearly KPI is read by fiscal year (年度, April–March): one tick per 31 March, labelled 2016年度.
  if (spec.fiscal_years && spec.fiscal_years.length) {
    layout.xaxis.tickmode = "array";
    layout.xaxis.tickvals = spec.fiscal_years.map(function (t) { return t.x; });
    layout.xaxis.ticktext = spec.fiscal_years.map(function (t) { return t.label; });
  }
  // No mode bar: its "send to cloud" style buttons and logo link point outside the server.
  Plotly.newPlot(holder, spec.traces, layout, { displayModeBar: false, responsive: true, displaylogo: false });
})();
