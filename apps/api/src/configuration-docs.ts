// The table of environment variables in docs/configuration.md, written from ENV_VARIABLES so the page
// cannot drift from what the server reads (test/configuration-docs.test.ts compares them;
// `pnpm --filter @latchkey/api docs:config` rewrites the page).
import { ENV_VARIABLES } from './config';

export const TABLE_START =
  '<!-- variables: written by `pnpm --filter @latchkey/api docs:config` from apps/api/src/config.ts -->';
export const TABLE_END = '<!-- end of variables -->';

/** The Markdown table: one row a variable, in the order declared. */
export function renderConfigurationTable(): string {
  const rows = Object.entries(ENV_VARIABLES).map(
    ([name, variable]) => `| \`${name}\` | ${variable.defaultText} | ${variable.doc} |`,
  );
  return [TABLE_START, '', '| variable | default | meaning |', '|---|---|---|', ...rows, '', TABLE_END].join('\n');
}

/** `page` with its table replaced by the current one; throws when the page has no table markers. */
export function withCurrentTable(page: string): string {
  const start = page.indexOf(TABLE_START);
  const end = page.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`the page has no "${TABLE_START}" … "${TABLE_END}" section`);
  return page.slice(0, start) + renderConfigurationTable() + page.slice(end + TABLE_END.length);
}
