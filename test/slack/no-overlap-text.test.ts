import { describe, expect, it } from 'vitest';
import { noCommonActionText } from '../../handlers/slack/decide.js';

describe('the message for two approvers with no action in common', () => {
  it('mentions both approvers when their ids are Slack user ids', () => {
    const text = noCommonActionText(
      { state: 'no-overlap', firstVoter: 'U012AB3CD', firstSelected: ['deactivateAccessKey'], selected: [] },
      'W0ABCDEF1',
    );

    expect(text).toContain('<@U012AB3CD> selected deactivateAccessKey');
    expect(text).toContain('<@W0ABCDEF1> selected nothing');
  });

  it('writes an id that is not a Slack user id as escaped text, never as a mention or a link', () => {
    const text = noCommonActionText(
      {
        state: 'no-overlap',
        firstVoter: 'U1>|<!channel',
        firstSelected: ['denyBucketAccess:<https://evil.example|click>'],
        selected: ['startMacieJob'],
      },
      'U012AB3CD',
    );

    expect(text).not.toMatch(/<!channel>|<@U1|<https:/);
    expect(text).toContain('&lt;!channel');
    expect(text).toContain('&lt;https://evil.example|click&gt;');
  });
});
