import { benchDetect } from './detect.js';

/** `npm run bench:detect [-- <records>]`: the detect section of `npm run bench` alone, at any size. */
const count = Number(process.argv[2] ?? 160_000);
if (!Number.isInteger(count) || count < 1_000) {
  console.error('usage: npm run bench:detect -- [records, at least 1000]');
  process.exit(2);
}
console.log(JSON.stringify(await benchDetect(count), null, 2));
