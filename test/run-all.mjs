// `npm test`: builds, then runs every suite with node's test runner in one process tree, so
// the run ends with a single summary. `npm test -- unit builder` runs only the named suites
// (folders under test/). See the README for what each suite covers.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const requested = process.argv.slice(2).filter((a) => !a.startsWith('-'));
execFileSync(process.execPath, ['esbuild.mjs', '--quiet'], { stdio: 'inherit' });

function testFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? testFiles(path) : name.endsWith('.test.mjs') ? [path] : [];
  });
}

const suites = readdirSync('out/test').filter((d) => statSync(join('out/test', d)).isDirectory());
const chosen = requested.length ? requested : suites;
for (const s of requested) if (!suites.includes(s)) throw new Error(`unknown suite "${s}" (have: ${suites.join(', ')})`);
const files = chosen.flatMap((s) => testFiles(join('out/test', s))).sort();

const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
