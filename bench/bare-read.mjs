// The baseline `npm run bench` compares `responder detect` with: read every file under the given
// folders, gunzip it and JSON.parse it, nothing else. Prints the number of records.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

let records = 0;
function read(path) {
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path).sort()) read(join(path, name));
    return;
  }
  const raw = readFileSync(path);
  records += JSON.parse((raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString('utf8')).Records.length;
}
for (const path of process.argv.slice(2)) read(path);
console.log(records);
