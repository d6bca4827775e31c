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
  var chinese = (document.documentElement.lang || "").indexOf("zh") === 0;
  var compact = function (v) {
    var a = Math.abs(v);
    if (chinese && a >= 1e4) { return +(v / 1e4).toFixed(1) + "万"; }
    if (!chinese && a >= 1e3) { return +(v / 1e3).toFixed(1) + "k"; }
    return String(v);
  };
  var percent = function (v) { return v === null || v === undefined ? "—" : Math.round(v * 100) + "%"; };
  chart.setOption({
    color: ["#1e293b", "#c2410c", "#b91c1c"],
    tooltip: {
      trigger: "axis",
      valueFormatter: function (v) { return v === null || v === undefined ? "—" : v; }
    },
    legend: { top: 0, itemWidth: 14, textStyle: { fontSize: narrow ? 11 : 12 } },
    grid: { left: 8, right: 8, top: narrow ? 48 : 40, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: data.dates, axisLabel: { hideOverlap: true } },
    yAxis: [
      { type: "value", name: "¥", splitLine: { lineStyle: { color: "#eef0f3" } }, axisLabel: { formatter: compact } },
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
