import { z } from 'zod';
import {
  rotateApiToken as rotateApiTokenInLib,
  ZGracePeriodSeconds,
  ZId,
  ZRotatedApiToken,
  ZTeamId,
} from '@latchkey/lib';
import { authenticatedProcedure } from '../trpc';

export const ZRotateApiTokenRequest = z.object({
  id: ZId,
  teamId: ZTeamId,
  gracePeriodSeconds: ZGracePeriodSeconds.optional(),
});

export const rotateApiToken = authenticatedProcedure
  .input(ZRotateApiTokenRequest)
  .output(ZRotatedApiToken)
  .mutation(({ ctx, input }) =>
    rotateApiTokenInLib({
      db: ctx.db,
      clock: ctx.clock,
      userId: ctx.user.id,
      teamId: input.teamId,
      id: input.id,
      gracePeriodSeconds: input.gracePeriodSeconds,
      audit: ctx.audit,
      instanceMaxLifetimeDays: ctx.config.tokenMaxLifetimeDays,
    }),
  );
