/* What every chart page shares (Apache ECharts, vendored; loaded by
   web/includes/echarts.html): drawing the page's charts from the JSON it renders, the
   trend of counts per day (bars) with rates or totals on a second axis (lines), and
   horizontal bars per child area. A page script names its builders:

     gridgovCharts.draw({ source: "data-id", selector: ".chart", options: { trend: fn },
                          rows: { areas: function (data) { return data.areas.length; } } });

   Every element of `selector` gets the option its data-chart names (or the only one);
   a chart named in `rows` grows with its rows; a drawn chart is marked data-ready="1". */
(function () {
  "use strict";

  function drawNow(spec) {
    var source = document.getElementById(spec.source);
    if (!source || typeof echarts === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var names = Object.keys(spec.options);
    document.querySelectorAll(spec.selector).forEach(function (element) {
      var name = element.dataset.chart || names[0];
      var make = spec.options[name];
      if (!make) { return; }
      var rows = spec.rows && spec.rows[name];
      if (rows) { element.style.height = Math.max(240, 28 * rows(data) + 80) + "px"; }
      var chart = echarts.init(element);
      chart.setOption(make(data));
      element.dataset.ready = "1";
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  function draw(spec) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", function () { drawNow(spec); });
    } else {
      drawNow(spec);
    }
  }

  function percent(rate) {
    return rate === null || rate === undefined ? null : Math.round(rate * 10000) / 100;
  }

  function percentAxis() {
    return { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } };
  }

  /* Counts per day or month as bars on the left axis, `lines` on the right one (`right`:
     that axis, by default whole numbers). Each bar or line: {name, data, …ECharts series}. */
  function trend(x, bars, lines, right) {
    var series = bars.map(function (bar) {
      return Object.assign({ type: "bar", barMaxWidth: 18 }, bar);
    }).concat(lines.map(function (line) {
      return Object.assign({ type: "line", yAxisIndex: 1, connectNulls: true, symbolSize: 5 }, line);
    }));
    return {
      tooltip: { trigger: "axis" },
      legend: { bottom: 0, type: "scroll" },
      grid: { left: 8, right: 8, top: 24, bottom: 48, containLabel: true },
      xAxis: { type: "category", data: x },
      yAxis: [
        { type: "value", minInterval: 1 },
        Object.assign({ type: "value", minInterval: 1, splitLine: { show: false } }, right || {})
      ],
      series: series
    };
  }

  /* One horizontal bar per child area, the first area on top; `series`: {name, key, …}
     read from each area; `axis`: the value axis (default whole numbers). */
  function areaBars(areas, series, axis, extra) {
    var rows = areas.slice().reverse();
    return Object.assign({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { bottom: 0 },
      grid: { left: 8, right: 24, top: 16, bottom: 48, containLabel: true },
      xAxis: axis || { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: rows.map(function (r) { return r.name; }) },
      series: series.map(function (one) {
        var value = one.value || function (r) { return r[one.key]; };
        var bar = Object.assign({ type: "bar" }, one, { data: rows.map(value) });
        delete bar.key;
        delete bar.value;
        return bar;
      })
    }, extra || {});
  }

  /* "2026-11-28" → "11-28" (a trend's axis label). */
  function day(date) { return date.slice(5); }

  window.gridgovCharts = {
    draw: draw, trend: trend, areaBars: areaBars, percent: percent, percentAxis: percentAxis, day: day
  };
})();
