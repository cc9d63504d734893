import type { Report } from '../../handlers/shared/render/report.js';
import type { Scenario } from '../../local/scenario.js';
import { variant } from './simulate.js';

/** Markup an attacker could place in the display fields of a finding (title, city, organization, country). */
export const HOSTILE_TEXT = [
  '<script>alert(document.domain)</script>',
  '"><img src=https://evil.example/x.png onerror=alert(1)>',
  "</title><style>body{display:none}</style><a href='https://evil.example'>",
  '<svg onload=alert(1)><circle r=9 /></svg>',
] as const;

/** The seed scenario whose GuardDuty finding carries `HOSTILE_TEXT` in four fields a person reads. */
export function hostileSeedScenario(): Scenario {
  return variant('compromised-iam-user-key', (raw) => {
    const event = raw.events[0] as { detail: Record<string, unknown> };
    const [title, city, org, country] = HOSTILE_TEXT;
    event.detail.title = title;
    const ip = (
      event.detail.service as {
        action: { awsApiCallAction: { remoteIpDetails: Record<string, Record<string, unknown>> } };
      }
    ).action.awsApiCallAction.remoteIpDetails;
    ip.city = { cityName: city };
    ip.organization = { ...ip.organization, org, asnOrg: org };
    ip.country = { countryName: country };
  });
}

/** The JSON report among a run's report files. */
export function reportJsonOf(files: ReadonlyMap<string, string>, incidentId: string): Report {
  return JSON.parse(files.get(`${incidentId}.json`) ?? 'null') as Report;
}
