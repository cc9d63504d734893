import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Playbook } from './define.js';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Every `playbooks/*.playbook.ts`, in file-name order. The stack, `simulate` and the tests all load
 * playbooks through this, so a new file is deployed, validated and executed with no other edit.
 */
export async function loadPlaybooks(directory = here): Promise<Playbook[]> {
  const files = readdirSync(directory)
    .filter((file) => file.endsWith('.playbook.ts'))
    .sort();
  const playbooks: Playbook[] = [];
  for (const file of files) {
    const module = (await import(pathToFileURL(join(directory, file)).href)) as { playbook?: Playbook };
    if (!module.playbook) throw new Error(`${file} must export \`playbook\` (definePlaybook(...))`);
    playbooks.push(module.playbook);
  }
  const ids = playbooks.map((playbook) => playbook.id);
  const duplicate = ids.find((id, index) => ids.indexOf(id) !== index);
  if (duplicate) throw new Error(`two playbooks share the id ${duplicate}`);
  return playbooks;
}

/** The playbook with this id. */
export async function loadPlaybook(id: string): Promise<Playbook> {
  const found = (await loadPlaybooks()).find((playbook) => playbook.id === id);
  if (!found) throw new Error(`no playbook with id ${id}`);
  return found;
}
