import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { SWEEP_ATTRIBUTE, SWEEP_INDEX } from '../../handlers/shared/store/sweep-index.js';

/**
 * The incident store (DESIGN §4): one on-demand table, keys `pk`/`sk`, point-in-time recovery,
 * TTL on `ttl` (approvals and correlation windows expire; incidents do not), a stream of new
 * images (the closing part of a report is written from it), and the close sweep's sparse index
 * (`sweep`, keys only). Retained on delete.
 */
export class IncidentStore extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'ttl',
      // The close function follows the incident records whose closing part is pending (NEW_IMAGE:
      // the filter and the handler read the record as written).
      stream: dynamodb.StreamViewType.NEW_IMAGE,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // The close sweep reads only the incidents it may act on: a sparse index (the key is on an
    // incident record while it is open or its closing part is pending), keys only.
    this.table.addGlobalSecondaryIndex({
      indexName: SWEEP_INDEX,
      partitionKey: { name: SWEEP_ATTRIBUTE, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.KEYS_ONLY,
    });
  }
}
