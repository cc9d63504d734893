import { task } from '../shared/define-task.js';
import { AwsResourceNotFound } from '../shared/errors.js';
import { NOT_YET_VISIBLE, patchOptions } from '../shared/owned-sids.js';
import { type Statement, VPCE_POLICY_LIMIT_CHARS } from '../shared/policy/document.js';
import { patchPolicy } from '../shared/policy/patch.js';
import type { Clock, Ec2Port, Timer } from '../shared/ports.js';
import { recordAction } from '../shared/record-action.js';
import { actionInput } from '../shared/schemas/action-input.js';
import { type ActionResult, RestrictVpcEndpointItem } from '../shared/schemas/plan.js';
import { ourAccountIds, protectedRoleArns } from '../shared/schemas/settings.js';
import type { IncidentStore } from '../shared/store/types.js';

/**
 * Merges the approved Deny statements into the S3 VPC endpoint's policy (`ModifyVpcEndpoint
 * PolicyDocument` replaces the whole document) through the shared patcher: the existing Allow is
 * kept and a deny-only result is refused, the 20,480-character limit is checked before writing,
 * and the prior document is backed up.
 */
export const restrictVpcEndpoint = task({
  name: 'restrictVpcEndpoint',
  input: actionInput(RestrictVpcEndpointItem),
  async run(
    { item, incidentId, settings },
    ports: { ec2: Ec2Port; store: IncidentStore; clock: Clock; timer?: Timer },
  ): Promise<ActionResult> {
    const { accountId, region, vpcEndpointId } = item;
    const statements = item.statements as Statement[];
    const options = await patchOptions(ports, incidentId, 'vpcEndpointPolicy', vpcEndpointId);
    const outcome = await patchPolicy(
      {
        label: `endpoint ${vpcEndpointId}`,
        read: async () => {
          const endpoint = await ports.ec2.describeVpcEndpoint({ accountId, region, vpcEndpointId });
          if (!endpoint) throw new AwsResourceNotFound(`VPC endpoint ${vpcEndpointId} does not exist`);
          return endpoint.policy;
        },
        write: (policy) => ports.ec2.modifyVpcEndpointPolicy({ accountId, region, vpcEndpointId, policy }),
        limit: VPCE_POLICY_LIMIT_CHARS,
        measure: (text) => text.length,
        unit: 'characters',
        mustKeepAllow: true,
      },
      statements,
      protectedRoleArns(settings),
      (prior) =>
        ports.store.saveUndo(incidentId, {
          kind: 'vpcEndpointPolicy',
          target: vpcEndpointId,
          accountId,
          region,
          prior,
          savedAt: ports.clock.now().toISOString(),
        }),
      { ...options, ourAccounts: ourAccountIds(settings, accountId) },
    );
    const label = `Endpoint policy of ${vpcEndpointId}: Deny ${statements.map((statement) => statement.Sid).join(', ')}`;
    return recordAction(
      ports,
      incidentId,
      {
        action: 'restrictVpcEndpoint',
        target: vpcEndpointId,
        result: outcome.result,
        detail: outcome.result === 'applied' ? detail(`${outcome.size} characters`, outcome.visible) : undefined,
        ...(outcome.visible ? {} : { visible: false }),
      },
      label,
    );
  },
});

const detail = (size: string, visible: boolean) => (visible ? size : `${size}; ${NOT_YET_VISIBLE}`);
