import { listenDynalite } from '../local/dynalite.js';

/**
 * dynalite in a process of its own, for the benches: prints its endpoint on stdout and exits when
 * its stdin closes (so it never outlives the bench that started it). See dynalite-process.ts.
 */
const { endpoint } = await listenDynalite();
process.stdout.write(`${endpoint}\n`);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
