import type { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../handlers/shared/errors.js';
import { buildDataEventQueries } from '../../handlers/shared/queries/data-events-sql.js';
import { type AthenaConfig, parseConfig, type ResponderConfigInput } from '../../infra/config.js';
import { BASE_CONFIG, synthStack } from '../support/stack.js';

type AthenaInput = NonNullable<ResponderConfigInput['athena']>;
const ATHENA: AthenaInput = {
  database: 'security',
  table: 'cloudtrail_logs',
  workgroup: 'responder',
  cloudTrailBucket: 'org-trail-logs',
  cloudTrailPrefix: 'AWSLogs/',
};
const GIB_200 = 200 * 1024 ** 3;
const withAthena = (athena: AthenaInput, extra: Partial<ResponderConfigInput> = {}) =>
  synthStack({ ...BASE_CONFIG, ...extra, athena });

/** A CloudFormation value as one string: Fn::Join joined, AWS::Partition as aws, other refs as ${Id} / ${Id.Attr}. */
function flat(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (Array.isArray(v['Fn::Join'])) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(flat).join(sep);
  }
  if (v.Ref === 'AWS::Partition') return 'aws';
  if (typeof v.Ref === 'string') return `\${${v.Ref}}`;
  if (Array.isArray(v['Fn::GetAtt'])) return `\${${(v['Fn::GetAtt'] as string[]).join('.')}}`;
  return JSON.stringify(value);
}

const only = (template: Template, type: string) => {
  const resources = Object.entries(template.findResources(type));
  expect(resources).toHaveLength(1);
  const [id, resource] = resources[0] as [string, { Properties: Record<string, unknown> }];
  return { id, properties: resource.Properties };
};
const logicalId = (template: Template, type: string, prefix: string) =>
  Object.keys(template.findResources(type)).find((id) => id.startsWith(prefix)) as string;

interface Statement {
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

/** The evidence task: its environment and every statement of its role, resources flattened. */
function evidenceTask(template: Template) {
  const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((f) =>
    (f.Properties as { Description?: string }).Description?.startsWith('Evidence: S3 data events'),
  ) as { Properties: { Role: { 'Fn::GetAtt': [string, string] }; Environment: { Variables: Record<string, string> } } };
  const role = fn.Properties.Role['Fn::GetAtt'][0];
  const statements = Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === role))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[])
    .map((s) => ({
      actions: ([] as string[]).concat(s.Action),
      resources: ([] as unknown[]).concat(s.Resource).map(flat),
    }));
  return { env: fn.Properties.Environment.Variables, statements };
}
const grantsOf = (statements: { actions: string[]; resources: string[] }[], action: string) =>
  statements.filter((s) => s.actions.includes(action)).flatMap((s) => s.resources);

describe('the CloudTrail table the stack creates (athena.create, the default)', () => {
  let built: Awaited<ReturnType<typeof synthStack>>;
  beforeAll(async () => {
    built = await withAthena(
      { ...ATHENA, cloudTrailPrefix: 'trail', regions: ['us-east-1', 'eu-west-1'] },
      { memberAccounts: ['111111111111'] },
    );
  });

  it('creates the database and the table with partition projection over account, region and day', () => {
    const { template } = built;
    expect(only(template, 'AWS::Glue::Database').properties).toEqual({
      CatalogId: '123456789012',
      DatabaseInput: { Name: 'security', Description: 's3-exfil-responder: CloudTrail events for Athena' },
    });
    const table = only(template, 'AWS::Glue::Table');
    const input = table.properties.TableInput as Record<string, unknown>;
    expect(table.properties.DatabaseName).toBe('security');
    expect(input.Name).toBe('cloudtrail_logs');
    expect(input.TableType).toBe('EXTERNAL_TABLE');
    expect(input.PartitionKeys).toEqual([
      { Name: 'account', Type: 'string' },
      { Name: 'region', Type: 'string' },
      { Name: 'timestamp', Type: 'string' },
    ]);
    expect(input.Parameters).toEqual({
      EXTERNAL: 'TRUE',
      classification: 'cloudtrail',
      'projection.enabled': 'true',
      'projection.account.type': 'enum',
      'projection.account.values': '123456789012,111111111111',
      'projection.region.type': 'enum',
      'projection.region.values': 'us-east-1,eu-west-1',
      'projection.timestamp.type': 'date',
      'projection.timestamp.format': 'yyyy/MM/dd',
      'projection.timestamp.range': '2020/01/01,NOW',
      'projection.timestamp.interval': '1',
      'projection.timestamp.interval.unit': 'DAYS',
      'storage.location.template': `s3://org-trail-logs/trail/AWSLogs/\${account}/CloudTrail/\${region}/\${timestamp}/`,
    });
    const storage = input.StorageDescriptor as Record<string, unknown>;
    expect(storage.Location).toBe('s3://org-trail-logs/trail/AWSLogs/');
    expect(storage.InputFormat).toBe('com.amazon.emr.cloudtrail.CloudTrailInputFormat');
    expect(storage.OutputFormat).toBe('org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat');
    expect(storage.SerdeInfo).toEqual({ SerializationLibrary: 'org.apache.hive.hcatalog.data.JsonSerDe' });
    expect(template.findResources('AWS::Glue::Table')[table.id]?.DependsOn).toEqual([
      logicalId(template, 'AWS::Glue::Database', 'DataEvents'),
    ]);
  });

  it('declares every column the data-event SQL reads, with the type it reads it as', () => {
    const { properties } = only(built.template, 'AWS::Glue::Table');
    const storage = (properties.TableInput as { StorageDescriptor: { Columns: { Name: string; Type: string }[] } })
      .StorageDescriptor;
    const columns = new Map(storage.Columns.map((c) => [c.Name, parseType(c.Type)]));
    const sql = buildDataEventQueries({
      database: 'security',
      table: 'cloudtrail_logs',
      query: {
        principalArn: 'arn:aws:iam::111111111111:user/alice',
        accessKeyId: 'AKIAEXAMPLE000000001',
        sourceIps: ['192.0.2.1'],
        buckets: ['customer-records'],
        startTime: '2024-06-01T10:00:00.000Z',
        endTime: '2024-06-03T23:30:00.000Z',
      },
    })
      .map((q) => q.sql)
      .join('\n');
    const read = [
      'useridentity.arn',
      'useridentity.principalid',
      'useridentity.type',
      'useridentity.accountid',
      'useridentity.accesskeyid',
      'useridentity.sessioncontext.sessionissuer.arn',
      'eventtime',
      'eventsource',
      'eventname',
      'errorcode',
      'requestparameters',
      'additionaleventdata',
      'sourceipaddress',
      'useragent',
      'recipientaccountid',
    ];
    for (const path of read) {
      expect(sql, path).toContain(path);
      const [top = '', ...rest] = path.split('.');
      expect(
        rest.reduce((type, field) => (type as Record<string, unknown>)?.[field], columns.get(top)),
        path,
      ).toBe('string');
    }
    expect(sql).toMatch(/r\.arn|r\.type|\.accountid/);
    expect(columns.get('resources')).toEqual([{ arn: 'string', accountid: 'string', type: 'string' }]);
    expect(sql).toContain('"timestamp" BETWEEN ? AND ?');
  });

  it('runs the queries in a workgroup with the scan cutoff enforced and results encrypted in the evidence bucket', () => {
    const { template } = built;
    const { properties } = only(template, 'AWS::Athena::WorkGroup');
    const bucket = logicalId(template, 'AWS::S3::Bucket', 'EvidenceBucket');
    const key = logicalId(template, 'AWS::KMS::Key', 'EvidenceKey');
    expect(properties.Name).toBe('responder');
    expect(properties.State).toBe('ENABLED');
    const configuration = properties.WorkGroupConfiguration as {
      ResultConfiguration: { OutputLocation: unknown; EncryptionConfiguration: { KmsKey: unknown } };
    };
    expect(configuration).toMatchObject({
      EnforceWorkGroupConfiguration: true,
      PublishCloudWatchMetricsEnabled: true,
      BytesScannedCutoffPerQuery: GIB_200,
      EngineVersion: { SelectedEngineVersion: 'Athena engine version 3' },
      ResultConfiguration: {
        ExpectedBucketOwner: '123456789012',
        EncryptionConfiguration: { EncryptionOption: 'SSE_KMS' },
      },
    });
    expect(flat(configuration.ResultConfiguration.OutputLocation)).toBe(`s3://\${${bucket}}/athena-results/`);
    expect(flat(configuration.ResultConfiguration.EncryptionConfiguration.KmsKey)).toBe(`\${${key}.Arn}`);
    expect(evidenceTask(template).env).toMatchObject({
      ATHENA_DATABASE: 'security',
      ATHENA_TABLE: 'cloudtrail_logs',
      ATHENA_WORKGROUP: 'responder',
      ATHENA_ACCOUNT_PARTITION: 'true',
      ATHENA_MAX_BYTES_SCANNED: String(GIB_200),
    });
  });

  it('grants the evidence task that workgroup, that table, the trail objects it reads, and its results', () => {
    const { template } = built;
    const { statements } = evidenceTask(template);
    const bucket = logicalId(template, 'AWS::S3::Bucket', 'EvidenceBucket');
    const key = logicalId(template, 'AWS::KMS::Key', 'EvidenceKey');
    expect(grantsOf(statements, 'athena:StartQueryExecution')).toEqual([
      'arn:aws:athena:us-east-1:123456789012:workgroup/responder',
    ]);
    expect(grantsOf(statements, 'glue:GetTable')).toEqual([
      'arn:aws:glue:us-east-1:123456789012:catalog',
      'arn:aws:glue:us-east-1:123456789012:database/security',
      'arn:aws:glue:us-east-1:123456789012:table/security/cloudtrail_logs',
    ]);
    expect(grantsOf(statements, 's3:GetObject')).toEqual([
      'arn:aws:s3:::org-trail-logs',
      'arn:aws:s3:::org-trail-logs/trail/AWSLogs/123456789012/CloudTrail/*',
      'arn:aws:s3:::org-trail-logs/trail/AWSLogs/111111111111/CloudTrail/*',
      `\${${bucket}.Arn}/athena-results/*`,
    ]);
    expect(grantsOf(statements, 's3:PutObject')).toEqual([`\${${bucket}.Arn}/athena-results/*`]);
    expect(grantsOf(statements, 'kms:GenerateDataKey')).toEqual([`\${${key}.Arn}`]);
    expect(grantsOf(statements, 'kms:Decrypt')).toEqual([`\${${key}.Arn}`]);
  });

  it('still passes cdk-nag', () => {
    const report = new AwsSolutionsChecks(built.app).validateScope(built.app);
    expect(report.violations.map((violation) => violation.ruleName)).toEqual([]);
  });

  it('reads an organization trail under AWSLogs/<organizationId>/<account>/ for the configured accounts', async () => {
    const { template } = await withAthena({
      ...ATHENA,
      cloudTrailPrefix: '',
      organizationId: 'o-a1b2c3d4e5',
      accounts: ['111111111111', '222222222222'],
      projectionStart: '2024/01/01',
      maxBytesScanned: 50 * 1024 ** 3,
    });
    const input = only(template, 'AWS::Glue::Table').properties.TableInput as {
      Parameters: Record<string, string>;
      StorageDescriptor: { Location: string };
    };
    expect(input.StorageDescriptor.Location).toBe('s3://org-trail-logs/AWSLogs/o-a1b2c3d4e5/');
    expect(input.Parameters).toMatchObject({
      'projection.account.values': '111111111111,222222222222',
      'projection.region.values': 'us-east-1',
      'projection.timestamp.range': '2024/01/01,NOW',
      'storage.location.template': `s3://org-trail-logs/AWSLogs/o-a1b2c3d4e5/\${account}/CloudTrail/\${region}/\${timestamp}/`,
    });
    expect(only(template, 'AWS::Athena::WorkGroup').properties.WorkGroupConfiguration).toMatchObject({
      BytesScannedCutoffPerQuery: 50 * 1024 ** 3,
    });
    const task = evidenceTask(template);
    expect(task.env.ATHENA_MAX_BYTES_SCANNED).toBe(String(50 * 1024 ** 3));
    expect(grantsOf(task.statements, 'athena:GetQueryResults')).toHaveLength(1);
    expect(grantsOf(task.statements, 's3:ListBucket').filter((r) => r.includes('org-trail-logs'))).toEqual([
      'arn:aws:s3:::org-trail-logs',
      'arn:aws:s3:::org-trail-logs/AWSLogs/o-a1b2c3d4e5/111111111111/CloudTrail/*',
      'arn:aws:s3:::org-trail-logs/AWSLogs/o-a1b2c3d4e5/222222222222/CloudTrail/*',
    ]);
  });
});

describe('an adopted table (athena.create: false)', () => {
  it('creates no Glue or Athena resource and grants exactly the named workgroup, table and trail prefix', async () => {
    const { app, template } = await withAthena({ ...ATHENA, create: false, maxBytesScanned: 20_000_000_000 });
    template.resourceCountIs('AWS::Glue::Database', 0);
    template.resourceCountIs('AWS::Glue::Table', 0);
    template.resourceCountIs('AWS::Athena::WorkGroup', 0);

    const { env, statements } = evidenceTask(template);
    expect(env).toMatchObject({
      ATHENA_DATABASE: 'security',
      ATHENA_TABLE: 'cloudtrail_logs',
      ATHENA_WORKGROUP: 'responder',
      ATHENA_MAX_BYTES_SCANNED: '20000000000',
    });
    expect(env.ATHENA_ACCOUNT_PARTITION).toBeUndefined(); // an adopted table's layout is not ours to know
    expect(grantsOf(statements, 'athena:StartQueryExecution')).toEqual([
      'arn:aws:athena:us-east-1:123456789012:workgroup/responder',
    ]);
    expect(grantsOf(statements, 'glue:GetPartitions')).toEqual([
      'arn:aws:glue:us-east-1:123456789012:catalog',
      'arn:aws:glue:us-east-1:123456789012:database/security',
      'arn:aws:glue:us-east-1:123456789012:table/security/cloudtrail_logs',
    ]);
    expect(grantsOf(statements, 's3:GetObject')).toEqual([
      'arn:aws:s3:::org-trail-logs',
      'arn:aws:s3:::org-trail-logs/AWSLogs/*',
    ]);
    expect(grantsOf(statements, 's3:PutObject')).toEqual([]);
    expect(grantsOf(statements, 'kms:Decrypt')).toEqual([]);
    expect(new AwsSolutionsChecks(app).validateScope(app).violations.map((v) => v.ruleName)).toEqual([]);
  });
});

describe('a trail whose log files are SSE-KMS encrypted', () => {
  it('may decrypt with exactly that key, and only through S3', async () => {
    const key = 'arn:aws:kms:us-east-1:999988887777:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const { template } = await withAthena({ ...ATHENA, cloudTrailKmsKeyArn: key });

    const role = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[])
      .filter((s) => ([] as unknown[]).concat(s.Resource).includes(key));
    expect(role).toEqual([
      expect.objectContaining({
        Action: 'kms:Decrypt',
        Resource: key,
        Condition: { StringLike: { 'kms:ViaService': 's3.*.amazonaws.com' } },
      }),
    ]);
  });
});

describe('athena configuration', () => {
  it('keeps the earlier shape working: create by default, a 200 GiB scan limit', () => {
    const config = parseConfig({ ...BASE_CONFIG, athena: ATHENA });
    expect(config.athena).toEqual<AthenaConfig>({
      create: true,
      database: 'security',
      table: 'cloudtrail_logs',
      workgroup: 'responder',
      cloudTrailBucket: 'org-trail-logs',
      cloudTrailPrefix: 'AWSLogs/',
      maxBytesScanned: GIB_200,
    });
  });

  it.each([
    [{ database: 'Security' }, 'athena.database'],
    [{ table: 'cloudtrail-logs' }, 'athena.table'],
    [{ workgroup: 'ir workgroup' }, 'athena.workgroup'],
    [{ workgroup: 'primary' }, 'athena.workgroup'],
    [{ cloudTrailBucket: 'Trail_Logs' }, 'athena.cloudTrailBucket'],
    [{ cloudTrailPrefix: '/AWSLogs/' }, 'athena.cloudTrailPrefix'],
    [{ cloudTrailPrefix: 'logs/*' }, 'athena.cloudTrailPrefix'],
    [{ maxBytesScanned: 1_000_000 }, 'athena.maxBytesScanned'],
    [{ organizationId: 'org-1' }, 'athena.organizationId'],
    [{ accounts: ['12345'] }, 'athena.accounts[0]'],
    [{ regions: ['mars-north'] }, 'athena.regions[0]'],
    [{ projectionStart: '2024-01-01' }, 'athena.projectionStart'],
    [{ create: false, organizationId: 'o-a1b2c3d4e5' }, 'athena.organizationId'],
    [{ create: false, regions: ['us-east-1'] }, 'athena.regions'],
    [{ cloudTrailKmsKeyArn: 'alias/trail' }, 'athena.cloudTrailKmsKeyArn'],
    [{ databse: 'security' }, 'athena'],
  ])('refuses %o with a ConfigError naming %s', (override, path) => {
    let error: unknown;
    try {
      parseConfig({ ...BASE_CONFIG, athena: { ...ATHENA, ...override } });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).path).toBe(path);
    expect((error as ConfigError).message).toContain(path);
  });
});

/** A Glue/Hive type as a value: 'string', a struct as an object, an array as a one-element array. */
function parseType(type: string): unknown {
  let at = 0;
  const parse = (): unknown => {
    const name = /^[a-z]+/.exec(type.slice(at))?.[0] ?? '';
    at += name.length;
    if (type[at] !== '<') return name;
    at += 1;
    if (name === 'array') {
      const element = parse();
      at += 1;
      return [element];
    }
    if (name === 'map') {
      const key = parse();
      at += 1;
      const value = parse();
      at += 1;
      return { key, value };
    }
    const fields: Record<string, unknown> = {};
    while (type[at] !== '>') {
      const field = /^[a-z0-9_]+/.exec(type.slice(at))?.[0] ?? '';
      at += field.length + 1;
      fields[field] = parse();
      if (type[at] === ',') at += 1;
    }
    at += 1;
    return fields;
  };
  return parse();
}
