import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { observe } from '../shared/observe.js';
import { traced } from '../shared/tracing.js';
import { DynamoNewTermsStore } from './new-terms-dynamodb.js';
import { detectionEnv, handleDetectionEvent, sfnStarter } from './start.js';

let wired: { run(event: unknown): ReturnType<typeof handleDetectionEvent> } | undefined;

/**
 * EventBridge (CloudTrail API calls on S3, bulk-download alarm state changes) → detections → one
 * playbook execution per finding, started with the detection envelope. Logs rule and finding id
 * only; never the event. Counts each detection by rule (`DetectionsFired`).
 */
export const handler = observe('detect', async (event: unknown) => {
  wired ??= (() => {
    const config = detectionEnv();
    const doc = DynamoDBDocumentClient.from(traced(new DynamoDBClient({})));
    const ports = { state: { newTerms: new DynamoNewTermsStore(doc, config.newTermsTable) }, starter: sfnStarter() };
    return { run: (input: unknown) => handleDetectionEvent(input, ports, config) };
  })();
  return wired.run(event);
});
