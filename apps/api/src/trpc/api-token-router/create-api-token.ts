import { createApiToken as createApiTokenInLib } from '@latchkey/lib';
import { authenticatedProcedure } from '../trpc';
import { ZCreateApiTokenRequest, ZCreateApiTokenResponse } from './create-api-token.types';

export const createApiToken = authenticatedProcedure
  .input(ZCreateApiTokenRequest)
  .output(ZCreateApiTokenResponse)
  .mutation(({ ctx, input }) =>
    createApiTokenInLib({
      db: ctx.db,
      clock: ctx.clock,
      userId: ctx.user.id,
      allowedScopes: ctx.config.scopes.names,
      instanceMaxLifetimeDays: ctx.config.tokenMaxLifetimeDays,
      maxTokensPerOwner: ctx.config.tokenMaxPerOwner,
      audit: ctx.audit,
      ...input,
    }),
  );
