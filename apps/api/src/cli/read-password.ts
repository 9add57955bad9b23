// Where secrets come from on the command line: `user:create`'s password from LATCHKEY_PASSWORD or
// one line of standard input, a token to revoke or check from one line of standard input (typed at
// a terminal without echo, or piped). Never only a command-line argument: `ps` and shell history
// show those.

export type PasswordInput = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };

/** Ctrl-C at a prompt: the command stops with exit 130. */
export class InputInterrupted extends Error {}

const MAX_LINE = 4096;

export async function readPassword(options: {
  env: Record<string, string | undefined>;
  stdin: PasswordInput;
  prompt: (text: string) => void;
}): Promise<string> {
  const fromEnv = options.env.LATCHKEY_PASSWORD;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const line = await readSecretLine({ ...options, label: 'Password' });
  if (line === null)
    throw new Error('no password given: set LATCHKEY_PASSWORD or write it on standard input (one line)');
  return line;
}

/**
 * The first line of standard input, without its line ending; at a terminal, typed after
 * "<label> (not shown): " with nothing shown. Null when standard input ends before anything.
 */
export async function readSecretLine(options: {
  stdin: PasswordInput;
  prompt: (text: string) => void;
  label: string;
}): Promise<string | null> {
  const { stdin } = options;
  if (stdin.isTTY && stdin.setRawMode)
    return readHidden(stdin, stdin.setRawMode.bind(stdin), options.prompt, `${options.label} (not shown): `);
  return readFirstLine(stdin);
}

async function readFirstLine(stdin: PasswordInput): Promise<string | null> {
  let text = '';
  for await (const chunk of stdin) {
    text += chunk.toString();
    const end = text.indexOf('\n');
    if (end !== -1) return text.slice(0, end).replace(/\r$/, '');
    if (text.length > MAX_LINE) break;
  }
  return text === '' ? null : text.replace(/\r$/, '');
}

/** Reads a line in raw mode, so the terminal shows nothing of what is typed. */
function readHidden(
  stdin: PasswordInput,
  setRawMode: (mode: boolean) => unknown,
  prompt: (text: string) => void,
  promptText: string,
): Promise<string | null> {
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = (result: () => void) => {
      stdin.removeListener('data', onData);
      setRawMode(false);
      stdin.pause();
      prompt('\n');
      result();
    };
    const onData = (chunk: Buffer | string) => {
      for (const char of chunk.toString()) {
        if (char === '\r' || char === '\n') return finish(() => resolve(typed));
        if (char === '\u0003') return finish(() => reject(new InputInterrupted('interrupted')));
        if (char === '\u0004') return finish(() => resolve(typed === '' ? null : typed));
        if (char === '\u007f' || char === '\b') typed = [...typed].slice(0, -1).join('');
        else if (typed.length < MAX_LINE) typed += char;
      }
    };
    // Echo goes off before the prompt shows, so nothing typed after it can appear.
    setRawMode(true);
    prompt(promptText);
    stdin.on('data', onData);
    stdin.resume();
  });
}
