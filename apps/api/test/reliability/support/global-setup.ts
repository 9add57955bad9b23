// Vitest global setup: a folder where the reliability suites leave their figures, and at the end of
// the run one summary line per figure (the suites run in separate workers, so only here is "the end").
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { FIGURE_LABELS, type FigureName } from './figures';

export default function setup(project: TestProject) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-reliability-figures-'));
  project.provide('reliabilityFiguresDir', dir);
  return () => {
    const file = path.join(dir, 'figures.jsonl');
    const totals = new Map<FigureName, number>();
    if (fs.existsSync(file)) {
      for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        const { name, value } = JSON.parse(line) as { name: FigureName; value: number };
        totals.set(name, (totals.get(name) ?? 0) + value);
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
    if (totals.size === 0) return;
    console.log('\nReliability figures for this run:');
    for (const name of Object.keys(FIGURE_LABELS) as FigureName[]) {
      console.log(`  ${FIGURE_LABELS[name]}: ${totals.has(name) ? totals.get(name) : 'not run'}`);
    }
  };
}
