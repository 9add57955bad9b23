import { getTeams as getTeamsInLib } from '@latchkey/lib';
import { authenticatedProcedure } from '../trpc';

export const getTeams = authenticatedProcedure.query(({ ctx }) => getTeamsInLib({ db: ctx.db, userId: ctx.user.id }));
