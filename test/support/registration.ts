import { registerIncident } from '../../handlers/register-incident/core.js';
import type { Registration } from '../../handlers/register-incident/schema.js';
import { runTask } from '../../handlers/shared/define-task.js';
import type { Settings } from '../../handlers/shared/schemas/settings.js';
import type { IncidentStore } from '../../handlers/shared/store/types.js';
import { RecordingChat } from '../../local/chat.js';
import type { SimClock } from '../../local/clock.js';
import { guardDutyEvent, withField } from './fixtures.js';
import { testSettings } from './settings.js';

/** The seed's GuardDuty finding (EventBridge shape) of one principal on one bucket, with its own id. */
export function bucketFinding(principal: string, bucket: string, id: string, count = 1) {
  let event = withField(guardDutyEvent(), 'detail.id', id);
  event = withField(event, 'detail.service.count', count);
  event = withField(event, 'detail.resource.accessKeyDetails.userName', principal);
  event = withField(event, 'detail.resource.s3BucketDetails.0.name', bucket);
  return withField(event, 'detail.service.action.awsApiCallAction.affectedResources', { 'AWS::S3::Bucket': bucket });
}

/** Registers `event` as the state machine would: StoreConflict is retried (up to 10 attempts). */
export async function registerWithRetries(
  store: IncidentStore,
  event: unknown,
  executionName: string,
  clock: SimClock,
  settings: Settings = testSettings(),
): Promise<Registration> {
  const ports = { store, clock, guardduty: { getFindings: async () => [] }, chat: new RecordingChat() };
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await runTask(registerIncident, { event, settings, executionName }, ports);
    } catch (error) {
      if ((error as Error).name !== 'StoreConflict' || attempt === 10) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5 * attempt));
    }
  }
}
