import {
  DescribeVpcEndpointsCommand,
  EC2Client,
  EC2ServiceException,
  ModifyVpcEndpointCommand,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resetClientCache } from '../../handlers/shared/clients/accounts.js';
import { awsEc2Port } from '../../handlers/shared/clients/ec2.js';
import { AwsAccessDenied, AwsResourceNotFound, AwsServiceError, AwsThrottling } from '../../handlers/shared/errors.js';

const ec2 = mockClient(EC2Client);
const ACCOUNT = '111111111111';
const SCOPE = { accountId: ACCOUNT, region: 'eu-west-1' };
const ENDPOINT_ID = 'vpce-0123456789abcdef0';
/** Spacing and key order that a parse-and-serialize round trip would change. */
const POLICY =
  '{\n  "Version": "2012-10-17",\n  "Statement": [ { "Sid": "AllowAll", "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*" } ]\n}';
const NEW_POLICY =
  '{"Version":"2012-10-17","Statement":[{"Sid":"S3ExfilResponderDeny","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::customer-records","arn:aws:s3:::customer-records/*"]},{"Sid":"AllowAll","Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}';

const ec2Error = (name: string, message: string) =>
  new EC2ServiceException({ name, message, $fault: 'client', $metadata: { httpStatusCode: 400 } });

describe('awsEc2Port', () => {
  beforeEach(() => {
    ec2.reset();
    resetClientCache();
    vi.stubEnv('HOME_ACCOUNT_ID', ACCOUNT);
  });
  afterEach(() => vi.unstubAllEnvs());

  it('describes exactly the endpoint it is asked for, with its policy text as stored', async () => {
    ec2.on(DescribeVpcEndpointsCommand).resolves({
      VpcEndpoints: [
        {
          VpcEndpointId: ENDPOINT_ID,
          VpcEndpointType: 'Gateway',
          VpcId: 'vpc-0abc',
          ServiceName: 'com.amazonaws.eu-west-1.s3',
          State: 'Available',
          PolicyDocument: POLICY,
        },
      ],
    });

    const endpoint = await awsEc2Port().describeVpcEndpoint({ ...SCOPE, vpcEndpointId: ENDPOINT_ID });

    expect(endpoint).toEqual({
      vpcEndpointId: ENDPOINT_ID,
      serviceName: 'com.amazonaws.eu-west-1.s3',
      type: 'Gateway',
      policy: POLICY,
    });
    expect(ec2).toHaveReceivedCommandTimes(DescribeVpcEndpointsCommand, 1);
    expect(ec2.commandCalls(DescribeVpcEndpointsCommand)[0]?.args[0].input).toEqual({ VpcEndpointIds: [ENDPOINT_ID] });
  });

  it('uses a client in the Region it is given', async () => {
    ec2.on(DescribeVpcEndpointsCommand).resolves({ VpcEndpoints: [] });

    await awsEc2Port().describeVpcEndpoint({ ...SCOPE, vpcEndpointId: ENDPOINT_ID });

    const client = ec2.call(0).thisValue as EC2Client;
    await expect(client.config.region()).resolves.toBe('eu-west-1');
  });

  it('answers undefined for an endpoint that does not exist (InvalidVpcEndpointId.NotFound)', async () => {
    ec2
      .on(DescribeVpcEndpointsCommand)
      .rejects(ec2Error('InvalidVpcEndpointId.NotFound', `The Vpc Endpoint Id '${ENDPOINT_ID}' does not exist`));

    await expect(awsEc2Port().describeVpcEndpoint({ ...SCOPE, vpcEndpointId: ENDPOINT_ID })).resolves.toBeUndefined();
  });

  it('answers undefined when the answer holds no such endpoint', async () => {
    ec2.on(DescribeVpcEndpointsCommand).resolves({ VpcEndpoints: [] });

    await expect(awsEc2Port().describeVpcEndpoint({ ...SCOPE, vpcEndpointId: ENDPOINT_ID })).resolves.toBeUndefined();
  });

  it('describes an endpoint without a policy (an interface endpoint of a service without policies)', async () => {
    ec2.on(DescribeVpcEndpointsCommand).resolves({
      VpcEndpoints: [
        { VpcEndpointId: ENDPOINT_ID, VpcEndpointType: 'Interface', ServiceName: 'com.amazonaws.eu-west-1.s3' },
      ],
    });

    await expect(awsEc2Port().describeVpcEndpoint({ ...SCOPE, vpcEndpointId: ENDPOINT_ID })).resolves.toEqual({
      vpcEndpointId: ENDPOINT_ID,
      serviceName: 'com.amazonaws.eu-west-1.s3',
      type: 'Interface',
      policy: undefined,
    });
  });

  it('maps other describe failures to named errors', async () => {
    ec2
      .on(DescribeVpcEndpointsCommand)
      .rejectsOnce(ec2Error('RequestLimitExceeded', 'Request limit exceeded.'))
      .rejectsOnce(ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation.'))
      .rejectsOnce(ec2Error('InvalidVpcEndpointId.Malformed', 'Invalid Id: "vpce-x"'));
    const port = awsEc2Port();

    const throttled = port.describeVpcEndpoint({ ...SCOPE, vpcEndpointId: ENDPOINT_ID });
    await expect(throttled).rejects.toBeInstanceOf(AwsThrottling);
    await expect(throttled).rejects.toThrow(/^ec2:DescribeVpcEndpoints failed: RequestLimitExceeded/);
    await expect(port.describeVpcEndpoint({ ...SCOPE, vpcEndpointId: ENDPOINT_ID })).rejects.toBeInstanceOf(
      AwsAccessDenied,
    );
    await expect(port.describeVpcEndpoint({ ...SCOPE, vpcEndpointId: 'vpce-x' })).rejects.toBeInstanceOf(
      AwsResourceNotFound,
    );
  });

  it('replaces the policy with the document text exactly as given', async () => {
    ec2.on(ModifyVpcEndpointCommand).resolves({ Return: true });

    await awsEc2Port().modifyVpcEndpointPolicy({ ...SCOPE, vpcEndpointId: ENDPOINT_ID, policy: NEW_POLICY });

    expect(ec2).toHaveReceivedCommandTimes(ModifyVpcEndpointCommand, 1);
    expect(ec2).toHaveReceivedCommandWith(ModifyVpcEndpointCommand, {
      VpcEndpointId: ENDPOINT_ID,
      PolicyDocument: NEW_POLICY,
    });
    expect(ec2.commandCalls(ModifyVpcEndpointCommand)[0]?.args[0].input).toEqual({
      VpcEndpointId: ENDPOINT_ID,
      PolicyDocument: NEW_POLICY,
    });
  });

  it('writes a policy with its whitespace unchanged', async () => {
    ec2.on(ModifyVpcEndpointCommand).resolves({ Return: true });

    await awsEc2Port().modifyVpcEndpointPolicy({ ...SCOPE, vpcEndpointId: ENDPOINT_ID, policy: POLICY });

    expect(ec2.commandCalls(ModifyVpcEndpointCommand)[0]?.args[0].input.PolicyDocument).toBe(POLICY);
  });

  it.each([
    ['false', { Return: false }],
    ['nothing', {}],
  ])('fails when EC2 answers Return %s', async (_case, answer) => {
    ec2.on(ModifyVpcEndpointCommand).resolves(answer);

    const result = awsEc2Port().modifyVpcEndpointPolicy({ ...SCOPE, vpcEndpointId: ENDPOINT_ID, policy: NEW_POLICY });

    await expect(result).rejects.toBeInstanceOf(AwsServiceError);
    await expect(result).rejects.toThrow(/ec2:ModifyVpcEndpoint answered Return/);
  });

  it('maps modify failures to named errors', async () => {
    ec2
      .on(ModifyVpcEndpointCommand)
      .rejectsOnce(ec2Error('RequestLimitExceeded', 'Request limit exceeded.'))
      .rejectsOnce(ec2Error('InvalidVpcEndpointId.NotFound', `The Vpc Endpoint Id '${ENDPOINT_ID}' does not exist`))
      .rejectsOnce(ec2Error('InvalidPolicyDocument', 'The policy document is malformed'));
    const port = awsEc2Port();
    const modify = () => port.modifyVpcEndpointPolicy({ ...SCOPE, vpcEndpointId: ENDPOINT_ID, policy: NEW_POLICY });

    const throttled = modify();
    await expect(throttled).rejects.toBeInstanceOf(AwsThrottling);
    await expect(throttled).rejects.toThrow(/^ec2:ModifyVpcEndpoint failed: RequestLimitExceeded/);
    await expect(modify()).rejects.toBeInstanceOf(AwsResourceNotFound);
    await expect(modify()).rejects.toBeInstanceOf(AwsServiceError);
  });
});
