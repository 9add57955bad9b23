// The command line of `pnpm bench`: node's own parseArgs, strict, so an unknown flag or a stray
// argument stops the run with one line instead of being ignored.
import { parseArgs } from 'node:util';

export type BenchArgs = { quick: boolean; profile: boolean; write: boolean; only?: string };

export const USAGE = [
  'pnpm bench [--quick] [--profile] [--no-write] [--only <name>]',
  '  --quick     a couple of minutes, smaller sizes (100k tokens instead of 1M)',
  '  --full      the full run (the default)',
  '  --profile   run the servers and the check worker with --cpu-prof and summarise the profiles',
  '  --no-write  print the table, do not touch BENCHMARKS.md',
  '  --only <name>  run only the scenarios whose name contains <name> (e.g. "forward auth"); implies --no-write',
].join('\n');

const OPTIONS = {
  quick: { type: 'boolean' },
  full: { type: 'boolean' },
  profile: { type: 'boolean' },
  'no-write': { type: 'boolean' },
  only: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** What to run, `help` when usage was asked for, or a one-line `error`. */
export function parseBenchArgs(argv: readonly string[]): { args: BenchArgs } | { help: true } | { error: string } {
  let values: { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'string' ? string : boolean };
  try {
    ({ values } = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    const code = (error as { code?: string }).code;
    const arg = /'([^']*)'/.exec((error as Error).message)?.[1];
    const what =
      code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
        ? `unknown option ${arg ?? ''}`
        : code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL'
          ? `unexpected argument ${arg ?? ''}`
          : code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE'
            ? `options take no value: ${arg ?? ''}`
            : (error as Error).message.split('\n')[0]!;
    return { error: `${what.trim()}; use --quick, --full, --profile, --no-write, --only <name> or --help` };
  }
  if (values.help) return { help: true };
  if (values.quick && values.full) return { error: '--quick and --full exclude each other' };
  const only = values.only?.trim();
  if (values.only !== undefined && !only) return { error: '--only needs the name of a scenario' };
  return {
    args: {
      quick: values.quick === true,
      profile: values.profile === true,
      // A partial run does not replace the results of a whole one.
      write: values['no-write'] !== true && only === undefined,
      ...(only ? { only } : {}),
    },
  };
}
