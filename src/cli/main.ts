// flamingo describe <image|gif>... [--prompt TEXT] [--model DIR] [--backend wasm|node]
//                   [--threads N] [--max-tokens N] [--temperature T] [--json]
// Without --prompt it asks the bundle's trained "describe" prompt (manifest generation.prompts);
// other text than a trained prompt is asked through the trained question form, as in the chat.
// Streams the model's answer to stdout. Several images make one interleaved prompt; a GIF is
// a recording (frames sampled at the bundle's video_fps). --threads sets onnxruntime's thread
// count (intra-op threads on node, WASM threads on wasm). Errors: one line on stderr, exit 1.
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { applyTemplate, FlamingoModel, loadBundle, sampleVideoFrames, taskPrompt, type PromptSegment, type Timings } from '../flamingo';
import { folderSource } from '../node/files';
import { decodeImage } from '../node/images';
import { loadOrt, type NodeBackend } from '../node/ort';

const USAGE = 'usage: flamingo describe <image|gif>... [--prompt TEXT] [--model DIR] [--backend wasm|node] [--threads N] [--max-tokens N] [--temperature T] [--json]';

/** The bundled model, next to the package (dist/cli.mjs -> models/flamingo-screens). */
const DEFAULT_MODEL = resolve(dirname(fileURLToPath(import.meta.url)), '../models/flamingo-screens');

async function describe(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true, strict: true,
    options: {
      prompt: { type: 'string' },
      model: { type: 'string', default: DEFAULT_MODEL },
      backend: { type: 'string', default: 'node' },
      threads: { type: 'string' },
      'max-tokens': { type: 'string' },
      temperature: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length === 0) throw new Error(`no image given; ${USAGE}`);
  if (values.backend !== 'wasm' && values.backend !== 'node') throw new Error(`--backend must be wasm or node, got "${values.backend}"`);
  const threads = optionalNumber(values.threads, '--threads', (n) => Number.isInteger(n) && n > 0);
  const maxTokens = optionalNumber(values['max-tokens'], '--max-tokens', (n) => Number.isInteger(n) && n > 0);
  const temperature = optionalNumber(values.temperature, '--temperature', (n) => n >= 0);

  if (values.model === DEFAULT_MODEL && DEFAULT_MODEL.endsWith('placeholder/bundle')) {
    process.stderr.write('flamingo: using the placeholder model (random weights, no trained model ships yet): its text is noise\n');
  }
  const bundle = await loadBundle(folderSource(values.model));
  const { preprocess, generation } = bundle.manifest;
  const media: PromptSegment[] = [];
  for (const path of positionals) {
    const bytes = await readFile(path).catch((e: Error) => { throw new Error(`cannot read ${path}: ${e.message}`); });
    const { frames, durationsMs } = await decodeImage(bytes, { name: basename(path) });
    if (!durationsMs) media.push({ type: 'image', image: frames[0] });
    else media.push({ type: 'video', frames: sampleVideoFrames(durationsMs, preprocess.video_fps, preprocess.max_frames).map((i) => frames[i]) });
  }

  const backend = values.backend as NodeBackend;
  const ort = await loadOrt(backend, { threads });
  const model = await FlamingoModel.create(bundle, ort, backend === 'node' && threads ? { sessionOptions: { intraOpNumThreads: threads } } : {});
  try {
    let text = '';
    let timings: Timings | undefined;
    const prompt = applyTemplate(generation.prompt, media, taskPrompt(generation.prompts, values.prompt ?? ''));
    for await (const delta of model.generate(prompt, { maxTokens, temperature, onTimings: (t) => { timings = t; } })) {
      text += delta;
      if (!values.json) process.stdout.write(delta);
    }
    const tokens = timings?.generatedTokens ?? 0;
    process.stdout.write(values.json ? `${JSON.stringify({ text, tokens, timings, backend: model.backend })}\n` : '\n');
  } finally {
    await model.dispose();
  }
}

function optionalNumber(v: string | undefined, name: string, ok: (n: number) => boolean): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || !ok(n)) throw new Error(`${name}: "${v}" is not a valid value`);
  return n;
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h' || command === 'help') { process.stdout.write(`${USAGE}\n`); return; }
  if (command === 'describe') return describe(rest);
  throw new Error(command ? `unknown command "${command}"; ${USAGE}` : USAGE);
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (e: Error) => {
    process.stderr.write(`flamingo: ${e.message}\n`);
    process.exit(1);
  },
);
