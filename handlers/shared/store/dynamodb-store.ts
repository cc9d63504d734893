import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoApprovals } from './dynamodb-approvals.js';
import { DynamoClaims } from './dynamodb-claims.js';
import { DynamoIncidents } from './dynamodb-incidents.js';
import { DynamoRollbackRequests } from './dynamodb-rollback.js';
import { DynamoTable } from './dynamodb-table.js';
import type { IncidentStore } from './types.js';

/** The arguments of one `IncidentStore` method. */
type Args<M extends keyof IncidentStore> = Parameters<IncidentStore[M]>;

/**
 * A document client for `DynamoIncidentStore`: undefined attributes are dropped, so optional
 * record fields are simply absent from the item.
 */
export function createDocumentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/**
 * The incident store on one DynamoDB table (DESIGN §4, key layout in types.ts). Every write that
 * could race is conditional, so retries, redeliveries and concurrent clicks change nothing twice.
 * Reads are strongly consistent. Unexpected SDK errors surface as the named errors of `mapAwsError`.
 * Expects a client from `createDocumentClient`.
 *
 * Each group of items has its own part: claims (dynamodb-claims.ts), the incident's partition
 * (dynamodb-incidents.ts), approvals (dynamodb-approvals.ts) and rollback requests
 * (dynamodb-rollback.ts), all on one `DynamoTable`.
 */
export class DynamoIncidentStore implements IncidentStore {
  private readonly claims: DynamoClaims;
  private readonly incidents: DynamoIncidents;
  private readonly approvals: DynamoApprovals;
  private readonly rollbacks: DynamoRollbackRequests;

  constructor(doc: DynamoDBDocumentClient, tableName: string) {
    const table = new DynamoTable(doc, tableName);
    this.claims = new DynamoClaims(table);
    this.incidents = new DynamoIncidents(table);
    this.approvals = new DynamoApprovals(table);
    this.rollbacks = new DynamoRollbackRequests(table);
  }

  claimFinding(...args: Args<'claimFinding'>) {
    return this.claims.claimFinding(...args);
  }

  takeOverFinding(...args: Args<'takeOverFinding'>) {
    return this.claims.takeOverFinding(...args);
  }

  linkFinding(...args: Args<'linkFinding'>) {
    return this.claims.linkFinding(...args);
  }

  claimCorrelation(...args: Args<'claimCorrelation'>) {
    return this.claims.claimCorrelation(...args);
  }

  handOverCorrelation(...args: Args<'handOverCorrelation'>) {
    return this.claims.handOverCorrelation(...args);
  }

  extendCorrelation(...args: Args<'extendCorrelation'>) {
    return this.claims.extendCorrelation(...args);
  }

  appendFindingId(...args: Args<'appendFindingId'>) {
    return this.incidents.appendFindingId(...args);
  }

  reopenForDelta(...args: Args<'reopenForDelta'>) {
    return this.incidents.reopenForDelta(...args);
  }

  addSignalSourceIps(...args: Args<'addSignalSourceIps'>) {
    return this.incidents.addSignalSourceIps(...args);
  }

  closeIncident(...args: Args<'closeIncident'>) {
    return this.incidents.closeIncident(...args);
  }

  createIncident(...args: Args<'createIncident'>) {
    return this.incidents.createIncident(...args);
  }

  getIncident(...args: Args<'getIncident'>) {
    return this.incidents.getIncident(...args);
  }

  updateIncident(...args: Args<'updateIncident'>) {
    return this.incidents.updateIncident(...args);
  }

  addEvent(...args: Args<'addEvent'>) {
    return this.incidents.addEvent(...args);
  }

  listEvents(...args: Args<'listEvents'>) {
    return this.incidents.listEvents(...args);
  }

  saveUndo(...args: Args<'saveUndo'>) {
    return this.incidents.saveUndo(...args);
  }

  listUndo(...args: Args<'listUndo'>) {
    return this.incidents.listUndo(...args);
  }

  addUndoSids(...args: Args<'addUndoSids'>) {
    return this.incidents.addUndoSids(...args);
  }

  recordAction(...args: Args<'recordAction'>) {
    return this.incidents.recordAction(...args);
  }

  listActions(...args: Args<'listActions'>) {
    return this.incidents.listActions(...args);
  }

  putApproval(...args: Args<'putApproval'>) {
    return this.approvals.putApproval(...args);
  }

  getApproval(...args: Args<'getApproval'>) {
    return this.approvals.getApproval(...args);
  }

  supersedeApproval(...args: Args<'supersedeApproval'>) {
    return this.approvals.supersedeApproval(...args);
  }

  withdrawApproval(...args: Args<'withdrawApproval'>) {
    return this.approvals.withdrawApproval(...args);
  }

  castVote(...args: Args<'castVote'>) {
    return this.approvals.castVote(...args);
  }

  withdrawVote(...args: Args<'withdrawVote'>) {
    return this.approvals.withdrawVote(...args);
  }

  putRollbackRequest(...args: Args<'putRollbackRequest'>) {
    return this.rollbacks.putRollbackRequest(...args);
  }

  getRollbackRequest(...args: Args<'getRollbackRequest'>) {
    return this.rollbacks.getRollbackRequest(...args);
  }

  castRollbackVote(...args: Args<'castRollbackVote'>) {
    return this.rollbacks.castRollbackVote(...args);
  }

  recordRollbackStart(...args: Args<'recordRollbackStart'>) {
    return this.rollbacks.recordRollbackStart(...args);
  }
}
