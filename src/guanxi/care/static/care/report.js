// Draws the win-back report's charts (json_script data): opened, contacted
// and won back by signal, by reason for leaving and by person.
(function () {
  "use strict";
  var source = document.getElementById("report-chart-data");
  if (!source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var charts = [];
  function bars(id, part, names, keys) {
    var el = document.getElementById(id);
    if (!el || !part.labels.length) { return; }
    // As tall as its bars need: a short chart for one or two rows.
    el.style.height = (70 + 26 * keys.length * part.labels.length) + "px";
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      color: ["#1e293b", "#fdba74", "#c2410c"],
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0, data: keys.map(function (k) { return names[k]; }) },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1, splitLine: { lineStyle: { color: "#eef0f3" } } },
      yAxis: { type: "category", inverse: true, data: part.labels, axisLabel: { width: 110, overflow: "truncate" } },
      series: keys.map(function (k) {
        return { name: names[k], type: "bar", data: part[k], barMaxWidth: 14 };
      })
    });
    charts.push(chart);
  }
  var all = ["n", "contacted", "won"];
  bars("chart-signal", data.signal, data.names, all);
  bars("chart-reason", data.reason, data.names, ["contacted", "won"]);
  bars("chart-person", data.person, { n: data.names.tasks, contacted: data.names.contacted, won: data.names.won }, all);
  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.resize(); });
  });
})();
