// Draws a segment's share of customers at each scoring run (json_script data).
(function () {
  "use strict";
  var el = document.getElementById("segment-chart");
  var source = document.getElementById("segment-chart-data");
  if (!el || !source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var chart = echarts.init(el, null, { renderer: "svg" });
  chart.setOption({
    color: ["#c2410c", "#1e293b"],
    tooltip: { trigger: "axis" },
    legend: { data: [data.labels.share, data.labels.members], top: 0 },
    grid: { left: 50, right: 60, top: 40, bottom: 30 },
    xAxis: { type: "category", data: data.dates },
    yAxis: [
      { type: "value", name: "%", min: 0, splitLine: { lineStyle: { color: "#eef0f3" } } },
      { type: "value", minInterval: 1, splitLine: { show: false } }
    ],
    series: [
      { name: data.labels.share, type: "line", data: data.shares, smooth: true, symbolSize: 7 },
      { name: data.labels.members, type: "bar", yAxisIndex: 1, data: data.members, barMaxWidth: 24, itemStyle: { opacity: 0.25 } }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
