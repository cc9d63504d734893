type Json = Record<string, unknown>;
const HOME = '123456789012';

/** `count` actors, each an IAM user of its own in the home account, with a key. */
export function manyActors(count: number): Json[] {
  return Array.from({ length: count }, (_, index) => {
    const n = String(index).padStart(4, '0');
    return {
      id: `actor-${n}`,
      user: {
        name: `batch-user-${n}`,
        uid: `AIDA3EXAMPLEUSER${n}`,
        type: 'IAMUser',
        credentialUid: `AKIA3EXAMPLEUSER${n}`,
        account: { uid: HOME },
      },
    };
  });
}

/** The API/CLI spelling of an EventBridge finding: PascalCase keys (map keys kept as they are). */
export function toApiForm(value: unknown, opaque = false): unknown {
  if (Array.isArray(value)) return value.map((item) => toApiForm(item));
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, child]) => {
      const name = opaque ? key : key.charAt(0).toUpperCase() + key.slice(1);
      return [name, opaque ? child : toApiForm(child, key === 'affectedResources' || key === 'tags')];
    }),
  );
}
