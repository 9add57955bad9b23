// The zod schemas every adapter shares: tRPC, REST, OpenAPI, the CLI and the UI form.
import { z } from 'zod';
import { EXPIRES_IN_VALUES, MAX_GRACE_PERIOD_SECONDS } from '../universal/expires-in.js';
import { MAX_ALLOWED_IPS, normaliseAllowedIp } from '../universal/allowed-ips.js';
import { MAX_KNOWN_SCOPES, SCOPE_REGEX } from '../universal/scopes.js';
import { TEAM_ROLES } from '../universal/permissions.js';

// Unicode C (control, format such as zero-width, surrogate, private use, unassigned), Zl and Zp.
const INVISIBLE_OR_CONTROL = /[\p{C}\p{Zl}\p{Zp}]/u;
// JavaScript's trim() also strips U+FEFF, U+2028 and U+2029; those are refused, not trimmed away.
// Trimming stays for spaces, tabs and newlines.
const INVISIBLE_EVEN_AT_EDGES = /[\p{Cf}\p{Zl}\p{Zp}]/u;
const INVISIBLE_MESSAGE = 'Name must not contain control or invisible characters';

/**
 * What JSON Schema can say of a display name (OpenAPI clients see it): after optional leading and
 * trailing white space, no control or invisible character anywhere. The trimmed length (in code
 * points) is in the description; `minLength`/`maxLength` bound the untrimmed text.
 */
export const DISPLAY_NAME_PATTERN =
  // Nowhere a format character or a line or paragraph separator; ...
  String.raw`^(?![\s\S]*[\p{Cf}\p{Zl}\p{Zp}])` +
  // ... a visible first and last character, no control character between, optional white space around.
  String.raw`\s*[^\s\p{C}](?:[^\p{C}\p{Zl}\p{Zp}]*[^\s\p{C}])?\s*$`;

/**
 * A display name: trimmed, `min` to `max` characters (counted as Unicode code points, so an emoji
 * is one), nothing invisible.
 */
function displayName(min: number, max: number) {
  const length = (text: string) => [...text].length;
  return z
    .string({ error: (issue) => (issue.input === undefined ? 'Name is required' : 'Name must be text') })
    .refine((name) => !INVISIBLE_EVEN_AT_EDGES.test(name), { error: INVISIBLE_MESSAGE, abort: true })
    .trim()
    .refine((name) => length(name) >= min, {
      error: min === 1 ? 'Name is required' : `Name must be at least ${min} characters`,
      abort: true,
    })
    .refine((name) => length(name) <= max, { error: `Name must be at most ${max} characters`, abort: true })
    .refine((name) => !INVISIBLE_OR_CONTROL.test(name), { error: INVISIBLE_MESSAGE })
    .meta({
      minLength: min,
      maxLength: max,
      pattern: DISPLAY_NAME_PATTERN,
      description:
        `${min} to ${max} characters once leading and trailing white space is trimmed; ` +
        'no control or invisible characters',
    });
}

export const ZTokenName = displayName(3, 100);
/** The name an operator gives a service client (the service that calls introspection). */
export const ZServiceClientName = displayName(3, 100);

export const ZExpiresIn = z.enum(EXPIRES_IN_VALUES, {
  error: `Expiry must be one of ${EXPIRES_IN_VALUES.join(', ')}`,
});

export const ZScope = z.string().regex(SCOPE_REGEX, { error: 'Scope must look like `tokens:read`' });
export const ZScopes = z
  .array(ZScope)
  .min(1, { error: 'A token needs at least one scope' })
  .max(MAX_KNOWN_SCOPES)
  .transform((scopes) => [...new Set(scopes)]);

export const ZGracePeriodSeconds = z
  .number({ error: 'Grace period must be a number of seconds' })
  .int({ error: 'Grace period must be a whole number of seconds' })
  .min(0, { error: 'Grace period must be 0 or more seconds' })
  .max(MAX_GRACE_PERIOD_SECONDS, { error: 'Grace period must be at most 7 days (604800 seconds)' });

export const ZId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
export const ZTeamId = ZId.nullable().optional();

export const ZTeamRole = z.enum(TEAM_ROLES, { error: 'Role must be ADMIN, MANAGER or MEMBER' });
export type TeamRole = z.infer<typeof ZTeamRole>;

/** The form an e-mail is stored and looked up in: trimmed, lower case. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export const ZEmail = z
  .string()
  .overwrite(normalizeEmail)
  .max(254, { error: 'E-mail must be at most 254 characters' })
  .pipe(z.email({ error: 'Enter a valid e-mail address' }));

export const ZUserName = displayName(1, 100);

/** The length rule, checked in the browser too; the server also refuses the most common passwords. */
export const PASSWORD_MIN_LENGTH = 10;

export const ZPassword = z
  .string()
  .min(PASSWORD_MIN_LENGTH, { error: `Password must be at least ${PASSWORD_MIN_LENGTH} characters` })
  .max(256, { error: 'Password must be at most 256 characters' });

export const ZTeamName = ZUserName;
export const ZTeamSlug = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/, {
    error: 'Slug must be 1 to 48 lowercase letters, digits or dashes, not starting or ending with a dash',
  });

/** A request object that refuses fields it does not know: a typo such as `expires_in` must not pass silently. */
export function strictInput<T extends z.core.$ZodLooseShape>(shape: T) {
  return z.strictObject(shape);
}

/**
 * Addresses or CIDR ranges a token may be used from (empty: any), each in its normal form; an entry
 * that is neither is refused by its value, so the user sees which one to fix.
 */
export const ZAllowedIps = z
  .array(
    z
      .string({ error: 'Each allowed address must be text' })
      .max(100, { error: 'An allowed address is at most 100 characters' }),
    {
      error: 'allowedIps must be a list of IP addresses or CIDR ranges',
    },
  )
  .max(MAX_ALLOWED_IPS, { error: `A token may have at most ${MAX_ALLOWED_IPS} allowed addresses` })
  .transform((entries, ctx) => {
    const normal: string[] = [];
    for (const [index, entry] of entries.entries()) {
      const result = normaliseAllowedIp(entry);
      if (result.ok) normal.push(result.value);
      else ctx.addIssue({ code: 'custom', path: [index], message: `${JSON.stringify(entry)} is ${result.reason}` });
    }
    return [...new Set(normal)];
  })
  .meta({ description: 'IPv4/IPv6 addresses or CIDR ranges the token may be used from; empty or absent: any' });

// ---- leak reports

export const MAX_LEAK_REPORT_CREDENTIALS = 1000;

export const ZLeakReport = strictInput({
  credentials: z
    .array(
      z
        .string({ error: 'Each credential must be a string' })
        .max(1000, { error: 'A credential is at most 1000 characters' }),
      {
        error: 'credentials must be a list of strings',
      },
    )
    .min(1, { error: 'credentials must hold at least 1 string' })
    .max(MAX_LEAK_REPORT_CREDENTIALS, {
      error: `credentials must hold at most ${MAX_LEAK_REPORT_CREDENTIALS} strings`,
    }),
});

// ---- team policies

export const ZMaxLifetimeDays = z
  .number({ error: 'maxLifetimeDays must be a whole number of days from 1 to 365, or null' })
  .int({ error: 'maxLifetimeDays must be a whole number of days from 1 to 365, or null' })
  .min(1, { error: 'maxLifetimeDays must be at least 1 day' })
  .max(365, { error: 'maxLifetimeDays must be at most 365 days' });

export const ZTeamPolicy = z.object({
  maxLifetimeDays: ZMaxLifetimeDays.nullable(),
  allowedScopes: z.array(ZScope).nullable(),
});
export type TeamPolicy = z.infer<typeof ZTeamPolicy>;

export const ZUpdateTeamPolicyInput = strictInput({
  maxLifetimeDays: ZMaxLifetimeDays.nullable().optional(),
  allowedScopes: z.array(ZScope).max(MAX_KNOWN_SCOPES).nullable().optional(),
});

// ---- API tokens

export const ZCreateApiTokenInput = strictInput({
  name: ZTokenName,
  expiresIn: ZExpiresIn.optional(),
  scopes: ZScopes.optional(),
  allowedIps: ZAllowedIps.optional(),
});
export type CreateApiTokenInput = z.infer<typeof ZCreateApiTokenInput>;

export const ZRotateApiTokenInput = strictInput({
  gracePeriodSeconds: ZGracePeriodSeconds.optional(),
});

/** `retiring`: rotated with a grace period and still working until `expiresAt`. */
export const ZApiTokenStatus = z.enum(['active', 'retiring', 'expired']);
export type ApiTokenStatus = z.infer<typeof ZApiTokenStatus>;

/** A token list's filters (`apiToken.getMany`, `GET /api/v1/tokens`): only active, or only expired tokens. */
export const ZApiTokenStatusFilter = z.enum(['active', 'expired'], { error: 'status must be active or expired' });

/** Never used, or last used, more than this many days ago; tokens younger than that never count. */
export const ZUnusedForDays = z
  .number({ error: 'unusedForDays must be a number of days' })
  .int({ error: 'unusedForDays must be a whole number of days' })
  .min(1, { error: 'unusedForDays must be at least 1' })
  .max(3650, { error: 'unusedForDays must be at most 3650' });

/**
 * The fields of a token's metadata, with `date` for its times: `z.date()` for the library and tRPC,
 * an ISO 8601 codec for REST (types/rest.ts), so both describe one shape.
 */
export function apiTokenMetadataFields<D extends z.ZodType>(date: D) {
  return {
    id: z.number().int(),
    name: z.string(),
    start: z.string().meta({ description: 'The first characters of the token, e.g. `api_Ab3x`' }),
    scopes: z.array(z.string()),
    status: ZApiTokenStatus,
    createdAt: date,
    expiresAt: date.nullable().meta({ description: 'When the token stops working; null if it never expires' }),
    lastUsedAt: date.nullable().meta({ description: 'Accurate to within 60 seconds; null if never used' }),
    createdBy: z.object({ id: z.number().int(), name: z.string() }).nullable(),
    allowedIps: z
      .array(z.string())
      .meta({ description: 'Addresses or CIDR ranges the token may be used from; [] = any' }),
    breaksPolicy: z.string().nullable().meta({
      description:
        "Why the token breaks its team's or the instance's current policy (made before it); null if it does not",
    }),
  };
}

export const ZApiTokenMetadata = z.object(apiTokenMetadataFields(z.date()));
export type ApiTokenMetadata = z.infer<typeof ZApiTokenMetadata>;

export const ZCreatedApiToken = ZApiTokenMetadata.extend({ token: z.string() });
export type CreatedApiToken = z.infer<typeof ZCreatedApiToken>;

/** A rotation's answer: the new token, and when the one it replaces stops working. */
export const ZRotatedApiToken = ZCreatedApiToken.extend({ previousTokenStopsAt: z.date() });
export type RotatedApiToken = z.infer<typeof ZRotatedApiToken>;

export const ZUser = z.object({ id: z.number().int(), name: z.string(), email: z.string() });
export type PublicUser = z.infer<typeof ZUser>;

export const ZTeam = z.object({ id: z.number().int(), name: z.string(), slug: z.string() });
export type PublicTeam = z.infer<typeof ZTeam>;
