import { isAnonymous } from '../shared/queries/data-events-summary.js';
import type { CloudTrailRecord } from '../shared/schemas/cloudtrail.js';
import type { Principal } from '../shared/schemas/incident.js';
import { AccessKeyId, AccountId, IamName, PrincipalArn, PrincipalId } from '../shared/schemas/primitives.js';

const valid = <T>(schema: { safeParse(value: unknown): { success: boolean; data?: T } }, value: unknown) => {
  const result = schema.safeParse(value);
  return result.success ? result.data : undefined;
};

/**
 * The principal of a CloudTrail record's `userIdentity`, in the incident's shape (the same
 * conventions as GuardDuty's: for an assumed role `userName` is the role name, `sessionIssuer` the
 * role ARN and `arn` the session ARN). Values that fail the identifier validators are left out
 * rather than rejected; an identity of another kind (another account's principal, Identity Center,
 * no identity at all) is `Unknown`, with the reported type kept in `rawType`.
 *
 * `userIdentity.accountId` is the account that owns the identity, which can differ from the
 * record's `recipientAccountId`: then it is kept as the principal's `accountId` (the caller's
 * account, DESIGN §3), and so is the account of an `AWSAccount` caller, of which only the account is known.
 */
export function principalFromIdentity(record: CloudTrailRecord): Principal {
  const identity = record.userIdentity;
  if (isAnonymous(record)) return { type: 'Anonymous', principalId: 'ANONYMOUS_PRINCIPAL' };
  if (!identity) return { type: 'Unknown' };
  const arn = valid<string>(PrincipalArn, identity.arn);
  const owner = valid<string>(AccountId, identity.accountId) ?? arn?.split(':')[4];
  const foreign =
    owner !== undefined &&
    (identity.type === 'AWSAccount' ||
      (record.recipientAccountId !== undefined && owner !== record.recipientAccountId));
  const base = {
    arn,
    accessKeyId: valid<string>(AccessKeyId, identity.accessKeyId),
    principalId: valid<string>(PrincipalId, identity.principalId),
    ...(foreign ? { accountId: owner } : {}),
  };
  switch (identity.type) {
    case 'IAMUser':
      return { type: 'IAMUser', ...base, userName: valid<string>(IamName, identity.userName) };
    case 'AssumedRole': {
      const issuer = identity.sessionContext?.sessionIssuer;
      const session = base.arn?.split('/').at(-1);
      return {
        type: 'AssumedRole',
        ...base,
        userName: valid<string>(IamName, issuer?.userName),
        sessionIssuer: valid<string>(PrincipalArn, issuer?.arn),
        sessionName: valid<string>(IamName, session),
      };
    }
    case 'Root':
      return { type: 'Root', ...base };
    case 'FederatedUser':
      return {
        type: 'FederatedUser',
        ...base,
        userName: valid<string>(IamName, base.arn?.split('/').at(-1)),
      };
    case 'AWSService':
      return { type: 'AWSService' };
    default:
      return { type: 'Unknown', ...base, rawType: identity.type ? identity.type.slice(0, 64) : undefined };
  }
}
