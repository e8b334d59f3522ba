// The time series: visitors and pageviews per bucket, drawn by uPlot on a canvas. The buckets'
// keys are already in the site's time zone, so the x axis is the bucket's index and its labels are
// the keys as the API wrote them: no conversion in the browser's own zone.
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { Bucket } from "../api";
import { compact, day, exact } from "../format";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** A bucket key as a short label: 14:00, 1 Mar, Mar 2026, or the key itself. */
export function bucketLabel(key: string, interval: string, long = false): string {
  const hour = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})/.exec(key);
  if (hour) return long || interval !== "hour" ? `${day(hour[1], false)}, ${hour[2]}` : hour[2];
  const month = /^(\d{4})-(\d{2})$/.exec(key);
  if (month) return `${MONTHS[Number(month[2]) - 1]} ${month[1]}`;
  if (/^\d{4}-\d{2}-\d{2}$/.test(key)) {
    if (interval === "month") return `${MONTHS[Number(key.slice(5, 7)) - 1]} ${key.slice(0, 4)}`;
    const label = day(key, long);
    return interval === "week" ? `Week of ${label}` : label;
  }
  return key;
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";
}

function evenSplits(count: number, width: number): number[] {
  if (count === 0) return [];
  const room = Math.max(2, Math.floor(width / 70));
  const step = Math.max(1, Math.ceil(count / room));
  const splits: number[] = [];
  for (let i = 0; i < count; i += step) splits.push(i);
  return splits;
}

export function TimeChart({ buckets, interval, label }: { buckets: Bucket[]; interval: string; label: string }) {
  const holder = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const element = holder.current;
    if (!element) return;
    let chart: uPlot | null = null;
    const keys = buckets.map((b) => b.date);
    const data: uPlot.AlignedData = [
      buckets.map((_, i) => i),
      buckets.map((b) => b.visitors),
      buckets.map((b) => b.pageviews),
    ];
    const build = () => {
      chart?.destroy();
      const text = cssVar("--muted");
      const grid = cssVar("--line");
      const width = Math.max(260, element.clientWidth);
      const options: uPlot.Options = {
        width,
        height: width < 500 ? 200 : 260,
        scales: { x: { time: false, range: (_u, min, max) => [min - 0.2, max + 0.2] }, y: { range: (_u, _min, max) => [0, Math.max(4, max * 1.1)] } },
        cursor: { drag: { x: false, y: false, setScale: false }, points: { size: 7 } },
        legend: { live: true },
        axes: [
          {
            stroke: text,
            grid: { show: false },
            ticks: { stroke: grid },
            splits: (u) => evenSplits(keys.length, u.bbox.width / devicePixelRatio),
            values: (_u, splits) => splits.map((i) => (keys[i] === undefined ? "" : bucketLabel(keys[i], interval))),
          },
          {
            stroke: text,
            grid: { stroke: grid, width: 1 },
            ticks: { show: false },
            size: 48,
            values: (_u, splits) => splits.map((v) => (Number.isInteger(v) ? compact(v) : "")),
          },
        ],
        series: [
          { label: interval === "hour" ? "Hour" : interval === "day" ? "Day" : interval === "week" ? "Week" : "Month", value: (_u, i) => (i == null || keys[i] === undefined ? "–" : bucketLabel(keys[i], interval, true)) },
          {
            label: "Visitors",
            stroke: cssVar("--accent"),
            fill: cssVar("--accent-fill"),
            width: 2,
            points: { show: buckets.length < 40 },
            value: (_u, v) => (v == null ? "–" : exact(v)),
          },
          {
            label: "Pageviews",
            stroke: cssVar("--accent-2"),
            width: 2,
            dash: [6, 4],
            points: { show: buckets.length < 40 },
            value: (_u, v) => (v == null ? "–" : exact(v)),
          },
        ],
      };
      chart = new uPlot(options, data, element);
    };
    build();
    let lastWidth = element.clientWidth;
    const observer = new ResizeObserver(() => {
      if (Math.abs(element.clientWidth - lastWidth) < 2) return;
      lastWidth = element.clientWidth;
      chart?.setSize({ width: Math.max(260, lastWidth), height: lastWidth < 500 ? 200 : 260 });
    });
    observer.observe(element);
    const scheme = window.matchMedia("(prefers-color-scheme: dark)");
    scheme.addEventListener("change", build);
    return () => {
      observer.disconnect();
      scheme.removeEventListener("change", build);
      chart?.destroy();
    };
  }, [buckets, interval]);

  return (
    <figure class="chart" aria-label={label}>
      <div ref={holder} class="chart-canvas" aria-hidden="true" />
      <table class="visually-hidden">
        <caption>{label}</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Visitors</th>
            <th scope="col">Pageviews</th>
          </tr>
        </thead>
        <tbody>
          {buckets.map((b) => (
            <tr key={b.date}>
              <th scope="row">{bucketLabel(b.date, interval, true)}</th>
              <td>{b.visitors}</td>
              <td>{b.pageviews}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
