import { router } from '../trpc';
import { createApiToken } from './create-api-token';
import { deleteApiToken } from './delete-api-token';
import { getApiTokens } from './get-api-tokens';
import { rotateApiToken } from './rotate-api-token';

export const apiTokenRouter = router({ create: createApiToken, getMany: getApiTokens, delete: deleteApiToken, rotate: rotateApiToken });
