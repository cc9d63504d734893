/**
 * Stands in for `mnemonist/lru-cache` in the handler bundles (`bundle.ts`), never in tests or the
 * CLI. Its one user there is the SDK's endpoint-discovery cache (`@aws-sdk/endpoint-cache`), which
 * every DynamoDB client builds at construction though no function turns endpoint discovery on;
 * mnemonist's typed-array cache and its iterator helpers are 7 KB of each such bundle. The same
 * behaviour on a `Map` (which keeps insertion order): `get` and `set` make a key the most recent,
 * `peek` and `has` do not, and a `set` past `capacity` evicts the least recent key.
 */
export default class LRUCache<K, V> {
  private readonly items = new Map<K, V>();

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.items.size;
  }

  has(key: K): boolean {
    return this.items.has(key);
  }

  peek(key: K): V | undefined {
    return this.items.get(key);
  }

  get(key: K): V | undefined {
    if (!this.items.has(key)) return undefined;
    const value = this.items.get(key) as V;
    this.items.delete(key);
    this.items.set(key, value);
    return value;
  }

  set(key: K, value: V): this {
    this.items.delete(key);
    this.items.set(key, value);
    if (this.items.size > this.capacity) {
      const [oldest] = this.items.keys();
      this.items.delete(oldest as K);
    }
    return this;
  }

  clear(): void {
    this.items.clear();
  }
}
