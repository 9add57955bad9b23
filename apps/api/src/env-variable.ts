// The few kinds of environment variable the configuration is declared from (config.ts). Each kind
// reads a set value or says in one line, naming the variable, why it cannot; an unset or blank
// variable is its default. Each also tells the docs what its default is.

/** One environment variable: how it is read, what it is when unset, and what it is for. */
export type EnvVariable<T> = {
  /** Reads a value that is set and not blank; throws an Error whose message is one line naming the variable. */
  read: (value: string, name: string) => T;
  /** What the variable is when unset or blank. */
  default: T;
  /** The default as docs/configuration.md shows it (Markdown). */
  defaultText: string;
  /** What it is for, as docs/configuration.md says it (Markdown, one line). */
  doc: string;
};

export type EnvValue<V> = V extends EnvVariable<infer T> ? T : never;

type Described<D> = { default: D; doc: string; defaultText?: string };

function shown(value: unknown): string {
  const plain = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
  return plain ? `\`${String(value)}\`` : 'none';
}

function variable<T>(options: Described<T>, read: EnvVariable<T>['read']): EnvVariable<T> {
  return {
    read,
    default: options.default,
    defaultText: options.defaultText ?? shown(options.default),
    doc: options.doc,
  };
}

/** Quoted for an error line: at most 120 characters, control characters escaped. */
export function quoted(value: string): string {
  return JSON.stringify(value.length > 120 ? `${value.slice(0, 120)}…` : value);
}

/** A whole number from `min` to `max` (`1_000_000` may be written with underscores). */
export function int<D extends number | null>(
  options: Described<D> & { min: number; max: number },
): EnvVariable<number | D> {
  return variable<number | D>(options, (value, name) => {
    const digits = value.trim();
    const n = /^\d+(_\d+)*$/.test(digits) ? Number(digits.replaceAll('_', '')) : NaN;
    if (!(n >= options.min && n <= options.max)) {
      throw new Error(`${name} must be a whole number from ${options.min} to ${options.max}, got ${quoted(value)}`);
    }
    return n;
  });
}

const TRUE_WORDS = ['true', '1', 'yes', 'on'];
const FALSE_WORDS = ['false', '0', 'no', 'off'];

/** true/1/yes/on or false/0/no/off, in any case. */
export function bool(options: Described<boolean>): EnvVariable<boolean> {
  return variable(options, (value, name) => {
    const word = value.trim().toLowerCase();
    if (TRUE_WORDS.includes(word)) return true;
    if (FALSE_WORDS.includes(word)) return false;
    throw new Error(`${name} must be true or false, got ${quoted(value)}`);
  });
}

/** Whether a set value means "false" in the words `bool` knows. */
export function isFalseWord(value: string): boolean {
  return FALSE_WORDS.includes(value.trim().toLowerCase());
}

/** One of a few words, in any case. */
export function oneOf<const V extends readonly string[]>(
  values: V,
  options: Described<V[number]>,
): EnvVariable<V[number]> {
  return variable(options, (value, name) => {
    const word = value.trim().toLowerCase();
    const found = values.find((v) => v === word);
    if (found === undefined) throw new Error(`${name} must be one of ${values.join(', ')}, got ${quoted(value)}`);
    return found;
  });
}

/** Any text, or text matching `pattern` (described by `rule` in the error), taken as it is. */
export function text<D extends string | null>(
  options: Described<D> & { pattern?: RegExp; rule?: string; trim?: boolean },
): EnvVariable<string | D> {
  return variable<string | D>(options, (value, name) => {
    const read = options.trim === false ? value : value.trim();
    if (options.pattern && !options.pattern.test(read)) {
      throw new Error(`${name} must be ${options.rule ?? `like ${options.pattern.source}`}, got ${quoted(value)}`);
    }
    return read;
  });
}

/**
 * A URL with one of `protocols` (`['https:']`), its errors ending with an example. `secret`: the value
 * may hold a password, so no error repeats it. `check` refuses more (a path, a query); `value` gives
 * what the config keeps (the text as given by default).
 */
export function url<D extends string | null>(
  options: Described<D> & {
    protocols: readonly string[];
    example: string;
    secret?: boolean;
    check?: (url: URL) => string | null;
    value?: (url: URL, text: string) => string;
  },
): EnvVariable<string | D> {
  const schemes = options.protocols.map((protocol) => `${protocol}//`).join(' or ');
  return variable<string | D>(options, (value, name) => {
    const given = value.trim();
    const got = options.secret ? '' : `, got ${quoted(value)}`;
    let parsed: URL;
    try {
      parsed = new URL(given);
    } catch {
      throw new Error(`${name} must be a URL starting with ${schemes}, such as ${options.example}${got}`);
    }
    const problem = !options.protocols.includes(parsed.protocol)
      ? `must start with ${schemes}, not ${parsed.protocol.slice(0, 20)}//`
      : parsed.hostname === ''
        ? 'needs a host name'
        : (options.check?.(parsed) ?? null);
    if (problem) throw new Error(`${name} ${problem}, such as ${options.example}${got}`);
    return options.value ? options.value(parsed, given) : given;
  });
}

/** A comma-separated list, entries trimmed; an empty entry (`a,,b`, a comma at an end) is refused. */
export function list(
  options: Described<readonly string[]> & { item?: (entry: string) => string | null },
): EnvVariable<readonly string[]> {
  return variable(options, (value, name) => {
    const entries = value.split(',').map((entry) => entry.trim());
    if (entries.includes('')) {
      throw new Error(`${name} has an empty entry (two commas in a row, or one at an end): ${quoted(value)}`);
    }
    for (const entry of entries) {
      const problem = options.item?.(entry);
      if (problem) throw new Error(`${name}: ${quoted(entry)} ${problem}`);
    }
    return entries;
  });
}

/** A variable of its own kind: `read` says what is wrong in one line, naming the variable. */
export function custom<T>(options: Described<T> & { defaultText: string; read: EnvVariable<T>['read'] }) {
  return variable(options, options.read);
}
