import { DEFAULT_BULK_DOWNLOAD_ALARM_PREFIX } from '../../handlers/detect/detection.js';
import { detect, parseDetectText } from '../../handlers/detect/dispatch.js';
import { InMemoryNewTermsStore } from '../../handlers/detect/new-terms.js';
import { AccountId } from '../../handlers/shared/schemas/primitives.js';
import { readText, UsageError } from '../io.js';

const USAGE = 'usage: responder detect <cloudtrail-records.json|.ndjson> [--trusted-accounts <id,…>]';

/**
 * `responder detect <file>`: prints `[{"rule","incident"}]` or `[]` (contract §10). The file holds
 * a CloudTrail record, `{"Records":[…]}`, an EventBridge event (API call or alarm state change), or
 * NDJSON of these. Detector state (addresses already seen) starts empty and lasts for the run.
 * Bad input throws `InvalidFinding` naming the path (exit 2).
 */
export async function detectCommand(args: string[]): Promise<string> {
  let file: string | undefined;
  const trusted: string[] = [];
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] as string;
    if (arg === '--trusted-accounts') {
      index += 1;
      const value = args[index];
      if (!value) throw new UsageError(`--trusted-accounts needs a value; ${USAGE}`);
      for (const id of value.split(',').filter((entry) => entry !== '')) {
        if (!AccountId.safeParse(id).success)
          throw new UsageError(`--trusted-accounts: ${id} is not a 12-digit account id`);
        trusted.push(id);
      }
    } else if (arg.startsWith('--') || file !== undefined) {
      throw new UsageError(`unexpected argument ${arg}; ${USAGE}`);
    } else {
      file = arg;
    }
  }
  if (!file) throw new UsageError(USAGE);
  const input = parseDetectText(readText(file));
  const detections = await detect(
    input,
    { newTerms: new InMemoryNewTermsStore() },
    { trustedAccounts: trusted, bulkDownloadAlarmPrefix: DEFAULT_BULK_DOWNLOAD_ALARM_PREFIX },
  );
  return JSON.stringify(detections, null, 2);
}
