import { sourceIpBlocks } from '../shared/cidr.js';
import { UnsafePolicy } from '../shared/errors.js';
import { statementSid } from '../shared/ids.js';
import {
  BUCKET_POLICY_LIMIT_BYTES,
  byteSize,
  parsePolicy,
  type Statement,
  serializePolicy,
  VPCE_POLICY_LIMIT_CHARS,
} from '../shared/policy/document.js';
import { mergeStatements } from '../shared/policy/merge.js';
import { bucketDenyStatement, denyNonVpcStatement, endpointDenyStatements } from '../shared/policy/statements.js';
import type { AccountScope, S3Port } from '../shared/ports.js';
import { principalOfType } from '../shared/render/words.js';
import type { OurStatement } from '../shared/schemas/plan.js';
import { isManagedAccount, ourAccountIds, protectedRoleArns } from '../shared/schemas/settings.js';
import {
  type DenySubject,
  type Draft,
  denySubject,
  denySubjects,
  type Planner,
  PRIVATE_ADDRESS_REASON,
  SPECIAL_ADDRESS_REASON,
  specialAddresses,
} from './draft.js';

/** Policy actions: Sid-keyed Denies merged into bucket and VPC endpoint policies, with projected sizes. */
export const policyPlanners: Record<'restrictVpcEndpoint' | 'denyBucketAccess', Planner> = {
  async restrictVpcEndpoint({ incident, incidentId, settings }, facts, draft, ports) {
    if (settings.vpcEndpointIds.length === 0) {
      draft.notPlanned.push({
        action: 'restrictVpcEndpoint',
        reason: 'no VPC endpoints are configured (vpcEndpointIds)',
      });
      return;
    }
    const subject = denySubject(
      incident,
      facts,
      (accountId) => isManagedAccount(settings, accountId, incident.accountId) || accountId === incident.accountId,
      settings.cidrCollapseThreshold,
    );
    const exempt = protectedRoleArns(settings);
    const principalArns = subject?.principalArns?.filter((arn) => !namesProtected(arn, exempt));
    for (const vpcEndpointId of settings.vpcEndpointIds) {
      const statements = refusedAsUnsafe(draft, 'restrictVpcEndpoint', vpcEndpointId, () =>
        endpointDenyStatements({
          sidPrefix: statementSid(incidentId, `Vpce${vpcEndpointId.replace('vpce-', '')}`),
          partition: incident.partition,
          principalArns,
          principalAccounts: principalArns?.length ? undefined : subject?.principalAccounts,
          allowedAccounts: [...new Set([incident.accountId, ...settings.trustedAccounts])],
          exemptArns: exempt,
          ourAccounts: ourAccountIds(settings, incident.accountId),
        }),
      );
      if (!statements) continue;
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
        // As for a bucket (`projectedSize`): our statements already there are counted as rewritten in place.
        const sids = new Set(statements.map((statement) => statement.Sid));
        after = serializePolicy(
          mergeStatements(parsePolicy(endpoint.policy, vpcEndpointId), statements, {
            owns: (existing) => existing.Sid !== undefined && sids.has(existing.Sid),
          }).document,
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
        summary: `Add ${statements.map((statement) => statement.Sid).join(', ')} to the policy of ${vpcEndpointId}: ${principalArns?.length ? `deny ${principalArns.join(', ')}, and ` : subject?.principalAccounts ? `deny ${subject.label}, and ` : ''}deny S3 requests to buckets outside accounts ${[incident.accountId, ...settings.trustedAccounts].join(', ')}; the existing Allow is kept (${note ?? `${before} → ${after} characters of 20480`})${over}`,
      });
    }
  },

  async denyBucketAccess({ incident, incidentId, settings }, facts, draft, ports) {
    const exempt = protectedRoleArns(settings);
    const subjects = withoutProtected(
      denySubjects(
        incident,
        facts,
        (accountId) => isManagedAccount(settings, accountId, incident.accountId) || accountId === incident.accountId,
        settings.cidrCollapseThreshold,
      ),
      exempt,
      draft,
    );
    if (subjects.length === 0) {
      if (!draft.notPlanned.some((entry) => entry.action === 'denyBucketAccess')) {
        const { nonPublic, specialPurpose } = sourceIpBlocks(
          incident.principal.type === 'Anonymous' ? incident.sourceIps : [],
        );
        const privateOnes = nonPublic.length > 0 ? `private (${nonPublic.slice(0, 5).join(', ')})` : '';
        const special =
          specialPurpose.length > 0 ? `of special-purpose ranges (${specialAddresses(specialPurpose)})` : '';
        draft.notPlanned.push({
          action: 'denyBucketAccess',
          reason:
            privateOnes || special
              ? `the caller's only source addresses are ${[privateOnes, special].filter(Boolean).join(' or ')}: ${[
                  privateOnes ? PRIVATE_ADDRESS_REASON : '',
                  special ? SPECIAL_ADDRESS_REASON : '',
                ]
                  .filter(Boolean)
                  .join('; ')}`
              : `no principal ARN or source address to deny for ${principalOfType(incident.principal.type)}`,
        });
      }
      return;
    }
    if (incident.buckets.length === 0) {
      draft.notPlanned.push({ action: 'denyBucketAccess', reason: 'the finding names no bucket' });
      return;
    }
    for (const bucket of incident.buckets) {
      // One statement per kind of caller (by ARN, by address), each under its own Sid, rewritten in
      // place when a principal or an address is added: never a second Deny for the same caller.
      const statements: Statement[] = [];
      const denied: string[] = [];
      for (const subject of subjects) {
        const statement = refusedAsUnsafe(draft, 'denyBucketAccess', bucket, () =>
          bucketDenyStatement({
            sid: statementSid(incidentId, subject.purpose),
            bucket,
            partition: incident.partition,
            principalArns: subject.principalArns,
            principalAccounts: subject.principalAccounts,
            sourceIps: subject.sourceIps,
            exemptArns: exempt,
            ourAccounts: ourAccountIds(settings, incident.accountId),
          }),
        );
        if (!statement) continue;
        statements.push(statement);
        denied.push(
          `Deny ${statement.Sid} to the policy of ${bucket} for ${subject.label}${subject.sourceIps ? ` (exactly these ${subject.sourceIps.length} block(s) are written; addresses that arrive after this plan are asked in a round of their own)` : ''}`,
        );
      }
      const [statement] = statements;
      if (!statement) continue;
      const denies = statements.length;
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
      const sizes = await projectedSize(
        ports.s3,
        { accountId: incident.accountId, region: incident.region },
        bucket,
        statements,
      );
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
        summary: `Add ${denied.join(', and ')}${statements.length > denies ? `, and ${statements[denies]?.Sid} (object reads only through ${settings.vpcEndpointIds.join(', ')})` : ''} (${sizes.note ?? `${sizes.before} → ${sizes.after} bytes of 20480`})${over}`,
      });
    }
  },
};

/**
 * Whether a Deny target names a protected (IR, break-glass, responder) role: the role's own ARN, or
 * a pattern we would write that matches it (the any-path form of an unconfirmed ARN).
 */
function namesProtected(arn: string, exempt: readonly string[]): boolean {
  if (exempt.includes(arn)) return true;
  if (!/[*?]/.test(arn)) return false;
  // `user/*/jane` (any IAM path) also stands for `user/jane` (no path).
  const forms = [arn, arn.replace('/*/', '/')];
  return forms.some((form) => {
    const pattern = new RegExp(
      `^${form
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
    );
    return exempt.some((protectedArn) => pattern.test(protectedArn));
  });
}

/**
 * The Deny subjects with every protected role taken out: a crafted signal naming one (beside the
 * real caller, or alone) never gets it denied, and never costs the other principals their Deny. Each
 * one taken out is said, with a recommendation to contain it by hand.
 */
function withoutProtected(subjects: readonly DenySubject[], exempt: readonly string[], draft: Draft): DenySubject[] {
  const kept: DenySubject[] = [];
  for (const subject of subjects) {
    const hits = subject.principalArns?.filter((arn) => namesProtected(arn, exempt)) ?? [];
    for (const hit of hits.filter((arn) => exempt.includes(arn))) {
      draft.notPlanned.push({
        action: 'denyBucketAccess',
        target: hit,
        reason: `${hit} is an exempt (IR, break-glass or responder) role`,
      });
      draft.recommendations.push(`The principal ${hit} is exempt from our denies: contain it by hand.`);
    }
    if (hits.length === 0) {
      kept.push(subject);
      continue;
    }
    const principalArns = subject.principalArns?.filter((arn) => !hits.includes(arn)) ?? [];
    if (principalArns.length > 0) kept.push({ ...subject, principalArns, label: principalArns.join(', ') });
  }
  return kept;
}

/**
 * Builds a policy's statements, or, when the builder refuses them as unsafe (a Deny that would name
 * a protected role or a whole account of ours), says why under `notPlanned` and plans nothing there.
 */
function refusedAsUnsafe<T>(
  draft: Draft,
  action: 'denyBucketAccess' | 'restrictVpcEndpoint',
  target: string,
  build: () => T,
) {
  try {
    return build();
  } catch (error) {
    if (!(error instanceof UnsafePolicy)) throw error;
    draft.notPlanned.push({ action, target, reason: `refused as unsafe (UnsafePolicy): ${error.message}` });
    return undefined;
  }
}

async function projectedSize(
  s3: S3Port,
  scope: AccountScope,
  bucket: string,
  statements: Parameters<typeof mergeStatements>[1],
) {
  try {
    const text = await s3.getBucketPolicy({ ...scope, bucket });
    // A statement under one of our Sids (an earlier round's Deny, widened now or changed by hand
    // since) is counted as rewritten in place; whether it may be is the apply's to decide.
    const sids = new Set(statements.map((statement) => statement.Sid));
    const merged = mergeStatements(parsePolicy(text, bucket), statements, {
      owns: (existing) => existing.Sid !== undefined && sids.has(existing.Sid),
    });
    return { before: text ? byteSize(text) : 0, after: byteSize(serializePolicy(merged.document)) };
  } catch (error) {
    const after = byteSize(serializePolicy(mergeStatements(undefined, statements).document));
    return { before: 0, after, note: `current policy unreadable (${(error as Error).name}); apply re-reads it` };
  }
}
