/* The epidemic dashboard's trend: people declared on the left axis; abnormal
   declarations, codes turned yellow or red, new cases, isolations started, missed
   follow-ups and missing reports on the right. Data: the #db-chart-data JSON the page
   renders from the same roll-ups as its figures; drawn by gridgovCharts
   (web/static/gridgov/charts.js). */
(function () {
  "use strict";

  var charts = window.gridgovCharts;
  var RIGHT = ["abnormal", "codes_changed", "cases_new", "isolation_started", "follow_ups_missed", "reports_missing"];
  var COLOURS = {
    declared: "#1d5fbf", abnormal: "#d64545", codes_changed: "#f0b429", cases_new: "#8e2b8e",
    isolation_started: "#2f8f83", follow_ups_missed: "#b35c00", reports_missing: "#6b7785"
  };

  function series(data, key) {
    return { name: data.labels[key], itemStyle: { color: COLOURS[key] }, data: data.points.map(function (p) { return p[key]; }) };
  }

  function option(data) {
    var declared = series(data, "declared");
    declared.itemStyle.opacity = 0.55;
    var lines = RIGHT.map(function (key) { return series(data, key); });
    return charts.trend(data.points.map(function (p) { return charts.day(p.date); }), [declared], lines);
  }

  charts.draw({ source: "db-chart-data", selector: ".db-chart[data-chart='trend']", options: { trend: option } });
})();
