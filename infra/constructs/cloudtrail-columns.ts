import type * as glue from 'aws-cdk-lib/aws-glue';

/** A Glue struct type: `struct<name:type,...>`. */
const struct = (fields: Record<string, string>) =>
  `struct<${Object.entries(fields)
    .map(([name, type]) => `${name}:${type}`)
    .join(',')}>`;

const USER_IDENTITY = struct({
  type: 'string',
  principalid: 'string',
  arn: 'string',
  accountid: 'string',
  invokedby: 'string',
  accesskeyid: 'string',
  username: 'string',
  onbehalfof: struct({ userid: 'string', identitystorearn: 'string' }),
  sessioncontext: struct({
    attributes: struct({ mfaauthenticated: 'string', creationdate: 'string' }),
    sessionissuer: struct({
      type: 'string',
      principalid: 'string',
      arn: 'string',
      accountid: 'string',
      username: 'string',
    }),
    ec2roledelivery: 'string',
    webidfederationdata: struct({ federatedprovider: 'string', attributes: 'map<string,string>' }),
  }),
});

const COLUMNS: [string, string][] = [
  ['eventversion', 'string'],
  ['useridentity', USER_IDENTITY],
  ['eventtime', 'string'],
  ['eventsource', 'string'],
  ['eventname', 'string'],
  ['awsregion', 'string'],
  ['sourceipaddress', 'string'],
  ['useragent', 'string'],
  ['errorcode', 'string'],
  ['errormessage', 'string'],
  ['requestparameters', 'string'],
  ['responseelements', 'string'],
  ['additionaleventdata', 'string'],
  ['requestid', 'string'],
  ['eventid', 'string'],
  ['readonly', 'string'],
  ['resources', `array<${struct({ arn: 'string', accountid: 'string', type: 'string' })}>`],
  ['eventtype', 'string'],
  ['apiversion', 'string'],
  ['recipientaccountid', 'string'],
  ['serviceeventdetails', 'string'],
  ['sharedeventid', 'string'],
  ['vpcendpointid', 'string'],
  ['vpcendpointaccountid', 'string'],
  ['eventcategory', 'string'],
  [
    'addendum',
    struct({ reason: 'string', updatedfields: 'string', originalrequestid: 'string', originaleventid: 'string' }),
  ],
  ['sessioncredentialfromconsole', 'string'],
  ['edgedevicedetails', 'string'],
  ['tlsdetails', struct({ tlsversion: 'string', ciphersuite: 'string', clientprovidedhostheader: 'string' })],
];

/**
 * The columns of the standard CloudTrail table, as the Athena user guide declares them for
 * partition projection ("Create the table for CloudTrail logs in Athena using partition
 * projection": JsonSerDe over CloudTrailInputFormat), in Glue's type syntax. Every column
 * `handlers/query-data-events/sql.ts` reads is here under the same lower-case name:
 * useridentity.{type,principalid,arn,accountid,accesskeyid,sessioncontext.sessionissuer.arn},
 * eventtime, eventsource, eventname, sourceipaddress, useragent, errorcode, requestparameters and
 * additionaleventdata (JSON kept as strings), resources[].{arn,accountid,type}, recipientaccountid.
 */
export const CLOUDTRAIL_COLUMNS: glue.CfnTable.ColumnProperty[] = COLUMNS.map(([name, type]) => ({ name, type }));

/** How Athena reads CloudTrail log files: one event per row out of each file's `Records` array. */
export const CLOUDTRAIL_FORMAT = {
  inputFormat: 'com.amazon.emr.cloudtrail.CloudTrailInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
  serdeInfo: { serializationLibrary: 'org.apache.hive.hcatalog.data.JsonSerDe' },
} as const;
