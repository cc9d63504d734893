import { AwsResourceNotFound } from '../../handlers/shared/errors.js';
import type { Ec2Port } from '../../handlers/shared/ports.js';
import type { AccountState } from './state.js';

/**
 * EC2 of the in-memory account: the scenario's gateway VPC endpoints and their policies. EC2 is
 * regional: an endpoint exists only in its Region (a call naming none is in the scenario's Region).
 */
export function ec2Port(state: AccountState): Ec2Port {
  const exists = (args: { vpcEndpointId: string; region?: string }) =>
    state.endpointPolicies.has(args.vpcEndpointId) &&
    state.endpointRegions.get(args.vpcEndpointId) === (args.region ?? state.scenario.region);
  return {
    describeVpcEndpoint: async (args) => {
      state.enter('ec2:DescribeVpcEndpoints', args);
      if (!exists(args)) return undefined;
      return {
        vpcEndpointId: args.vpcEndpointId,
        serviceName: state.endpointServices.get(args.vpcEndpointId) ?? '',
        type: 'Gateway',
        policy: state.lag.read(
          'ec2:DescribeVpcEndpoints',
          `endpoint:${args.vpcEndpointId}`,
          state.endpointPolicies.get(args.vpcEndpointId),
        ),
      };
    },
    modifyVpcEndpointPolicy: async (args) => {
      state.enter('ec2:ModifyVpcEndpoint', args);
      if (!exists(args)) {
        throw new AwsResourceNotFound(
          `ec2:ModifyVpcEndpoint failed: InvalidVpcEndpointId.NotFound: ${args.vpcEndpointId} (in ${args.region ?? state.scenario.region})`,
        );
      }
      JSON.parse(args.policy);
      state.lag.wrote(`endpoint:${args.vpcEndpointId}`, state.endpointPolicies.get(args.vpcEndpointId));
      state.endpointPolicies.set(args.vpcEndpointId, args.policy);
      state.writes.push({ call: 'ec2:ModifyVpcEndpoint', target: args.vpcEndpointId });
    },
  };
}
