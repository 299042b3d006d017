/* Charts of a screening campaign's page: people screened per day and in all since the
   start, and the progress of each area. Data: the #ep-scr-charts JSON the page renders
   from the same roll-ups as its table; drawn by gridgovCharts (web/static/gridgov/charts.js). */
(function () {
  "use strict";

  var charts = window.gridgovCharts;
  var GREEN = "#1e7b4d", AMBER = "#d29a00", GREY = "#b9c2cd", BLUE = "#1d5fbf";

  function trendOption(data) {
    var labels = data.labels;
    var total = {
      name: labels.total, color: BLUE, data: data.trend.map(function (d) { return d.total; }),
      markLine: { silent: true, symbol: "none", lineStyle: { color: GREY, type: "dashed" },
        label: { position: "insideEndTop", formatter: labels.tasks + " {c}" },
        data: [{ yAxis: data.tasks }] }
    };
    var done = { name: labels.day, color: GREEN, data: data.trend.map(function (d) { return d.done; }) };
    return charts.trend(data.trend.map(function (d) { return charts.day(d.date); }), [done], [total],
      { max: data.tasks || null, splitLine: { show: true } });
  }

  function childrenOption(data) {
    var labels = data.labels;
    return charts.areaBars(data.children, [
      { name: labels.done, key: "done", stack: "all", color: GREEN },
      { name: labels.unreachable, key: "unreachable", stack: "all", color: AMBER },
      { name: labels.not_visited, key: "not_visited", stack: "all", color: GREY }
    ]);
  }

  charts.draw({
    source: "ep-scr-charts",
    selector: ".ep-scr-chart",
    options: { trend: trendOption, children: childrenOption },
    rows: { children: function (data) { return data.children.length; } }
  });
})();
