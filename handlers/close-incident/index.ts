import { awsEvidencePort } from '../shared/clients/evidence.js';
import { awsTaskCallbackPort } from '../shared/clients/sfn.js';
import { lazySlackChat } from '../shared/clients/slack-secret.js';
import { dynamoSweepStore } from '../shared/clients/store.js';
import { systemClock } from '../shared/clock.js';
import type { ClosePorts } from '../shared/close.js';
import { evidenceReportRewriter } from '../shared/close-sweep.js';
import { requireEnv } from '../shared/env.js';
import type { SweepStore } from '../shared/store/types.js';
import { runClose } from './core.js';

let ports: (ClosePorts & { store: SweepStore }) | undefined;

/** Invoked by `responder close` (a close command) and by the hourly EventBridge schedule (the sweep). */
export const handler = async (input: unknown) => {
  ports ??= {
    store: dynamoSweepStore(),
    chat: lazySlackChat(),
    clock: systemClock,
    callbacks: awsTaskCallbackPort(),
    reports: evidenceReportRewriter(awsEvidencePort(requireEnv('EVIDENCE_BUCKET'), process.env.EVIDENCE_KEY_ARN)),
  };
  return runClose(input, { autoCloseAfterMinutes: Number(requireEnv('AUTO_CLOSE_AFTER_MINUTES')) }, ports);
};
