// Every element with data-chart="<kind>" and a sibling JSON script becomes an ECharts chart.
(function () {
  const palette = ["#1d6fd8", "#36a3a1", "#f2a93b", "#e0605e", "#7b61c4", "#5b8e3e", "#8a97ab", "#d46fa8"];
  function axisTooltip(unit) {
    return { trigger: "axis", valueFormatter: (v) => (v == null ? "—" : Number(v).toLocaleString("zh-CN") + " " + unit) };
  }
  // Series data as items that carry the id a click opens (d.ids beside d.values).
  function withIds(d) {
    return d.values.map((v, i) => ({ value: v, link: d.ids ? d.ids[i] : undefined }));
  }
  const builders = {
    bar(d) {
      return { color: palette, title: { text: d.title, left: 0, textStyle: { fontSize: 14 } }, tooltip: axisTooltip(d.unit),
        grid: { left: 8, right: 16, top: 56, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: d.labels, axisLabel: { interval: 0, rotate: d.labels.length > 6 ? 30 : 0 } },
        yAxis: { type: "value", name: d.unit }, series: [{ type: "bar", data: withIds(d), barMaxWidth: 36 }] };
    },
    hbar(d) {
      return { color: palette, title: { text: d.title, left: 0, textStyle: { fontSize: 14 } }, tooltip: axisTooltip(d.unit),
        grid: { left: 8, right: 24, top: 56, bottom: 8, containLabel: true },
        // The largest on top: categories run bottom-up, so both lists are reversed; each bar
        // carries its own id, which the click below follows (an index would be the reversed one).
        yAxis: { type: "category", data: d.labels.slice().reverse() }, xAxis: { type: "value", name: d.unit },
        series: [{ type: "bar", data: withIds(d).reverse(), barMaxWidth: 22, label: { show: true, position: "right" } }] };
    },
    pie(d) {
      return { color: palette, title: { text: d.title, left: 0, textStyle: { fontSize: 14 } },
        tooltip: { trigger: "item", formatter: "{b}: {c} " + d.unit + " ({d}%)" }, legend: { bottom: 0 },
        series: [{ type: "pie", radius: ["38%", "65%"], center: ["50%", "52%"],
          data: withIds(d).map((item, i) => ({ ...item, name: d.labels[i] })) }] };
    },
    years(d) {
      return { color: palette, title: { text: d.title, left: 0, textStyle: { fontSize: 14 } }, tooltip: axisTooltip(d.unit),
        legend: { top: 0, right: 0 }, grid: { left: 8, right: 16, top: 56, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: d.labels }, yAxis: { type: "value", name: d.unit },
        series: [{ name: d.revenue_label, type: "bar", data: d.revenue, barMaxWidth: 36 },
                 { name: d.rd_label, type: "bar", data: d.rd, barMaxWidth: 36 }] };
    },
    money(d) {
      return { color: palette, title: { text: d.labels.title_money, left: 0, textStyle: { fontSize: 14 } }, tooltip: axisTooltip(d.labels.wan),
        legend: { top: 0, right: 0 }, grid: { left: 8, right: 16, top: 56, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: d.years }, yAxis: { type: "value", name: d.labels.wan },
        series: [{ name: d.labels.revenue, type: "bar", data: d.revenue, barMaxWidth: 32 },
                 { name: d.labels.rd, type: "bar", data: d.rd, barMaxWidth: 32 },
                 { name: d.labels.profit, type: "line", data: d.profit }] };
    },
    lines(d) {
      return { color: palette, title: { text: d.title, left: 0, textStyle: { fontSize: 14 } }, tooltip: axisTooltip(d.unit),
        legend: { bottom: 0 }, grid: { left: 8, right: 16, top: 56, bottom: 32, containLabel: true },
        xAxis: { type: "category", data: d.labels }, yAxis: { type: "value", name: d.unit },
        series: d.series.map((s) => ({ name: s.name, type: "line", step: "end", showSymbol: false, data: s.values })) };
    },
    intensity(d) {
      return { color: ["#e0605e"], title: { text: d.labels.title_intensity, left: 0, textStyle: { fontSize: 14 } }, tooltip: axisTooltip("%"),
        grid: { left: 8, right: 16, top: 56, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: d.years }, yAxis: { type: "value", name: "%" },
        series: [{ name: d.labels.intensity, type: "line", data: d.intensity, label: { show: true, formatter: "{c}%" } }] };
    },
  };
  function render(root) {
    root.querySelectorAll("[data-chart]").forEach((el) => {
      if (el.dataset.rendered) return;
      const data = JSON.parse(document.getElementById(el.dataset.source).textContent);
      const chart = echarts.init(el, null, { renderer: "svg" });
      chart.setOption(builders[el.dataset.chart](data));
      if (el.dataset.link) {
        chart.on("click", (p) => {
          const id = p.data && p.data.link;
          if (id !== undefined && id !== null) window.location = el.dataset.link + encodeURIComponent(id);
        });
      }
      el.dataset.rendered = "1";
      window.addEventListener("resize", () => chart.resize());
      new ResizeObserver(() => chart.resize()).observe(el);
    });
  }
  document.addEventListener("DOMContentLoaded", () => render(document));
  document.addEventListener("htmx:afterSwap", (e) => render(e.target));
  document.addEventListener("shown.bs.tab", () => window.dispatchEvent(new Event("resize")));
  document.addEventListener("click", (e) => {
    const toggle = e.target.closest(".gx-menu-toggle");
    if (toggle) document.querySelector(".gx-sidebar").classList.toggle("open");
  });
})();
