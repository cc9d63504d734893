import { maskKey } from '../ids.js';
import type { PlanItem } from '../schemas/plan.js';
import { mrkdwn } from './escape.js';

/** Characters of one statement line in the compact diff: enough to read, never a wall. */
const STATEMENT_LINE = 400;

const list = (value: unknown): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value.map(String) : [String(value)];

function clip(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

function values(items: string[], shown = 3): string {
  const head = items.slice(0, shown).join(', ');
  return items.length > shown ? `${head} …and ${items.length - shown} more` : head;
}

/** One statement as one diff line: `+ Sid: Deny actions on resources when conditions`. */
export function statementLine(statement: Record<string, unknown>): string {
  const conditions = Object.entries((statement.Condition ?? {}) as Record<string, Record<string, unknown>>).flatMap(
    ([operator, keys]) => Object.entries(keys).map(([key, value]) => `${operator} ${key} ${values(list(value))}`),
  );
  const resources = list(statement.Resource ?? statement.NotResource);
  const text = [
    `+ ${String(statement.Sid)}: ${String(statement.Effect)} ${values(list(statement.Action ?? statement.NotAction))}`,
    resources.length ? `${statement.NotResource ? 'except on' : 'on'} ${values(resources)}` : '',
    conditions.length ? `when ${conditions.join('; ')}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return clip(text, STATEMENT_LINE);
}

/** Characters of one line of an address list: short lines, read at a glance. */
const ADDRESS_LINE = 100;

/**
 * Every `aws:SourceIp` block of the statements that list more than the compact diff shows, one
 * header line each (the Sid, how many) and then the blocks, exactly as they will be written.
 */
function addressLines(statements: readonly Record<string, unknown>[]): string[] {
  return statements.flatMap((statement) => {
    const condition = (statement.Condition ?? {}) as Record<string, Record<string, unknown>>;
    const blocks = list(condition.IpAddress?.['aws:SourceIp']);
    if (blocks.length <= 3) return [];
    const lines: string[] = [];
    for (const block of blocks) {
      const last = lines.at(-1);
      if (last !== undefined && last.length + block.length + 2 <= ADDRESS_LINE)
        lines[lines.length - 1] = `${last}, ${block}`;
      else lines.push(block);
    }
    return [`aws:SourceIp of ${String(statement.Sid)}, all ${blocks.length} blocks exactly as written:`, ...lines];
  });
}

const bytes = (n: number) => n.toLocaleString('en-US');

function sizeLine(item: { sizeBefore: number; sizeAfter: number; limit: number }, unit: string): string {
  const share = Math.round((item.sizeAfter / item.limit) * 100);
  return `size ${bytes(item.sizeBefore)} → ${bytes(item.sizeAfter)} of ${bytes(item.limit)} ${unit} (${share}%)`;
}

/**
 * What exactly one plan item changes, as the lines a responder reads before approving (the title
 * is mrkdwn, its data escaped; the lines are plain text for a code block, escaped by the caller): the key
 * and its last use, the Sids added with a compact diff, and the policy size against its limit.
 */
export function planItemLines(item: PlanItem): { title: string; lines: string[] } {
  const { title, lines } = actionLines(item);
  return item.lapsed ? { title, lines: [`⚠ ${item.lapsed}`, ...lines] } : { title, lines };
}

function actionLines(item: PlanItem): { title: string; lines: string[] } {
  switch (item.action) {
    case 'deactivateAccessKey':
      return {
        title: `Deactivate access key ${mrkdwn(maskKey(item.accessKeyId))} of ${mrkdwn(item.userName)}`,
        lines: [
          `last used ${item.lastUsed ?? 'never (or unknown)'}; other keys of the user are not touched`,
          'UpdateAccessKey Status=Inactive; undo reactivates it',
        ],
      };
    case 'revokeRoleSessions':
      return {
        title: `Revoke sessions of ${mrkdwn(item.principalKind)} ${mrkdwn(item.name)}`,
        lines: [
          `inline policy ${item.policyName}, Sid ${item.sid}: Deny * to credentials issued before now (aws:TokenIssueTime)`,
          'the role itself keeps working for new sessions',
        ],
      };
    case 'revokeUserSessions':
      if (item.renew) {
        return {
          title: `Move forward the session cut-off of user ${mrkdwn(item.name)}`,
          lines: [
            `inline policy ${item.policyName}, Sid ${item.sid} (updated in place): aws:TokenIssueTime cut-off ${item.renew.cutoff ?? `set at the earlier containment (${item.renew.after})`} → now`,
            'sessions minted since the earlier cut-off (from a credential new to this incident) outlive its deactivation; undo removes the statement',
          ],
        };
      }
      return {
        title: `Revoke sessions minted from the key of user ${mrkdwn(item.name)}`,
        lines: [
          `inline policy ${item.policyName}, Sid ${item.sid}: Deny * to session credentials issued before now (aws:TokenIssueTime)`,
          `GetSessionToken/GetFederationToken sessions outlive the key's deactivation (up to 36 h); ${item.size} of ${item.limit} characters`,
        ],
      };
    case 'startMacieJob':
      return {
        title: `Start Macie job ${mrkdwn(item.jobName)}`,
        lines: [`one-time classification of ${values(item.buckets)} (billed per GB scanned)`],
      };
    case 'denyBucketAccess':
      return {
        title: `Deny in the bucket policy of ${mrkdwn(item.bucket)}`,
        lines: [
          sizeLine(item, 'bytes'),
          ...item.statements.map((s) => statementLine(s)),
          ...addressLines(item.statements),
        ],
      };
    case 'restrictVpcEndpoint':
      return {
        title: `Restrict VPC endpoint ${mrkdwn(item.vpcEndpointId)}`,
        lines: [sizeLine(item, 'characters'), ...item.statements.map((s) => statementLine(s))],
      };
  }
}
