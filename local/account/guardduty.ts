import { InvalidExecutionInput } from '../../handlers/shared/errors.js';
import type { GuardDutyPort } from '../../handlers/shared/ports.js';
import type { AccountState } from './state.js';

/**
 * `GetFindings` answered from the scenario's `guardduty.findings` (API PascalCase or EventBridge
 * camelCase, returned as written). A detector other than the scenario's `detectorId` is refused
 * as GuardDuty refuses a detector the account does not own.
 */
export function guardDutyPort(state: AccountState): GuardDutyPort {
  return {
    getFindings: async ({ detectorId, findingIds, ...scope }) => {
      state.enter('guardduty:GetFindings', scope);
      const owned = state.scenario.guardduty.detectorId;
      if (owned !== undefined && detectorId !== owned) {
        throw new InvalidExecutionInput(
          'detectorId',
          `guardduty:GetFindings refused the request in account ${scope.accountId}: BadRequestException: The request is rejected because the input detectorId is not owned by the current account.`,
        );
      }
      const wanted = new Set(findingIds);
      return state.scenario.guardduty.findings.filter((finding) => {
        const record = (typeof finding === 'object' && finding !== null ? finding : {}) as Record<string, unknown>;
        return wanted.has(String(record.Id ?? record.id));
      });
    },
  };
}
