// `npm run eval -- [--bundle DIR] [--baseline DIR] [--weights DIR] [--data DIR] [--limit N] [--out FILE]`
// Bundles tools/eval/main.ts (it uses the TypeScript runtime in src/) and runs it.
import * as esbuild from 'esbuild';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const outfile = resolve('.cache/eval/eval.mjs');
await esbuild.build({ entryPoints: ['tools/eval/main.ts'], bundle: true, platform: 'node', target: 'node20', format: 'esm',
  packages: 'external', outfile, logLevel: 'error' });
await import(pathToFileURL(outfile).href);
