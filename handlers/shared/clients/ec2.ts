import { DescribeVpcEndpointsCommand, EC2Client, ModifyVpcEndpointCommand } from '@aws-sdk/client-ec2';
import { AwsServiceError, awsErrorCode, mapAwsError } from '../errors.js';
import type { AccountScope, Ec2Port } from '../ports.js';
import { callAws, clientFor } from './accounts.js';

/** VPC endpoints are regional: one client per account and Region. */
const ec2In = (scope: AccountScope) => clientFor('ec2', (config) => new EC2Client(config), scope);

function present<T>(call: string, field: string, value: T | undefined): T {
  if (value === undefined) throw new AwsServiceError(`${call} answered without ${field}`);
  return value;
}

/**
 * The VPC endpoint port against AWS, in the incident's account and Region. DescribeVpcEndpoints
 * answers undefined for an endpoint that does not exist (InvalidVpcEndpointId.NotFound, or no
 * endpoint in the answer); the policy text is returned as stored. ModifyVpcEndpoint replaces the
 * whole policy with the text exactly as given, and fails unless EC2 answers `Return: true`.
 */
export function awsEc2Port(): Ec2Port {
  return {
    describeVpcEndpoint: async ({ vpcEndpointId, ...scope }) => {
      const call = 'ec2:DescribeVpcEndpoints';
      try {
        const { VpcEndpoints } = await ec2In(scope).send(
          new DescribeVpcEndpointsCommand({ VpcEndpointIds: [vpcEndpointId] }),
        );
        const endpoint = VpcEndpoints?.find((candidate) => candidate.VpcEndpointId === vpcEndpointId);
        if (!endpoint) return undefined;
        return {
          vpcEndpointId,
          serviceName: present(call, 'ServiceName', endpoint.ServiceName),
          type: present(call, 'VpcEndpointType', endpoint.VpcEndpointType),
          policy: endpoint.PolicyDocument,
        };
      } catch (error) {
        if (awsErrorCode(error) === 'InvalidVpcEndpointId.NotFound') return undefined;
        throw mapAwsError(call, error);
      }
    },

    modifyVpcEndpointPolicy: ({ vpcEndpointId, policy, ...scope }) =>
      callAws('ec2:ModifyVpcEndpoint', async () => {
        const { Return } = await ec2In(scope).send(
          new ModifyVpcEndpointCommand({ VpcEndpointId: vpcEndpointId, PolicyDocument: policy }),
        );
        if (Return !== true) {
          throw new AwsServiceError(`ec2:ModifyVpcEndpoint answered Return: ${String(Return)} for ${vpcEndpointId}`);
        }
      }),
  };
}
