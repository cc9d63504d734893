import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, readJson } from '../support/fixtures.js';

/** The bot scope each Slack Web API method we call needs (Slack's method reference). */
const SCOPE_OF: Record<string, string | null> = {
  'chat.postMessage': 'chat:write',
  'chat.update': 'chat:write',
  'chat.postEphemeral': 'chat:write',
  'views.open': null,
  'usergroups.users.list': 'usergroups:read',
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [readFileSync(join(dir, entry.name), 'utf8')]
        : [],
  );
}

describe('slack/manifest.json', () => {
  const manifest = readJson<{
    oauth_config: { scopes: { bot: string[] } };
    settings: { interactivity: { is_enabled: boolean; request_url: string }; socket_mode_enabled: boolean };
  }>('slack/manifest.json');

  it('asks for exactly the scopes of the Web API methods the handlers call', () => {
    const code = sources(join(ROOT, 'handlers')).join('\n');
    const called = Object.keys(SCOPE_OF).filter((method) => code.includes(method));
    const unknown = [...code.matchAll(/\bclient\.((?:chat|views|usergroups|users|conversations)\.[\w.]+)/g)]
      .map((match) => match[1] as string)
      .filter((method) => !(method in SCOPE_OF));

    expect(unknown).toEqual([]); // a new method needs its scope looked up and added above
    expect(called).toEqual(expect.arrayContaining(['chat.postMessage', 'chat.update', 'views.open']));
    const needed = [...new Set(called.map((method) => SCOPE_OF[method]).filter((scope) => scope !== null))].sort();
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual(needed);
  });

  it('uses interactivity over HTTPS (the Function URL), not socket mode', () => {
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.settings.interactivity.request_url).toMatch(/^https:\/\/.+\.lambda-url\..+\.on\.aws\/$/);
    expect(manifest.settings.socket_mode_enabled).toBe(false);
  });
});
