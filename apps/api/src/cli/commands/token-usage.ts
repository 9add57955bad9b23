import { getApiTokens, getApiTokenUsage } from '@latchkey/lib';
import { DAY_MS, ownerOf, wholeNumber } from '../command-inputs';
import { defineCommand } from '../define-command';

export const tokenUsage = defineCommand({
  name: 'token:usage',
  summary: 'requests and failures of one token per day (per hour for --days 1 or 2), with its recent addresses',
  options: {
    email: {
      value: '<email>',
      help: 'the user who owns the token (or, with --team, a member of its team)',
      required: true,
    },
    team: { value: '<slug>', help: 'the team whose token it is' },
    name: { value: '<name>', help: "the token's name", required: true },
    days: { value: '<days>', help: 'how many days back, 1 to 366', default: '7' },
  },
  run({ email, team, name, days }, { clock, out, withDb }) {
    const span = wholeNumber('--days', days, 1, 366);
    return withDb(async (db) => {
      const owner = await ownerOf(db, email, team);
      const { tokens } = await getApiTokens({ db, clock, ...owner });
      const matches = tokens.filter((t) => t.name === name.trim());
      if (matches.length === 0) throw new Error(`no token named "${name.trim()}" for ${team ?? email}`);
      if (matches.length > 1)
        throw new Error(`${matches.length} tokens are named "${name.trim()}"; rename one in the UI first`);
      const to = new Date(clock.now());
      const granularity = span <= 2 ? 'hour' : 'day';
      const usage = await getApiTokenUsage({
        db,
        clock,
        ...owner,
        id: matches[0]!.id,
        from: new Date(to.getTime() - span * DAY_MS),
        to,
        granularity,
      });
      const period = `${span} day${span === 1 ? '' : 's'}`;
      out(`${name.trim()}: ${usage.total.requests} requests, ${usage.total.failed} failed, in ${period}`);
      out([granularity === 'hour' ? 'HOUR' : 'DAY', 'REQUESTS', 'FAILED'].join('\t'));
      for (const b of usage.buckets) out([b.start.toISOString(), b.requests, b.failed].join('\t'));
      for (const ip of usage.recentIps)
        out(`recent: ${ip.ip} at ${ip.lastSeenAt.toISOString()} (${ip.userAgent ?? 'no user agent'})`);
    });
  },
});
