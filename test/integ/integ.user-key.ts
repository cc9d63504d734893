import { integApp } from './app.js';

/** `cdk deploy --all -a "npx tsx test/integ/integ.user-key.ts"`: the leaked IAM user key case. */
await integApp('user-key');
