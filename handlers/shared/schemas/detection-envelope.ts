import * as z from 'zod';
import { type Detection, DetectionRule } from './detection.js';
import { Incident } from './incident.js';

export const DETECTION_SOURCE = 's3-exfil-responder.detection';
export const DETECTION_DETAIL_TYPE = 'S3 Exfil Responder Detection';

/**
 * The execution input a detection starts its playbook with: EventBridge-shaped, so
 * register-incident tells it apart from a GuardDuty event by `source` and `detail-type`, and takes
 * `detail.incident` as the normalized incident (it is already validated against `Incident`).
 */
export const DetectionEnvelope = z.object({
  source: z.literal(DETECTION_SOURCE),
  'detail-type': z.literal(DETECTION_DETAIL_TYPE),
  /** When the detected activity was last seen, as EventBridge events carry `time`. */
  time: z.string().optional(),
  detail: z.object({ rule: DetectionRule, incident: Incident }),
});
export type DetectionEnvelope = z.infer<typeof DetectionEnvelope>;

export function detectionEnvelope(detection: Detection): DetectionEnvelope {
  return {
    source: DETECTION_SOURCE,
    'detail-type': DETECTION_DETAIL_TYPE,
    time: detection.incident.lastSeen,
    detail: { rule: detection.rule, incident: detection.incident },
  };
}
