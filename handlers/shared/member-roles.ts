/** Names of the member-account roles: no SDK here, so the configuration and the CLI can read them cheaply. */

/** The base name of the member roles assumed in other accounts, and the session name CloudTrail records for them. */
export const DEFAULT_MEMBER_ROLE_NAME = 'S3ExfilResponderMember';
export const ROLE_SESSION_NAME = 's3-exfil-responder';

/**
 * The member roles, one per kind of work: `read` for enrichment and planning (no write at all),
 * `contain` for the containment actions, `rollback` for undoing them. Each is named
 * `<memberRoleName><suffix>`, and each function is told its own in `MEMBER_ROLE_NAME`.
 */
export const MEMBER_ROLE_SUFFIX = { read: 'Read', contain: 'Contain', rollback: 'Rollback' } as const;
export type MemberRoleKind = keyof typeof MEMBER_ROLE_SUFFIX;

export function memberRoleNameFor(base: string, kind: MemberRoleKind): string {
  return `${base}${MEMBER_ROLE_SUFFIX[kind]}`;
}
