// Every `latchkey` command, in the order `--help` lists them; each is declared in its own file.
import type { CliCommand } from '../define-command';
import { auditList } from './audit-list';
import { migrate } from './migrate';
import { serviceCreate } from './service-create';
import { serviceDelete } from './service-delete';
import { serviceList } from './service-list';
import { teamAddMember } from './team-add-member';
import { teamCreate } from './team-create';
import { teamSetPolicy } from './team-set-policy';
import { tokenCheckFormat } from './token-check-format';
import { tokenCreate } from './token-create';
import { tokenList } from './token-list';
import { tokenRevoke } from './token-revoke';
import { tokenUsage } from './token-usage';
import { userCreate } from './user-create';
import { userDisable } from './user-disable';
import { userEnable } from './user-enable';

export const COMMANDS: readonly CliCommand[] = [
  migrate,
  userCreate,
  userDisable,
  userEnable,
  teamCreate,
  teamAddMember,
  teamSetPolicy,
  tokenCreate,
  tokenList,
  tokenRevoke,
  tokenCheckFormat,
  tokenUsage,
  auditList,
  serviceCreate,
  serviceList,
  serviceDelete,
];
