// Draws the dashboard's charts from the JSON the page embeds (json_script):
// the latest scoring run's figures, and revenue and new customers when their
// fragment arrives.
(function () {
  "use strict";
  if (typeof echarts === "undefined") { return; }
  var charts = [];
  var narrow = window.matchMedia("(max-width: 520px)").matches;
  var axisLine = { lineStyle: { color: "#eef0f3" } };
  var chinese = (document.documentElement.lang || "").indexOf("zh") === 0;
  // Large amounts on an axis: 1.2M / 120万, so they fit a phone.
  function compact(v) {
    var a = Math.abs(v);
    if (chinese) {
      if (a >= 1e8) { return +(v / 1e8).toFixed(1) + "亿"; }
      if (a >= 1e4) { return +(v / 1e4).toFixed(1) + "万"; }
    } else {
      if (a >= 1e6) { return +(v / 1e6).toFixed(1) + "M"; }
      if (a >= 1e3) { return +(v / 1e3).toFixed(1) + "k"; }
    }
    return String(v);
  }

  function data(id) {
    var source = document.getElementById(id);
    return source ? JSON.parse(source.textContent) : null;
  }
  function draw(id, option) {
    var el = document.getElementById(id);
    if (!el) { return; }
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption(option);
    charts.push(chart);
  }

  // The order figures arrive after the page (htmx swaps them in): drawn
  // when they do.
  function drawSales() {
    var sales = data("dashboard-data");
    if (!sales) { return; }
    draw("dashboard-chart", {
      color: ["#c2410c", "#1e293b"],
      tooltip: { trigger: "axis" },
      legend: { data: [sales.labels.revenue, sales.labels.new_customers], top: 0 },
      grid: { left: 8, right: 8, top: 40, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: sales.months, axisLabel: { hideOverlap: true } },
      yAxis: [
        { type: "value", name: "¥", splitLine: axisLine, axisLabel: { formatter: compact } },
        { type: "value", minInterval: 1, splitLine: { show: false } }
      ],
      series: [
        { name: sales.labels.revenue, type: "bar", data: sales.revenue, barMaxWidth: 28 },
        { name: sales.labels.new_customers, type: "line", yAxisIndex: 1, smooth: true, data: sales.new_customers }
      ]
    });
  }
  drawSales();
  document.body.addEventListener("htmx:load", function (event) {
    var el = event.target;
    if (el && el.querySelector && el.querySelector("#dashboard-chart")) { drawSales(); }
  });

  var s = data("dashboard-scores-data");
  if (s) {
    var quadrantColors = { star: "#d97706", cash_cow: "#15803d", potential: "#0284c7", basic: "#94a3b8" };
    var stageColors = {
      prospect: "#a78bfa", "new": "#7c3aed", growing: "#0284c7",
      mature: "#15803d", at_risk: "#dc2626", lapsed: "#6b7280"
    };
    draw("chart-quadrants", {
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
      legend: { bottom: 0 },
      series: [{
        type: "pie", radius: ["40%", "68%"], center: ["50%", "45%"],
        // On a phone the legend names the slices; outside labels would be cut.
        label: narrow ? { show: true, position: "inside", formatter: "{d}%", fontSize: 10, color: "#fff" } : { formatter: "{b}\n{d}%" },
        labelLine: { show: !narrow },
        data: s.quadrants.map(function (q) {
          return { name: q.name, value: q.value, itemStyle: { color: quadrantColors[q.key] } };
        })
      }]
    });
    draw("chart-stages", {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: narrow ? 76 : 96, right: 24, top: 10, bottom: 24 },
      xAxis: { type: "value", minInterval: 1, splitLine: axisLine, axisLabel: { formatter: compact } },
      yAxis: { type: "category", inverse: true, data: s.stages.map(function (x) { return x.name; }) },
      series: [{
        type: "bar", name: s.labels.customers, barMaxWidth: 22,
        data: s.stages.map(function (x) { return { value: x.value, itemStyle: { color: stageColors[x.key] } }; })
      }]
    });
    draw("chart-rfm", {
      tooltip: {
        formatter: function (p) {
          return "R" + (p.value[1] + 1) + " · F" + (p.value[0] + 1) + "<br>" +
            s.labels.customers + ": " + p.value[2] + "<br>" + s.labels.mean_m + ": " + p.value[3];
        }
      },
      grid: { left: 56, right: 16, top: 10, bottom: 48 },
      xAxis: { type: "category", data: s.rfm.f, name: s.labels.frequency, nameLocation: "middle", nameGap: 28, splitArea: { show: true } },
      yAxis: { type: "category", data: s.rfm.r, name: s.labels.recency, nameLocation: "middle", nameGap: 40, splitArea: { show: true } },
      // Colour by the count (value index 2); each cell prints its count.
      visualMap: {
        show: false, dimension: 2, min: 0, max: Math.max(1, s.rfm.max),
        inRange: { color: ["#fff7ed", "#fdba74", "#c2410c"] }
      },
      series: [{
        type: "heatmap", data: s.rfm.cells,
        label: {
          show: true, fontSize: narrow ? 9 : 11,
          formatter: function (p) { return p.value[2].toLocaleString(); }
        }
      }]
    });
    draw("chart-pv", {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 8, right: 16, top: 10, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: s.pv.bins, axisLabel: { rotate: 40, fontSize: narrow ? 9 : 11 } },
      yAxis: { type: "value", minInterval: 1, splitLine: axisLine, axisLabel: { formatter: compact } },
      series: [{ type: "bar", name: s.labels.customers, data: s.pv.counts, itemStyle: { color: "#1e293b" }, barMaxWidth: 30 }]
    });
    draw("chart-share", {
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v + "%"; } },
      grid: { left: 52, right: 24, top: 20, bottom: 30 },
      xAxis: { type: "category", data: s.share.dates, axisLabel: { hideOverlap: true } },
      yAxis: { type: "value", min: 0, axisLabel: { formatter: "{value}%" }, splitLine: axisLine },
      series: [{
        type: "line", name: s.labels.share, data: s.share.values, symbolSize: 6,
        itemStyle: { color: quadrantColors.star }, areaStyle: { opacity: 0.12 }
      }]
    });
    if (s.flow) {
      var labels = {};
      s.flow.nodes.forEach(function (n) { labels[n.name] = n.label; });
      draw("chart-flow", {
        tooltip: {
          trigger: "item",
          formatter: function (p) {
            if (p.dataType === "edge") {
              return labels[p.data.source] + " → " + labels[p.data.target] + ": " + p.data.value;
            }
            return labels[p.name] + ": " + p.value;
          }
        },
        series: [{
          type: "sankey", left: narrow ? 64 : 90, right: narrow ? 64 : 90, top: 10, bottom: 10,
          nodeGap: 10, emphasis: { focus: "adjacency" },
          label: { formatter: function (p) { return labels[p.name]; }, fontSize: narrow ? 10 : 12 },
          lineStyle: { color: "gradient", opacity: 0.35 },
          // The previous run's stages on the left, labelled on their left.
          data: s.flow.nodes.map(function (n) {
            var key = n.name.slice(2);
            var node = { name: n.name, itemStyle: { color: stageColors[key] || "#cbd5e1" } };
            if (n.name.charAt(0) === "a") { node.label = { position: "left" }; }
            return node;
          }),
          links: s.flow.links
        }]
      });
    }
  }
  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.resize(); });
  });
})();
