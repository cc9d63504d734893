import * as z from 'zod';
import type { Incident } from './incident.js';

/** Our detections (DESIGN §3), named as `responder detect` prints them (contract §10). */
export const DetectionRule = z.enum([
  'cross-account-copy',
  'external-kms-copy',
  'anonymous-rare-source',
  'bulk-download',
]);
export type DetectionRule = z.infer<typeof DetectionRule>;

/** One detection: the rule that fired and the normalized incident (contract §10). */
export interface Detection {
  readonly rule: DetectionRule;
  readonly incident: Incident;
}

/** The finding type each rule reports (GuardDuty-style `Family:S3/Name`, so `:S3/` scoping applies). */
export const FINDING_TYPES: Record<DetectionRule, string> = {
  'cross-account-copy': 'S3ExfilResponder:S3/CrossAccountCopy',
  'external-kms-copy': 'S3ExfilResponder:S3/ExternalKmsCopy',
  'anonymous-rare-source': 'S3ExfilResponder:S3/AnonymousRareSource',
  'bulk-download': 'S3ExfilResponder:S3/BulkDownload',
};
