import * as z from 'zod';
import { ConfigError } from '../handlers/shared/errors.js';
import { DEFAULT_MEMBER_ROLE_NAME } from '../handlers/shared/member-roles.js';
import { AccountId, firstIssue, Region } from '../handlers/shared/schemas/primitives.js';
import {
  RoleArn,
  type Settings,
  SlackChannel,
  SlackUserOrGroup,
  VpcEndpointId,
} from '../handlers/shared/schemas/settings.js';
import { CONTAIN_TASKS } from '../handlers/shared/task-names.js';
import { guardDutyPatterns, type Playbook } from '../playbooks/define.js';
import { MAX_MEMBER_ROLE_BASE_LENGTH } from './member-roles.js';

/** `90s`, `30m`, `24h`, `2d` or ISO 8601 `PT24H` → seconds. */
export function parseDuration(value: string): number | undefined {
  const short = /^(\d+)\s*(s|m|h|d)$/.exec(value.trim());
  if (short) {
    const unit = { s: 1, m: 60, h: 3600, d: 86_400 }[short[2] as 's' | 'm' | 'h' | 'd'];
    return Number(short[1]) * unit;
  }
  const iso = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(value.trim());
  if (iso && value.trim() !== 'P' && value.trim() !== 'PT') {
    const [, d = '0', h = '0', m = '0', s = '0'] = iso;
    return Number(d) * 86_400 + Number(h) * 3600 + Number(m) * 60 + Number(s);
  }
  return undefined;
}

const DurationText = z.string().transform((value, ctx) => {
  const seconds = parseDuration(value);
  if (seconds === undefined || seconds <= 0) {
    ctx.addIssue({ code: 'custom', message: 'must be a duration such as "90m", "24h", "2d" or "PT24H"' });
    return z.NEVER;
  }
  return seconds;
});

/** Athena's smallest per-query cutoff (`BytesScannedCutoffPerQuery`): 10 MB. */
const MIN_SCAN_CUTOFF = 10_000_000;
/** The default per-query scan limit: 200 GiB. */
export const DEFAULT_MAX_BYTES_SCANNED = 200 * 1024 ** 3;
/** Settings only the created table and workgroup use. */
const CREATE_ONLY = ['organizationId', 'accounts', 'regions', 'projectionStart'] as const;

/**
 * The Athena side of the evidence branch. `create` (the default): the stack creates the Glue
 * database and table over the trail's bucket (partition projection, no crawler, no MSCK) and the
 * workgroup (results in the evidence bucket, scan cutoff enforced). `create: false`: the named
 * database, table and workgroup exist already and are only granted, as before this option.
 */
export const AthenaConfig = z
  .strictObject({
    create: z.boolean().default(true),
    database: z.string().regex(/^[a-z0-9_]{1,255}$/, 'must be a Glue database name (a-z 0-9 _)'),
    table: z.string().regex(/^[a-z0-9_]{1,255}$/, 'must be a Glue table name (a-z 0-9 _)'),
    workgroup: z.string().regex(/^[\w.-]{1,128}$/, 'must be an Athena workgroup name (A-Z a-z 0-9 _ . -, 1-128)'),
    cloudTrailBucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name'),
    /** The trail's S3 key prefix (`S3KeyPrefix`), before `AWSLogs/`; a missing final `/` is added. */
    cloudTrailPrefix: z
      .string()
      .regex(/^(?!\/)[\w!.'()/-]{0,200}$/, "must be an S3 key prefix (A-Z a-z 0-9 ! _ . ' ( ) / -, no leading /)")
      .default(''),
    /**
     * The KMS key the trail encrypts its log files with (SSE-KMS trails): the evidence task may
     * decrypt with it, through S3 only. Unset: the log files are SSE-S3.
     */
    cloudTrailKmsKeyArn: z
      .string()
      .regex(
        /^arn:aws[\w-]*:kms:[a-z0-9-]+:\d{12}:key\/[\w-]+$/,
        'must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)',
      )
      .optional(),
    /** Per-query scan limit in bytes: the workgroup's cutoff (when created) and the Lambda's check. */
    maxBytesScanned: z
      .number()
      .int()
      .min(MIN_SCAN_CUTOFF, `must be at least ${MIN_SCAN_CUTOFF} bytes (Athena's smallest cutoff)`)
      .default(DEFAULT_MAX_BYTES_SCANNED),
    /** An organization trail's `o-…` id: logs are under `AWSLogs/<organizationId>/<account>/`. */
    organizationId: z
      .string()
      .regex(/^o-[a-z0-9]{10,32}$/, 'must be an AWS Organizations id such as o-a1b2c3d4e5')
      .optional(),
    /** Accounts whose logs the table projects. Default: this account and `memberAccounts`. */
    accounts: z.array(AccountId).min(1).optional(),
    /** Regions whose logs the table projects. Default: the stack's Region. */
    regions: z.array(Region).min(1).optional(),
    /** The first day of logs the table projects, `yyyy/MM/dd`. Default `2020/01/01`. */
    projectionStart: z
      .string()
      .regex(/^\d{4}\/(0[1-9]|1[0-2])\/(0[1-9]|[12]\d|3[01])$/, 'must be a day such as 2024/01/31 (yyyy/MM/dd)')
      .optional(),
  })
  .superRefine((athena, ctx) => {
    if (athena.create && athena.workgroup === 'primary') {
      ctx.addIssue({
        code: 'custom',
        path: ['workgroup'],
        message: 'the primary workgroup exists in every account: name another, or set create: false',
      });
    }
    if (!athena.create) {
      for (const key of CREATE_ONLY) {
        if (athena[key] !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: 'only applies to a table the stack creates (create: true)',
          });
        }
      }
    }
  });
export type AthenaConfig = z.infer<typeof AthenaConfig>;

/** Lambda keeps at least this many concurrent executions of an account unreserved (PutFunctionConcurrency). */
export const MIN_UNRESERVED_CONCURRENCY = 100;

/**
 * Reserved concurrency (each figure is both a guarantee and a cap for its functions). The Slack
 * endpoint and the detection function are capped, so a flood of either is throttled at its own
 * reservation and never takes concurrency from anything else; the containment functions and the
 * rollback each have their own reservation, so a flood elsewhere in the account (enrichment of
 * many incidents, other workloads) cannot throttle containment either.
 */
export const ConcurrencyConfig = z.strictObject({
  /** The account's Lambda concurrency quota in the stack's Region (`aws lambda get-account-settings`). */
  accountLimit: z.number().int().positive().default(1000),
  /** The Slack interaction endpoint. */
  slack: z.number().int().min(1, 'must be at least 1 (0 would refuse every request)').default(10),
  /** The detection function (our detections; started by EventBridge). */
  detect: z.number().int().min(1, 'must be at least 1 (0 would drop every detection)').default(10),
  /** Each containment function and the rollback function. */
  containment: z.number().int().min(1, 'must be at least 1 (0 would refuse every containment)').default(5),
});
export type ConcurrencyConfig = z.infer<typeof ConcurrencyConfig>;

/** The functions with a reservation of `containment` each: every containment action, and the rollback. */
export const CONTAINMENT_RESERVED = CONTAIN_TASKS.length + 1;

/** What the configuration reserves in all: Slack, detection (when deployed), containment and rollback. */
export function reservedConcurrency(config: Pick<ResponderConfig, 'concurrency' | 'detections'>): number {
  const { slack, detect, containment } = config.concurrency;
  return slack + (config.detections.enabled ? detect : 0) + CONTAINMENT_RESERVED * containment;
}

/** The GuardDuty finding types handled by default (DESIGN §3). */
export const DEFAULT_FINDING_TYPES = [
  'Exfiltration:S3/',
  'AttackSequence:S3/CompromisedData',
  'UnauthorizedAccess:S3/',
];

/**
 * The deployment configuration (DESIGN §8): one typed object, read only by `infra/app.ts` (from
 * `cdk.json` context `responder` or a `--context configFile=…` JSON file) and by `simulate` from a
 * scenario's `config`. Unknown keys are errors, so a typo fails synth instead of being ignored.
 */
export const ResponderConfig = z.strictObject({
  /** Accounts data may legitimately move to (copies, replication, VPC endpoint perimeter). */
  trustedAccounts: z.array(AccountId).default([]),
  /** Incident-response roles: never denied by anything we write. */
  irRoleArns: z.array(RoleArn).min(1, 'name at least one IR role: it is exempted from every deny we write'),
  /** Break-glass roles: never denied by anything we write. */
  breakGlassRoleArns: z.array(RoleArn).default([]),
  /** S3 gateway/interface endpoints whose policies we may restrict, and for the optional VPC-only bucket statement. */
  vpcEndpointIds: z.array(VpcEndpointId).default([]),
  /** Slack user ids (U…/W…) or user group ids (S…) allowed to decide. */
  approvers: z.array(SlackUserOrGroup).min(1, 'name at least one approver'),
  slackChannel: SlackChannel,
  /** Require two different approvers. */
  twoPersonRule: z.boolean().default(false),
  /** Overrides the playbook's approval timeout and heartbeat. */
  approvalTimeout: DurationText.optional(),
  approvalHeartbeat: DurationText.optional(),
  /** At or above this severity an unanswered approval contains anyway; unset: always auto-deny. */
  autoContainSeverity: z.number().min(0).max(10).optional(),
  /** Overrides the playbooks' GuardDuty triggers (default: DESIGN §3, as the playbook declares). */
  findingTypes: z
    .array(
      z.string().regex(/^[A-Za-z]+:S3\/[\w.*+-]*$/, 'must be an S3 finding type or prefix such as Exfiltration:S3/'),
    )
    .min(1)
    .optional(),
  acceptSampleFindings: z.boolean().default(false),
  bulkDownloadThreshold: z.number().int().positive().default(1000),
  /**
   * Our own detections (DESIGN §3): cross-account copy, external-KMS copy, anonymous rare source
   * (EventBridge rules on CloudTrail API calls) and bulk download (a metric filter and alarm on the
   * trail's log group, at `bulkDownloadThreshold` GetObject calls per hour). They use
   * `trustedAccounts` for where data may go.
   */
  detections: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** The trail's CloudWatch Logs group; unset: no GetObject metric filter and no bulk-download alarm. */
      cloudTrailLogGroup: z
        .string()
        .regex(/^[\w#./-]{1,512}$/, 'must be a CloudWatch Logs log group name (A-Z a-z 0-9 _ # . / -)')
        .optional(),
    })
    .default({ enabled: true }),
  /**
   * Also offer the seed's DenyNonVpcAccess bucket statement (object reads only through
   * `vpcEndpointIds`). Off by default: it also cuts CloudFront OAI, partner and public reads.
   */
  denyNonVpcAccess: z.boolean().default(false),
  /** Plan only: enrich, plan and report, change nothing. */
  dryRun: z.boolean().default(false),
  /**
   * The window of flood control (`maxNewIncidentsPerBucket`). Folding does not depend on it: an
   * incident takes every signal for its principal or bucket while it is open.
   */
  correlationWindowMinutes: z
    .number()
    .int()
    .min(1, 'must be at least 1 minute')
    .max(7 * 24 * 60, 'must be at most 10080 minutes (7 days)')
    .default(60),
  /**
   * Flood control: at most this many new incidents per bucket per `correlationWindowMinutes`; the
   * excess is linked into the bucket's latest open incident (never dropped).
   */
  maxNewIncidentsPerBucket: z.number().int().min(1, 'must be at least 1').max(1000, 'must be at most 1000').default(5),
  /** An incident with no new signal for this many minutes closes automatically (default 7 days). */
  autoCloseAfterMinutes: z
    .number()
    .int()
    .min(60, 'must be at least 60 minutes')
    .max(90 * 24 * 60, 'must be at most 129600 minutes (90 days)')
    .default(7 * 24 * 60),
  /**
   * An anonymous caller's Deny lists its addresses; once more than this many share one IPv4 /24 or
   * IPv6 /64, the block replaces them (default 8). Lower denies more neighbours sooner.
   */
  cidrCollapseThreshold: z
    .number()
    .int('must be a whole number of addresses')
    .min(1, 'must be at least 1 (a single address never widens to its /24 or /64)')
    .max(65_536, 'must be at most 65536')
    .default(8),
  /** Member accounts the responder may act in, through `memberRoleName` (DESIGN §8a). Default: this account only. */
  memberAccounts: z.array(AccountId).default([]),
  /** Role assumed in member accounts for cross-account containment (DESIGN §8a). */
  /** Base name of the member roles: `<name>Read`, `<name>Contain`, `<name>Rollback` (DESIGN §8a). */
  memberRoleName: z
    .string()
    .regex(
      new RegExp(`^[\\w+=,.@-]{1,${MAX_MEMBER_ROLE_BASE_LENGTH}}$`),
      `must be an IAM role name of at most ${MAX_MEMBER_ROLE_BASE_LENGTH} characters (a suffix of up to 8 is added)`,
    )
    .default(DEFAULT_MEMBER_ROLE_NAME),
  /** Reserved concurrency of the Slack, detection, containment and rollback functions. */
  concurrency: ConcurrencyConfig.default({ accountLimit: 1000, slack: 10, detect: 10, containment: 5 }),
  /** The CloudTrail data-event table the evidence branch queries (DESIGN §8); unset: that evidence is unavailable. */
  athena: AthenaConfig.optional(),
  /**
   * The AWS Organizations id (`o-…`) whose accounts' regional forwarders may put events on the home
   * Region's default event bus (`aws:PrincipalOrgID`). Unset: only this account and
   * `memberAccounts`, by account.
   */
  organizationId: z
    .string()
    .regex(/^o-[a-z0-9]{10,32}$/, 'must be an AWS Organizations id such as o-a1b2c3d4e5')
    .optional(),
});
export type ResponderConfig = z.infer<typeof ResponderConfig>;
export type ResponderConfigInput = z.input<typeof ResponderConfig>;

/** Parses and checks a config; throws `ConfigError` naming the field. */
export function parseConfig(raw: unknown): ResponderConfig {
  if (raw === undefined || raw === null) {
    throw new ConfigError('', 'no configuration: set the "responder" context in cdk.json or pass -c configFile=<path>');
  }
  const parsed = ResponderConfig.safeParse(raw);
  if (!parsed.success) {
    const { path, message } = firstIssue(parsed.error);
    throw new ConfigError(path, message);
  }
  const config = parsed.data;
  if (config.approvalHeartbeat && config.approvalTimeout && config.approvalHeartbeat >= config.approvalTimeout) {
    throw new ConfigError('approvalHeartbeat', 'must be shorter than approvalTimeout');
  }
  const reserved = reservedConcurrency(config);
  const unreserved = config.concurrency.accountLimit - reserved;
  if (unreserved < MIN_UNRESERVED_CONCURRENCY) {
    throw new ConfigError(
      'concurrency',
      `reserving ${reserved} of accountLimit ${config.concurrency.accountLimit} leaves ${unreserved} unreserved; Lambda requires at least ${MIN_UNRESERVED_CONCURRENCY} (reserve less, or raise the account's quota and accountLimit)`,
    );
  }
  if (config.twoPersonRule && config.approvers.length < 2 && !config.approvers.some((id) => id.startsWith('S'))) {
    throw new ConfigError('approvers', 'the two-person rule needs at least two approvers (or a user group)');
  }
  return config;
}

/** The runtime settings compiled into one playbook's state machine for its tasks. */
export function toSettings(
  config: ResponderConfig,
  playbook: Playbook,
  extra: {
    responderRoleArns: string[];
    consoleRegion?: string;
    homeAccountId?: string;
    /** Whether data-event evidence can be queried; default: `athena` is configured. */
    dataEventsTable?: boolean;
  },
): Settings {
  const approvalTimeoutSeconds = config.approvalTimeout ?? playbook.approval.timeout.toSeconds();
  const heartbeatSeconds = config.approvalHeartbeat ?? playbook.approval.heartbeat.toSeconds();
  if (heartbeatSeconds >= approvalTimeoutSeconds) {
    throw new ConfigError(
      'approvalHeartbeat',
      `must be shorter than the approval timeout (${approvalTimeoutSeconds}s)`,
    );
  }
  const patterns = guardDutyPatterns(playbook);
  return {
    trustedAccounts: config.trustedAccounts,
    irRoleArns: config.irRoleArns,
    breakGlassRoleArns: config.breakGlassRoleArns,
    responderRoleArns: extra.responderRoleArns,
    vpcEndpointIds: config.vpcEndpointIds,
    approvers: config.approvers,
    slackChannel: config.slackChannel,
    twoPersonRule: config.twoPersonRule,
    approvalTimeoutSeconds,
    heartbeatSeconds,
    autoContainSeverity: config.autoContainSeverity,
    findingTypes: config.findingTypes ?? (patterns.length > 0 ? patterns : DEFAULT_FINDING_TYPES),
    acceptSampleFindings: config.acceptSampleFindings,
    dryRun: config.dryRun,
    denyNonVpcAccess: config.denyNonVpcAccess,
    consoleRegion: extra.consoleRegion,
    correlationWindowMinutes: config.correlationWindowMinutes,
    autoCloseAfterMinutes: config.autoCloseAfterMinutes,
    cidrCollapseThreshold: config.cidrCollapseThreshold,
    maxNewIncidentsPerBucket: config.maxNewIncidentsPerBucket,
    homeAccountId: extra.homeAccountId,
    memberAccounts: config.memberAccounts,
    ...((extra.dataEventsTable ?? config.athena !== undefined) ? {} : { dataEventsTable: false }),
  };
}
