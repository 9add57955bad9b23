import { z } from 'zod';
import type { Db } from '../../db/create-database.js';
import { AppError, AppErrorCode } from '../../errors/app-error.js';
import { ZEmail, ZPassword, ZUserName, type PublicUser } from '../../types/schemas.js';
import type { Clock } from '../clock.js';
import { hashPassword } from '../hash.js';
import { isUniqueViolation } from '../../db/errors.js';
import { parseInput } from '../validate.js';
import { COMMON_PASSWORD_MESSAGE, isCommonPassword } from './common-passwords.js';

export const ZCreateUserInput = z.object({ email: ZEmail, name: ZUserName, password: ZPassword });

export type CreateUserOptions = { db: Db; clock: Clock; email: string; name: string; password: string };

/**
 * A new user; the password is kept only as a scrypt hash. A password of fewer than 10 characters or
 * among the 10,000 most common is refused (INVALID_BODY, on `password`); a taken e-mail is a CONFLICT.
 */
export async function createUser({ db, clock, ...input }: CreateUserOptions): Promise<PublicUser> {
  const { email, name, password } = parseInput(ZCreateUserInput, input);
  if (await isCommonPassword(password)) {
    throw new AppError(AppErrorCode.INVALID_BODY, {
      message: COMMON_PASSWORD_MESSAGE,
      issues: [{ path: 'password', message: COMMON_PASSWORD_MESSAGE }],
    });
  }
  const passwordHash = await hashPassword(password);
  try {
    const row = await db
      .insertInto('users')
      .values({ email, name, password_hash: passwordHash, disabled_at: null, created_at: clock.now() })
      .returning(['id', 'name', 'email'])
      .executeTakeFirstOrThrow();
    return row;
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new AppError(AppErrorCode.CONFLICT, { message: 'An account with this e-mail already exists' });
    }
    throw error;
  }
}
