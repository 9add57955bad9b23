import { migrateToLatest } from '@latchkey/lib';
import { defineCommand } from '../define-command';

export const migrate = defineCommand({
  name: 'migrate',
  summary: 'apply the database migrations (the server does this at start too)',
  run: (_input, { out, withDb }) =>
    withDb(
      async (db) => {
        const applied = await migrateToLatest(db);
        out(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
      },
      { migrate: false },
    ),
});
