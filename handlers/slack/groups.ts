import { DecisionRejected } from '../shared/errors.js';
import { log } from '../shared/log.js';
import type { Clock } from '../shared/ports.js';
import { isUserGroupId } from './decision.js';

/** The part of the Web API client the directory uses (`usergroups.users.list`, scope `usergroups:read`). */
export interface UserGroupsApi {
  readonly usergroups: {
    readonly users: {
      list(args: { usergroup: string }): Promise<{ ok?: boolean; users?: string[]; error?: string }>;
    };
  };
}

/** How long a group's member list is trusted in one container. */
export const GROUP_CACHE_MILLIS = 60_000;

/**
 * Which of the approver user groups (`S…`) a user belongs to, from `usergroups.users.list`, each
 * group's members cached for 60 s per container (a removed member keeps approving for at most a
 * minute). Asks nothing when the user is an approver by id or no approver is a group. Fails
 * closed: when a lookup fails and no other approver group contains the user, the click is rejected
 * with 'group-lookup-failed', never allowed by default. Failures are not cached.
 */
export class UserGroupDirectory {
  private readonly cache = new Map<string, { members: ReadonlySet<string>; until: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMillis = GROUP_CACHE_MILLIS,
  ) {}

  async groupsOf(api: UserGroupsApi, userId: string, approvers: readonly string[]): Promise<string[]> {
    if (approvers.includes(userId)) return [];
    const groups = [...new Set(approvers.filter(isUserGroupId))];
    const member: string[] = [];
    const failed: string[] = [];
    for (const group of groups) {
      try {
        if ((await this.members(api, group)).has(userId)) member.push(group);
      } catch (error) {
        log.warn('user group lookup failed', { group, error: error instanceof Error ? error.message : String(error) });
        failed.push(group);
      }
    }
    if (member.length === 0 && failed.length > 0) {
      throw new DecisionRejected(
        'group-lookup-failed',
        `Slack could not tell whether you belong to the approver user group${failed.length > 1 ? 's' : ''}, so your click was not applied. Try again in a moment.`,
      );
    }
    return member;
  }

  private async members(api: UserGroupsApi, group: string): Promise<ReadonlySet<string>> {
    const now = this.clock.now().getTime();
    const cached = this.cache.get(group);
    if (cached && cached.until > now) return cached.members;
    const result = await api.usergroups.users.list({ usergroup: group });
    if (result.ok === false || !Array.isArray(result.users)) {
      throw new Error(`usergroups.users.list ${group}: ${result.error ?? 'no users in the answer'}`);
    }
    const members = new Set(result.users);
    this.cache.set(group, { members, until: now + this.ttlMillis });
    return members;
  }
}
