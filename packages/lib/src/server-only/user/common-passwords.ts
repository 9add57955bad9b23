// The passwords refused for being too common: the 10,000 most used, from the ranked list that
// zxcvbn-ts keeps (most common first, lower case, gathered from published password leaks).

export const COMMON_PASSWORD_COUNT = 10_000;

export const COMMON_PASSWORD_MESSAGE =
  'Password is one of the 10,000 most common passwords, the first ones any guesser tries; choose another';

let common: Promise<Set<string>> | undefined;

/**
 * Read on first use, not at start: unpacking the list takes about 100 ms, and only setting a
 * password needs it. Compared in lower case (the list is), so `Password1` counts as `password1`.
 */
function commonPasswords(): Promise<Set<string>> {
  common ??= import('@zxcvbn-ts/language-common').then(
    ({ dictionary }) => new Set(dictionary['passwords-common'].slice(0, COMMON_PASSWORD_COUNT)),
  );
  return common;
}

export async function isCommonPassword(password: string): Promise<boolean> {
  return (await commonPasswords()).has(password.normalize('NFKC').toLowerCase());
}
