// `npm run eval`: runs a bundle through the project's runtime (src/flamingo on
// onnxruntime-node) over the held-out split and prints the table of issue 3, then the same
// table for the baseline bundle (every gate at 0 = the bare LM), the trained gates, and the
// share of distinct answers over distinct test images.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FlamingoModel, loadBundle, type PromptSegment } from '../../src/flamingo';
import { folderSource } from '../../src/node/files';
import { decodeImage } from '../../src/node/images';
import { loadOrt } from '../../src/node/ort';
import { readSafetensors } from '../../src/builder/safetensors';
import {
  errorClass, errorLine, eventHits, f1, FEWSHOT_FORMAT, labelHits, parseComponents, parseEvents, typeCounts,
  type Component, type Event,
} from './metrics';

interface TruthEvent { type: string; what?: string; label: string }
interface Task { task: string; prompt: string; answer: string }
interface Sample {
  id: number; kind: string; files: string[]; tasks: Task[]; components?: Component[]; events?: TruthEvent[];
  error?: { class: string; line: string; params: [string, string][] };
}

const { values: a } = parseArgs({
  options: {
    bundle: { type: 'string', default: 'models/flamingo-screens' }, baseline: { type: 'string' }, weights: { type: 'string' },
    data: { type: 'string', default: '.cache/train/data/test' }, limit: { type: 'string', default: '100' },
    fewshot: { type: 'string', default: '20' }, 'max-tokens': { type: 'string', default: '160' }, out: { type: 'string' },
  },
});

const samples: Sample[] = readFileSync(join(a.data, 'samples.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).slice(0, Number(a.limit));

async function image(file: string) {
  return (await decodeImage(new Uint8Array(readFileSync(join(a.data, file))), { name: file })).frames[0];
}

async function media(s: Sample): Promise<PromptSegment> {
  if (s.kind === 'recording') return { type: 'video', frames: await Promise.all(s.files.map(image)) };
  return { type: 'image', image: await image(s.files[0]) };
}

async function ask(model: FlamingoModel, segments: PromptSegment[]): Promise<string> {
  let text = '';
  for await (const d of model.generate(segments, { maxTokens: Number(a['max-tokens']), temperature: 0 })) text += d;
  return text.trim();
}

/** The generator's events in the parsed form: "typed", "ran", or "<what> <appeared|closed>". */
const truthEvents = (s: Sample): Event[] => (s.events ?? []).map((e) => ({
  type: e.type === 'typed' || e.type === 'ran' ? e.type : `${(e.what ?? '').replace(/^(an?|the) /, '')} ${e.type}`,
  label: e.label,
}));

async function evaluate(bundleDir: string) {
  const model = await FlamingoModel.create(await loadBundle(folderSource(bundleDir)), await loadOrt('node'));
  const types = { tp: 0, fp: 0, fn: 0 }, labels = { hit: 0, total: 0 };
  const errors = { n: 0, line: 0, classOk: 0, paramHit: 0, params: 0 };
  const events = { exact: 0, type: 0, total: 0 };
  const qa = { ok: 0, n: 0 }, fewshot = { ok: 0, n: 0 };
  const descriptions = new Map<number, string>();
  const examples: Record<string, string>[] = [];
  const t0 = Date.now();
  try {
    for (const s of samples) {
      const m = await media(s);
      for (const t of s.tasks) {
        if (t.task === 'qa' && t !== s.tasks.find((x) => x.task === 'qa')) continue; // one question per screen
        const out = await ask(model, [m, { type: 'text', text: `${t.prompt}\n` }]);
        if (examples.length < 12 && t.task !== 'qa') examples.push({ kind: s.kind, task: t.task, truth: t.answer, output: out });
        if (t.task === 'describe') {
          descriptions.set(s.id, out);
          const pred = parseComponents(out), truth = parseComponents(t.answer);
          const c = typeCounts(pred, truth);
          types.tp += c.tp; types.fp += c.fp; types.fn += c.fn;
          const l = labelHits(pred, truth);
          labels.hit += l.hit; labels.total += l.total;
        } else if (t.task === 'error' && s.error) {
          const line = errorLine(out);
          errors.n++;
          errors.line += Number(line === s.error.line);
          errors.classOk += Number(errorClass(line) === s.error.class);
          for (const [, v] of s.error.params) { errors.params++; errors.paramHit += Number(line.includes(v)); }
        } else if (t.task === 'events') {
          const h = eventHits(parseEvents(out), truthEvents(s));
          events.exact += h.exact; events.type += h.type; events.total += h.total;
        } else if (t.task === 'qa') {
          qa.n++; qa.ok += Number(out === t.answer);
        }
      }
    }
    // Few-shot: two examples in a format never trained on, then a new screen.
    const stills = samples.filter((s) => s.kind !== 'recording');
    const fmt = (s: Sample) => `Screen type: ${s.kind} | Buttons: ${(s.components ?? []).filter((c) => c.type === 'button').length}`;
    for (let i = 0; i + 2 < stills.length && fewshot.n < Number(a.fewshot); i += 3) {
      const [x, y, z] = stills.slice(i, i + 3);
      const out = await ask(model, [await media(x), { type: 'answer', text: fmt(x) }, await media(y), { type: 'answer', text: fmt(y) }, await media(z)]);
      fewshot.n++; fewshot.ok += Number(FEWSHOT_FORMAT.test(out.split('\n')[0]));
      if (fewshot.n <= 2) examples.push({ kind: z.kind, task: 'fewshot', truth: fmt(z), output: out });
    }
  } finally {
    await model.dispose();
  }
  const ratio = (x: number, n: number) => (n ? x / n : NaN);
  return {
    'component-type F1': f1(types), 'label recall': ratio(labels.hit, labels.total),
    'error line exact': ratio(errors.line, errors.n), 'read parameters exact': ratio(errors.paramHit, errors.params),
    'error class accuracy': ratio(errors.classOk, errors.n), 'recording events (type+label)': ratio(events.exact, events.total),
    'recording events (type only)': ratio(events.type, events.total), 'visible-text QA accuracy': ratio(qa.ok, qa.n),
    'few-shot format adherence': ratio(fewshot.ok, fewshot.n),
    'distinct answers / distinct images': ratio(new Set(descriptions.values()).size, descriptions.size),
    _counts: { screens: descriptions.size, errors: errors.n, events: events.total, qa: qa.n, fewshot: fewshot.n, seconds: Math.round((Date.now() - t0) / 1000) },
    _examples: examples,
  };
}

function gates(weightsDir: string): Record<string, number> {
  const w = readSafetensors(new Uint8Array(readFileSync(join(weightsDir, 'model.safetensors'))));
  return Object.fromEntries([...w].filter(([k]) => k.endsWith('_gate')).map(([k, t]) => [`tanh(${k})`, Math.tanh(t.data[0])]));
}

const trained = await evaluate(a.bundle);
const bare = a.baseline ? await evaluate(a.baseline) : undefined;
const rows = Object.keys(trained).filter((k) => !k.startsWith('_'));
const fmt = (v: unknown) => (typeof v === 'number' ? (Number.isNaN(v) ? 'n/a' : v.toFixed(3)) : '');
console.log(`\nheld-out split: ${a.data}, ${JSON.stringify(trained._counts)}`);
console.log(`| metric | model | all gates 0 (bare LM) |\n|---|---|---|`);
for (const k of rows) console.log(`| ${k} | ${fmt((trained as Record<string, unknown>)[k])} | ${bare ? fmt((bare as Record<string, unknown>)[k]) : 'not run'} |`);
const g = a.weights ? gates(a.weights) : {};
if (a.weights) {
  console.log('\n| gate | trained value |\n|---|---|');
  for (const [k, v] of Object.entries(g)) console.log(`| ${k} | ${v.toFixed(4)} |`);
}
if (a.out) writeFileSync(a.out, JSON.stringify({ data: a.data, model: trained, baseline: bare, gates: g }, null, 2));
