/* Isolation pages. The temperature chart of an episode (Apache ECharts, vendored): one
   point per follow-up with a temperature, the fever threshold as a dashed line (data: the
   #iso-chart-data JSON the page renders from the episode's follow-ups). On the round, a
   refused follow-up (422: a field, 409: recorded by someone else) comes back as its row
   with the reason (app.js swaps such fragments in). */
(function () {
  "use strict";

  function option(data) {
    var values = data.temperatures.filter(function (t) { return t !== null; });
    var low = Math.min.apply(null, values.concat([36])) - 0.5;
    var high = Math.max.apply(null, values.concat([data.threshold])) + 0.5;
    return {
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null || v === undefined ? "—" : v + " °C"; } },
      grid: { left: 40, right: 16, top: 24, bottom: 32 },
      xAxis: { type: "category", data: data.dates.map(function (d) { return d.slice(5); }) },
      yAxis: { type: "value", min: Math.floor(low * 2) / 2, max: Math.ceil(high * 2) / 2, axisLabel: { formatter: "{value}" } },
      series: [{
        name: data.labels.temperature,
        type: "line",
        connectNulls: true,
        symbolSize: 8,
        data: data.temperatures,
        markLine: {
          symbol: "none",
          lineStyle: { type: "dashed", color: "#b42318" },
          label: { position: "insideEndTop", formatter: data.labels.threshold + " {c}" },
          data: [{ yAxis: data.threshold }]
        }
      }]
    };
  }

  function draw() {
    var source = document.getElementById("iso-chart-data");
    var element = document.querySelector(".iso-chart");
    if (!source || !element || typeof echarts === "undefined") { return; }
    var chart = echarts.init(element);
    chart.setOption(option(JSON.parse(source.textContent)));
    element.dataset.ready = "1";
    window.addEventListener("resize", function () { chart.resize(); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
