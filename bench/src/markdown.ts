// BENCHMARKS.md: the method and the findings (from bench/method.md and bench/findings.md), then
// the latest full and quick results. A run replaces only its own mode's block.
import fs from 'node:fs';
import path from 'node:path';
import { BENCH_DIR, REPO_ROOT } from './paths';

const FILE = path.join(REPO_ROOT, 'BENCHMARKS.md');

function block(mode: string, text: string | null): string {
  const command = `pnpm bench${mode === 'quick' ? ' --quick' : ''}`;
  const body = text ?? `_No ${mode} run recorded yet: \`${command}\`._`;
  return `<!-- results:${mode} -->\n${body}\n<!-- /results:${mode} -->`;
}

function previous(mode: string): string | null {
  if (!fs.existsSync(FILE)) return null;
  const match = new RegExp(`<!-- results:${mode} -->\\n([\\s\\S]*?)\\n<!-- /results:${mode} -->`).exec(
    fs.readFileSync(FILE, 'utf8'),
  );
  return match?.[1] ?? null;
}

export function writeBenchmarksFile(run: {
  mode: 'quick' | 'full';
  table: string;
  details: string;
  envLine: string;
  seconds: number;
  date: Date;
}): string {
  const command = run.mode === 'quick' ? 'pnpm bench --quick' : 'pnpm bench';
  const date = run.date.toISOString().slice(0, 16).replace('T', ' ');
  const current = [
    `Run of ${date} UTC, \`${command}\`, ${run.seconds.toFixed(0)} s. ${run.envLine}.`,
    '',
    run.table,
    '',
    '<details><summary>Every pair</summary>',
    '',
    run.details,
    '',
    '</details>',
  ].join('\n');
  const blocks = {
    full: run.mode === 'full' ? current : previous('full'),
    quick: run.mode === 'quick' ? current : previous('quick'),
  };
  const read = (name: string) => fs.readFileSync(path.join(BENCH_DIR, name), 'utf8').trim();
  const text = [
    '# Benchmarks',
    '',
    '<!-- Written by `pnpm bench`; edit bench/method.md and bench/findings.md instead. -->',
    '',
    read('method.md'),
    '',
    '## Results: full run',
    '',
    block('full', blocks.full),
    '',
    '## Results: quick run',
    '',
    block('quick', blocks.quick),
    '',
    read('findings.md'),
    '',
  ].join('\n');
  fs.writeFileSync(FILE, text);
  return FILE;
}
