/* Charts of a screening campaign's page (Apache ECharts, vendored): people screened per
   day and in all since the start, and the progress of each area. Data: the
   #ep-scr-charts JSON the page renders from the same roll-ups as its table. */
(function () {
  "use strict";

  var GREEN = "#1e7b4d", AMBER = "#d29a00", GREY = "#b9c2cd", BLUE = "#1d5fbf";

  function trendOption(data) {
    var labels = data.labels;
    return {
      tooltip: { trigger: "axis" },
      legend: { bottom: 0 },
      grid: { left: 44, right: 44, top: 24, bottom: 56 },
      xAxis: { type: "category", data: data.trend.map(function (d) { return d.date.slice(5); }) },
      yAxis: [{ type: "value", minInterval: 1 }, { type: "value", minInterval: 1, max: data.tasks || null }],
      series: [
        { name: labels.day, type: "bar", color: GREEN, data: data.trend.map(function (d) { return d.done; }) },
        { name: labels.total, type: "line", yAxisIndex: 1, color: BLUE, smooth: false,
          data: data.trend.map(function (d) { return d.total; }),
          markLine: { silent: true, symbol: "none", lineStyle: { color: GREY, type: "dashed" },
            label: { position: "insideEndTop", formatter: labels.tasks + " {c}" },
            data: [{ yAxis: data.tasks }] } }
      ]
    };
  }

  function childrenOption(data) {
    var labels = data.labels;
    var rows = data.children.slice().reverse();
    function series(name, key, color) {
      return { name: name, type: "bar", stack: "all", color: color, data: rows.map(function (r) { return r[key]; }) };
    }
    return {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { bottom: 0 },
      grid: { left: 8, right: 24, top: 16, bottom: 48, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: rows.map(function (r) { return r.name; }) },
      series: [
        series(labels.done, "done", GREEN),
        series(labels.unreachable, "unreachable", AMBER),
        series(labels.not_visited, "not_visited", GREY)
      ]
    };
  }

  function draw() {
    var source = document.getElementById("ep-scr-charts");
    if (!source || typeof echarts === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var options = { trend: trendOption, children: childrenOption };
    document.querySelectorAll(".ep-scr-chart").forEach(function (element) {
      var make = options[element.dataset.chart];
      if (!make) { return; }
      if (element.dataset.chart === "children") {
        element.style.height = Math.max(240, 28 * data.children.length + 80) + "px";
      }
      var chart = echarts.init(element);
      chart.setOption(make(data));
      element.dataset.ready = "1";
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
