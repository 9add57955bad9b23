import { type z } from 'zod';
import { ZCreateApiTokenInput, ZCreatedApiToken, ZTeamId } from '@latchkey/lib';

export const ZCreateApiTokenRequest = ZCreateApiTokenInput.extend({ teamId: ZTeamId });
export const ZCreateApiTokenResponse = ZCreatedApiToken;
export type CreateApiTokenRequest = z.input<typeof ZCreateApiTokenRequest>;
