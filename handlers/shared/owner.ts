/** Tag keys naming the Slack user who owns an IAM identity (first match wins). */
export const OWNER_TAG_KEYS = ['slack-user-id', 'SlackUserId', 'slack_user_id'] as const;

/** The owner's Slack user id from the identity's tags, when it looks like one (`U…`/`W…`). */
export function ownerOf(tags: Readonly<Record<string, string>>): string | undefined {
  for (const key of OWNER_TAG_KEYS) {
    const value = tags[key]?.trim();
    if (value && /^[UW][A-Z0-9]{2,}$/.test(value)) return value;
  }
  return undefined;
}

/** The compromised identity's owner in Slack, when enrichment found one: never their own approver. */
export function ownerSlackUserId(enrichment: Record<string, unknown>): string | undefined {
  const facts = enrichment.describePrincipal as { status?: string; ownerSlackUserId?: unknown } | undefined;
  return facts?.status === 'ok' && typeof facts.ownerSlackUserId === 'string' ? facts.ownerSlackUserId : undefined;
}
