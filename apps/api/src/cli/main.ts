// `latchkey <command>`: operator commands on the configured database. Exit 0 on success, 1 with a
// one-line error otherwise; `token:create` prints only the token, for scripts.
import { runCli } from './run-cli';

const code = await runCli(
  process.argv.slice(2),
  process.env,
  (line) => console.log(line),
  (line) => console.error(line),
);
process.exit(code);
