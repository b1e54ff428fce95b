// After `vite build`: records in the built bundle which sources it was built
// from, as one SHA-256 over the playground's inputs. The router's test
// `the_committed_bundle_is_built_from_the_current_sources` computes the same
// hash (without Node) and fails when the sources changed since the bundle
// was built. Keep the two definitions equal (router/src/playground.rs):
// the files are index.html, package.json, package-lock.json, vite.config.js
// and everything under src/ and scripts/, sorted by their /-separated path;
// each contributes `path \n length \n bytes`.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, '..', 'router', 'assets', 'playground');

function walk(dir, files) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, files);
    else files.push(path);
  }
  return files;
}

const files = ['index.html', 'package.json', 'package-lock.json', 'vite.config.js'].map(f => join(root, f));
walk(join(root, 'src'), files);
walk(join(root, 'scripts'), files);
const entries = files
  .map(path => [relative(root, path).split(sep).join('/'), readFileSync(path)])
  .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

const hash = createHash('sha256');
for (const [path, bytes] of entries) {
  hash.update(`${path}\n${bytes.length}\n`);
  hash.update(bytes);
}
const digest = hash.digest('hex');
writeFileSync(join(out, 'SOURCE_HASH'), `${digest}\n`);

let total = 0;
for (const path of walk(out, [])) total += statSync(path).size;
console.log(`playground: ${entries.length} source files, hash ${digest}; bundle ${(total / 1024).toFixed(0)} KB in ${relative(process.cwd(), out)}`);
