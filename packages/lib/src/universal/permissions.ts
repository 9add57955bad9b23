// Messages of the permission rules that the server enforces and the UI explains in the same words.

/** Why a team MANAGER or MEMBER may not manage the team's API tokens. */
export const TEAM_ADMIN_REQUIRED = 'You need to be a team admin to manage API tokens';
