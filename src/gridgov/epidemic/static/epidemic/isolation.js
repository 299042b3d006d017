/* The temperature chart of an isolation episode: one point per follow-up with a
   temperature, the fever threshold as a dashed line. Data: the #iso-chart-data JSON the
   page renders from the episode's follow-ups; drawn by gridgovCharts
   (web/static/gridgov/charts.js). */
(function () {
  "use strict";

  function option(data) {
    var values = data.temperatures.filter(function (t) { return t !== null; });
    var low = Math.min.apply(null, values.concat([36])) - 0.5;
    var high = Math.max.apply(null, values.concat([data.threshold])) + 0.5;
    return {
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null || v === undefined ? "—" : v + " °C"; } },
      grid: { left: 40, right: 16, top: 24, bottom: 32 },
      xAxis: { type: "category", data: data.dates.map(window.gridgovCharts.day) },
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

  window.gridgovCharts.draw({ source: "iso-chart-data", selector: ".iso-chart", options: { temperature: option } });
})();
