import { getAuditEvents, type AuditEventType } from '@latchkey/lib';
import { ownerOf, wholeNumber } from '../command-inputs';
import { defineCommand } from '../define-command';

export const auditList = defineCommand({
  name: 'audit:list',
  summary: 'the audit log of a user, or of a team (the user must be its ADMIN), newest first, tab-separated',
  options: {
    email: { value: '<email>', help: 'the user', required: true },
    team: { value: '<slug>', help: 'the team whose log to read' },
    type: { value: '<type>', help: 'only events of this type, e.g. token.created' },
    limit: { value: '<limit>', help: 'how many events, 1 to 100', default: '50' },
  },
  run({ email, team, type, limit }, { out, withDb }) {
    const count = wholeNumber('--limit', limit, 1, 100);
    return withDb(async (db) => {
      const owner = await ownerOf(db, email, team);
      const { events } = await getAuditEvents({ db, ...owner, type: type as AuditEventType | undefined, limit: count });
      if (events.length === 0) return out('no events');
      out(['TIME', 'TYPE', 'ACTOR', 'TOKEN', 'IP'].join('\t'));
      for (const e of events) {
        const actor = e.actor.name ? `${e.actor.kind}:${e.actor.name}` : e.actor.kind;
        out([e.createdAt.toISOString(), e.type, actor, e.tokenId ?? '-', e.ip ?? '-'].join('\t'));
      }
    });
  },
});
