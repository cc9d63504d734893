import { CfnOutput, Stack, type StackProps, Token } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { ConfigError } from '../handlers/shared/errors.js';
import { CONTAIN_TASKS, handlerDir, TASK_NAMES, type TaskName } from '../handlers/shared/task-names.js';
import { guardDutyPatterns, type Playbook } from '../playbooks/define.js';
import { type ResponderConfig, toSettings } from './config.js';
import { DataEventsTable } from './constructs/data-events-table.js';
import { Detections, detectionRoutes } from './constructs/detections.js';
import { Evidence } from './constructs/evidence.js';
import { FindingRule } from './constructs/finding-rule.js';
import { ForwardedEvents } from './constructs/forwarded-events.js';
import { IncidentCloser } from './constructs/incident-closer.js';
import { IncidentStore } from './constructs/incident-store.js';
import { Operations } from './constructs/operations.js';
import { PlaybookStateMachine } from './constructs/playbook-state-machine.js';
import { RollbackStateMachine } from './constructs/rollback-state-machine.js';
import { SlackApproval, slackSecret } from './constructs/slack-approval.js';
import { TaskFunction } from './constructs/task-function.js';
import type { TaskFunctions } from './definition.js';
import { MAX_STACK_NAME_LENGTH, memberKindOf, taskRoleName } from './member-roles.js';
import { acknowledgeWildcards } from './nag.js';
import { entryOf, type GrantContext, TASKS } from './tasks.js';

export interface ResponderStackProps extends StackProps {
  readonly config: ResponderConfig;
  readonly playbooks: readonly Playbook[];
}

const CONTAINMENT: readonly TaskName[] = CONTAIN_TASKS;
/** The functions with their own reservation (`concurrency.containment` each): containment and its undo. */
const RESERVED = new Set<TaskName>([...CONTAIN_TASKS, 'rollbackIncident']);

const pascal = (id: string) => id.replace(/(^|-)([a-z0-9])/g, (_, __, char: string) => char.toUpperCase());

/**
 * The responder: the incident store, the evidence bucket, one function per task, one state
 * machine and EventBridge rule per playbook, the Slack interaction endpoint, and the operations
 * dashboard with the alarm topic.
 */
export class ResponderStack extends Stack {
  readonly functions: Record<TaskName, TaskFunction>;
  readonly stateMachines: PlaybookStateMachine[];

  constructor(scope: Construct, id: string, props: ResponderStackProps) {
    super(scope, id, props);
    const { config } = props;
    const store = new IncidentStore(this, 'IncidentStore');
    const evidence = new Evidence(this, 'Evidence');
    const secret = slackSecret(this);
    const dataEvents = config.athena
      ? new DataEventsTable(this, 'DataEvents', {
          config: config.athena,
          evidence,
          accounts: [this.account, ...config.memberAccounts],
        })
      : undefined;
    const context: GrantContext = {
      stack: this,
      table: store.table,
      evidence,
      slackSecret: secret,
      vpcEndpointIds: config.vpcEndpointIds,
      athena: dataEvents?.target,
      memberAccounts: config.memberAccounts,
      memberRoleName: config.memberRoleName,
      protectedRoleArns: [...config.irRoleArns, ...config.breakGlassRoleArns],
    };

    const members = config.memberAccounts.length > 0;
    if (members && !Token.isUnresolved(this.stackName) && this.stackName.length > MAX_STACK_NAME_LENGTH) {
      throw new ConfigError(
        'memberAccounts',
        `with member accounts the stack name "${this.stackName}" must be at most ${MAX_STACK_NAME_LENGTH} characters: its task roles are named <stack name>-<Task> (IAM allows 64)`,
      );
    }
    this.functions = Object.fromEntries(
      TASK_NAMES.map((task) => {
        const spec = TASKS[task];
        const fn = new TaskFunction(this, pascal(handlerDir(task)), {
          entry: entryOf(handlerDir(task)),
          description: spec.description,
          timeout: spec.timeout,
          environment: spec.environment?.(context),
          reservedConcurrency: RESERVED.has(task) ? config.concurrency.containment : undefined,
          // The member stack trusts these roles by exact ARN: their names must be known in advance.
          roleName: members && memberKindOf(task) ? taskRoleName(this.stackName, task) : undefined,
        });
        const statements = spec.statements(context);
        for (const statement of statements) fn.role.addToPolicy(statement);
        acknowledgeWildcards(fn.role, statements);
        return [task, fn];
      }),
    ) as Record<TaskName, TaskFunction>;
    const functions = Object.fromEntries(
      TASK_NAMES.map((task) => [task, this.functions[task].fn]),
    ) as unknown as TaskFunctions;

    this.stateMachines = props.playbooks.map((playbook) => {
      const settings = toSettings(config, playbook, {
        responderRoleArns: CONTAINMENT.map((task) => this.functions[task].role.roleArn),
        consoleRegion: this.region,
        homeAccountId: this.account,
      });
      const machine = new PlaybookStateMachine(this, pascal(playbook.id), { playbook, functions, settings });
      const patterns = config.findingTypes ?? guardDutyPatterns(playbook);
      if (patterns.length > 0) {
        new FindingRule(this, `${pascal(playbook.id)}Findings`, {
          findingTypes: patterns,
          stateMachine: machine.stateMachine,
        });
      }
      new CfnOutput(this, `${pascal(playbook.id)}StateMachineArn`, { value: machine.stateMachine.stateMachineArn });
      return machine;
    });

    const routes = detectionRoutes(props.playbooks, this.stateMachines);
    let detections: Detections | undefined;
    if (config.detections.enabled && Object.keys(routes).length > 0) {
      const logGroup = config.detections.cloudTrailLogGroup;
      detections = new Detections(this, 'Detections', {
        routes,
        trustedAccounts: config.trustedAccounts,
        bulkDownloadThreshold: config.bulkDownloadThreshold,
        cloudTrailLogGroup: logGroup ? logs.LogGroup.fromLogGroupName(this, 'CloudTrailLogs', logGroup) : undefined,
        reservedConcurrency: config.concurrency.detect,
      });
    }

    new ForwardedEvents(this, 'ForwardedEvents', {
      organizationId: config.organizationId,
      accounts: config.memberAccounts,
    });

    const rollback = new RollbackStateMachine(this, 'Rollback', {
      rollbackFunction: this.functions.rollbackIncident.fn,
    });
    new CfnOutput(this, 'RollbackStateMachineArn', {
      value: rollback.stateMachine.stateMachineArn,
      description: 'responder rollback <incidentId> --state-machine <this>',
    });
    const slack = new SlackApproval(this, 'SlackApproval', {
      table: store.table,
      secret,
      stateMachines: this.stateMachines.map((machine) => machine.stateMachine),
      rollbackStateMachine: rollback.stateMachine,
      reservedConcurrency: config.concurrency.slack,
      closeApprovers: config.approvers,
    });
    const closer = new IncidentCloser(this, 'IncidentCloser', {
      context,
      table: store.table,
      secret,
      stateMachines: this.stateMachines.map((machine) => machine.stateMachine),
      autoCloseAfterMinutes: config.autoCloseAfterMinutes,
    });
    new CfnOutput(this, 'IncidentTableName', { value: store.table.tableName });
    new CfnOutput(this, 'EvidenceBucketName', { value: evidence.bucket.bucketName });
    new CfnOutput(this, 'SlackSecretArn', {
      value: secret.secretArn,
      description: 'Put {"signingSecret","botToken"} here',
    });

    const operations = new Operations(this, 'Operations', {
      stateMachines: [...this.stateMachines.map((machine) => machine.stateMachine), rollback.stateMachine],
      functions: [
        ...TASK_NAMES.map((task) => this.functions[task].fn),
        slack.function.fn,
        closer.function.fn,
        ...(detections ? [detections.function.fn] : []),
      ],
      slackSecret: secret,
      slackChannel: config.slackChannel,
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: operations.topic.topicArn,
      description:
        'Every alarm notifies this topic (posted in Slack); aws sns subscribe --topic-arn <this> --protocol email …',
    });
    new CfnOutput(this, 'DashboardName', {
      value: operations.dashboard.dashboardName,
      description: 'CloudWatch > Dashboards: incidents, approval and containment times, failed actions, executions',
    });
  }
}
