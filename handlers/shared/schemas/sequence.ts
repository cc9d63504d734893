import type { AttackSequence } from './guardduty.js';
import type { IpDetail } from './incident.js';
import { AccountId, BucketName, IpAddress } from './primitives.js';

/** `FindingResourceType` values of S3 (the SDK's enum), and the finding-level spelling. */
const S3_TYPES = new Set(['S3_BUCKET', 'S3_OBJECT', 'S3Bucket']);

/** An actor of an attack sequence, in the shape `accessKeyDetails` has, with the account it acted from. */
export interface SequenceActor {
  readonly details: { accessKeyId?: string; principalId?: string; userName?: string; userType?: string };
  readonly accountId?: string;
}

/**
 * What `AttackSequence:S3/CompromisedData` says in `service.detection.sequence` (the SDK's
 * `Sequence`): its actors (`actors[].user`: `name`, `uid`, `credentialUid`, `type`, `account.uid`),
 * the S3 buckets among its resources, and the addresses of its endpoints. Duplicate actors
 * (the same user and credential) are listed once.
 */
export function readSequence(sequence: AttackSequence): {
  actors: SequenceActor[];
  buckets: string[];
  ipDetails: IpDetail[];
} {
  const actors = new Map<string, SequenceActor>();
  for (const actor of sequence.actors ?? []) {
    const user = actor.user;
    if (!user) continue;
    const arnAccount = user.uid?.startsWith('arn:') ? user.uid.split(':')[4] : undefined;
    const account = [arnAccount, user.account?.uid].find((value) => AccountId.safeParse(value).success);
    const details = {
      accessKeyId: user.credentialUid,
      principalId: user.uid?.startsWith('arn:') ? undefined : user.uid,
      userName: user.name,
      userType: user.type,
    };
    const key = JSON.stringify([details, account]);
    if (!actors.has(key)) actors.set(key, { details, accountId: account });
  }
  const buckets = new Set<string>();
  for (const resource of sequence.resources ?? []) {
    const type = resource.resourceType ?? '';
    const fromArn =
      resource.uid?.startsWith('arn:') && resource.uid.includes(':s3:::') ? resource.uid.split(':::')[1] : undefined;
    if (!S3_TYPES.has(type) && !fromArn) continue;
    const name = [resource.name, fromArn?.split('/')[0]].find((value) => BucketName.safeParse(value).success);
    if (name) buckets.add(name);
  }
  const ipDetails = new Map<string, IpDetail>();
  for (const endpoint of sequence.endpoints ?? []) {
    const ip = endpoint.ip;
    if (!ip || !IpAddress.safeParse(ip).success || ipDetails.has(ip)) continue;
    ipDetails.set(ip, {
      ip,
      country: endpoint.location?.country,
      city: endpoint.location?.city,
      asn: endpoint.autonomousSystem?.number,
      org: endpoint.autonomousSystem?.name,
    });
  }
  return { actors: [...actors.values()], buckets: [...buckets], ipDetails: [...ipDetails.values()] };
}
