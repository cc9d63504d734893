import { describe, expect, it } from 'vitest';
import { InvalidFinding } from '../../handlers/shared/errors.js';
import { matchesFindingType, normalizeFinding, normalizeFindings } from '../../handlers/shared/schemas/normalize.js';
import { guardDutyEvent, readJson, withField } from '../support/fixtures.js';

function invalid(input: unknown): InvalidFinding {
  try {
    normalizeFinding(input);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidFinding);
    return error as InvalidFinding;
  }
  throw new Error('expected InvalidFinding');
}

describe('normalizeFinding', () => {
  it('turns an EventBridge GuardDuty event into the contract incident', () => {
    const result = normalizeFinding(guardDutyEvent());

    expect(result.status).toBe('accepted');
    expect(result.incident).toMatchObject({
      source: 'guardduty',
      findingId: 'b6c8a1f2e3d44e5f9a0b1c2d3e4f5a6b',
      findingType: 'Exfiltration:S3/AnomalousBehavior',
      severity: 8,
      accountId: '123456789012',
      region: 'us-east-1',
      principal: {
        type: 'IAMUser',
        arn: 'arn:aws:iam::123456789012:user/developer-jane',
        userName: 'developer-jane',
        accessKeyId: 'AKIA3EXAMPLEJNE7WXYZ',
        principalId: 'AIDA3EXAMPLEJANE0001',
      },
      buckets: ['customer-records'],
      sourceIps: ['198.51.100.23'],
      firstSeen: '2026-02-23T02:47:12.000Z',
      lastSeen: '2026-02-23T04:12:40.000Z',
      count: 1,
    });
  });

  it('gives the same incident for the bare finding as in detail', () => {
    const event = guardDutyEvent();

    const bare = normalizeFinding(event.detail);

    expect(bare).toEqual(normalizeFinding(event));
  });

  it('reads the GetFindings (CLI/SDK) form: PascalCase, {"Findings":[…]}, AdditionalInfo as a JSON string', () => {
    const api = readJson('test/fixtures/guardduty/get-findings-output.json');

    const result = normalizeFinding(api);

    expect(result.status).toBe('accepted');
    expect(result.incident).toMatchObject({
      findingId: 'b6c8a1f2e3d44e5f9a0b1c2d3e4f5a6b',
      principal: { type: 'IAMUser', userName: 'developer-jane', accessKeyId: 'AKIA3EXAMPLEJNE7WXYZ' },
      buckets: ['customer-records'],
      sourceIps: ['198.51.100.23'],
      count: 5,
      ipDetails: [
        { ip: '198.51.100.23', country: 'Netherlands', city: 'Amsterdam', asn: '64500', org: 'EXAMPLE-HOSTING-AS' },
      ],
    });
  });

  it('ignores a sample finding in the API form, where sample sits inside AdditionalInfo.Value', () => {
    const result = normalizeFinding(readJson('test/fixtures/guardduty/sample-finding-api-form.json'));

    expect(result).toMatchObject({ status: 'ignored', reason: expect.stringContaining('sample finding') });
  });

  it('ignores a sample finding in the EventBridge form, and accepts it for a drill when asked', () => {
    const event = withField(guardDutyEvent(), 'detail.service.additionalInfo', { sample: true });

    expect(normalizeFinding(event).status).toBe('ignored');
    expect(normalizeFinding(event, { acceptSampleFindings: true }).status).toBe('accepted');
  });

  it('ignores archived findings and findings of other services', () => {
    const archived = withField(guardDutyEvent(), 'detail.service.archived', true);
    const ec2 = withField(guardDutyEvent(), 'detail.type', 'Recon:EC2/PortProbeUnprotectedPort');

    expect(normalizeFinding(archived)).toMatchObject({
      status: 'ignored',
      reason: expect.stringContaining('archived'),
    });
    expect(normalizeFinding(ec2)).toMatchObject({
      status: 'ignored',
      reason: expect.stringContaining('not an S3 finding'),
    });
  });

  it('still parses the retired Exfiltration:S3/ObjectRead.Unusual type', () => {
    const event = withField(guardDutyEvent(), 'detail.type', 'Exfiltration:S3/ObjectRead.Unusual');

    expect(normalizeFinding(event).status).toBe('accepted');
  });

  it('filters by the configured finding types', () => {
    const event = withField(guardDutyEvent(), 'detail.type', 'Discovery:S3/MaliciousIPCaller');

    const result = normalizeFinding(event, { findingTypes: ['Exfiltration:S3/'] });

    expect(result).toMatchObject({ status: 'ignored', reason: expect.stringContaining('configured findingTypes') });
  });

  it('maps an assumed role: role name, session, session ARN and role ARN', () => {
    const event = withField(guardDutyEvent(), 'detail.resource.accessKeyDetails', {
      accessKeyId: 'ASIA3EXAMPLESESSN123',
      principalId: 'AROA3EXAMPLEETLROLE1:i-0f1e2d3c4b5a69788',
      userName: 'etl-pipeline',
      userType: 'AssumedRole',
    });

    const { incident } = normalizeFinding(event);

    expect(incident?.principal).toEqual({
      type: 'AssumedRole',
      accessKeyId: 'ASIA3EXAMPLESESSN123',
      principalId: 'AROA3EXAMPLEETLROLE1:i-0f1e2d3c4b5a69788',
      userName: 'etl-pipeline',
      sessionName: 'i-0f1e2d3c4b5a69788',
      sessionIssuer: 'arn:aws:iam::123456789012:role/etl-pipeline',
      arn: 'arn:aws:sts::123456789012:assumed-role/etl-pipeline/i-0f1e2d3c4b5a69788',
    });
  });

  it.each([
    [
      { userType: 'Root', principalId: '123456789012', userName: 'root' },
      { type: 'Root', arn: 'arn:aws:iam::123456789012:root' },
    ],
    [
      { userType: 'AWSAccount', principalId: 'ANONYMOUS_PRINCIPAL' },
      { type: 'Anonymous', principalId: 'ANONYMOUS_PRINCIPAL' },
    ],
    [
      { userType: 'SomethingNew', principalId: 'X1' },
      { type: 'Unknown', rawType: 'SomethingNew' },
    ],
  ])('maps principal type %o', (details, expected) => {
    const event = withField(guardDutyEvent(), 'detail.resource.accessKeyDetails', details);

    expect(normalizeFinding(event).incident?.principal).toMatchObject(expected);
  });

  it('names the field path of a missing detail.type', () => {
    const event = withField(guardDutyEvent(), 'detail.type', undefined);

    const error = invalid(event);

    expect(error.path).toBe('detail.type');
    expect(error.message).toBe('detail.type: is required');
  });

  it.each([
    [
      'a bucket name with a quote',
      'detail.resource.s3BucketDetails.0.name',
      "evil'bucket",
      'detail.resource.s3BucketDetails[0].name',
    ],
    ['a severity as text', 'detail.severity', 'high', 'detail.severity'],
    ['an account id of 11 digits', 'detail.accountId', '12345678901', 'detail.accountId'],
    [
      'a user name with a space',
      'detail.resource.accessKeyDetails.userName',
      'bad name',
      'detail.resource.accessKeyDetails.userName',
    ],
    [
      'a malformed IP',
      'detail.service.action.awsApiCallAction.remoteIpDetails.ipAddressV4',
      '999.1.1.1',
      'detail.service.action.awsApiCallAction.remoteIpDetails.ipAddressV4',
    ],
  ])('rejects %s with its field path', (_label, field, value, path) => {
    expect(invalid(withField(guardDutyEvent(), field, value)).path).toBe(path);
  });

  it('rejects input that is not a finding at all', () => {
    expect(invalid([1, 2]).message).toMatch(/expected a JSON object/);
    expect(invalid({ hello: 'world' }).message).toMatch(/unrecognized input/);
    expect(invalid({ source: 'aws.s3', 'detail-type': 'Object Created', detail: {} }).path).toBe('detail-type');
  });

  it('needs exactly one finding for an incident, but normalizeFindings takes a list', () => {
    const api = readJson<{ Findings: unknown[] }>('test/fixtures/guardduty/get-findings-output.json');
    const two = { Findings: [api.Findings[0], api.Findings[0]] };

    expect(invalid(two).path).toBe('Findings');
    expect(normalizeFindings(two)).toHaveLength(2);
  });
});

describe('matchesFindingType', () => {
  it('treats a trailing / or * as a prefix and anything else as an exact type', () => {
    expect(matchesFindingType('Exfiltration:S3/AnomalousBehavior', ['Exfiltration:S3/'])).toBe(true);
    expect(matchesFindingType('Exfiltration:S3/AnomalousBehavior', ['Exfiltration:S3/*'])).toBe(true);
    expect(matchesFindingType('AttackSequence:S3/CompromisedData', ['AttackSequence:S3/CompromisedData'])).toBe(true);
    expect(matchesFindingType('AttackSequence:S3/CompromisedDataX', ['AttackSequence:S3/CompromisedData'])).toBe(false);
  });
});
