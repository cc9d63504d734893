import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { pendingApproval, signedApproveClick, startSlackFakes } from '../local/bundled-slack.js';
import { signedSlackEvent } from '../local/slack-signing.js';

/** What the issue asks of the door: an unsigned 5 MB request answered within this. */
export const DOOR_BUDGET_MS = 50;

export interface DoorFigure {
  readonly label: string;
  readonly statusCode: number;
  readonly medianMs: number;
  readonly maxMs: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

/**
 * The deployed Slack entry point (`handlers/slack/index.ts`, in this process, every service a
 * local fake) answering hostile requests: `runs` each of an unsigned 5 MB body (plain and
 * base64), a 5 MB body with a well-formed but wrong signature, and a 64 KB body with a wrong
 * signature (the costliest refusal: it is hashed). The first is sent before the handler has ever
 * started (no secret read yet); the handler is then warmed by one signed Approve click. The time
 * is the handler's alone: Lambda parses the 5 MB event before calling it.
 */
export async function benchSlackDoor(runs = 20): Promise<DoorFigure[]> {
  const fakes = await startSlackFakes();
  const saved = { ...process.env };
  Object.assign(process.env, fakes.env, { RESPONDER_SILENT: '1' });
  try {
    const { handler } = await import('../handlers/slack/index.js');
    const now = () => Math.floor(Date.now() / 1000);
    const fiveMb = `payload=${'A'.repeat(5 * 1024 * 1024)}`;
    const unsigned = (body: string, base64 = false) => ({
      body: base64 ? Buffer.from(body).toString('base64') : body,
      isBase64Encoded: base64,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(now()) },
    });
    const wronglySigned = (body: string) => signedSlackEvent(body, { secret: 'guessed', timestamp: now() });
    const cases: [string, () => unknown][] = [
      ['unsigned 5 MB body, before the handler started', () => unsigned(fiveMb)],
      ['unsigned 5 MB body', () => unsigned(fiveMb)],
      ['unsigned 5 MB body, base64', () => unsigned(fiveMb, true)],
      ['5 MB body, wrong signature', () => wronglySigned(fiveMb)],
      ['64 KB body, wrong signature (hashed)', () => wronglySigned(`payload=${'A'.repeat(65_536 - 8)}`)],
    ];
    const figures: DoorFigure[] = [];
    for (const [index, [label, make]] of cases.entries()) {
      if (index === 1) {
        const warm = await handler(signedApproveClick(await pendingApproval(fakes), fakes.responseUrl) as never, {});
        if (warm.statusCode !== 200) throw new Error(`the signed warm-up click was answered ${warm.statusCode}`);
      }
      const times: number[] = [];
      let statusCode = 0;
      for (let run = 0; run < (index === 0 ? 1 : runs); run += 1) {
        const event = make();
        const start = performance.now();
        const answer = await handler(event as never, {});
        times.push(performance.now() - start);
        statusCode = answer.statusCode ?? 0;
      }
      figures.push({ label, statusCode, medianMs: median(times), maxMs: Math.max(...times) });
    }
    return figures;
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
    await fakes.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const figure of await benchSlackDoor()) {
    console.log(
      `${figure.label.padEnd(48)} ${figure.statusCode}  median ${figure.medianMs.toFixed(2)} ms  max ${figure.maxMs.toFixed(2)} ms  (budget ${DOOR_BUDGET_MS} ms)`,
    );
  }
}
