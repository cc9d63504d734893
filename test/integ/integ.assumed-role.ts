import { integApp } from './app.js';

/** `cdk deploy --all -a "npx tsx test/integ/integ.assumed-role.ts"`: the assumed-role session case. */
await integApp('assumed-role');
