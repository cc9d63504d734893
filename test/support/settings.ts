import type { Settings } from '../../handlers/shared/schemas/settings.js';
import { localResponderRoles } from '../../local/simulate.js';

/** Runtime settings for core tests: the seed scenario's roles and approvers, optional overrides. */
export function testSettings(overrides: Partial<Settings> = {}): Settings {
  return {
    trustedAccounts: [],
    irRoleArns: ['arn:aws:iam::123456789012:role/IncidentResponder'],
    breakGlassRoleArns: [],
    responderRoleArns: localResponderRoles('123456789012'),
    vpcEndpointIds: [],
    approvers: ['U024BE7LH'],
    slackChannel: 'C0SECOPS01',
    twoPersonRule: false,
    approvalTimeoutSeconds: 3600,
    heartbeatSeconds: 600,
    findingTypes: ['Exfiltration:S3/'],
    acceptSampleFindings: false,
    dryRun: false,
    denyNonVpcAccess: false,
    correlationWindowMinutes: 60,
    autoCloseAfterMinutes: 7 * 24 * 60,
    cidrCollapseThreshold: 8,
    maxNewIncidentsPerBucket: 5,
    ...overrides,
  };
}
