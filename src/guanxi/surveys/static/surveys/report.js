// Draws NPS and CSAT (share of 4-5, %) by month with their 95% intervals
// (json_script data).
(function () {
  "use strict";
  var source = document.getElementById("survey-chart-data");
  var el = document.getElementById("chart-time");
  if (!source || !el || typeof echarts === "undefined") { return; }
  var d = JSON.parse(source.textContent);
  var chart = echarts.init(el, null, { renderer: "svg" });
  function band(low, high) {
    return low.map(function (l, i) { return [i, l, high[i]]; });
  }
  chart.setOption({
    color: ["#1e293b", "#c2410c"],
    tooltip: { trigger: "axis" },
    legend: { top: 0, data: ["NPS", "CSAT %"] },
    grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: d.labels },
    yAxis: { type: "value", min: -100, max: 100 },
    series: [
      { name: "NPS", type: "line", data: d.nps, connectNulls: true, symbolSize: 8 },
      { name: "CSAT %", type: "line", data: d.csat, connectNulls: true, symbolSize: 8 },
      { name: "NPS 95%", type: "custom", data: band(d.nps_low, d.nps_high), renderItem: bar, z: 1 },
      { name: "CSAT 95%", type: "custom", data: band(d.csat_low, d.csat_high), renderItem: bar, z: 1 }
    ]
  });
  function bar(params, api) {
    if (api.value(1) === null || isNaN(api.value(1))) { return null; }
    var low = api.coord([api.value(0), api.value(1)]);
    var high = api.coord([api.value(0), api.value(2)]);
    return { type: "line", shape: { x1: low[0], y1: low[1], x2: high[0], y2: high[1] },
             style: { stroke: api.visual("color"), lineWidth: 2 } };
  }
  window.addEventListener("resize", function () { chart.resize(); });
})();
