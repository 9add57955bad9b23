// Messages of the permission rules that the server enforces and the UI explains in the same words.

/** Why a team MANAGER or MEMBER may not manage the team's API tokens. */
export const TEAM_ADMIN_REQUIRED = 'You need to be a team admin to manage API tokens';

/** Why a team MANAGER or MEMBER may not change the team's token policy. */
export const TEAM_POLICY_ADMIN_REQUIRED = 'You need to be a team admin to change the token policy';

/** The roles a team member can have, from the most rights to the fewest. */
export const TEAM_ROLES = ['ADMIN', 'MANAGER', 'MEMBER'] as const;

/** Why a team MANAGER or MEMBER may not rename or delete the team. */
export const TEAM_SETTINGS_ADMIN_REQUIRED = 'You need to be a team admin to rename or delete the team';
