import { task } from '../shared/define-task.js';
import type { AccessKeyInfo, IamPort } from '../shared/ports.js';
import { attempt, IncidentTaskInput, isUnavailable } from '../shared/schemas/task-input.js';
import type { KeyFacts, PrincipalFacts } from './schema.js';

/**
 * Looks the principal up in IAM: the user (with every key, its status and last use) or the role
 * behind a session (is it service-linked or made by IAM Identity Center?). Resolves the ARN with
 * its path, which GuardDuty does not report.
 */
export const describePrincipal = task({
  name: 'describePrincipal',
  input: IncidentTaskInput,
  async run({ incident }, ports: { iam: IamPort }): Promise<PrincipalFacts> {
    const { principal, accountId } = incident;
    const notes: string[] = [];
    if (principal.type === 'IAMUser' && principal.userName) {
      const userName = principal.userName;
      const user = await ports.iam.getUser({ accountId, userName });
      if (!user) notes.push(`IAM user ${userName} no longer exists`);
      const keys = user ? await ports.iam.listAccessKeys({ accountId, userName }) : [];
      const facts = await Promise.all(keys.map((key) => keyFacts(ports.iam, accountId, key)));
      const findingKey = facts.find((key) => key.accessKeyId === principal.accessKeyId);
      if (principal.accessKeyId && !findingKey && user) {
        notes.push(`the finding's key is not among ${userName}'s keys (temporary credentials, or already deleted)`);
      }
      return {
        status: 'ok',
        type: principal.type,
        resolvedArn: user?.arn ?? principal.arn,
        userName,
        findingKey,
        otherKeys: facts.filter((key) => key.accessKeyId !== principal.accessKeyId),
        notes,
      };
    }
    if (principal.type === 'AssumedRole' && principal.userName) {
      const roleName = principal.userName;
      const role = await ports.iam.getRole({ accountId, roleName });
      if (!role) notes.push(`IAM role ${roleName} no longer exists`);
      const path = role?.path ?? '/';
      return {
        status: 'ok',
        type: principal.type,
        resolvedArn: role?.arn ?? principal.sessionIssuer,
        roleName,
        serviceLinked: path.startsWith('/aws-service-role/'),
        ssoManaged: path.startsWith('/aws-reserved/sso.amazonaws.com/') || roleName.startsWith('AWSReservedSSO_'),
        otherKeys: [],
        notes,
      };
    }
    notes.push(`no IAM identity to describe for a ${principal.type} principal`);
    return { status: 'ok', type: principal.type, resolvedArn: principal.arn, otherKeys: [], notes };
  },
});

async function keyFacts(iam: IamPort, accountId: string, key: AccessKeyInfo): Promise<KeyFacts> {
  const used = await attempt(() => iam.getAccessKeyLastUsed({ accountId, accessKeyId: key.accessKeyId }));
  return {
    accessKeyId: key.accessKeyId,
    status: key.status,
    createDate: key.createDate,
    lastUsedDate: isUnavailable(used) ? undefined : used.lastUsedDate,
    lastUsedService: isUnavailable(used) ? undefined : used.serviceName,
  };
}
