import { createHash } from 'node:crypto';

/**
 * Incident ids read `YYYYMMDD-<12 hex>`: the day the incident was registered and a digest of the
 * finding id and the execution, so a retried registration gets the same id and nothing else does.
 */
export function makeIncidentId(findingId: string, executionName: string, now: Date): string {
  const day = now.toISOString().slice(0, 10).replace(/-/g, '');
  const digest = createHash('sha256').update(`${findingId}\n${executionName}`).digest('hex').slice(0, 12);
  return `${day}-${digest}`;
}

export const INCIDENT_ID_PATTERN = /^\d{8}-[0-9a-f]{12}$/;

/** `IR<incidentId without dashes><Purpose>`: findable, de-duplicable and removable (DESIGN §5). */
export function statementSid(incidentId: string, purpose: string): string {
  const sid = `IR${incidentId.replace(/-/g, '')}${purpose}`;
  if (!/^[A-Za-z0-9]+$/.test(sid)) throw new Error(`statement id ${sid} is not alphanumeric`);
  return sid;
}

/** True for a Sid written by this tool for the given incident. */
export function isOurSid(sid: string | undefined, incidentId: string): boolean {
  return sid?.startsWith(`IR${incidentId.replace(/-/g, '')}`) === true;
}

/** `AKIA...WXYZ`: enough to recognize a key, never enough to use it. */
export function maskKey(accessKeyId: string | undefined): string {
  if (!accessKeyId) return '(none)';
  return `${accessKeyId.slice(0, 4)}...${accessKeyId.slice(-4)}`;
}
