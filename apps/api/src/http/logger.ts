import pino, { type DestinationStream, type Logger } from 'pino';

/** The server's logger; `authorization` and `cookie` are redacted wherever they appear. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie', '*.authorization', '*.cookie', 'password', '*.password', 'token', '*.token'],
        censor: '[REDACTED]',
      },
    },
    destination,
  );
}
