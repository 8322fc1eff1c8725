// Charts of the dashboard and of 三会一课落实情况, drawn with ECharts (loaded before this file, both deferred).
// The figures come from <script type="application/json"> blocks rendered with |tojson: data the browser
// never executes, so an organisation's name inside them stays a name.
"use strict";

const RED = ["#b71c1c", "#e53935", "#ef9a9a", "#ffcdd2", "#8d6e63", "#bdbdbd"];

function pageData(id) {
  const block = document.getElementById(id);
  return block ? JSON.parse(block.textContent) : null;
}

function draw(id, option) {
  const el = document.getElementById(id);
  if (!el || !window.echarts) return;
  const chart = echarts.init(el, null, { renderer: "svg" });
  chart.setOption({
    color: RED,
    title: { text: el.dataset.title, left: "center", textStyle: { fontSize: 14 } },
    // Tooltips drawn as SVG text: ECharts' HTML tooltips carry style attributes, which the policy refuses.
    tooltip: { renderMode: "richText" },
    animation: false,
    ...option,
  });
  window.addEventListener("resize", () => chart.resize());
}

// Category labels wrap onto a second line rather than end in "…": a secretary reads whole names.
function bars(pairs, horizontal, labelWidth = 110) {
  const names = pairs.map((p) => p[0]);
  const values = pairs.map((p) => p[1]);
  const cat = { type: "category", data: names, axisLabel: { interval: 0, width: labelWidth, overflow: "break" } };
  const val = { type: "value", minInterval: 1 };
  // Room above the tallest bar's label for the title (top 64), and after the longest bar for its count
  // (right 48): no label drawn over the title or cut off at the edge.
  return {
    grid: { left: horizontal ? 120 : 40, right: horizontal ? 48 : 20, top: horizontal ? 48 : 64, bottom: 30 },
    xAxis: horizontal ? val : cat,
    yAxis: horizontal ? { ...cat, inverse: true } : val,
    series: [{ type: "bar", data: values, label: { show: true, position: horizontal ? "right" : "top" } }],
  };
}

function pie(pairs) {
  return {
    legend: { bottom: 0 },
    series: [
      {
        type: "pie",
        radius: ["32%", "58%"],
        center: ["50%", "55%"],
        label: { formatter: "{b}\n{c}人 ({d}%)" },
        data: pairs.map(([name, value]) => ({ name, value })),
      },
    ],
  };
}

const figures = pageData("figures");
if (figures) {
  draw("chart-units", bars(figures.by_unit, true));
  draw("chart-status", pie(figures.by_status));
  draw("chart-age", bars(figures.by_age, false));
  draw("chart-seniority", bars(figures.by_seniority, false));
  draw("chart-binding", pie([["已绑定", figures.bound], ["未绑定", figures.total - figures.bound]]));
}

const ledger = pageData("ledger-data");
if (ledger) {
  const line = (name, data) => ({ name, type: "bar", data });
  draw("chart-ledger", {
    legend: { bottom: 0 },
    grid: { left: 60, right: 20, top: 40, bottom: 50 },
    xAxis: { type: "category", data: ledger.months },
    yAxis: { type: "value" },
    series: [line("应缴", ledger.expected), line("已缴", ledger.paid), { ...line("当月收缴", ledger.collected), type: "line" }],
  });
}

// 手机报 statistics: one issue's articles, its readers over time and its branches; the issues side by side.
const grouped = (categories, series, extra) => ({
  legend: { bottom: 0 },
  grid: { left: 50, right: 20, top: 48, bottom: 96 },
  xAxis: { type: "category", data: categories, axisLabel: { interval: 0, width: 120, overflow: "break" } },
  yAxis: { type: "value", minInterval: 1, ...extra },
  series: series.map(([name, data]) => ({ name, type: "bar", data, barMaxWidth: 36 })),
});

const news = pageData("news-stats-data");
if (news) {
  draw(
    "chart-news-articles",
    grouped(news.articles, [
      ["阅读", news.read],
      ["读完", news.finished],
      ["点赞", news.likes],
      ["转发", news.forwards],
    ]),
  );
  draw("chart-news-timeline", {
    grid: { left: 50, right: 20, top: 40, bottom: 40 },
    xAxis: { type: "category", data: news.hours, name: "小时", boundaryGap: false },
    yAxis: { type: "value", minInterval: 1 },
    series: [{ name: "累计阅读人数", type: "line", data: news.readers, areaStyle: { opacity: 0.15 }, smooth: true }],
  });
  const branches = bars(news.branches, true);
  branches.series[0].barMaxWidth = 24;
  branches.grid.right = 44; // room for "100" after the longest bar
  draw("chart-news-branches", { ...branches, xAxis: { type: "value", max: 100 } });
}

const newsIssues = pageData("news-overview-data");
if (newsIssues) {
  draw(
    "chart-news-issues",
    grouped(
      newsIssues.issues,
      [
        ["阅读率", newsIssues.read_rate],
        ["读完率", newsIssues.finish_rate],
      ],
      { max: 100, minInterval: 0 },
    ),
  );
}

const quizResults = pageData("quiz-results-data");
if (quizResults) {
  draw("chart-distribution", bars(quizResults.distribution, false));
  draw("chart-branches", { ...bars(quizResults.branches, true, 120), grid: { left: 130, right: 50, top: 48, bottom: 30 } });
  draw("chart-questions", { ...bars(quizResults.questions, true, 250), grid: { left: 260, right: 50, top: 48, bottom: 30 } });
}

// 书记信箱 statistics: letters received and replied per organisation.
const mailbox = pageData("mailbox-stats-data");
if (mailbox) {
  draw(
    "chart-mailbox",
    grouped(mailbox.orgs, [
      ["收到来信", mailbox.received],
      ["已回复", mailbox.replied],
    ]),
  );
}
