import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { MAX_CLOSE_NOTE } from '../../handlers/shared/close.js';
import type { Resolution } from '../../handlers/shared/lifecycle.js';
import { UsageError } from '../io.js';
import { USAGE } from '../usage.js';

export interface CloseOptions {
  readonly client?: LambdaClient;
  /** Asks AWS who the credentials belong to. @default an STS client in the function's Region */
  readonly sts?: STSClient;
  /** Who says they are closing (recorded as `cli:<name> (<caller ARN>)`). @default the OS user */
  readonly user?: () => string;
}

/** The close function's bound on `by`. */
const MAX_BY = 200;

/**
 * `cli:<name> (<ARN>)`: the name the caller gives (anyone can type any name) next to the identity
 * AWS knows the credentials by (STS GetCallerIdentity, which needs no permission), as the Slack
 * button records the Slack user. The name is cut first so the ARN is always kept whole.
 */
async function closedBy(name: string, sts: STSClient): Promise<string> {
  let arn: string | undefined;
  try {
    arn = (await sts.send(new GetCallerIdentityCommand({}))).Arn;
  } catch (error) {
    const e = error as Error;
    throw new Error(`could not confirm who is closing (STS GetCallerIdentity: ${e.name}): nothing was closed`);
  }
  if (!arn)
    throw new Error('could not confirm who is closing (STS GetCallerIdentity returned no ARN): nothing was closed');
  const caller = shortArn(arn, MAX_BY - 12);
  const room = MAX_BY - caller.length - 7;
  const given = name.length > room ? `${name.slice(0, room - 1)}…` : name;
  return `cli:${given} (${caller})`;
}

/**
 * The ARN whole when it fits in `room` characters, else its head and its last segment (the user or
 * session name) with the middle cut: only an IAM user's path (up to 512 characters) makes a caller
 * ARN that long, and the name at its end is what says who closed.
 */
function shortArn(arn: string, room: number): string {
  if (arn.length <= room) return arn;
  const name = arn.slice(arn.lastIndexOf('/') + 1);
  const head = arn.slice(0, arn.indexOf('/') + 1);
  const middle = room - head.length - name.length - 2;
  if (!head || middle < 0) return `${arn.slice(0, room - 1)}…`;
  return `${arn.slice(0, head.length + middle)}…/${name}`;
}

const INCIDENT_ID = /^\d{8}-[0-9a-f]{12}$/;
const FUNCTION_ARN = /^arn:aws[a-z-]*:lambda:([a-z0-9-]+):\d{12}:function:[\w-]+(:[\w$-]+)?$/;
const RESOLUTIONS: Record<string, Resolution> = {
  'true-positive': 'true_positive',
  'false-positive': 'false_positive',
  benign: 'benign',
};

/**
 * `responder close <incidentId> --resolution true-positive|false-positive|benign [--note "…"]`:
 * invokes the deployed close function (`CloseFunctionArn` output), which records the closure once,
 * tells the incident's Slack thread and adds a "Closed" section to its report. It runs with that
 * function's least privilege, in the Region of its ARN. A second close prints that the incident is
 * already closed and changes nothing. A bad resolution or an unknown incident: one line, exit 2.
 * The closure records who closed it as the caller's name with the identity of the credentials used.
 */
export async function closeCommand(args: string[], options: CloseOptions = {}): Promise<string> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { resolution: { type: 'string' }, note: { type: 'string' }, function: { type: 'string' } },
    strict: true,
  });
  const [incidentId, ...extra] = positionals;
  const functionArn = values.function ?? process.env.RESPONDER_CLOSE_FUNCTION;
  if (!incidentId || extra.length > 0 || !values.resolution || !functionArn) {
    throw new UsageError(`usage: ${USAGE.close}`);
  }
  if (!INCIDENT_ID.test(incidentId)) throw new UsageError(`"${incidentId}" is not an incident id (YYYYMMDD-<12 hex>)`);
  const resolution = RESOLUTIONS[values.resolution];
  if (!resolution) {
    throw new UsageError(`--resolution "${values.resolution}" is not one of ${Object.keys(RESOLUTIONS).join(', ')}`);
  }
  if ((values.note ?? '').length > MAX_CLOSE_NOTE) {
    throw new UsageError(`--note is longer than ${MAX_CLOSE_NOTE} characters`);
  }
  const region = FUNCTION_ARN.exec(functionArn)?.[1];
  if (!region) throw new UsageError(`"${functionArn}" is not a Lambda function ARN`);
  const client = options.client ?? new LambdaClient({ region });
  const by = await closedBy((options.user ?? (() => userInfo().username))(), options.sts ?? new STSClient({ region }));
  const invoked = await client.send(
    new InvokeCommand({
      FunctionName: functionArn,
      Payload: new TextEncoder().encode(
        JSON.stringify({ incidentId, resolution, by, ...(values.note ? { note: values.note } : {}) }),
      ),
    }),
  );
  const payload = JSON.parse(new TextDecoder().decode(invoked.Payload ?? new Uint8Array()) || '{}') as Record<
    string,
    unknown
  >;
  if (invoked.FunctionError) {
    const name = String(payload.errorType ?? 'Error');
    const message = String(payload.errorMessage ?? 'the close function failed').split('\n')[0];
    if (name === 'IncidentNotFound') throw new UsageError(`incident ${incidentId} not found: ${message}`);
    const error = new Error(message);
    error.name = name;
    throw error;
  }
  const problems = Array.isArray(payload.problems) ? ` (not updated: ${payload.problems.join('; ')})` : '';
  return `${String(payload.message ?? JSON.stringify(payload))}${problems}`;
}
