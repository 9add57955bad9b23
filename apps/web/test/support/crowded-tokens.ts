// Tokens that used to break the token table: a long name, ten scopes, IPv6 ranges, a recent use
// from an IPv6 address. For the layout, accessibility and Lighthouse suites.
import { createApiToken, systemClock, type PublicUser } from '@latchkey/lib';
import { uniqueEmail, type BrowserEnv } from './browser-env';

export const TEN_SCOPES = [
  'tokens:read',
  'tokens:write',
  'audit:read',
  'webhooks:read',
  'webhooks:write',
  'invoices:read',
  'invoices:write',
  'customers:read',
  'customers:write',
  'reports:read',
];
export const LONG_NAME = 'GitHub Actions: deploy production to eu-west-1 and us-east-2 every night at 02:00';

/** A user with the tokens that used to break the table: long names, ten scopes, IPv6 ranges, a recent use. */
export async function crowdedTokens(env: BrowserEnv): Promise<PublicUser> {
  const db = env.db;
  const clock = systemClock;
  const user = await env.createUser({ name: 'Margaret Hamilton', email: uniqueEmail('mh') });
  const make = (name: string, extra: { allowedIps?: string[] } = {}) =>
    createApiToken({ db, clock, userId: user.id, name, expiresIn: 'ONE_YEAR', ...extra });
  await make('Billing sync', { allowedIps: ['2001:db8:1234:5678::/64', '2001:db8:abcd:ef01::/64', '203.0.113.0/24'] });
  await make('Metrics relay', { allowedIps: ['2001:0db8:85a3:0000:0000:8a2e:0370:7334/128'] });
  const wide = await make('All the scopes');
  await db
    .updateTable('api_tokens')
    .set({ scopes: JSON.stringify(TEN_SCOPES) })
    .where('id', '=', wide.id)
    .execute();
  const recent = await make(LONG_NAME);
  await db
    .updateTable('api_tokens')
    .set({ last_used_at: Date.now() - 5_000 })
    .where('id', '=', recent.id)
    .execute();
  await db
    .insertInto('api_token_recent_ips')
    .values({
      token_id: recent.id,
      ip: '2001:db8:ffff:1234:5678:9abc:def0:1234',
      user_agent: 'curl/8',
      last_seen_at: Date.now(),
    })
    .execute();
  return user;
}
