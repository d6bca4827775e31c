// Draws the journey report's charts (json_script data): entered, sent,
// opened, clicked and converted per step, and the conversion rate of the
// treated and the holdout group over the period.
(function () {
  "use strict";
  var source = document.getElementById("journey-report-data");
  if (!source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var charts = [];
  var steps = document.getElementById("chart-steps");
  if (steps && data.steps.labels.length) {
    var keys = ["entered", "sent", "opened", "clicked", "converted"];
    steps.style.height = (80 + 18 * keys.length * data.steps.labels.length) + "px";
    var bars = echarts.init(steps, null, { renderer: "svg" });
    bars.setOption({
      animation: false,
      color: ["#1e293b", "#475569", "#fdba74", "#f97316", "#15803d"],
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0, data: keys.map(function (k) { return data.names[k]; }) },
      grid: { left: 8, right: 16, top: 48, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1, splitLine: { lineStyle: { color: "#eef0f3" } } },
      yAxis: { type: "category", inverse: true, data: data.steps.labels, axisLabel: { width: 90, overflow: "truncate" } },
      series: keys.map(function (k) {
        return { name: data.names[k], type: "bar", data: data.steps[k], barMaxWidth: 12 };
      })
    });
    charts.push(bars);
  }
  var series = document.getElementById("chart-series");
  if (series && data.series.labels.length) {
    series.style.height = "260px";
    var lines = echarts.init(series, null, { renderer: "svg" });
    lines.setOption({
      animation: false,
      color: ["#c2410c", "#64748b"],
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null ? "—" : v + " %"; } },
      legend: { top: 0, data: [data.names.treated, data.names.holdout] },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.series.labels },
      yAxis: { type: "value", min: 0, axisLabel: { formatter: "{value} %" }, splitLine: { lineStyle: { color: "#eef0f3" } } },
      series: [
        { name: data.names.treated, type: "line", data: data.series.treated, connectNulls: true, showSymbol: true, symbolSize: 7 },
        { name: data.names.holdout, type: "line", data: data.series.holdout, connectNulls: true, showSymbol: true, symbolSize: 7, lineStyle: { type: "dashed" } }
      ]
    });
    charts.push(lines);
  }
  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.resize(); });
  });
})();
