import { describe, expect, it } from 'vitest';
import { alarmStateChange, apiCallEvent } from '../../examples/src/detection-records.js';
import { random } from '../../examples/src/records.js';
import { loadScenario } from '../../local/scenario.js';
import { simulate } from '../../local/simulate.js';
import { copy, HOME, REGION } from '../support/detections.js';
import { variant } from '../support/simulate.js';

describe('the cross-account copy example: raw CloudTrail events routed like the stack', () => {
  it('the first untrusted copy opens one contained incident, and the report names T1537 and the destination account', async () => {
    const result = await simulate(loadScenario('examples/cross-account-copy.json'), { approve: { kind: 'all' } });

    const opened = result.incidents.filter((incident) => incident.status === 'contained');
    expect(opened).toHaveLength(1);
    const [incident] = opened;
    const report = incident?.reportMarkdown ?? '';
    expect(report).toContain('Detection Source: Detection S3ExfilResponder:S3/CrossAccountCopy');
    expect(report).toMatch(/^Finding: T1537 Transfer Data to Cloud Account: .*444455556666/m);
    // 8 copy calls: the multipart parts of one upload count as one object.
    expect(report).toContain(
      'Cross-account copies: 6 object(s) in 8 copy call(s) to ext-archive-7731 (account 444455556666)',
    );
    expect(incident?.applied.every((entry) => entry.result === 'applied')).toBe(true);
  });

  it('each event gets the status of its route: trusted copy ignored, listing unrouted, later copies linked', async () => {
    const result = await simulate(loadScenario('examples/cross-account-copy.json'), { approve: { kind: 'all' } });

    const statuses = result.incidents.map((incident) => [incident.status, incident.route ?? null]);
    const rule = 'detection:cross-account-copy';
    expect(statuses).toEqual([
      ['ignored', rule],
      ['unrouted', null],
      ['contained', rule],
      ['linked', rule],
      ['linked', rule],
      ['linked', rule],
      ['linked', rule],
      ['linked', rule],
      ['ignored', rule],
      ['ignored', rule],
    ]);
    expect(result.incidents[0]?.reason).toMatch(/no detection fired/);
    expect(result.incidents[8]?.reason).toMatch(/already ran for this detection/);
    const ids = new Set(result.incidents.map((incident) => incident.incidentId).filter(Boolean));
    expect(ids.size).toBe(1);
  });
});

describe('simulate routes through the stack rules', () => {
  const next = random(141);

  it('an event no rule matches is unrouted and starts nothing', async () => {
    const input = variant('compromised-iam-user-key', (s) => {
      const finding = structuredClone(s.events[0]) as { source: string };
      finding.source = 'aws.securityhub';
      s.events = [finding];
    });

    const result = await simulate(input, { approve: { kind: 'all' } });

    expect(result.incidents[0]).toMatchObject({ status: 'unrouted', incidentId: null, states: [], transitions: 0 });
  });

  it('a GuardDuty finding of a type outside findingTypes is unrouted, as the finding rule would not match it', async () => {
    const input = variant('compromised-iam-user-key', (s) => {
      s.config = { ...s.config, findingTypes: ['Discovery:S3/'] };
    });

    const result = await simulate(input, { approve: { kind: 'all' } });

    expect(result.incidents[0]?.status).toBe('unrouted');
    expect(result.account.accessKeys.AKIA3EXAMPLEJNE7WXYZ).toBe('Active');
  });

  it('a failed CloudTrail call matches no detection rule (errorCode must be absent)', async () => {
    const input = variant('compromised-iam-user-key', (s) => {
      s.events = [apiCallEvent(copy({ errorCode: 'AccessDenied' }) as never, next)];
    });

    const result = await simulate(input, { approve: { kind: 'all' } });

    expect(result.incidents[0]?.status).toBe('unrouted');
  });

  it('with detections disabled, a cross-account copy is unrouted', async () => {
    const input = variant('compromised-iam-user-key', (s) => {
      s.config = { ...s.config, detections: { enabled: false } };
      s.events = [apiCallEvent(copy() as never, next)];
    });

    const result = await simulate(input, { approve: { kind: 'all' } });

    expect(result.incidents[0]?.status).toBe('unrouted');
  });

  it('a bulk-download alarm going to ALARM goes through the detection handler and opens an incident', async () => {
    const input = variant('compromised-iam-user-key', (s) => {
      s.events = [
        alarmStateChange({
          account: HOME,
          region: REGION,
          alarmName: 'S3ExfilResponder-BulkDownload-responder',
          namespace: 'S3ExfilResponder',
          metricName: 'GetObjectRequests',
          value: 'ALARM',
          timestamp: '2026-02-23T04:15:00Z',
          datapoint: 4200,
          threshold: 1000,
          eventId: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
        }),
      ];
    });

    const result = await simulate(input, { approve: { kind: 'none' } });

    expect(result.incidents[0]?.route).toBe('detection:bulk-download');
    expect(result.incidents[0]?.incidentId).not.toBeNull();
  });

  it('a console input goes straight to the playbook', async () => {
    const input = variant('compromised-iam-user-key', (s) => {
      s.events = [{ console: s.events[0] }];
    });

    const result = await simulate(input, { approve: { kind: 'all' } });

    expect(result.incidents[0]).toMatchObject({ status: 'contained', route: 'console' });
  });
});
