/* Charts of the evaluation page: the trend of cases filed and closed with the closure
   rates, and the rates of each child area. Data: the #gg-eval-charts JSON the page renders
   from the same roll-ups as its tables; drawn by gridgovCharts (web/static/gridgov/charts.js). */
(function () {
  "use strict";

  var charts = window.gridgovCharts;

  function rates(labels, rows) {
    return ["closure_rate", "on_time_closure_rate"].map(function (key) {
      return { name: labels[key], data: rows.map(function (r) { return charts.percent(r[key]); }) };
    });
  }

  function trendOption(data) {
    var labels = data.labels;
    var x = data.trend.map(function (p) { return data.unit === "month" ? p.start.slice(0, 7) : charts.day(p.start); });
    var bars = ["filed", "closed"].map(function (key) {
      return { name: labels[key], data: data.trend.map(function (p) { return p[key]; }) };
    });
    return charts.trend(x, bars, rates(labels, data.trend), charts.percentAxis());
  }

  function regionsOption(data) {
    var labels = data.labels;
    var series = ["closure_rate", "on_time_closure_rate"].map(function (key) {
      return { name: labels[key], value: function (r) { return charts.percent(r[key]); } };
    });
    return charts.areaBars(data.regions, series, charts.percentAxis(), {
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null ? "—" : v + "%"; } }
    });
  }

  charts.draw({
    source: "gg-eval-charts",
    selector: ".gg-eval-chart",
    options: { trend: trendOption, regions: regionsOption },
    rows: { regions: function (data) { return data.regions.length; } }
  });
})();
