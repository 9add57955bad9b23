// Reads a V8 .cpuprofile (node --cpu-prof) and lists where the time went: self time per function,
// and total (inclusive) time per function of the project's own code.
import fs from 'node:fs';
import path from 'node:path';

type ProfileNode = {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
};
type Profile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };

export type ProfileLine = { name: string; percent: number };
export type ProfileSummary = { file: string; busyPercent: number; self: ProfileLine[]; inclusive: ProfileLine[] };

function shortUrl(url: string): string {
  const marker = url.lastIndexOf('node_modules/');
  if (marker >= 0) return url.slice(marker + 'node_modules/'.length).replace(/^\.pnpm\/[^/]+\/node_modules\//, '');
  const src = url.search(/(apps|packages|bench)\//);
  return src >= 0 ? url.slice(src) : url.replace(/^node:/, 'node:');
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  return `${functionName || '(anonymous)'}${url ? ` ${shortUrl(url)}:${lineNumber + 1}` : ''}`;
}

export function summarizeProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const time = new Map<number, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    time.set(id, (time.get(id) ?? 0) + dt);
    total += dt;
  });

  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let idle = 0;
  for (const [id, dt] of time) {
    const node = byId.get(id)!;
    const name = label(node);
    if (node.callFrame.functionName === '(idle)') idle += dt;
    self.set(name, (self.get(name) ?? 0) + dt);
    // Count each function once per stack for its inclusive time.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const n = byId.get(at)!;
      if (!/(apps|packages)\/[^/]+\/src\//.test(n.callFrame.url)) continue;
      const key = label(n);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + dt);
    }
  }
  const busy = total - idle;
  const rank = (map: Map<string, number>) =>
    [...map]
      .filter(([name]) => !name.startsWith('(idle)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, dt]) => ({ name, percent: (dt / busy) * 100 }));
  return { file, busyPercent: (busy / total) * 100, self: rank(self), inclusive: rank(inclusive) };
}

export function formatProfileSummary(summary: ProfileSummary): string {
  const file = path.relative(process.cwd(), summary.file);
  const lines = [
    `${file} (busy ${summary.busyPercent.toFixed(0)}% of the time; shares below are of busy time)`,
    '  self time:',
  ];
  for (const line of summary.self) lines.push(`    ${line.percent.toFixed(1).padStart(5)}%  ${line.name}`);
  lines.push('  total time in project code:');
  for (const line of summary.inclusive) lines.push(`    ${line.percent.toFixed(1).padStart(5)}%  ${line.name}`);
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  for (const file of process.argv.slice(2)) console.log(formatProfileSummary(summarizeProfile(file, 25)));
}
