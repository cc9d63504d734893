import { Duration, definePlaybook } from './define.js';

/** Data leaving S3: GuardDuty's S3 exfiltration family (DESIGN §3 defaults). */
export const playbook = definePlaybook({
  id: 's3-exfiltration',
  title: 'S3 data exfiltration',
  triggers: [
    { guardDuty: ['Exfiltration:S3/', 'AttackSequence:S3/CompromisedData', 'UnauthorizedAccess:S3/'] },
    { detection: 'cross-account-copy' },
    { detection: 'external-kms-copy' },
    { detection: 'anonymous-rare-source' },
    { detection: 'bulk-download' },
  ],
  enrich: ['describePrincipal', 'describeBuckets', 'assessSensitivity', 'collectManagementEvents'],
  evidence: ['queryDataEvents'],
  approval: { timeout: Duration.hours(24), heartbeat: Duration.hours(1) },
  contain: ['deactivateAccessKey', 'revokeRoleSessions', 'startMacieJob', 'denyBucketAccess', 'restrictVpcEndpoint'],
});
