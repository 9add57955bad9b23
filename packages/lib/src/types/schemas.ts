// The zod schemas every adapter shares: tRPC, REST, OpenAPI, the CLI and the UI form.
import { z } from 'zod';
import { EXPIRES_IN_VALUES, MAX_GRACE_PERIOD_SECONDS } from '../universal/expires-in';
import { SCOPE_REGEX } from '../universal/scopes';

// Unicode C (control, format such as zero-width, surrogate, private use, unassigned), Zl and Zp.
const INVISIBLE_OR_CONTROL = /[\p{C}\p{Zl}\p{Zp}]/u;

/** A display name: trimmed, 3 to 100 characters, nothing invisible. */
export const ZTokenName = z
  .string({ error: 'Name must be text' })
  .trim()
  .min(3, { error: 'Name must be at least 3 characters' })
  .max(100, { error: 'Name must be at most 100 characters' })
  .refine((name) => !INVISIBLE_OR_CONTROL.test(name), {
    error: 'Name must not contain control or invisible characters',
  });

export const ZExpiresIn = z.enum(EXPIRES_IN_VALUES, {
  error: `Expiry must be one of ${EXPIRES_IN_VALUES.join(', ')}`,
});

export const ZScope = z.string().regex(SCOPE_REGEX, { error: 'Scope must look like `tokens:read`' });
export const ZScopes = z
  .array(ZScope)
  .min(1, { error: 'A token needs at least one scope' })
  .max(50)
  .transform((scopes) => [...new Set(scopes)]);

export const ZGracePeriodSeconds = z
  .number({ error: 'Grace period must be a number of seconds' })
  .int({ error: 'Grace period must be a whole number of seconds' })
  .min(0, { error: 'Grace period must be 0 or more seconds' })
  .max(MAX_GRACE_PERIOD_SECONDS, { error: 'Grace period must be at most 7 days (604800 seconds)' });

export const ZId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
export const ZTeamId = ZId.nullable().optional();

export const ZTeamRole = z.enum(['ADMIN', 'MANAGER', 'MEMBER'], { error: 'Role must be ADMIN, MANAGER or MEMBER' });
export type TeamRole = z.infer<typeof ZTeamRole>;

export const ZEmail = z
  .string()
  .trim()
  .toLowerCase()
  .max(254, { error: 'E-mail must be at most 254 characters' })
  .pipe(z.email({ error: 'Enter a valid e-mail address' }));

export const ZUserName = z
  .string()
  .trim()
  .min(1, { error: 'Name is required' })
  .max(100, { error: 'Name must be at most 100 characters' })
  .refine((name) => !INVISIBLE_OR_CONTROL.test(name), {
    error: 'Name must not contain control or invisible characters',
  });

export const ZPassword = z
  .string()
  .min(8, { error: 'Password must be at least 8 characters' })
  .max(256, { error: 'Password must be at most 256 characters' });

export const ZTeamName = ZUserName;
export const ZTeamSlug = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/, {
    error: 'Slug must be 1 to 48 lowercase letters, digits or dashes, not starting or ending with a dash',
  });

// ---- API tokens

export const ZCreateApiTokenInput = z.object({
  name: ZTokenName,
  expiresIn: ZExpiresIn.optional(),
  scopes: ZScopes.optional(),
});
export type CreateApiTokenInput = z.infer<typeof ZCreateApiTokenInput>;

export const ZRotateApiTokenInput = z.object({
  gracePeriodSeconds: ZGracePeriodSeconds.optional(),
});

export const ZApiTokenStatus = z.enum(['active', 'expired']);

export const ZApiTokenMetadata = z.object({
  id: z.number().int(),
  name: z.string(),
  start: z.string(),
  scopes: z.array(z.string()),
  status: ZApiTokenStatus,
  createdAt: z.date(),
  expiresAt: z.date().nullable(),
  lastUsedAt: z.date().nullable(),
  createdBy: z.object({ id: z.number().int(), name: z.string() }).nullable(),
});
export type ApiTokenMetadata = z.infer<typeof ZApiTokenMetadata>;

export const ZCreatedApiToken = ZApiTokenMetadata.extend({ token: z.string() });
export type CreatedApiToken = z.infer<typeof ZCreatedApiToken>;

export const ZUser = z.object({ id: z.number().int(), name: z.string(), email: z.string() });
export type PublicUser = z.infer<typeof ZUser>;

export const ZTeam = z.object({ id: z.number().int(), name: z.string(), slug: z.string() });
export type PublicTeam = z.infer<typeof ZTeam>;
