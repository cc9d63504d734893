import { expect } from 'vitest';

/** The error a promise rejects with (failing the test if it resolves), with a named error's `reason`. */
export async function failure(promise: Promise<unknown>): Promise<Error & { reason?: string }> {
  const error = await promise.then(
    () => new Error('expected a rejection'),
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error & { reason?: string };
}
