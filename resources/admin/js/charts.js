// Time-series charts with uPlot (vendor/uplot.js, bundled into the binary at build time).
// Colours come from the page's CSS variables, so the charts follow the light/dark scheme.

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

// A line chart of `series` ([{label, values, color, format}]) over `times` (Unix seconds),
// sized to `box`'s width and redrawn when the window is resized. Returns a cleanup function.
export function lineChart(box, times, series, valueFormat) {
  const axisColor = cssVar('--muted');
  const gridColor = cssVar('--line');
  const options = {
    width: Math.max(240, box.clientWidth),
    height: 220,
    cursor: { drag: { x: false, y: false } },
    legend: { live: true },
    scales: { x: { time: true } },
    axes: [
      { stroke: axisColor, grid: { stroke: gridColor, width: 1 }, ticks: { stroke: gridColor } },
      {
        stroke: axisColor,
        grid: { stroke: gridColor, width: 1 },
        ticks: { stroke: gridColor },
        size: 64,
        values: (_, ticks) => ticks.map(valueFormat),
      },
    ],
    series: [
      {},
      ...series.map((s) => ({
        label: s.label,
        stroke: cssVar(s.color),
        fill: cssVar(s.color) + '22',
        width: 2,
        points: { show: times.length < 40 },
        value: (_, v) => (v == null ? '–' : valueFormat(v)),
      })),
    ],
  };
  const chart = new window.uPlot(options, [times, ...series.map((s) => s.values)], box);
  const resize = () => chart.setSize({ width: Math.max(240, box.clientWidth), height: 220 });
  window.addEventListener('resize', resize);
  return () => {
    window.removeEventListener('resize', resize);
    chart.destroy();
  };
}

// uPlot is a classic script loaded with `defer`: modules run after it, but wait to be sure.
export function chartsReady() {
  return new Promise((resolve) => {
    if (window.uPlot) return resolve();
    window.addEventListener('load', () => resolve(), { once: true });
  });
}
