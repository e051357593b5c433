// Draws each report table's chart from the JSON the page carries next to it; the table stays the
// accessible, exportable form of the same figures. The funnel is drawn as centred horizontal bars.
document.addEventListener("DOMContentLoaded", () => {
  if (typeof Chart === "undefined") return;
  const colours = ["#1f6feb", "#2da44e", "#bf8700", "#cf222e", "#8250df", "#57606a"];
  document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
    const source = document.getElementById(canvas.dataset.chart);
    if (!source) return;
    const spec = JSON.parse(source.textContent);
    if (spec.type === "funnel") {
      const values = spec.series[0].data.map((v) => v || 0);
      const widest = Math.max(...values, 1);
      new Chart(canvas, {
        type: "bar",
        data: {
          labels: spec.labels,
          datasets: [{
            label: spec.series[0].label,
            data: values.map((v) => [(widest - v) / 2, (widest + v) / 2]),
            backgroundColor: spec.labels.map((_, i) => colours[i % colours.length]),
          }],
        },
        options: {
          indexAxis: "y", maintainAspectRatio: false,
          scales: { x: { display: false, min: 0, max: widest } },
          plugins: {
            legend: { display: false },
            tooltip: { callbacks: { label: (item) => `${spec.series[0].label}: ${values[item.dataIndex]}` } },
          },
        },
      });
      return;
    }
    new Chart(canvas, {
      type: spec.type,
      data: {
        labels: spec.labels,
        datasets: spec.series.map((series, i) => ({
          label: series.label, data: series.data, borderColor: colours[i % colours.length],
          backgroundColor: colours[i % colours.length], tension: 0.2,
        })),
      },
      options: { maintainAspectRatio: false, scales: { y: { beginAtZero: true } } },
    });
  });
});
