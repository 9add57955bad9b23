// What several commands read from their command line the same way: the help texts of the options
// they share, whole numbers and comma lists, a user's or team's tokens, a token from standard input.
import { EXPIRES_IN_VALUES, getTeamBySlug, getUserByEmail, ZTeamRole, type Db } from '@latchkey/lib';
import type { CommandContext } from './run-cli';

export const ROLES = ZTeamRole.options.join('|');
export const EXPIRY_VALUES = EXPIRES_IN_VALUES.join(', ');
export const EXPIRY_HELP = `how long the token lives: ${EXPIRY_VALUES} (omitted: NEVER, or the longest a limit allows)`;
/** The help of an option taking scopes: the known ones (TOKEN_SCOPES included) come from the context. */
export const SCOPES_HELP = ({ scopesHelp }: CommandContext) =>
  `comma-separated scopes from ${scopesHelp} (omitted: all of them)`;
export const TEAM_HELP = "a team slug: make or list the team's tokens (the user must be its ADMIN)";
export const DAY_MS = 24 * 60 * 60 * 1000;
/** What the command line does is recorded as the command line's, whoever's token it makes. */
export const CLI_AUDIT = { actor: { kind: 'cli' as const, id: null, name: null } };

/** A whole number option, or one line saying what it must be. */
export function wholeNumber(option: string, text: string, min: number, max: number): number {
  if (!/^\d{1,6}$/.test(text.trim()) || Number(text) < min || Number(text) > max) {
    throw new Error(`${option} must be a whole number from ${min} to ${max}, got "${text}"`);
  }
  return Number(text);
}

/** A comma-separated option as a list: entries trimmed, empty ones dropped. */
export function commaList(text: string): string[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}

/** The user, and the team when `--team` names one: whose tokens or events a command reads. */
export async function ownerOf(db: Db, email: string, team: string | undefined) {
  const user = await getUserByEmail({ db, email });
  const teamId = team === undefined ? null : (await getTeamBySlug({ db, slug: team })).id;
  return { userId: user.id, teamId };
}

/**
 * The token a command works on: its argument, or one line of standard input when the argument is
 * `-` or missing (typed unseen at a terminal, or piped), so the token stays out of shell history.
 */
export async function tokenArgument(
  argument: string | undefined,
  missing: string,
  { readSecretLine }: CommandContext,
): Promise<string> {
  const token = argument === undefined || argument === '-' ? await readSecretLine('Token') : argument;
  if (token === null || token.trim() === '') throw new Error(missing);
  return token.trim();
}
