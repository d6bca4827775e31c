// Draws a need's trend: texts naming it per month (json_script data).
(function () {
  "use strict";
  var source = document.getElementById("need-chart-data");
  var el = document.getElementById("need-trend");
  if (!source || !el || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  el.style.height = "260px";
  var chart = echarts.init(el, null, { renderer: "svg" });
  chart.setOption({
    color: ["#1e293b"],
    tooltip: { trigger: "axis" },
    grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: data.months },
    yAxis: { type: "value", minInterval: 1, splitLine: { lineStyle: { color: "#eef0f3" } } },
    series: [{ name: data.name, type: "bar", data: data.counts, barMaxWidth: 28 }]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
