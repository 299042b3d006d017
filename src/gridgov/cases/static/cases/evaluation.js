/* Charts of the evaluation page (Apache ECharts, vendored): the trend of cases filed and
   closed with the closure rates, and the rates of each child area. Data: the
   #gg-eval-charts JSON the page renders from the same roll-ups as its tables. */
(function () {
  "use strict";

  function percent(rate) {
    return rate === null || rate === undefined ? null : Math.round(rate * 10000) / 100;
  }

  function axisPercent() {
    return { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } };
  }

  function trendOption(data) {
    var labels = data.labels;
    var x = data.trend.map(function (p) { return data.unit === "month" ? p.start.slice(0, 7) : p.start.slice(5); });
    return {
      tooltip: { trigger: "axis" },
      legend: { bottom: 0 },
      grid: { left: 44, right: 48, top: 24, bottom: 56 },
      xAxis: { type: "category", data: x },
      yAxis: [{ type: "value", minInterval: 1 }, axisPercent()],
      series: [
        { name: labels.filed, type: "bar", data: data.trend.map(function (p) { return p.filed; }) },
        { name: labels.closed, type: "bar", data: data.trend.map(function (p) { return p.closed; }) },
        { name: labels.closure_rate, type: "line", yAxisIndex: 1, connectNulls: true,
          data: data.trend.map(function (p) { return percent(p.closure_rate); }) },
        { name: labels.on_time_closure_rate, type: "line", yAxisIndex: 1, connectNulls: true,
          data: data.trend.map(function (p) { return percent(p.on_time_closure_rate); }) }
      ]
    };
  }

  function regionsOption(data) {
    var labels = data.labels;
    var regions = data.regions.slice().reverse();
    return {
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null ? "—" : v + "%"; } },
      legend: { bottom: 0 },
      grid: { left: 8, right: 24, top: 16, bottom: 48, containLabel: true },
      xAxis: axisPercent(),
      yAxis: { type: "category", data: regions.map(function (r) { return r.name; }) },
      series: [
        { name: labels.closure_rate, type: "bar", data: regions.map(function (r) { return percent(r.closure_rate); }) },
        { name: labels.on_time_closure_rate, type: "bar", data: regions.map(function (r) { return percent(r.on_time_closure_rate); }) }
      ]
    };
  }

  function draw() {
    var source = document.getElementById("gg-eval-charts");
    if (!source || typeof echarts === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var options = { trend: trendOption, regions: regionsOption };
    document.querySelectorAll(".gg-eval-chart").forEach(function (element) {
      var make = options[element.dataset.chart];
      if (!make) { return; }
      if (element.dataset.chart === "regions") {
        element.style.height = Math.max(240, 28 * data.regions.length + 80) + "px";
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
