import type { EvidencePort } from '../../handlers/shared/ports.js';

/**
 * The evidence bucket in memory: `objects` holds what was written, by key, and `getObject` reads it
 * back (closing rewrites a report); `puts` lists the keys written, in order.
 */
export function memoryEvidence(objects: Map<string, string>): EvidencePort & { puts: string[] } {
  const puts: string[] = [];
  return {
    puts,
    putObject: async ({ key, body }) => {
      puts.push(key);
      objects.set(key, body);
      return { location: `s3://evidence/${key}` };
    },
    getObject: async (key) => objects.get(key),
  };
}
