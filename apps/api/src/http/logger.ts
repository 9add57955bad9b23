import pino, { type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type LoggerOptions = {
  /** Readable lines (time, level, message, then the fields) instead of JSON: for a person at a terminal. */
  pretty?: boolean;
};

/** The server's logger; `authorization` and `cookie` are redacted wherever they appear. */
export function createLogger(level: string, destination?: DestinationStream, options: LoggerOptions = {}): Logger {
  const output = options.pretty
    ? pretty({
        destination: destination ?? 1,
        sync: true,
        colorize: !destination,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname',
      })
    : destination;
  return pino(
    {
      level,
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'headers.authorization',
          'headers.cookie',
          '*.authorization',
          '*.cookie',
          'password',
          '*.password',
          'token',
          '*.token',
        ],
        censor: '[REDACTED]',
      },
    },
    output,
  );
}
