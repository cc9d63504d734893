import { describe, expect, it } from 'vitest';
import { principalFromIdentity } from '../../handlers/detect/identity.js';
import { DISPLAY_LIMITS } from '../../handlers/shared/schemas/display.js';
import { parseExecutionInput } from '../../handlers/shared/schemas/execution-input.js';
import { MAX_PRINCIPALS } from '../../handlers/shared/schemas/incident.js';
import { normalizeFinding, normalizeFindings } from '../../handlers/shared/schemas/normalize.js';
import { SAMPLE_ACCOUNT_ID } from '../../handlers/shared/schemas/sample.js';
import { readJson, withField } from '../support/fixtures.js';
import { manyActors, toApiForm } from '../support/guardduty.js';

type Json = Record<string, unknown>;
const fixture = (name: string) => readJson<Json>(`test/fixtures/guardduty/${name}.json`);
const CALLER_ACCOUNT = '444455556666';
const HOME = '123456789012';

describe('the caller’s account', () => {
  it('builds the principal’s ARNs in the account remoteAccountDetails names, not the finding’s', () => {
    const { incident } = normalizeFinding(fixture('cross-account-caller-event'));

    expect(incident?.accountId).toBe(HOME);
    expect(incident?.principal).toMatchObject({
      type: 'AssumedRole',
      accountId: CALLER_ACCOUNT,
      arn: `arn:aws:sts::${CALLER_ACCOUNT}:assumed-role/Admin/exfil-session`,
      sessionIssuer: `arn:aws:iam::${CALLER_ACCOUNT}:role/Admin`,
    });
  });

  it('reads the caller’s account in the API form too', () => {
    const api = { Findings: [toApiForm(fixture('cross-account-caller-event').detail as Json)] };

    const { incident } = normalizeFinding(api);

    expect(incident?.principal.sessionIssuer).toBe(`arn:aws:iam::${CALLER_ACCOUNT}:role/Admin`);
  });

  it('leaves the account out when the caller is in the finding’s account', () => {
    const event = withField(
      fixture('cross-account-caller-event'),
      'detail.service.action.awsApiCallAction.remoteAccountDetails',
      { accountId: HOME, affiliated: true },
    );

    const { incident } = normalizeFinding(event);

    expect(incident?.principal.accountId).toBeUndefined();
    expect(incident?.principal.sessionIssuer).toBe(`arn:aws:iam::${HOME}:role/Admin`);
  });

  it('keeps a CloudTrail caller’s own account (userIdentity.accountId) when it differs from the recipient', () => {
    const record = {
      eventTime: '2026-02-23T04:00:00Z',
      eventSource: 's3.amazonaws.com',
      eventName: 'GetObject',
      recipientAccountId: HOME,
      userIdentity: {
        type: 'AssumedRole',
        principalId: 'AROA4EXAMPLEREMOTE01:exfil-session',
        arn: `arn:aws:sts::${CALLER_ACCOUNT}:assumed-role/Admin/exfil-session`,
        accountId: CALLER_ACCOUNT,
        accessKeyId: 'ASIA4EXAMPLEREMOTE01',
        sessionContext: {
          sessionIssuer: {
            type: 'Role',
            principalId: 'AROA4EXAMPLEREMOTE01',
            arn: `arn:aws:iam::${CALLER_ACCOUNT}:role/Admin`,
            accountId: CALLER_ACCOUNT,
            userName: 'Admin',
          },
        },
      },
    };
    const crossAccountOnly = {
      ...record,
      userIdentity: { type: 'AWSAccount', principalId: 'AIDA4EXAMPLEOTHER001', accountId: CALLER_ACCOUNT },
    };

    expect(principalFromIdentity(record)).toMatchObject({
      accountId: CALLER_ACCOUNT,
      sessionIssuer: `arn:aws:iam::${CALLER_ACCOUNT}:role/Admin`,
    });
    expect(principalFromIdentity(crossAccountOnly)).toMatchObject({ type: 'Unknown', accountId: CALLER_ACCOUNT });
    expect(principalFromIdentity({ ...record, recipientAccountId: CALLER_ACCOUNT }).accountId).toBeUndefined();
  });
});

describe('optional fields a finding carries as null', () => {
  const call = 'detail.service.action.awsApiCallAction';

  it('reads a null optional field as absent instead of rejecting the finding', () => {
    const variants = [
      withField(fixture('cross-account-caller-event'), `${call}.remoteIpDetails.ipAddressV6`, null),
      withField(fixture('cross-account-caller-event'), 'detail.service.detectorId', null),
      withField(fixture('cross-account-caller-event'), 'detail.service.archived', null),
      withField(fixture('cross-account-caller-event'), 'detail.resource.accessKeyDetails.accessKeyId', null),
      withField(fixture('cross-account-caller-event'), `${call}.affectedResources`, {
        'AWS::S3::Bucket': 'customer-records',
        'AWS::S3::Object': null,
      }),
    ];

    const results = variants.map((event) => normalizeFinding(event));

    for (const result of results) {
      expect(result.status).toBe('accepted');
      expect(result.incident?.buckets).toEqual(['customer-records']);
      expect(result.incident?.sourceIps).toEqual(['198.51.100.23']);
    }
    expect(results[3]?.incident?.principal).toMatchObject({ type: 'AssumedRole', accountId: CALLER_ACCOUNT });
    expect(results[3]?.incident?.principal.accessKeyId).toBeUndefined();
  });

  it('still rejects a finding whose type or account is null or empty, naming the field', () => {
    const noType = withField(fixture('cross-account-caller-event'), 'detail.type', '');
    const noAccount = withField(fixture('cross-account-caller-event'), 'detail.accountId', null);

    expect(() => normalizeFinding(noType)).toThrow(/detail\.type/);
    expect(() => normalizeFinding(noAccount)).toThrow(/detail\.accountId/);
  });

  it('never builds the principal in the finding’s account when the caller’s account is named but null', () => {
    const event = withField(fixture('cross-account-caller-event'), `${call}.remoteAccountDetails`, {
      accountId: null,
      affiliated: false,
    });

    const { incident } = normalizeFinding(event);

    expect(incident?.principal.type).toBe('Unknown');
    expect(JSON.stringify(incident?.principal)).not.toContain(`arn:aws:iam::${HOME}`);
  });
});

describe('sample findings', () => {
  const forms: [string, () => unknown][] = [
    ['an EventBridge event', () => fixture('sample-finding-event')],
    ['a bare finding', () => fixture('sample-finding-event').detail],
    ['the API form with the documentation’s values', () => fixture('sample-finding-docs-values')],
    ['one API finding on its own', () => (fixture('sample-finding-docs-values').Findings as unknown[])[0]],
  ];

  it.each(forms)('are ignored before their placeholders are validated: %s', (_form, input) => {
    const result = normalizeFinding(input());

    expect(result).toEqual({ status: 'ignored', reason: expect.stringContaining('sample finding') });
  });

  it('are ignored even when nothing else in them would validate', () => {
    const broken = withField(fixture('sample-finding-event'), 'detail.severity', 'high');

    expect(normalizeFinding(broken).status).toBe('ignored');
  });

  it('are recognized as the console input forms (the execution input is accepted, then ignored)', () => {
    const consoleForm = parseExecutionInput(fixture('sample-finding-docs-values'));

    expect(consoleForm.form).toBe('findings');
  });

  it('run as a drill when asked: placeholders are listed and left out, never invented', () => {
    const result = normalizeFinding(fixture('sample-finding-docs-values'), { acceptSampleFindings: true });

    expect(result.status).toBe('accepted');
    expect(result.incident).toMatchObject({ sample: true, accountId: SAMPLE_ACCOUNT_ID });
    expect(result.incident?.principal.accessKeyId).toBeUndefined();
    expect(result.incident?.placeholders).toEqual(
      expect.arrayContaining([
        'accountId 12345678910',
        'accessKeyId GeneratedFindingAccessKeyId',
        'bucket bucketName',
        'userName GeneratedFindingUserName',
      ]),
    );
  });

  it('in a drill from EventBridge keep the event’s real account and drop the placeholder bucket', () => {
    const { incident } = normalizeFinding(fixture('sample-finding-event'), { acceptSampleFindings: true });

    expect(incident?.accountId).toBe(HOME);
    expect(incident?.buckets).toEqual([]);
    expect(incident?.sourceIps).toEqual(['198.51.100.0']);
  });

  it('archived findings are ignored before validation as well', () => {
    const archived = withField(
      withField(fixture('cross-account-caller-event'), 'detail.service.archived', true),
      'detail.accountId',
      'not-an-account',
    );

    expect(normalizeFinding(archived)).toEqual({ status: 'ignored', reason: expect.stringContaining('archived') });
  });
});

describe('display fields never reject a finding', () => {
  const HOSTILE = {
    'a Slack broadcast': '<!channel> please look',
    'a line break': 'Example Hosting\nInjected: second line',
    '300 characters': 'A'.repeat(300),
    'another account id': 'arn:aws:iam::999988887777:role/Trusted',
  };
  const FIELDS: [string, string, number][] = [
    [
      'organization',
      'detail.service.action.awsApiCallAction.remoteIpDetails.organization.asnOrg',
      DISPLAY_LIMITS.organization,
    ],
    ['country', 'detail.service.action.awsApiCallAction.remoteIpDetails.country.countryName', DISPLAY_LIMITS.country],
    ['city', 'detail.service.action.awsApiCallAction.remoteIpDetails.city.cityName', DISPLAY_LIMITS.city],
    ['title', 'detail.title', DISPLAY_LIMITS.title],
    ['description', 'detail.description', DISPLAY_LIMITS.description],
  ];
  const read = (incident: Json | undefined, field: string): string | undefined => {
    const ip = (incident?.ipDetails as Json[] | undefined)?.[0];
    if (field === 'organization') return ip?.org as string | undefined;
    if (field === 'country' || field === 'city') return ip?.[field] as string | undefined;
    return incident?.[field] as string | undefined;
  };

  for (const [field, path, limit] of FIELDS) {
    it.each(Object.entries(HOSTILE))(`${field}: %s is accepted, on one line and within the limit`, (_name, value) => {
      const result = normalizeFinding(withField(fixture('cross-account-caller-event'), path, value));

      expect(result.status).toBe('accepted');
      const shown = read(result.incident as Json | undefined, field);
      if (field !== 'description') {
        expect(shown).toBeDefined();
        expect(Array.from(shown ?? '').length).toBeLessThanOrEqual(limit);
        expect(shown).not.toContain('\n');
      }
    });
  }

  it('cuts an over-long organization name with an ellipsis at its documented length', () => {
    const path = 'detail.service.action.awsApiCallAction.remoteIpDetails.organization.asnOrg';

    const { incident } = normalizeFinding(withField(fixture('cross-account-caller-event'), path, 'O'.repeat(257)));

    expect(incident?.ipDetails?.[0]?.org).toBe(`${'O'.repeat(DISPLAY_LIMITS.organization - 1)}…`);
  });

  it('cuts the user agent and drops a non-text one', () => {
    const path = 'detail.service.action.awsApiCallAction.userAgent';

    const long = normalizeFinding(
      withField(fixture('cross-account-caller-event'), path, { fullUserAgent: 'u'.repeat(900) }),
    );
    const odd = normalizeFinding(withField(fixture('cross-account-caller-event'), path, { fullUserAgent: 42 }));

    expect(long.incident?.userAgent).toHaveLength(DISPLAY_LIMITS.userAgent);
    expect(odd.status).toBe('accepted');
    expect(odd.incident?.userAgent).toBeUndefined();
  });

  it('a geolocation of the wrong shape is dropped, the finding kept', () => {
    const path = 'detail.service.action.awsApiCallAction.remoteIpDetails.country';

    const result = normalizeFinding(withField(fixture('cross-account-caller-event'), path, 'Netherlands'));

    expect(result.status).toBe('accepted');
    expect(result.incident?.ipDetails?.[0]?.country).toBeUndefined();
  });

  it('the account still makes a finding invalid', () => {
    expect(() =>
      normalizeFinding(withField(fixture('cross-account-caller-event'), 'detail.accountId', '12345')),
    ).toThrow(/detail\.accountId/);
  });
});

describe('attack sequences', () => {
  it('name every actor in its own account, every S3 bucket and every endpoint', () => {
    const { incident } = normalizeFinding(fixture('attack-sequence-compromised-data-event'));

    expect(incident?.findingType).toBe('AttackSequence:S3/CompromisedData');
    expect(incident?.buckets).toEqual(['customer-records', 'payroll-exports']);
    expect(incident?.sourceIps).toEqual(['198.51.100.23', '203.0.113.77']);
    expect(incident?.principal.arn).toBe(`arn:aws:iam::${HOME}:user/developer-jane`);
    expect(incident?.principals?.map((principal) => [principal.type, principal.arn, principal.accountId])).toEqual([
      ['IAMUser', `arn:aws:iam::${HOME}:user/developer-jane`, undefined],
      ['AssumedRole', `arn:aws:sts::${CALLER_ACCOUNT}:assumed-role/Admin/exfil-session`, CALLER_ACCOUNT],
    ]);
  });

  it('read the sequence without accessKeyDetails, from the actors alone', () => {
    const event = withField(
      fixture('attack-sequence-compromised-data-event'),
      'detail.resource.accessKeyDetails',
      undefined,
    );

    const { incident } = normalizeFinding(event);

    expect(incident?.principal.userName).toBe('developer-jane');
    expect(incident?.principals).toHaveLength(2);
  });

  it('keep an actor whose name breaks the IAM rules as Unknown instead of rejecting the sequence', () => {
    const event = withField(
      fixture('attack-sequence-compromised-data-event'),
      'detail.service.detection.sequence.actors.1.user.name',
      'Admin <!channel>',
    );

    const result = normalizeFinding(event);

    expect(result.status).toBe('accepted');
    expect(result.incident?.principals?.[1]).toMatchObject({ type: 'Unknown' });
  });

  it('keep an actor that names no account as Unknown: never assumed to be in the finding’s account', () => {
    const event = withField(
      fixture('attack-sequence-compromised-data-event'),
      'detail.service.detection.sequence.actors.1.user.account',
      undefined,
    );

    const result = normalizeFinding(event);

    expect(result.status).toBe('accepted');
    expect(result.incident?.principals?.[1]).toMatchObject({ type: 'Unknown' });
  });

  it(`carry at most ${MAX_PRINCIPALS} principals and count the rest`, () => {
    const event = withField(
      fixture('attack-sequence-compromised-data-event'),
      'detail.service.detection.sequence.actors',
      manyActors(400),
    );

    const { incident } = normalizeFinding(withField(event, 'detail.resource.accessKeyDetails', undefined));

    expect(incident?.principals).toHaveLength(MAX_PRINCIPALS);
    expect(incident?.principalsOmitted).toBe(400 - MAX_PRINCIPALS);
    expect(JSON.stringify(incident).length).toBeLessThan(32 * 1024);
  });

  it('normalize the same in the API form', () => {
    const api = { Findings: [toApiForm(fixture('attack-sequence-compromised-data-event').detail as Json)] };

    const [result] = normalizeFindings(api);

    expect(result?.incident?.principals).toHaveLength(2);
    expect(result?.incident?.buckets).toEqual(['customer-records', 'payroll-exports']);
  });
});
