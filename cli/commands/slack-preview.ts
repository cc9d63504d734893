import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { ChatMessage } from '../../handlers/shared/ports.js';
import { loadScenario } from '../../local/scenario.js';
import { simulate } from '../../local/simulate.js';
import { UsageError } from '../io.js';

const USAGE = 'usage: responder slack-preview --scenario <file> [--out <file>]';

/**
 * `responder slack-preview`: runs the scenario's first event up to the approval request (nobody
 * decides, nothing is changed) and prints the approval message as Block Kit JSON, ready to paste
 * into Slack's Block Kit Builder. The buttons carry a throwaway nonce, never a task token.
 */
export async function slackPreviewCommand(args: string[]): Promise<string> {
  const { values } = parseArgs({
    args,
    options: { scenario: { type: 'string' }, out: { type: 'string' } },
    strict: true,
  });
  if (!values.scenario) throw new UsageError(USAGE);
  const scenario = loadScenario(values.scenario);
  let message: ChatMessage | undefined;
  await simulate(
    { ...scenario, events: scenario.events.slice(0, 1) },
    {
      approve: { kind: 'none' },
      onChat: (record, kind) => {
        if (kind === 'post' && record.threadTs === undefined && record.message.blocks) {
          message ??= structuredClone(record.history[0] ?? record.message);
        }
      },
    },
  );
  if (!message) throw new UsageError(`the first event of ${values.scenario} asks for no approval (nothing to preview)`);
  const json = JSON.stringify({ blocks: message.blocks }, null, 2);
  if (values.out) {
    writeFileSync(values.out, `${json}\n`);
    return `wrote ${values.out} (${message.blocks?.length ?? 0} blocks)`;
  }
  return json;
}
