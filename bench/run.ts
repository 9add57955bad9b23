// `pnpm bench [--quick] [--profile] [--no-write] [--only <name>]`: measures what checking a token costs, prints a
// table, and writes the results with the method to BENCHMARKS.md. A missed target is printed as
// MISSED and the run still exits 0; only a benchmark that could not run exits 1, and a bad
// command line exits 2 with one line.
import { parseBenchArgs, USAGE } from './src/args';
import { planFor } from './src/plan';
import { report } from './src/report-writer';
import { runScenarios } from './src/scenarios';

const parsed = parseBenchArgs(process.argv.slice(2));
if ('error' in parsed) {
  console.error(`pnpm bench: ${parsed.error}`);
  process.exit(2);
}
if ('help' in parsed) {
  console.log(USAGE);
  process.exit(0);
}

const { quick, profile, write, only } = parsed.args;
const mode = quick ? 'quick' : 'full';
const plan = planFor(mode);
const started = performance.now();
const log = (line: string) =>
  console.log(`[${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s] ${line}`);

const results = await runScenarios({
  mode,
  plan,
  profile,
  postgresAdminUrl: process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  redisUrl: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
  only,
  log,
});
process.exit(report(results, plan, { mode, write }));
