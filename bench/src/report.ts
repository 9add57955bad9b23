// The results table, for the terminal and for BENCHMARKS.md.

export type Status = 'ok' | 'MISSED' | 'report' | 'SKIPPED' | 'ERROR';

export type Row = { scenario: string; measured: string; target: string; status: Status };

export function statusOf(pass: boolean): Status {
  return pass ? 'ok' : 'MISSED';
}

export function terminalTable(rows: Row[]): string {
  const header: Row = { scenario: 'scenario', measured: 'measured', target: 'target', status: 'ok' };
  const all = [header, ...rows];
  const widths = {
    scenario: Math.max(...all.map((r) => r.scenario.length)),
    measured: Math.max(...all.map((r) => r.measured.length)),
    target: Math.max(...all.map((r) => r.target.length)),
  };
  const line = (r: Row, status: string) =>
    [
      r.scenario.padEnd(widths.scenario),
      r.measured.padEnd(widths.measured),
      r.target.padEnd(widths.target),
      status,
    ].join('  ');
  const rule = '-'.repeat(widths.scenario + widths.measured + widths.target + 14);
  return [
    line(header, 'status'),
    rule,
    ...rows.map((r) => line(r, r.status === 'ok' ? 'ok' : r.status === 'MISSED' ? '*** MISSED ***' : r.status)),
  ].join('\n');
}

const escapeCell = (text: string) => text.replace(/\|/g, '\\|');

export function markdownTable(rows: Row[]): string {
  return [
    '| scenario | measured | target | status |',
    '|---|---|---|---|',
    ...rows.map((r) => {
      const cells = [r.scenario, r.measured, r.target].map(escapeCell);
      return `| ${[...cells, r.status === 'MISSED' ? '**MISSED**' : r.status].join(' | ')} |`;
    }),
  ].join('\n');
}
