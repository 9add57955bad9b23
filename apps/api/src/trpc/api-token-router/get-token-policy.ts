import { z } from 'zod';
import { getTeamPolicy, ZTeamId, type TokenPolicy } from '@latchkey/lib';
import { authenticatedProcedure } from '../trpc';

export const ZGetTokenPolicyRequest = z.object({ teamId: ZTeamId });

/** The policy, and every scope this deployment knows with what each is for (a product scope may have none). */
type NewTokenPolicy = TokenPolicy & { scopes: readonly string[]; scopeDescriptions: Readonly<Record<string, string>> };

/**
 * What a new token of this owner may be: the team's policy (none for personal tokens), the
 * instance's TOKEN_MAX_LIFETIME_DAYS, and the scopes this deployment knows. The create dialog
 * offers its choices by it; a team's policy is readable by any member.
 */
export const getTokenPolicy = authenticatedProcedure
  .input(ZGetTokenPolicyRequest)
  .query(async ({ ctx, input }): Promise<NewTokenPolicy> => {
    const team =
      input.teamId === null || input.teamId === undefined
        ? null
        : await getTeamPolicy({ db: ctx.db, userId: ctx.user.id, teamId: input.teamId });
    const { names, descriptions } = ctx.config.scopes;
    return {
      team,
      instanceMaxLifetimeDays: ctx.config.tokenMaxLifetimeDays,
      scopes: names,
      scopeDescriptions: descriptions,
    };
  });
