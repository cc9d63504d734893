import { StoreConflict } from '../shared/errors.js';
import { isOpen } from '../shared/lifecycle.js';
import type { Incident } from '../shared/schemas/incident.js';
import type { IncidentRecord, IncidentStatus, IncidentStore } from '../shared/store/types.js';

/** Statuses of an incident whose containment phase is still running. */
export const OPEN_STATUSES: ReadonlySet<IncidentStatus> = new Set(['open', 'awaiting_approval', 'containing']);

/**
 * A claim whose incident was never created (its registration died between the claim and the
 * create) is taken over after this long; before, the registration is assumed to be in flight.
 */
export const ABANDONED_CLAIM_MS = 15 * 60_000;

/** Hand-over attempts per key before giving up with StoreConflict (the state machine retries). */
const ATTEMPTS = 3;

/**
 * Who acted, as correlation keys it: the identity's ARN in a canonical form, so GuardDuty (which
 * knows no IAM path) and CloudTrail (which does) agree: `user/<name>` and `role/<name>` without
 * the path, and for a role session the role (every session of it is contained together). Else the
 * access key id. Anonymous callers correlate by bucket, not by address (`anonymous`: a flood from
 * many addresses on one bucket is one incident); one naming no bucket keys on its first address.
 * Undefined when none is known: such signals are never folded.
 */
export function principalKey(incident: Incident): string | undefined {
  const { principal } = incident;
  if (principal.type === 'Anonymous') {
    if (incident.buckets.length > 0) return 'anonymous';
    const [ip] = [...incident.sourceIps].sort();
    return ip ? `ip:${ip}` : undefined;
  }
  const arn = canonicalArn(incident);
  if (arn) return arn;
  return principal.accessKeyId ? `key:${principal.accessKeyId}` : undefined;
}

function canonicalArn(incident: Incident): string | undefined {
  const { principal } = incident;
  const partition = incident.partition ?? 'aws';
  const account = (principal.sessionIssuer ?? principal.arn)?.split(':')[4] || incident.accountId;
  const last = (arn: string | undefined) => arn?.split('/').at(-1);
  switch (principal.type) {
    case 'IAMUser': {
      const name = principal.userName ?? last(principal.arn);
      return name && `arn:${partition}:iam::${account}:user/${name}`;
    }
    case 'AssumedRole': {
      const role = principal.userName ?? last(principal.sessionIssuer) ?? principal.arn?.split('/')[1];
      return role && `arn:${partition}:iam::${account}:role/${role}`;
    }
    case 'FederatedUser': {
      const name = principal.userName ?? last(principal.arn);
      return name && `arn:${partition}:sts::${account}:federated-user/${name}`;
    }
    case 'Root':
      return `arn:${partition}:iam::${account}:root`;
    default:
      return principal.arn;
  }
}

/** The middle part of a bucket-wide key (`<accountId>#bucket#<bucket>`); no principal key is `bucket`. */
const BUCKET_WIDE = 'bucket';

/** Whether a correlation key is a bucket-wide one (held by the open incident of the bucket, whoever the caller). */
export function isBucketWide(key: string): boolean {
  return key.split('#')[1] === BUCKET_WIDE;
}

/**
 * The `CORRELATION#` keys of a signal, in the order they decide where it folds (the first key held
 * by an open incident wins):
 * 1. `<accountId>#<principal key>` (an identified principal: a signal for it on another bucket
 *    folds into its open incident, so a principal's signals stay together);
 * 2. `<accountId>#<principal key>#<bucket>`, one per bucket in name order (`*` when it names none),
 *    so two signals of one principal always race on the same key first; anonymous callers have
 *    only these (`anonymous`), by bucket;
 * 3. `<accountId>#bucket#<bucket>`, one per named bucket in name order: the bucket's open incident,
 *    whoever it is for (another key, another role, anonymous callers), so a different caller on one
 *    of its buckets folds into it. The first open incident on a bucket holds this key; of two open
 *    incidents on two of the signal's buckets, the one on the first bucket by name wins.
 * Empty when the principal is unknown, and for a GuardDuty sample run as a drill: such signals are
 * never folded, and a drill holds no key a real signal could fold into (every action of a drill is
 * skipped, so a real caller taken in would never be contained).
 */
export function correlationKeys(incident: Incident): string[] {
  const principal = principalKey(incident);
  if (!principal || incident.sample) return [];
  const named = [...new Set(incident.buckets)].sort();
  const buckets = named.length > 0 ? named : ['*'];
  const wide = principal === 'anonymous' || principal.startsWith('ip:') ? [] : [`${incident.accountId}#${principal}`];
  return [
    ...wide,
    ...buckets.map((bucket) => `${incident.accountId}#${principal}#${bucket}`),
    ...named.map((bucket) => `${incident.accountId}#${BUCKET_WIDE}#${bucket}`),
  ];
}

export type Correlation =
  /** The signal opens its own incident; `previousIncidentId` held its principal and bucket before. */
  | { readonly kind: 'own'; readonly previousIncidentId?: string }
  /** The signal belongs to an open incident for the same principal and bucket, within the window. */
  | { readonly kind: 'fold'; readonly record: IncidentRecord };

/**
 * Decides, race-safely, whether a new signal opens incident `incidentId` or folds into an open one.
 * Each key is claimed with a conditional put (until now + window). A key held within its window by
 * an open incident means fold: the keys already claimed are handed to that incident and its window
 * is extended (the window runs from the latest signal). A key held by a closed incident, or by a
 * claim whose incident was never created for `ABANDONED_CLAIM_MS`, is handed over to us with a
 * conditional update (so of two racing signals one wins and the other folds into it). A key held by
 * an incident that is still being created fails with StoreConflict: the state machine retries the
 * registration, which then finds the incident and folds.
 */
export async function correlate(
  args: { keys: readonly string[]; incidentId: string; now: Date; windowMinutes: number },
  store: IncidentStore,
): Promise<Correlation> {
  const now = args.now.toISOString();
  const expiresAt = new Date(args.now.getTime() + args.windowMinutes * 60_000).toISOString();
  const claimed: string[] = [];
  let previousIncidentId: string | undefined;
  for (const key of args.keys) {
    for (let attempt = 1; ; attempt += 1) {
      const claim = await store.claimCorrelation({ key, incidentId: args.incidentId, expiresAt, now });
      // Only the caller's own keys name the incident a new one follows, never another caller's.
      const own = !isBucketWide(key);
      if (claim.outcome === 'claimed') {
        if (own) previousIncidentId ??= claim.previousIncidentId;
        claimed.push(key);
        break;
      }
      const holder = await store.getIncident(claim.incidentId);
      if (holder && isOpen(holder, args.now, args.windowMinutes)) {
        for (const mine of claimed) {
          await store.handOverCorrelation({ key: mine, from: args.incidentId, to: holder.incidentId, expiresAt, now });
        }
        await store.extendCorrelation({ key, incidentId: holder.incidentId, expiresAt });
        return { kind: 'fold', record: holder };
      }
      if (!holder && args.now.getTime() - Date.parse(claim.claimedAt) < ABANDONED_CLAIM_MS) {
        throw new StoreConflict(
          `incident ${claim.incidentId} for the same principal and bucket is still being registered; try again`,
        );
      }
      const taken = await store.handOverCorrelation({
        key,
        from: claim.incidentId,
        to: args.incidentId,
        expiresAt,
        now,
        previousIncidentId: holder?.incidentId,
      });
      if (taken) {
        if (own) previousIncidentId ??= holder?.incidentId;
        claimed.push(key);
        break;
      }
      if (attempt === ATTEMPTS) {
        throw new StoreConflict(`the correlation of ${key} kept changing under concurrent registrations; try again`);
      }
    }
  }
  return previousIncidentId ? { kind: 'own', previousIncidentId } : { kind: 'own' };
}
