import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { RETRYABLE_ERRORS } from '../handlers/shared/errors.js';
import type { Settings } from '../handlers/shared/schemas/settings.js';
import { actionsOfTask, type ContainTask, stateName, type TaskName } from '../handlers/shared/task-names.js';
import type { Playbook } from '../playbooks/define.js';

/** Lambda service errors worth retrying (Step Functions best practice). */
const LAMBDA_TRANSIENT = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

/** Defaults every playbook gets: they live here, not in each playbook. */
const TASK_TIMEOUT = Duration.minutes(5);
const EVIDENCE_TIMEOUT = Duration.minutes(15);

export type TaskFunctions = Readonly<Record<TaskName, IFunction>>;

/**
 * Compiles a playbook into its state machine (DESIGN §2): the one compiler used by the stack,
 * `simulate` and the tests. JSONPath only. State names are the tasks' Title Case names, so the
 * local runtime can bind each Task state to its core by function.
 *
 * State data: `{event, settings}` → `registration` (and `deltaRound`) → `response: {evidence,
 * decision}` → `report` → `queued` (a queued delta: back to `response` with it as `registration`).
 */
export function buildDefinition(
  scope: Construct,
  playbook: Playbook,
  fns: TaskFunctions,
  settings: Settings,
): sfn.IChainable {
  const invoke: Invoke = (task, id, payload, options = {}) => {
    const state = new tasks.LambdaInvoke(scope, id, {
      lambdaFunction: fns[task],
      payload: sfn.TaskInput.fromObject(payload),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      taskTimeout: sfn.Timeout.duration(options.timeout ?? TASK_TIMEOUT),
      resultPath: options.resultPath,
    });
    return withRetries(state);
  };
  const common = {
    'incidentId.$': '$.registration.incidentId',
    'incident.$': '$.registration.incident',
    'settings.$': '$.settings',
  };

  const start = new sfn.Pass(scope, 'Start', {
    comment: `${playbook.title}: keep the event, add the deployment settings`,
    parameters: { 'event.$': '$', settings },
  });
  const register = invoke(
    'registerIncident',
    'Register Incident',
    {
      'event.$': '$.event',
      'settings.$': '$.settings',
      'executionName.$': '$$.Execution.Name',
      'executionArn.$': '$$.Execution.Id',
    },
    { resultPath: '$.registration' },
  );

  const respond = new sfn.Parallel(scope, 'Respond', {
    comment: 'Evidence runs beside the decision: the approval never waits for Athena',
    resultSelector: { 'evidence.$': '$[0]', 'decision.$': '$[1]' },
    resultPath: '$.response',
  });
  respond.branch(evidenceBranch(scope, playbook, invoke, common));
  respond.branch(decisionBranch(scope, playbook, invoke, common, fns, settings));

  const report = invoke(
    'writeReport',
    'Write Report',
    { ...common, 'response.$': '$.response' },
    { resultPath: '$.report' },
  );
  // The failure report goes beside the error, never over it: `Incident Failed` ends the execution
  // with the error that was caught (a Fail state whose ErrorPath does not resolve ends as
  // States.Runtime). When the report itself cannot be written, the execution still fails with the
  // original error; the report's own error is kept beside it.
  const reportFailure = invoke(
    'writeReport',
    'Report Failure',
    { ...common, 'failure.$': '$.failure' },
    { resultPath: '$.failureReport' },
  );
  const failed = new sfn.Fail(scope, 'Incident Failed', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
  reportFailure.addCatch(failed, { errors: ['States.ALL'], resultPath: '$.failureReportError' });
  respond.addCatch(reportFailure.next(failed), { errors: ['States.ALL'], resultPath: '$.failure' });

  // The event is not needed after registration (the incident is): dropping it keeps a large
  // finding (an attack sequence) from carrying its whole story through every state (256 KB).
  const dropEvent = new sfn.Pass(scope, 'Drop Event', {
    parameters: { 'settings.$': '$.settings', 'registration.$': '$.registration', deltaRound: 0 },
  });
  const route = new sfn.Choice(scope, 'Route Registration')
    .when(
      sfn.Condition.stringEquals('$.registration.status', 'ignored'),
      new sfn.Succeed(scope, 'Ignored', { outputPath: '$.registration' }),
    )
    .when(
      sfn.Condition.stringEquals('$.registration.status', 'linked'),
      new sfn.Succeed(scope, 'Linked', { outputPath: '$.registration' }),
    )
    .otherwise(respond.next(report).next(askQueued(scope, invoke, respond)));

  return start.next(register).next(dropEvent).next(route);
}

/**
 * The end of a containment phase: what signals added while its request was pending (queued on the
 * incident) is asked right after, in the same execution and thread. The registration takes the
 * queue (conditionally, so of two executions one asks, and at most its delta-round bound per
 * execution); when it reopened the incident, the state restarts at Respond with the widened
 * incident. The execution's output stays the last report. A failure to take the queue never fails
 * an incident whose report is written: the queue stays for the next phase end.
 */
function askQueued(scope: Construct, invoke: Invoke, respond: sfn.Parallel): sfn.IChainable {
  const reported = new sfn.Succeed(scope, 'Reported', { outputPath: '$.report' });
  const take = invoke(
    'registerIncident',
    'Take Queued Delta',
    {
      event: { 'incidentId.$': '$.registration.incidentId', queued: true },
      'settings.$': '$.settings',
      'executionName.$': '$$.Execution.Name',
      'executionArn.$': '$$.Execution.Id',
      'deltaRound.$': '$.deltaRound',
    },
    { resultPath: '$.queued' },
  );
  take.addCatch(reported, { errors: ['States.ALL'], resultPath: '$.queueError' });
  const nextRound = new sfn.Pass(scope, 'Next Delta Round', {
    comment: 'Only what the next round needs: the previous round is in its report',
    parameters: {
      'settings.$': '$.settings',
      'registration.$': '$.queued',
      'deltaRound.$': 'States.MathAdd($.deltaRound, 1)',
    },
  });
  return take.next(
    new sfn.Choice(scope, 'Anything Queued')
      .when(sfn.Condition.stringEquals('$.queued.status', 'open'), nextRound.next(respond))
      .otherwise(reported),
  );
}

type Invoke = (
  task: TaskName,
  id: string,
  payload: Record<string, unknown>,
  options?: { resultPath?: string; timeout?: Duration },
) => tasks.LambdaInvoke;

function withRetries<T extends tasks.LambdaInvoke>(state: T): T {
  state.addRetry({ errors: LAMBDA_TRANSIENT, interval: Duration.seconds(2), maxAttempts: 6, backoffRate: 2 });
  state.addRetry({ errors: [...RETRYABLE_ERRORS], interval: Duration.seconds(2), maxAttempts: 3, backoffRate: 2 });
  return state;
}

function evidenceBranch(scope: Construct, playbook: Playbook, invoke: Invoke, common: Record<string, string>) {
  const collected = new sfn.Pass(scope, 'Evidence Collected', {
    parameters: Object.fromEntries(playbook.evidence.map((task) => [`${task}.$`, `$.${task}`])),
  });
  let head: sfn.Chain = sfn.Chain.start(new sfn.Pass(scope, 'Start Evidence'));
  for (const task of playbook.evidence) {
    const name = stateName(task);
    const state = invoke(task, name, common, { resultPath: `$.${task}`, timeout: EVIDENCE_TIMEOUT });
    const unavailable = new sfn.Pass(scope, `${name} Unavailable`, {
      parameters: { status: 'unavailable', 'reason.$': `$.${task}Error.Cause`, 'error.$': `$.${task}Error.Error` },
      resultPath: `$.${task}`,
    });
    const join = new sfn.Pass(scope, `${name} Done`);
    state.addCatch(unavailable, { errors: ['States.ALL'], resultPath: `$.${task}Error` });
    unavailable.next(join);
    head = head.next(state.next(join));
  }
  return head.next(collected);
}

function decisionBranch(
  scope: Construct,
  playbook: Playbook,
  invoke: Invoke,
  common: Record<string, string>,
  fns: TaskFunctions,
  settings: Settings,
): sfn.IChainable {
  const enrich = new sfn.Parallel(scope, 'Fast Enrich', {
    comment: 'Each source degrades on its own to {status: unavailable, reason}',
    resultSelector: Object.fromEntries(playbook.enrich.map((task, index) => [`${task}.$`, `$[${index}]`])),
    resultPath: '$.enrichment',
  });
  for (const task of playbook.enrich) {
    const name = stateName(task);
    const state = invoke(task, name, common);
    const unavailable = new sfn.Pass(scope, `${name} Unavailable`, {
      parameters: { status: 'unavailable', 'reason.$': '$.error.Cause', 'error.$': '$.error.Error' },
    });
    state.addCatch(unavailable, { errors: ['States.ALL'], resultPath: '$.error' });
    enrich.branch(state);
  }

  const plan = invoke(
    'planContainment',
    'Plan Containment',
    {
      ...common,
      'enrichment.$': '$.enrichment',
      contain: [...playbook.contain],
      'previouslyApplied.$': '$.registration.previouslyApplied',
    },
    { resultPath: '$.planning' },
  );
  const noneApplied = new sfn.Pass(scope, 'Nothing Applied Yet', {
    result: sfn.Result.fromArray([]),
    resultPath: '$.applied',
  });
  const decided = new sfn.Pass(scope, 'Decision Made', {
    parameters: {
      'enrichment.$': '$.enrichment',
      'plan.$': '$.planning',
      'decision.$': '$.decision',
      'applied.$': '$.applied',
    },
  });
  const outcome = (id: string, fields: Record<string, unknown>) =>
    new sfn.Pass(scope, id, { parameters: { approvedPlan: [], decidedBy: [], ...fields }, resultPath: '$.decision' });

  if (settings.dryRun) {
    return enrich
      .next(plan)
      .next(noneApplied)
      .next(outcome('Dry Run', { outcome: 'dry-run', via: 'none' }))
      .next(decided);
  }

  const contain = containMap(scope, playbook.contain, invoke);
  const approval = new tasks.LambdaInvoke(scope, 'Request Approval', {
    lambdaFunction: fns.requestApproval,
    integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
    payload: sfn.TaskInput.fromObject({
      taskToken: sfn.JsonPath.taskToken,
      ...common,
      // Only what needs a decision: items a re-run found already in place are confirmed without asking.
      plan: {
        'items.$': '$.planning.pending',
        'recommendations.$': '$.planning.recommendations',
        'notPlanned.$': '$.planning.notPlanned',
        'count.$': '$.planning.count',
        'inPlace.$': '$.planning.inPlace',
      },
      'enrichment.$': '$.enrichment',
      'executionArn.$': '$$.Execution.Id',
      // The approval is keyed by execution attempt, so a redrive or a re-run asks afresh.
      'executionName.$': '$$.Execution.Name',
      'redriveCount.$': '$$.Execution.RedriveCount',
    }),
    heartbeatTimeout: sfn.Timeout.duration(Duration.seconds(settings.heartbeatSeconds)),
    taskTimeout: sfn.Timeout.duration(Duration.seconds(settings.approvalTimeoutSeconds)),
    resultPath: '$.decision',
    retryOnServiceExceptions: false,
  });
  withRetries(approval);

  const denied = new sfn.Pass(scope, 'Approval Denied', {
    parameters: {
      outcome: 'denied',
      via: 'slack',
      decidedBy: [],
      approvedPlan: [],
      'reason.$': '$.approvalError.Cause',
    },
    resultPath: '$.decision',
  });
  // Closing the incident withdrew the pending request (SendTaskFailure ApprovalWithdrawn, or a
  // re-ping that found it closed): nothing was approved, and the report says who closed it.
  const withdrawn = new sfn.Pass(scope, 'Approval Withdrawn', {
    parameters: {
      outcome: 'withdrawn',
      via: 'none',
      decidedBy: [],
      approvedPlan: [],
      'reason.$': '$.approvalError.Cause',
    },
    resultPath: '$.decision',
  });
  const autoDeny = outcome('Auto Deny', { outcome: 'expired', via: 'timeout-policy' });
  let timeoutPolicy: sfn.IChainable = autoDeny;
  if (settings.autoContainSeverity !== undefined) {
    const autoContain = new sfn.Pass(scope, 'Auto Contain', {
      parameters: {
        outcome: 'approved',
        via: 'timeout-policy',
        decidedBy: ['timeout-policy'],
        'approvedPlan.$': '$.planning.items',
      },
      resultPath: '$.decision',
    });
    // A request that adds principals folded in from other signals is never contained unasked (the
    // severity that met the policy was another principal's), nor one asked after a denial.
    timeoutPolicy = new sfn.Choice(scope, 'Apply Timeout Policy')
      .when(
        sfn.Condition.and(
          sfn.Condition.numberGreaterThanEquals('$.registration.incident.severity', settings.autoContainSeverity),
          sfn.Condition.not(sfn.Condition.isPresent('$.registration.noAutoContain')),
        ),
        autoContain.next(contain),
      )
      .otherwise(autoDeny);
  }
  // A heartbeat timeout re-enters Request Approval: the task re-pings the thread with a fresh
  // nonce and, once the overall deadline has passed, fails with ApprovalExpired.
  approval.addCatch(approval, { errors: ['States.HeartbeatTimeout'], resultPath: '$.approvalHeartbeat' });
  approval.addCatch(denied, { errors: ['ApprovalDenied'], resultPath: '$.approvalError' });
  approval.addCatch(withdrawn, { errors: ['ApprovalWithdrawn'], resultPath: '$.approvalError' });
  approval.addCatch(timeoutPolicy, { errors: ['States.Timeout', 'ApprovalExpired'], resultPath: '$.approvalError' });

  // A re-run: what earlier runs applied (and is still in effect) is applied again with the newly
  // approved items, where it ends `already`. The two lists are joined with States.Array and a
  // wildcard path (JSONPath has no array concatenation).
  const inPlace = sfn.Condition.isPresent('$.planning.inPlace[0]');
  const joinInPlace = new sfn.Pass(scope, 'Add Items In Place', {
    parameters: { 'lists.$': 'States.Array($.decision.approvedPlan, $.planning.inPlace)' },
    resultPath: '$.approvedLists',
  }).next(
    new sfn.Pass(scope, 'Approve Items In Place', {
      inputPath: '$.approvedLists.lists[*][*]',
      resultPath: '$.decision.approvedPlan',
    }),
  );
  const approved = new sfn.Choice(scope, 'Anything In Place')
    .when(inPlace, joinInPlace.next(contain))
    .otherwise(contain);
  const confirmOnly = new sfn.Pass(scope, 'Confirm Items In Place', {
    parameters: {
      outcome: 'approved',
      via: 'none',
      decidedBy: [],
      'approvedPlan.$': '$.planning.inPlace',
      reason:
        'a re-run: every planned item was already in effect from an earlier, approved run; nothing new to approve',
    },
    resultPath: '$.decision',
  });
  const needsApproval = new sfn.Choice(scope, 'Anything To Approve')
    .when(sfn.Condition.and(sfn.Condition.numberEquals('$.planning.count', 0), inPlace), confirmOnly.next(contain))
    .when(
      sfn.Condition.numberEquals('$.planning.count', 0),
      outcome('Nothing To Approve', { outcome: 'nothing-to-approve', via: 'none' }).next(decided),
    )
    .otherwise(approval.next(approved));
  contain.next(decided);
  denied.next(decided);
  withdrawn.next(decided);
  autoDeny.next(decided);

  return enrich.next(plan).next(noneApplied).next(needsApproval);
}

function containMap(scope: Construct, contain: readonly ContainTask[], invoke: Invoke) {
  const map = new sfn.Map(scope, 'Contain', {
    comment: 'Only the approved actions, one at a time; each is idempotent and backs up what it changes',
    itemsPath: '$.decision.approvedPlan',
    itemSelector: {
      'item.$': '$$.Map.Item.Value',
      'incidentId.$': '$.registration.incidentId',
      'settings.$': '$.settings',
    },
    maxConcurrency: 1,
    resultPath: '$.applied',
  });
  const failedAction = new sfn.Pass(scope, 'Action Failed', {
    parameters: {
      'action.$': '$.item.action',
      'target.$': '$.item.target',
      result: 'failed',
      'error.$': '$.failure.Error',
      'detail.$': '$.failure.Cause',
    },
  });
  const unsupported = new sfn.Pass(scope, 'Action Not In Playbook', {
    parameters: {
      'action.$': '$.item.action',
      'target.$': '$.item.target',
      result: 'skipped',
      detail: 'this playbook does not contain with this action',
    },
  });
  const drill = new sfn.Pass(scope, 'Action Skipped', {
    parameters: {
      'action.$': '$.item.action',
      'target.$': '$.item.target',
      result: 'skipped',
      'detail.$': '$.item.skip',
    },
  });
  const route = new sfn.Choice(scope, 'Route Action').when(sfn.Condition.isPresent('$.item.skip'), drill);
  for (const action of contain) {
    const state = invoke(action, stateName(action), {
      'item.$': '$.item',
      'incidentId.$': '$.incidentId',
      'settings.$': '$.settings',
    });
    state.addCatch(failedAction, { errors: ['States.ALL'], resultPath: '$.failure' });
    const served = actionsOfTask(action).map((id) => sfn.Condition.stringEquals('$.item.action', id));
    route.when(served.length === 1 ? (served[0] as sfn.Condition) : sfn.Condition.or(...served), state);
  }
  route.otherwise(unsupported);
  map.itemProcessor(route);
  return map;
}
