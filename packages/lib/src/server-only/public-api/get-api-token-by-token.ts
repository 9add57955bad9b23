// The request check for callers who prefer an error to a result: `checkApiToken`, with a refusal
// turned into AppError(UNAUTHORIZED) carrying the same message.
import { AppError, AppErrorCode } from '../../errors/app-error.js';
import {
  checkApiToken,
  type ApiTokenCheck,
  type CheckApiTokenOptions,
  type VerifiedApiToken,
} from './check-api-token.js';

export type GetApiTokenByTokenOptions = CheckApiTokenOptions;

/**
 * A refusal is an expected answer, not a fault: its error carries no stack frames, which would
 * cost more than the whole check (and is never logged for a 401).
 */
function refusal(message: string): AppError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new AppError(AppErrorCode.UNAUTHORIZED, { message });
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function tokenOrRefusal(check: ApiTokenCheck): VerifiedApiToken {
  if (check.ok) return check.token;
  throw refusal(check.message);
}

/** The token's metadata and owner, or AppError UNAUTHORIZED ("Invalid token" / "Expired token"). */
export function getApiTokenByToken(options: GetApiTokenByTokenOptions): Promise<VerifiedApiToken> {
  return checkApiToken(options).then(tokenOrRefusal);
}
