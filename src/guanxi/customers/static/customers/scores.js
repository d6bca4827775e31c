// The 360 page's chart: current and potential value (left axis, ¥) and churn
// risk (right axis, %) over the scoring runs, from the JSON the page embeds.
(function () {
  "use strict";
  var el = document.getElementById("score-chart");
  var source = document.getElementById("score-chart-data");
  if (!el || !source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var narrow = el.clientWidth < 480;
  var chart = echarts.init(el, null, { renderer: "svg" });
  var percent = function (v) { return v === null || v === undefined ? "—" : Math.round(v * 100) + "%"; };
  chart.setOption({
    color: ["#1e293b", "#c2410c", "#b91c1c"],
    tooltip: {
      trigger: "axis",
      valueFormatter: function (v) { return v === null || v === undefined ? "—" : v; }
    },
    legend: { top: 0, itemWidth: 14, textStyle: { fontSize: narrow ? 11 : 12 } },
    grid: { left: narrow ? 48 : 64, right: narrow ? 40 : 56, top: narrow ? 48 : 40, bottom: 28 },
    xAxis: { type: "category", data: data.dates, axisLabel: { hideOverlap: true } },
    yAxis: [
      { type: "value", name: "¥", splitLine: { lineStyle: { color: "#eef0f3" } } },
      { type: "value", min: 0, max: 1, axisLabel: { formatter: percent }, splitLine: { show: false } }
    ],
    series: [
      { name: data.labels.current, type: "line", data: data.current, symbolSize: 5 },
      { name: data.labels.potential, type: "line", data: data.potential, symbolSize: 5 },
      {
        name: data.labels.risk, type: "line", yAxisIndex: 1, data: data.risk, symbolSize: 5,
        lineStyle: { type: "dashed" },
        tooltip: { valueFormatter: percent }
      }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
