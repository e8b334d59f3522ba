// A tiny line of a series (the sites list's last 24 hours), as an inline SVG.
export function Sparkline({ values, label }: { values: number[]; label: string }) {
  const width = 120;
  const height = 32;
  if (values.length < 2) return <svg class="sparkline" width={width} height={height} role="img" aria-label={label} />;
  const max = Math.max(1, ...values);
  const step = width / (values.length - 1);
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(height - 2 - (v / max) * (height - 4)).toFixed(1)}`);
  return (
    <svg class="sparkline" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label}>
      <polyline class="sparkline-area" points={`0,${height} ${points.join(" ")} ${width},${height}`} />
      <polyline class="sparkline-line" points={points.join(" ")} />
    </svg>
  );
}
