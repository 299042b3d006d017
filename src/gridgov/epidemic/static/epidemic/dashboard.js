/* The epidemic dashboard's trend (Apache ECharts, vendored): people declared on the left
   axis; abnormal declarations, codes turned yellow or red, new cases, isolations started,
   missed follow-ups and missing reports on the right. Data: the #db-chart-data JSON the
   page renders from the same roll-ups as its figures. */
(function () {
  "use strict";

  var RIGHT = ["abnormal", "codes_changed", "cases_new", "isolation_started", "follow_ups_missed", "reports_missing"];
  var COLOURS = {
    declared: "#1d5fbf", abnormal: "#d64545", codes_changed: "#f0b429", cases_new: "#8e2b8e",
    isolation_started: "#2f8f83", follow_ups_missed: "#b35c00", reports_missing: "#6b7785"
  };

  function option(data) {
    var x = data.points.map(function (p) { return p.date.slice(5); });
    var series = [{
      name: data.labels.declared, type: "bar", barMaxWidth: 18, itemStyle: { color: COLOURS.declared, opacity: 0.55 },
      data: data.points.map(function (p) { return p.declared; })
    }];
    RIGHT.forEach(function (key) {
      series.push({
        name: data.labels[key], type: "line", yAxisIndex: 1, symbolSize: 5, itemStyle: { color: COLOURS[key] },
        data: data.points.map(function (p) { return p[key]; })
      });
    });
    return {
      tooltip: { trigger: "axis" },
      legend: { bottom: 0, type: "scroll" },
      grid: { left: 8, right: 8, top: 24, bottom: 48, containLabel: true },
      xAxis: { type: "category", data: x },
      yAxis: [{ type: "value", minInterval: 1 }, { type: "value", minInterval: 1, splitLine: { show: false } }],
      series: series
    };
  }

  function draw() {
    var source = document.getElementById("db-chart-data");
    if (!source || typeof echarts === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    document.querySelectorAll(".db-chart[data-chart='trend']").forEach(function (element) {
      var chart = echarts.init(element);
      chart.setOption(option(data));
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
