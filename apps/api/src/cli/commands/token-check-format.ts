import { isWellFormedApiToken } from '@latchkey/lib';
import { tokenArgument } from '../command-inputs';
import { defineCommand } from '../define-command';

export const tokenCheckFormat = defineCommand({
  name: 'token:check-format',
  summary: 'say whether a string is a well-formed Latchkey token (shape and checksum); no database needed',
  argument: { name: 'token', help: 'the string to check; - or nothing: one line of standard input' },
  async run({ argument }, context) {
    const token = await tokenArgument(
      argument,
      'token:check-format got nothing to check: write the string on standard input (one line), ' +
        'or give it as the argument',
      context,
    );
    if (!isWellFormedApiToken(token)) {
      throw new Error(
        'not a well-formed Latchkey token (api_ and 36 letters and digits whose last 6 are the checksum)',
      );
    }
    context.out('well-formed: the shape and the checksum match (whether it was issued, only its server knows)');
  },
});
