// Draws the dashboard chart from the JSON the page embeds (json_script).
(function () {
  "use strict";
  var el = document.getElementById("dashboard-chart");
  var source = document.getElementById("dashboard-data");
  if (!el || !source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var chart = echarts.init(el, null, { renderer: "svg" });
  chart.setOption({
    color: ["#c2410c", "#1e293b"],
    tooltip: { trigger: "axis" },
    legend: { data: [data.labels.revenue, data.labels.new_customers], top: 0 },
    grid: { left: 60, right: 60, top: 40, bottom: 30 },
    xAxis: { type: "category", data: data.months },
    yAxis: [
      { type: "value", name: "¥", splitLine: { lineStyle: { color: "#eef0f3" } } },
      { type: "value", minInterval: 1, splitLine: { show: false } }
    ],
    series: [
      { name: data.labels.revenue, type: "bar", data: data.revenue, barMaxWidth: 28 },
      { name: data.labels.new_customers, type: "line", yAxisIndex: 1, smooth: true, data: data.new_customers }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
