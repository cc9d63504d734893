import { describe, expect, it } from 'vitest';
import { InvalidEventPattern, matchesEventPattern } from '../../local/event-pattern.js';

/** The EventBridge user guide's example event for content filtering (EC2 state change). */
const EC2_EVENT = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: {
    'instance-id': 'i-1234567890abcdef0',
    state: 'terminated',
    'c-count': 5,
    'd-count': 3,
    'x-limit': 301.8,
    'source-ip': '10.0.0.33',
    FileName: 'image.PNG',
    service: 'EventBridge',
  },
};

const detail = (pattern: Record<string, unknown>) => ({ detail: pattern });

describe('EventBridge pattern matching, on the user guide examples', () => {
  it.each([
    ['prefix', { time: [{ prefix: '2017-12-22' }] }, true],
    ['prefix that differs', { time: [{ prefix: '2017-10-02' }] }, false],
    ['prefix ignoring case', detail({ service: [{ prefix: { 'equals-ignore-case': 'EVENTB' } }] }), true],
    ['suffix is case-sensitive', detail({ FileName: [{ suffix: '.png' }] }), false],
    ['suffix ignoring case', detail({ FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] }), true],
    [
      'equals-ignore-case',
      { 'detail-type': [{ 'equals-ignore-case': 'ec2 instance state-change notification' }] },
      true,
    ],
    ['anything-but a string', detail({ state: [{ 'anything-but': 'initializing' }] }), true],
    ['anything-but the value itself', detail({ state: [{ 'anything-but': 'terminated' }] }), false],
    ['anything-but a number', detail({ 'x-limit': [{ 'anything-but': 123 }] }), true],
    [
      'anything-but a list holding the value',
      detail({ state: [{ 'anything-but': ['stopped', 'terminated'] }] }),
      false,
    ],
    ['anything-but a prefix', detail({ state: [{ 'anything-but': { prefix: 'init' } }] }), true],
    ['anything-but a matching suffix', detail({ FileName: [{ 'anything-but': { suffix: '.PNG' } }] }), false],
    [
      'anything-but ignoring case',
      detail({ state: [{ 'anything-but': { 'equals-ignore-case': 'TERMINATED' } }] }),
      false,
    ],
    ['anything-but a wildcard', detail({ FileName: [{ 'anything-but': { wildcard: '*.txt' } }] }), true],
    [
      'numeric ranges',
      detail({
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ numeric: ['=', 3.018e2] }],
      }),
      true,
    ],
    ['numeric out of range', detail({ 'c-count': [{ numeric: ['>', 5] }] }), false],
    ['numeric never matches a string', detail({ state: [{ numeric: ['>', 0] }] }), false],
    ['cidr', detail({ 'source-ip': [{ cidr: '10.0.0.0/24' }] }), true],
    ['cidr outside the block', detail({ 'source-ip': [{ cidr: '10.0.1.0/24' }] }), false],
    ['exists false on an absent field', detail({ 'e-count': [{ exists: false }] }), true],
    ['exists false on a present field', detail({ 'c-count': [{ exists: false }] }), false],
    ['exists true on a leaf', detail({ 'c-count': [{ exists: true }] }), true],
    ['exists true on an intermediate node', { detail: [{ exists: true }] }, false],
    ['wildcard', { resources: [{ wildcard: 'arn:aws:ec2:us-west-1:*:instance/*' }] }, true],
    ['wildcard that differs', { resources: [{ wildcard: 'arn:aws:ec2:us-east-1:*' }] }, false],
    [
      'an exact value in an event array',
      { resources: ['x', 'arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'] },
      true,
    ],
    [
      '$or where one branch matches',
      detail({ $or: [{ 'c-count': [{ numeric: ['>', 10] }] }, { 'd-count': [{ numeric: ['<', 10] }] }] }),
      true,
    ],
    ['$or where no branch matches', detail({ $or: [{ 'c-count': [10] }, { 'd-count': [10] }] }), false],
    ['every field must match', { source: ['aws.ec2'], region: ['us-east-1'] }, false],
    ['a field absent from the event', detail({ missing: ['x'] }), false],
    ['the CDK spelling detailType', { detailType: ['EC2 Instance State-change Notification'] }, true],
  ])('%s', (_label, pattern, expected) => {
    const matched = matchesEventPattern(pattern, EC2_EVENT);

    expect(matched).toBe(expected);
  });

  it('null and the empty string match only themselves', () => {
    const event = { detail: { responseElements: null, eventVersion: '' } };

    expect(matchesEventPattern({ detail: { responseElements: [null], eventVersion: [''] } }, event)).toBe(true);
    expect(matchesEventPattern({ detail: { responseElements: [''] } }, event)).toBe(false);
    expect(matchesEventPattern({ detail: { eventVersion: [null] } }, event)).toBe(false);
  });

  it('a nested pattern matches any object of an event array', () => {
    const event = {
      detail: { resources: [{ type: 'AWS::S3::Object' }, { type: 'AWS::S3::Bucket', accountId: '444455556666' }] },
    };

    expect(matchesEventPattern({ detail: { resources: { type: ['AWS::S3::Bucket'] } } }, event)).toBe(true);
    expect(matchesEventPattern({ detail: { resources: { type: ['AWS::KMS::Key'] } } }, event)).toBe(false);
  });

  it('cidr matches IPv6 blocks and never mixes address families', () => {
    const event = { ip6: '2001:db8:85a3::8a2e:370:7334', ip4: '10.0.0.1' };

    expect(matchesEventPattern({ ip6: [{ cidr: '2001:db8:85a3::/64' }] }, event)).toBe(true);
    expect(matchesEventPattern({ ip6: [{ cidr: '2001:db8:85a4::/64' }] }, event)).toBe(false);
    expect(matchesEventPattern({ ip4: [{ cidr: '::/0' }] }, event)).toBe(false);
  });

  it.each([
    ['an unknown operator', { a: [{ contains: 'x' }] }],
    ['two operators in one matcher', { a: [{ prefix: 'x', suffix: 'y' }] }],
    ['a scalar where a list belongs', { a: 'x' }],
    ['a malformed numeric range', { a: [{ numeric: ['>'] }] }],
    ['a malformed cidr', { a: [{ cidr: '10.0.0.0/33' }] }],
    ['$or with one branch', { $or: [{ a: ['x'] }] }],
  ])('refuses %s with InvalidEventPattern', (_label, pattern) => {
    expect(() => matchesEventPattern(pattern, { a: 'x' })).toThrow(InvalidEventPattern);
  });
});
