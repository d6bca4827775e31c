// Draws the ticket report's charts (json_script data): opened, replied in
// time, solved in time and breached, by category and by person.
(function () {
  "use strict";
  var source = document.getElementById("ticket-chart-data");
  if (!source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var keys = ["opened", "replied_in_time", "solved_in_time", "breached"];
  var charts = [];
  function bars(id, part) {
    var el = document.getElementById(id);
    if (!el || !part.labels.length) { return; }
    el.style.height = (70 + 22 * keys.length * part.labels.length) + "px";
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      color: ["#1e293b", "#fdba74", "#16a34a", "#c2410c"],
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0, data: keys.map(function (k) { return data.names[k]; }) },
      grid: { left: 8, right: 16, top: 48, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1, splitLine: { lineStyle: { color: "#eef0f3" } } },
      yAxis: { type: "category", inverse: true, data: part.labels, axisLabel: { width: 110, overflow: "truncate" } },
      series: keys.map(function (k) {
        return { name: data.names[k], type: "bar", data: part[k], barMaxWidth: 12 };
      })
    });
    charts.push(chart);
  }
  bars("chart-category", data.category);
  bars("chart-person", data.person);
  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.resize(); });
  });
})();
