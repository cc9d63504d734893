import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../local/scenario.js';
import { simulate } from '../../local/simulate.js';

describe('the cross-account copy example, detected by our rule', () => {
  it('ends contained, and the report names T1537 and the destination account', async () => {
    const result = await simulate(loadScenario('examples/cross-account-copy.json'), { approve: { kind: 'all' } });

    const [incident] = result.incidents;
    expect(incident?.status).toBe('contained');
    const report = incident?.reportMarkdown ?? '';
    expect(report).toContain('Detection Source: Detection S3ExfilResponder:S3/CrossAccountCopy');
    expect(report).toMatch(/^Finding: T1537 Transfer Data to Cloud Account: .*444455556666/m);
    // 8 copy calls: the multipart parts of one upload count as one object.
    expect(report).toContain(
      'Cross-account copies: 6 object(s) in 8 copy call(s) to ext-archive-7731 (account 444455556666)',
    );
    expect(incident?.applied.every((entry) => entry.result === 'applied')).toBe(true);
  });
});
