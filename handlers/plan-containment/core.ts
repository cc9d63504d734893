import { createHash } from 'node:crypto';
import type { PrincipalFacts } from '../describe-principal/schema.js';
import { task } from '../shared/define-task.js';
import { maskKey, statementSid } from '../shared/ids.js';
import {
  BUCKET_POLICY_LIMIT_BYTES,
  byteSize,
  parsePolicy,
  type Statement,
  serializePolicy,
  VPCE_POLICY_LIMIT_CHARS,
} from '../shared/policy/document.js';
import { mergeStatements } from '../shared/policy/merge.js';
import {
  bucketDenyStatement,
  denyNonVpcStatement,
  endpointDenyStatements,
  REVOKE_SESSIONS_POLICY,
} from '../shared/policy/statements.js';
import type { Ec2Port, S3Port } from '../shared/ports.js';
import type { Incident } from '../shared/schemas/incident.js';
import type { ActionId, OurStatement, Plan, PlanItem } from '../shared/schemas/plan.js';
import { protectedRoleArns } from '../shared/schemas/settings.js';
import { PlanContainmentInput } from './schema.js';

type NotPlanned = Plan['notPlanned'][number];
interface Draft {
  items: PlanItem[];
  notPlanned: NotPlanned[];
  recommendations: string[];
}

/**
 * Computes the exact containment plan: which key, which statements in which policy, the resulting
 * policy size. Pure apart from reading the current bucket policies. What cannot be done
 * automatically is said in `notPlanned` and `recommendations`, never silently dropped.
 */
export const planContainment = task({
  name: 'planContainment',
  input: PlanContainmentInput,
  async run(input, ports: PlanPorts): Promise<Plan & { count: number }> {
    const draft: Draft = { items: [], notPlanned: [], recommendations: [] };
    const facts = principalFacts(input.enrichment.describePrincipal);
    for (const action of input.contain) {
      await PLANNERS[action]?.(input, facts, draft, ports);
    }
    draft.recommendations.push(...recommendationsFor(input.incident));
    return { ...draft, count: draft.items.length };
  },
});

type PlanPorts = { s3: S3Port; ec2: Ec2Port };
type Planner = (
  input: PlanContainmentInput,
  facts: PrincipalFacts | undefined,
  draft: Draft,
  ports: PlanPorts,
) => Promise<void>;

const PLANNERS: Partial<Record<ActionId, Planner>> = {
  async deactivateAccessKey({ incident }, facts, draft) {
    const { principal } = incident;
    const key = principal.accessKeyId;
    if (principal.type !== 'IAMUser' || !principal.userName || !key) {
      draft.notPlanned.push({
        action: 'deactivateAccessKey',
        reason: `no IAM user access key in the finding (${principal.type})`,
      });
      return;
    }
    if (!key.startsWith('AKIA')) {
      draft.notPlanned.push({
        action: 'deactivateAccessKey',
        target: key,
        reason: `${maskKey(key)} is a temporary (session) credential; UpdateAccessKey cannot deactivate it`,
      });
      return;
    }
    const lastUsed = facts?.findingKey?.lastUsedDate;
    const already = facts?.findingKey?.status === 'Inactive' ? ' (already inactive)' : '';
    draft.items.push({
      id: `deactivateAccessKey:${key}`,
      action: 'deactivateAccessKey',
      target: key,
      accountId: incident.accountId,
      region: incident.region,
      userName: principal.userName,
      accessKeyId: key,
      lastUsed,
      summary: `Deactivate access key ${maskKey(key)} of IAM user ${principal.userName}${already}${lastUsed ? `, last used ${lastUsed}` : ''}; other keys are listed, not touched`,
    });
  },

  async revokeRoleSessions({ incident, incidentId, settings }, facts, draft) {
    const { principal } = incident;
    const base = {
      accountId: incident.accountId,
      region: incident.region,
      policyName: REVOKE_SESSIONS_POLICY,
      sid: statementSid(incidentId, 'RevokeOlderSessions'),
    } as const;
    if (principal.type === 'AssumedRole' && principal.userName) {
      const role = principal.userName;
      const roleArn = facts?.resolvedArn ?? principal.sessionIssuer;
      if (facts?.serviceLinked) {
        draft.notPlanned.push({
          action: 'revokeRoleSessions',
          target: role,
          reason: `${role} is a service-linked role: IAM does not allow editing it`,
        });
        draft.recommendations.push(
          `Contain the AWS service that uses the service-linked role ${role}; its sessions cannot be revoked by policy.`,
        );
        return;
      }
      if (facts?.ssoManaged) {
        draft.notPlanned.push({
          action: 'revokeRoleSessions',
          target: role,
          reason: `${role} is managed by IAM Identity Center and cannot be edited here`,
        });
        draft.recommendations.push(
          `Revoke the user's active sessions in IAM Identity Center (permission set ${role}) and disable the user there.`,
        );
        return;
      }
      if (roleArn && protectedRoleArns(settings).includes(roleArn)) {
        draft.notPlanned.push({
          action: 'revokeRoleSessions',
          target: role,
          reason: `${roleArn} is an exempt (IR, break-glass or responder) role`,
        });
        return;
      }
      draft.items.push({
        ...base,
        id: `revokeRoleSessions:${role}`,
        action: 'revokeRoleSessions',
        target: role,
        principalKind: 'role',
        name: role,
        summary: `Add inline policy ${REVOKE_SESSIONS_POLICY} to role ${role}: deny everything to sessions issued before containment (new sessions, including legitimate ones, keep working)`,
      });
      return;
    }
    if (principal.type === 'IAMUser' && principal.userName && principal.accessKeyId?.startsWith('ASIA')) {
      draft.items.push({
        ...base,
        id: `revokeRoleSessions:user/${principal.userName}`,
        action: 'revokeRoleSessions',
        target: `user/${principal.userName}`,
        principalKind: 'user',
        name: principal.userName,
        summary: `Add inline policy ${REVOKE_SESSIONS_POLICY} to user ${principal.userName}: deny its temporary credentials issued before containment (long-term keys are not affected)`,
      });
      return;
    }
    draft.notPlanned.push({
      action: 'revokeRoleSessions',
      reason: `no session credentials to revoke for a ${principal.type} principal${principal.accessKeyId ? ` with key ${maskKey(principal.accessKeyId)}` : ''}`,
    });
  },

  async startMacieJob({ incident, incidentId, enrichment }, _facts, draft) {
    const sensitivity = enrichment.assessSensitivity as
      | { status?: string; reason?: string; error?: string }
      | undefined;
    if (incident.buckets.length === 0) {
      draft.notPlanned.push({ action: 'startMacieJob', reason: 'the finding names no bucket' });
      return;
    }
    if (sensitivity?.status === 'unavailable' && sensitivity.error === 'AwsServiceDisabled') {
      draft.notPlanned.push({
        action: 'startMacieJob',
        reason: `Macie is not available: ${sensitivity.reason ?? 'disabled'}`,
      });
      return;
    }
    const buckets = [...incident.buckets].sort();
    const digest = createHash('sha256').update(buckets.join('\n')).digest('hex').slice(0, 16);
    draft.items.push({
      id: `startMacieJob:${incidentId}`,
      action: 'startMacieJob',
      target: `s3-exfil-responder-${incidentId}`,
      accountId: incident.accountId,
      region: incident.region,
      buckets,
      jobName: `s3-exfil-responder-${incidentId}`,
      clientToken: `${incidentId}-${digest}`,
      summary: `Start a one-time Macie classification job on ${buckets.join(', ')} (billed per GB scanned; not waited on)`,
    });
  },

  async restrictVpcEndpoint({ incident, incidentId, settings }, facts, draft, ports) {
    if (settings.vpcEndpointIds.length === 0) {
      draft.notPlanned.push({
        action: 'restrictVpcEndpoint',
        reason: 'no VPC endpoints are configured (vpcEndpointIds)',
      });
      return;
    }
    const subject = denySubject(incident, facts);
    const exempt = protectedRoleArns(settings);
    const principalArns = subject?.principalArns?.filter((arn) => !exempt.includes(arn));
    for (const vpcEndpointId of settings.vpcEndpointIds) {
      const statements = endpointDenyStatements({
        sidPrefix: statementSid(incidentId, `Vpce${vpcEndpointId.replace('vpce-', '')}`),
        principalArns,
        allowedAccounts: [...new Set([incident.accountId, ...settings.trustedAccounts])],
        exemptArns: exempt,
      });
      let before = 0;
      let after = 0;
      let note: string | undefined;
      try {
        const endpoint = await ports.ec2.describeVpcEndpoint({
          accountId: incident.accountId,
          region: incident.region,
          vpcEndpointId,
        });
        if (!endpoint) {
          draft.notPlanned.push({
            action: 'restrictVpcEndpoint',
            target: vpcEndpointId,
            reason: `VPC endpoint ${vpcEndpointId} does not exist`,
          });
          continue;
        }
        before = endpoint.policy?.length ?? 0;
        after = serializePolicy(
          mergeStatements(parsePolicy(endpoint.policy, vpcEndpointId), statements).document,
        ).length;
      } catch (error) {
        note = `current policy unreadable (${(error as Error).name}); apply re-reads it`;
      }
      const over =
        after > VPCE_POLICY_LIMIT_CHARS ? ' — over the 20,480-character limit: it will be refused, not written' : '';
      draft.items.push({
        id: `restrictVpcEndpoint:${vpcEndpointId}`,
        action: 'restrictVpcEndpoint',
        target: vpcEndpointId,
        accountId: incident.accountId,
        region: incident.region,
        vpcEndpointId,
        statements: statements as OurStatement[],
        sizeBefore: before,
        sizeAfter: after,
        limit: VPCE_POLICY_LIMIT_CHARS,
        summary: `Add ${statements.map((statement) => statement.Sid).join(', ')} to the policy of ${vpcEndpointId}: ${principalArns?.length ? `deny ${principalArns.join(', ')}, and ` : ''}deny S3 requests to buckets outside accounts ${[incident.accountId, ...settings.trustedAccounts].join(', ')}; the existing Allow is kept (${note ?? `${before} → ${after} characters of 20480`})${over}`,
      });
    }
  },

  async denyBucketAccess({ incident, incidentId, settings }, facts, draft, ports) {
    const subject = denySubject(incident, facts);
    if (!subject) {
      draft.notPlanned.push({
        action: 'denyBucketAccess',
        reason: `no principal ARN or source address to deny for a ${incident.principal.type} principal`,
      });
      return;
    }
    const exempt = protectedRoleArns(settings);
    const protectedHit = subject.principalArns?.find((arn) => exempt.includes(arn));
    if (protectedHit) {
      draft.notPlanned.push({
        action: 'denyBucketAccess',
        reason: `${protectedHit} is an exempt (IR, break-glass or responder) role`,
      });
      draft.recommendations.push(`The principal ${protectedHit} is exempt from our denies: contain it by hand.`);
      return;
    }
    if (incident.buckets.length === 0) {
      draft.notPlanned.push({ action: 'denyBucketAccess', reason: 'the finding names no bucket' });
      return;
    }
    for (const bucket of incident.buckets) {
      const statement = bucketDenyStatement({
        sid: statementSid(incidentId, subject.purpose),
        bucket,
        partition: incident.partition,
        principalArns: subject.principalArns,
        sourceIps: subject.sourceIps,
        exemptArns: exempt,
      });
      const statements: Statement[] = [statement];
      if (settings.denyNonVpcAccess && settings.vpcEndpointIds.length > 0) {
        statements.push(
          denyNonVpcStatement({
            sid: statementSid(incidentId, 'DenyNonVpcAccess'),
            bucket,
            partition: incident.partition,
            vpcEndpointIds: settings.vpcEndpointIds,
            exemptArns: exempt,
          }),
        );
      }
      const sizes = await projectedSize(ports.s3, incident.accountId, bucket, statements);
      const over =
        sizes.after > BUCKET_POLICY_LIMIT_BYTES ? ' — over the 20 KB limit: it will be refused, not written' : '';
      draft.items.push({
        id: `denyBucketAccess:${bucket}`,
        action: 'denyBucketAccess',
        target: bucket,
        accountId: incident.accountId,
        region: incident.region,
        bucket,
        statements: statements as OurStatement[],
        sizeBefore: sizes.before,
        sizeAfter: sizes.after,
        limit: BUCKET_POLICY_LIMIT_BYTES,
        summary: `Add Deny ${statement.Sid} to the policy of ${bucket} for ${subject.label}${statements.length > 1 ? `, and ${statements[1]?.Sid} (object reads only through ${settings.vpcEndpointIds.join(', ')})` : ''} (${sizes.note ?? `${sizes.before} → ${sizes.after} bytes of 20480`})${over}`,
      });
    }
  },
};

function principalFacts(value: unknown): PrincipalFacts | undefined {
  return typeof value === 'object' && value !== null && (value as { status?: string }).status === 'ok'
    ? (value as PrincipalFacts)
    : undefined;
}

interface DenySubject {
  principalArns?: string[];
  sourceIps?: string[];
  purpose: string;
  label: string;
}

/** Whom a bucket Deny names: the principal's ARN as `aws:PrincipalArn` sees it, or the source addresses. */
function denySubject(incident: Incident, facts: PrincipalFacts | undefined): DenySubject | undefined {
  const { principal } = incident;
  const resolved = facts?.resolvedArn;
  switch (principal.type) {
    case 'IAMUser':
    case 'FederatedUser':
    case 'Root': {
      const arn = resolved ?? principal.arn;
      return arn ? { principalArns: [arn], purpose: 'DenyPrincipal', label: arn } : bySourceIp(incident);
    }
    case 'AssumedRole': {
      const arn = resolved ?? principal.sessionIssuer;
      return arn
        ? { principalArns: [arn], purpose: 'DenyPrincipal', label: `every session of ${arn}` }
        : bySourceIp(incident);
    }
    default:
      return bySourceIp(incident);
  }
}

function bySourceIp(incident: Incident): DenySubject | undefined {
  if (incident.sourceIps.length === 0) return undefined;
  return {
    sourceIps: incident.sourceIps,
    purpose: 'DenySourceIp',
    label: `requests from ${incident.sourceIps.join(', ')}`,
  };
}

async function projectedSize(
  s3: S3Port,
  accountId: string,
  bucket: string,
  statements: Parameters<typeof mergeStatements>[1],
) {
  try {
    const text = await s3.getBucketPolicy({ accountId, bucket });
    const merged = mergeStatements(parsePolicy(text, bucket), statements);
    return { before: text ? byteSize(text) : 0, after: byteSize(serializePolicy(merged.document)) };
  } catch (error) {
    const after = byteSize(serializePolicy(mergeStatements(undefined, statements).document));
    return { before: 0, after, note: `current policy unreadable (${(error as Error).name}); apply re-reads it` };
  }
}

function recommendationsFor(incident: Incident): string[] {
  const { principal } = incident;
  switch (principal.type) {
    case 'IAMUser':
      return [
        `Reset the console password of ${principal.userName ?? 'the user'} and re-enroll MFA.`,
        'Scan the user’s repositories and CI secrets for the leaked key (credential-leak scan).',
        'Review keys, users and policies the attacker may have created (see the management events).',
      ];
    case 'AssumedRole':
      return [
        `Find how the session of ${principal.userName ?? 'the role'} was obtained (the source credentials or workload) and rotate them.`,
        'Review the role’s trust policy and who can assume it.',
      ];
    case 'Root':
      return [
        'Root credentials were used: sign in as root, change the password, delete any root access keys, and enable MFA.',
        'Review every change made with the root user (CloudTrail).',
      ];
    case 'Anonymous':
      return [
        'Unauthenticated access worked: turn on S3 Block Public Access for the bucket and the account, and review bucket policies and ACLs.',
      ];
    default:
      return ['The principal could not be identified: review the CloudTrail records of the activity by hand.'];
  }
}
