// The project's own documentation: README.md and docs/ link only to files in the repository (a
// clean clone has no ../shared), every link and #anchor resolves, and the README leads to the
// architecture, API reference and configuration pages.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AUDIT_EVENT_TYPES } from '@latchkey/lib';
import { REST_ROUTES } from '../src/rest/routes/index';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const DOCS = [
  'README.md',
  ...fs
    .readdirSync(path.join(REPO_ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[`*_]/g, '')
    .replace(/[^\p{L}\p{N}\s-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsIn(file: string): Set<string> {
  const text = fs.readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#{1,6}\s+(.+)$/gm)].map((match) => anchorOf(match[1]!)));
}

/** Every Markdown link target outside code blocks and code spans. */
function linksIn(file: string): string[] {
  const text = fs
    .readFileSync(file, 'utf8')
    .replace(/```[\s\S]*?```/g, '')
    .replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]!);
}

describe("the project's documentation", () => {
  it('links only to files inside the repository, each of which exists, with every #anchor on its page', () => {
    const problems: string[] = [];
    let checked = 0;
    for (const doc of DOCS) {
      const from = path.join(REPO_ROOT, doc);
      for (const link of linksIn(from)) {
        if (/^(https?|mailto):/.test(link)) continue;
        checked++;
        const [target = '', anchor] = link.split('#');
        const file = target === '' ? from : path.resolve(path.dirname(from), decodeURIComponent(target));
        if (path.relative(REPO_ROOT, file).startsWith('..')) problems.push(`${doc}: ${link} leaves the repository`);
        else if (!fs.existsSync(file)) problems.push(`${doc}: ${link} does not exist`);
        else if (anchor !== undefined && file.endsWith('.md') && !anchorsIn(file).has(anchor))
          problems.push(`${doc}: ${link} has no such heading`);
      }
      expect(fs.readFileSync(from, 'utf8'), doc).not.toMatch(/\.\.\/shared|shared\/design/);
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(10);
  });

  it('the README leads to the architecture, the API reference and the configuration in docs/', () => {
    const links = linksIn(path.join(REPO_ROOT, 'README.md'));
    for (const page of ['docs/architecture.md', 'docs/api.md', 'docs/configuration.md', 'docs/command-line.md']) {
      expect(links, page).toContain(page);
    }
  });

  it('lists every REST route in the API page’s route table, and every audit event type in the usage page', () => {
    const api = fs.readFileSync(path.join(REPO_ROOT, 'docs/api.md'), 'utf8');
    const missingRoutes = REST_ROUTES.map((route) => `${route.method.toUpperCase()} ${route.path}`).filter(
      (route) => !api.includes(`| \`${route}\` |`),
    );
    expect(missingRoutes).toEqual([]);
    const usage = fs.readFileSync(path.join(REPO_ROOT, 'docs/usage-and-audit.md'), 'utf8');
    const table = usage.split('\n').filter((line) => line.startsWith('| `'));
    const missingTypes = AUDIT_EVENT_TYPES.filter((type) => !table.some((line) => line.includes(`\`${type}\``)));
    expect(missingTypes).toEqual([]);
  });

  it('the README’s rotation example deletes the old token afterwards, not the new one', () => {
    const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const rotation = readme.slice(readme.indexOf('NEW=$(curl'));
    const deletion = /curl -s -X DELETE [^\n]*tokens\/self -H "Authorization: Bearer \$(\w+)"/.exec(rotation);
    expect(deletion?.[1]).toBe('TOKEN');
  });
});
