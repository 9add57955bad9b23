// The reliability figures (requests fuzzed, kills survived, tokens lost, matrix cells checked): each
// suite prints its own as it ends and leaves it for the run's summary (see global-setup.ts).
import fs from 'node:fs';
import path from 'node:path';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    reliabilityFiguresDir: string;
  }
}

export const FIGURE_LABELS = {
  requestsFuzzed: 'requests fuzzed',
  killsSurvived: 'kills survived',
  tokensLost: 'tokens lost',
  matrixCellsChecked: 'matrix cells checked',
} as const;

export type FigureName = keyof typeof FIGURE_LABELS;

/** Adds `value` to the figure for this run (suites on two databases add up) and prints it. */
export function recordFigure(name: FigureName, value: number, detail = ''): void {
  console.log(`FIGURE ${FIGURE_LABELS[name]}: ${value}${detail ? ` (${detail})` : ''}`);
  let dir: string | undefined;
  try {
    dir = inject('reliabilityFiguresDir');
  } catch {
    dir = undefined;
  }
  if (!dir || !fs.existsSync(dir)) return;
  fs.appendFileSync(path.join(dir, 'figures.jsonl'), `${JSON.stringify({ name, value, detail })}\n`);
}
