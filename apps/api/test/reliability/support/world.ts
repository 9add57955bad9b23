// Builds the people, teams, sessions and tokens a suite needs straight through the library, writing
// every secret it hands out into the suite's ledger.
import { randomBytes } from 'node:crypto';
import {
  addTeamMember,
  createApiToken,
  createSession,
  createTeam,
  createUser,
  systemClock,
  type Clock,
  type CreatedApiToken,
  type Db,
  type ExpiresIn,
  type PublicTeam,
  type PublicUser,
  type TeamRole,
} from '@latchkey/lib';
import type { SecretLedger } from './secrets';

export type Person = PublicUser & { password: string };

let counter = 0;
/** A short name nobody else in the run uses. */
export function unique(label: string): string {
  counter += 1;
  return `${label}-${process.pid.toString(36)}${counter.toString(36)}${randomBytes(3).toString('hex')}`;
}

export class World {
  constructor(
    readonly db: Db,
    readonly ledger: SecretLedger,
    readonly clock: Clock = systemClock,
  ) {}

  private sharedPassword: Promise<{ password: string; hash: string; first: PublicUser }> | undefined;

  /**
   * A user who can sign in. All of a world's people share one password, hashed once: scrypt is
   * slow on purpose, and the suites need people by the dozen. `createUser` is used for the first.
   */
  async person(label: string): Promise<Person> {
    const email = `${unique(label)}@example.test`;
    const name = `Person ${label}`;
    if (!this.sharedPassword) {
      const password = `pw:${unique(label)}:${randomBytes(8).toString('base64url')}`;
      this.ledger.add('password', password);
      this.sharedPassword = createUser({ db: this.db, clock: this.clock, email, name, password }).then(async (user) => {
        const row = await this.db
          .selectFrom('users')
          .select('password_hash')
          .where('id', '=', user.id)
          .executeTakeFirstOrThrow();
        return { password, hash: row.password_hash, first: user };
      });
      const { first } = await this.sharedPassword;
      return { ...first, password };
    }
    const { password, hash } = await this.sharedPassword;
    const user = await this.db
      .insertInto('users')
      .values({ email, name, password_hash: hash, disabled_at: null, created_at: this.clock.now() })
      .returning(['id', 'name', 'email'])
      .executeTakeFirstOrThrow();
    return { ...user, id: Number(user.id), password };
  }

  async team(admin: PublicUser, label: string, members: Array<[PublicUser, TeamRole]> = []): Promise<PublicTeam> {
    const slug = unique(label).toLowerCase();
    const team = await createTeam({ db: this.db, clock: this.clock, userId: admin.id, name: `Team ${label}`, slug });
    for (const [member, role] of members) {
      await addTeamMember({
        db: this.db,
        clock: this.clock,
        userId: admin.id,
        teamId: team.id,
        email: member.email,
        role,
      });
    }
    return team;
  }

  async session(user: PublicUser): Promise<string> {
    const { sessionId } = await createSession({ db: this.db, clock: this.clock, userId: user.id });
    this.ledger.add('session', sessionId);
    return sessionId;
  }

  /** A token made as a signed-in user would make it (personal, or for a team the user is ADMIN of). */
  async token(
    user: PublicUser,
    options: { teamId?: number | null; name?: string; scopes?: string[]; expiresIn?: ExpiresIn; clock?: Clock } = {},
  ): Promise<CreatedApiToken> {
    const created = await createApiToken({
      db: this.db,
      clock: options.clock ?? this.clock,
      userId: user.id,
      teamId: options.teamId ?? null,
      name: options.name ?? unique('token'),
      scopes: options.scopes,
      expiresIn: options.expiresIn,
    });
    this.ledger.add('token', created.token);
    return created;
  }
}
