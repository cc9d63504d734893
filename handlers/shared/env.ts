/** Reads a required environment variable once; a missing one is a deployment bug, named plainly. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`environment variable ${name} is not set; the stack sets it on every responder function`);
  }
  return value;
}
