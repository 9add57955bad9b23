import { publicProcedure } from '../trpc';

export const me = publicProcedure.query(({ ctx }) => ({ user: ctx.user }));
