import { DynamoApprovals } from './dynamodb-approvals.js';
import { DynamoClaims } from './dynamodb-claims.js';
import { DynamoIncidents } from './dynamodb-incidents.js';
import { DynamoRollbackRequests } from './dynamodb-rollback.js';
import { DynamoTable, type TableClient } from './dynamodb-table.js';
import type { IncidentStore } from './types.js';

/** The arguments of one `IncidentStore` method. */
type Args<M extends keyof IncidentStore> = Parameters<IncidentStore[M]>;

/** The claim operations: only the registration function makes claims. */
type ClaimMethods =
  | 'claimFinding'
  | 'raiseFindingCount'
  | 'takeOverFinding'
  | 'linkFinding'
  | 'claimCorrelation'
  | 'handOverCorrelation'
  | 'extendCorrelation';

/** What a store without its claims part answers a claim: a rejection naming why. */
function noClaims(): Promise<never> {
  return Promise.reject(
    new Error('this function makes no claims: only the registration function claims findings and correlations'),
  );
}

/**
 * The incident store on one DynamoDB table (DESIGN §4, key layout in types.ts). Every write that
 * could race is conditional, so retries, redeliveries and concurrent clicks change nothing twice.
 * Reads are strongly consistent. Unexpected SDK errors surface as the named errors of `mapAwsError`.
 * Takes a DynamoDB client, or a document client made from one (`createDocumentClient` in
 * local/dynalite.ts), which shares its configuration and middleware stack: items are marshalled
 * by `DynamoTable`, so the Lambdas carry no document client.
 *
 * Each group of items has its own part: the incident's partition (dynamodb-incidents.ts),
 * approvals (dynamodb-approvals.ts) and rollback requests (dynamodb-rollback.ts), all on one
 * `DynamoTable`. The claims (dynamodb-claims.ts) are in `DynamoIncidentStore` below: this store
 * rejects them, so the functions that never claim do not carry that code.
 */
export class DynamoRecordStore implements IncidentStore {
  private readonly incidents: DynamoIncidents;
  private readonly approvals: DynamoApprovals;
  private readonly rollbacks: DynamoRollbackRequests;

  constructor(client: TableClient, tableName: string) {
    const table = new DynamoTable(client, tableName);
    this.incidents = new DynamoIncidents(table);
    this.approvals = new DynamoApprovals(table);
    this.rollbacks = new DynamoRollbackRequests(table);
  }

  claimFinding(..._args: Args<'claimFinding'>): ReturnType<IncidentStore['claimFinding']> {
    return noClaims();
  }

  raiseFindingCount(..._args: Args<'raiseFindingCount'>): ReturnType<IncidentStore['raiseFindingCount']> {
    return noClaims();
  }

  takeOverFinding(..._args: Args<'takeOverFinding'>): ReturnType<IncidentStore['takeOverFinding']> {
    return noClaims();
  }

  linkFinding(..._args: Args<'linkFinding'>): ReturnType<IncidentStore['linkFinding']> {
    return noClaims();
  }

  claimCorrelation(..._args: Args<'claimCorrelation'>): ReturnType<IncidentStore['claimCorrelation']> {
    return noClaims();
  }

  handOverCorrelation(..._args: Args<'handOverCorrelation'>): ReturnType<IncidentStore['handOverCorrelation']> {
    return noClaims();
  }

  extendCorrelation(..._args: Args<'extendCorrelation'>): ReturnType<IncidentStore['extendCorrelation']> {
    return noClaims();
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

/**
 * `DynamoRecordStore` with the claims (`FINDING#`, `CORRELATION#`): the store of the registration
 * function, the local runtime and the tests. The other functions never claim and do not carry them.
 */
export class DynamoIncidentStore extends DynamoRecordStore implements IncidentStore {
  private readonly claims: Pick<IncidentStore, ClaimMethods>;

  constructor(client: TableClient, tableName: string) {
    super(client, tableName);
    this.claims = new DynamoClaims(new DynamoTable(client, tableName));
  }

  override claimFinding(...args: Args<'claimFinding'>) {
    return this.claims.claimFinding(...args);
  }

  override raiseFindingCount(...args: Args<'raiseFindingCount'>) {
    return this.claims.raiseFindingCount(...args);
  }

  override takeOverFinding(...args: Args<'takeOverFinding'>) {
    return this.claims.takeOverFinding(...args);
  }

  override linkFinding(...args: Args<'linkFinding'>) {
    return this.claims.linkFinding(...args);
  }

  override claimCorrelation(...args: Args<'claimCorrelation'>) {
    return this.claims.claimCorrelation(...args);
  }

  override handOverCorrelation(...args: Args<'handOverCorrelation'>) {
    return this.claims.handOverCorrelation(...args);
  }

  override extendCorrelation(...args: Args<'extendCorrelation'>) {
    return this.claims.extendCorrelation(...args);
  }
}
