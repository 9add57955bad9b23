// Requests over time as bars, with uPlot: it draws on a canvas, is about 50 KB minified with no
// dependencies, and handles 2,000+ bars without effort, where SVG chart libraries (Recharts, with
// D3 underneath) cost several times the bundle. Hours above 5× the token's 7-day hourly average
// are drawn in the warning colour and listed under the chart, so a spike is visible at a glance.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export type UsageBucket = { start: Date; requests: number; failed: number };

export const SPIKE_FACTOR = 5;

/** Buckets whose requests exceed SPIKE_FACTOR × `average` (and at least 1). */
export function spikesOf(buckets: UsageBucket[], average: number): UsageBucket[] {
  return buckets.filter((b) => b.requests > 0 && b.requests > SPIKE_FACTOR * average);
}

export function UsageChart({
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
    const bars = uPlot.paths.bars!({ size: [0.8, 24], align: 1 });
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
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
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
    <div
      ref={container}
      className="usage-chart"
      role="img"
      aria-label={label}
      data-total={total}
      data-buckets={buckets.length}
    />
  );
}
