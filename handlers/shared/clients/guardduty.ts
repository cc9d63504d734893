import { GetFindingsCommand, GuardDutyClient } from '@aws-sdk/client-guardduty';
import { awsErrorCode, InvalidExecutionInput, mapAwsError } from '../errors.js';
import type { AccountScope, GuardDutyPort } from '../ports.js';
import { clientFor } from './accounts.js';

/** `GetFindings` takes at most 50 finding ids a call. */
export const MAX_FINDING_IDS = 50;

const guardDutyIn = (scope: AccountScope) => clientFor('guardduty', (config) => new GuardDutyClient(config), scope);

/**
 * The GuardDuty port against AWS: `GetFindings` on the detector, in the given account and Region
 * (the detector's: with a delegated administrator, the administrator account). Ids the detector
 * does not know are left out of the answer, as GuardDuty does. GuardDuty refuses a detector that
 * is not this account's (or a malformed id) with BadRequestException: that is the caller's input,
 * so it surfaces as InvalidExecutionInput naming the field; every other failure is mapped as usual.
 * Findings come back as plain JSON (SDK `Date` fields as ISO 8601 strings).
 */
export function awsGuardDutyPort(): GuardDutyPort {
  return {
    getFindings: async ({ detectorId, findingIds, ...scope }) => {
      const call = 'guardduty:GetFindings';
      const found: unknown[] = [];
      for (let start = 0; start < findingIds.length; start += MAX_FINDING_IDS) {
        try {
          const { Findings } = await guardDutyIn(scope).send(
            new GetFindingsCommand({
              DetectorId: detectorId,
              FindingIds: findingIds.slice(start, start + MAX_FINDING_IDS),
            }),
          );
          found.push(...(JSON.parse(JSON.stringify(Findings ?? [])) as unknown[]));
        } catch (error) {
          if (awsErrorCode(error) === 'BadRequestException') {
            const text = error instanceof Error ? error.message : String(error);
            throw new InvalidExecutionInput(
              /detector/i.test(text) ? 'detectorId' : 'findingId',
              `${call} refused the request in account ${scope.accountId}${scope.region ? ` (${scope.region})` : ''}: ${text}`,
            );
          }
          throw mapAwsError(call, error);
        }
      }
      return found;
    },
  };
}
