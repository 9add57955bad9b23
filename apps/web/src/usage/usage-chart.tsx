// Requests over time as bars, with uPlot: it draws on a canvas, is about 50 KB minified with no
// dependencies, and handles 2,000+ bars without effort, where SVG chart libraries (Recharts, with
// D3 underneath) cost several times the bundle. It is loaded only when a chart is shown (the
// default export, for React.lazy). Hours above 5× the token's 7-day hourly average get a marker.
// Every bar is at least 3 px wide and the time axis has half a bucket of room at each end, so a
// single busy hour at the right edge is a visible bar, not a clipped line.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { SPIKE_FACTOR, type UsageBucket } from './spikes';

export default function UsageChart({
  buckets,
  average,
  label,
}: {
  buckets: UsageBucket[];
  average: number | null;
  label: string;
}) {
  const container = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = container.current!;
    const xs = buckets.map((b) => b.start.getTime() / 1000);
    const ok = buckets.map((b) => b.requests - b.failed);
    const failed = buckets.map((b) => b.failed);
    const threshold = average === null ? Infinity : SPIKE_FACTOR * average;
    const bars = uPlot.paths.bars!({ size: [0.8, 24, 3], align: 0 });
    // Half a bucket of room at each end (seconds), so the first and last bars are drawn whole.
    const half = xs.length > 1 ? (xs[1]! - xs[0]!) / 2 : 1800;
    const styles = getComputedStyle(element);
    const accent = styles.getPropertyValue('--accent').trim() || '#4f46e5';
    const danger = styles.getPropertyValue('--danger').trim() || '#dc2626';
    const warning = styles.getPropertyValue('--warning').trim() || '#d97706';
    const plot = new uPlot(
      {
        width: element.clientWidth || 600,
        height: 220,
        legend: { show: false },
        cursor: { points: { show: false } },
        scales: {
          x: { time: true, range: (_u, min, max) => [min - half, max + half] },
          y: { range: (_u, _min, max) => [0, Math.max(1, max)] },
        },
        axes: [{ stroke: 'currentColor' }, { stroke: 'currentColor', size: 48 }],
        series: [
          {},
          // Stacked by hand: the first series is the total, drawn under the failed part.
          {
            label: 'Requests',
            paths: bars,
            fill: accent,
            stroke: accent,
            points: { show: false },
          },
          { label: 'Failed', paths: bars, fill: danger, stroke: danger, points: { show: false } },
        ],
        hooks: {
          draw: [
            (u: uPlot) => {
              // Spike markers: a small triangle above every bar over the threshold.
              const ctx = u.ctx;
              ctx.save();
              ctx.fillStyle = warning;
              u.data[0].forEach((x, i) => {
                const total = u.data[1]?.[i] ?? 0;
                if (total > 0 && total > threshold) {
                  const cx = u.valToPos(x, 'x', true);
                  const cy = u.valToPos(total, 'y', true) - 6 * devicePixelRatio;
                  const s = 5 * devicePixelRatio;
                  ctx.beginPath();
                  ctx.moveTo(cx - s, cy - s);
                  ctx.lineTo(cx + s, cy - s);
                  ctx.lineTo(cx, cy);
                  ctx.fill();
                }
              });
              ctx.restore();
            },
          ],
        },
      },
      [xs, buckets.map((_, i) => ok[i]! + failed[i]!), failed],
      element,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: element.clientWidth || 600, height: 220 }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [buckets, average]);
  const total = buckets.reduce((sum, b) => sum + b.requests, 0);
  return (
    <figure className="usage-figure">
      <div
        ref={container}
        className="usage-chart"
        role="img"
        aria-label={label}
        data-total={total}
        data-buckets={buckets.length}
      />
      <figcaption className="usage-legend" aria-hidden="true">
        <span className="legend-item">
          <span className="legend-swatch legend-requests" /> Requests
        </span>
        <span className="legend-item">
          <span className="legend-swatch legend-failed" /> Failed
        </span>
        {average !== null && (
          <span className="legend-item">
            <span className="legend-marker">▼</span> Above {SPIKE_FACTOR}× the hourly average
          </span>
        )}
      </figcaption>
    </figure>
  );
}
