import type { PrincipalFacts } from '../describe-principal/schema.js';
import type { Ec2Port, S3Port } from '../shared/ports.js';
import type { Incident } from '../shared/schemas/incident.js';
import type { Plan, PlanItem } from '../shared/schemas/plan.js';
import type { PlanContainmentInput } from './schema.js';

/** The plan being built: what will be done, what will not (and why), what to do by hand. */
export interface Draft {
  items: PlanItem[];
  notPlanned: Plan['notPlanned'][number][];
  recommendations: string[];
}

export type PlanPorts = { s3: S3Port; ec2: Ec2Port };

/** Plans one containment action into the draft. */
export type Planner = (
  input: PlanContainmentInput,
  facts: PrincipalFacts | undefined,
  draft: Draft,
  ports: PlanPorts,
) => Promise<void>;

export function principalFacts(value: unknown): PrincipalFacts | undefined {
  return typeof value === 'object' && value !== null && (value as { status?: string }).status === 'ok'
    ? (value as PrincipalFacts)
    : undefined;
}

export interface DenySubject {
  principalArns?: string[];
  sourceIps?: string[];
  purpose: string;
  label: string;
}

/** Whom a bucket Deny names: the principal's ARN as `aws:PrincipalArn` sees it, or the source addresses. */
export function denySubject(incident: Incident, facts: PrincipalFacts | undefined): DenySubject | undefined {
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
