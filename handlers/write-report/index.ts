import { awsEvidencePort } from '../shared/clients/evidence.js';
import { lazySlackChat } from '../shared/clients/slack-secret.js';
import { dynamoStore } from '../shared/clients/store.js';
import { systemClock, systemRandom } from '../shared/clock.js';
import { lambdaHandler } from '../shared/define-task.js';
import { requireEnv } from '../shared/env.js';
import { writeReport } from './core.js';

export const handler = lambdaHandler(writeReport, () => ({
  store: dynamoStore(),
  evidence: awsEvidencePort(requireEnv('EVIDENCE_BUCKET'), process.env.EVIDENCE_KEY_ARN),
  chat: lazySlackChat(),
  clock: systemClock,
  random: systemRandom,
}));
