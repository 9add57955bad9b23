import { router } from '../trpc';
import { createApiToken } from './create-api-token';
import { deleteApiToken } from './delete-api-token';
import { deleteExpiredApiTokens } from './delete-expired-api-tokens';
import { getApiToken } from './get-api-token';
import { getApiTokenDailyRequests } from './get-api-token-daily-requests';
import { getApiTokenUsage } from './get-api-token-usage';
import { getApiTokens } from './get-api-tokens';
import { getTokenPolicy } from './get-token-policy';
import { rotateApiToken } from './rotate-api-token';

export const apiTokenRouter = router({
  create: createApiToken,
  get: getApiToken,
  getMany: getApiTokens,
  delete: deleteApiToken,
  rotate: rotateApiToken,
  usage: getApiTokenUsage,
  dailyRequests: getApiTokenDailyRequests,
  deleteExpired: deleteExpiredApiTokens,
  policy: getTokenPolicy,
});
