// Where `user:create` gets a password: LATCHKEY_PASSWORD, or one line of standard input (typed at
// a terminal without echo, or piped). Never a command-line argument: `ps` and shell history show those.

export type PasswordInput = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };

export class PasswordInterrupted extends Error {}

const MAX_LINE = 4096;

export async function readPassword(options: {
  env: Record<string, string | undefined>;
  stdin: PasswordInput;
  prompt: (text: string) => void;
}): Promise<string> {
  const fromEnv = options.env.LATCHKEY_PASSWORD;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const { stdin } = options;
  if (stdin.isTTY && stdin.setRawMode) return readHidden(stdin, stdin.setRawMode.bind(stdin), options.prompt);
  const line = await readFirstLine(stdin);
  if (line === null)
    throw new Error('no password given: set LATCHKEY_PASSWORD or write it on standard input (one line)');
  return line;
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
): Promise<string> {
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
        if (char === '\u0003') return finish(() => reject(new PasswordInterrupted('interrupted')));
        if (char === '\u0004')
          return finish(() => (typed === '' ? reject(new Error('no password given')) : resolve(typed)));
        if (char === '\u007f' || char === '\b') typed = [...typed].slice(0, -1).join('');
        else if (typed.length < MAX_LINE) typed += char;
      }
    };
    // Echo goes off before the prompt shows, so nothing typed after it can appear.
    setRawMode(true);
    prompt('Password (not shown): ');
    stdin.on('data', onData);
    stdin.resume();
  });
}
