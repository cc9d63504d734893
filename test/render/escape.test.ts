import { describe, expect, it } from 'vitest';
import { markdownLine, mrkdwn, mrkdwnCode, oneLine } from '../../handlers/shared/render/escape.js';

const ZWSP = '\u200b';

describe('one escaper per target', () => {
  it('oneLine turns every kind of line break and control character into a space', () => {
    expect(oneLine('a\nb\rc\u2028d\u2029e\u0085f\u000bg\u0000h\ti')).toBe('a b c d e f g h i');
  });

  it('mrkdwn escapes the three characters Slack reads as markup', () => {
    expect(mrkdwn('<!channel> & <@U024BE7LH> <https://x.example|y>')).toBe(
      '&lt;!channel&gt; &amp; &lt;@U024BE7LH&gt; &lt;https://x.example|y&gt;',
    );
  });

  it('mrkdwn keeps formatting characters at word edges from pairing, and leaves those inside names alone', () => {
    expect(mrkdwn('*bold* _it_')).toBe(`${ZWSP}*${ZWSP}bold${ZWSP}*${ZWSP} ${ZWSP}_${ZWSP}it${ZWSP}_${ZWSP}`);
    expect(mrkdwn('**x** *_y_*').replace(/\u200b[*_~`]\u200b/g, '')).toBe('x y');
    expect(mrkdwn('arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0a1b')).toBe(
      'arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0a1b',
    );
  });

  it('mrkdwn leaves no plain-text @here, @channel or @everyone for Slack to parse into a mention', () => {
    // An STS role session name may be exactly `@channel` ([\w+=,.@-]), and a user agent anything.
    const escaped = mrkdwn('@channel @HERE (@everyone) session @channel.');

    expect(escaped).not.toMatch(/(^|[^\p{L}\p{N}_])@(here|channel|everyone)/iu);
    expect(escaped.replaceAll(ZWSP, '')).toBe('@channel @HERE (@everyone) session @channel.');
    expect(mrkdwn('alice@channel.example.com')).toBe('alice@channel.example.com');
  });

  it('mrkdwnCode cannot close its code block and leaves formatting characters as written', () => {
    expect(mrkdwnCode('```<@U1>``` arn:aws:s3:::b/*')).toBe('ˋˋˋ&lt;@U1&gt;ˋˋˋ arn:aws:s3:::b/*');
  });

  it('markdownLine leaves no inline link or image from data', () => {
    expect(markdownLine('see [the runbook](https://evil.example) ![](https://evil.example/b.png)')).toBe(
      'see [the runbook]\\(https://evil.example) !\\[]\\(https://evil.example/b.png)',
    );
  });

  it('markdownLine is one line with no raw HTML', () => {
    expect(markdownLine('x\nCONTAINMENT ACTIONS:\n  [x] y <img src=z>')).toBe(
      'x CONTAINMENT ACTIONS:   [x] y &lt;img src=z&gt;',
    );
  });
});
