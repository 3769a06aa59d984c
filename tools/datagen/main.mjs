// The data generator: renders seeded screen specs with headless Chromium (playwright-core)
// and writes, per split, PNG frames plus samples.jsonl (spec-derived texts, word boxes and
// component boxes for the dense encoder targets).
// Usage: node tools/datagen/main.mjs --out DIR --split train|test --count N [--workers 2]
import { chromium } from 'playwright-core';
import { mkdirSync, writeFileSync, existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { rng, hash } from './random.mjs';
import { words } from './words.mjs';
import { SCREENS } from './screens.mjs';
import { recording } from './recordings.mjs';
import { screenTasks, errorTruth, eventsAnswer, PROMPTS } from './texts.mjs';

// Most are about 16:10; the others (16:9, 5:4) make the letterbox padding of real screenshots occur in training.
const VIEWPORTS = [[1280, 800, 1], [1024, 640, 1], [960, 600, 1], [800, 500, 1], [1440, 900, 1], [640, 400, 2], [720, 450, 2], [1100, 700, 1],
  [1920, 1080, 1], [1366, 768, 1], [1280, 1024, 1]];
// Terminals are often short, wide windows.
const TERMINAL_VIEWPORTS = [[820, 260, 1], [1000, 420, 1], [1200, 500, 1], [700, 450, 1]];
// Still kinds and their weights: errors are what users paste most, so they get more.
const STILLS = [['signin', 1], ['settings', 1], ['landing', 1], ['list', 1], ['table', 1], ['cards', 1], ['search', 1], ['article', 1],
  ['dialog', 1], ['toast', 1], ['terminal', 3], ['editor', 2], ['diagram', 2]];
const RECORDING_SHARE = 0.15;

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) { if (fallback === undefined) throw new Error(`datagen: --${name} is required`); return fallback; }
  return process.argv[i + 1];
}

function weighted(r, items) {
  let x = r.next() * items.reduce((a, [, w]) => a + w, 0);
  for (const [k, w] of items) { if ((x -= w) < 0) return k; }
  return items[items.length - 1][0];
}

/** The spec of sample `index` of a split: a pure function of (split, index). */
export function makeSample(split, index) {
  const r = rng(hash(`${split}:${index}`));
  const W = (pool) => words(pool, split === 'test' ? 'test' : 'train');
  let [vw, vh, scale] = r.pick(VIEWPORTS);
  if (r.chance(RECORDING_SHARE)) {
    const rec = recording(r, W);
    return { id: index, kind: 'recording', phrase: rec.s.phrase, theme: rec.s.p.theme, viewport: [vw, vh, scale], frames: rec.frames,
      tasks: [{ task: 'events', prompt: PROMPTS.events, answer: eventsAnswer(rec.events) }], events: rec.events };
  }
  const kind = weighted(r, STILLS);
  if (kind === 'terminal' && r.chance(0.3)) [vw, vh, scale] = r.pick(TERMINAL_VIEWPORTS);
  const spec = SCREENS[kind](r, W, [vw, vh, scale]);
  return { id: index, kind, phrase: spec.phrase, theme: spec.p.theme, viewport: [vw, vh, scale], frames: [spec.html],
    tasks: screenTasks(spec, r), components: spec.p.comps, edges: spec.edges, error: spec.error ? errorTruth(spec.error) : undefined };
}

function measure() {
  const words = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const re = /\S+/g;
    for (let m = re.exec(n.textContent); m; m = re.exec(n.textContent)) {
      range.setStart(n, m.index); range.setEnd(n, m.index + m[0].length);
      const b = range.getClientRects()[0];
      if (!b || b.width < 1 || b.bottom < 0 || b.top > innerHeight || b.right < 0 || b.left > innerWidth) continue;
      words.push([m[0], b.left, b.top, b.right, b.bottom]);
    }
  }
  const boxes = [...document.querySelectorAll('[data-c]')].map((e) => {
    const b = e.getBoundingClientRect();
    return [e.dataset.c, e.dataset.l, b.left, b.top, b.right, b.bottom];
  });
  return { words, boxes };
}

async function renderSample(page, sample, dir) {
  const [vw, vh, scale] = sample.viewport;
  const files = [];
  let measured;
  for (let f = 0; f < sample.frames.length; f++) {
    await page.setContent(sample.frames[f], { waitUntil: 'load' });
    if (f === sample.frames.length - 1) measured = await page.evaluate(measure);
    const file = `img/${sample.id}_${f}.png`;
    await page.screenshot({ path: join(dir, file) });
    files.push(file);
  }
  // Box coordinates in image pixels (CSS px times the scale factor).
  const px = (v) => Math.round(v * scale);
  const { frames: _html, ...rest } = sample;
  return { ...rest, size: [vw * scale, vh * scale], files,
    words: measured.words.map(([t, ...b]) => [t, ...b.map(px)]),
    boxes: measured.boxes.map(([c, l, ...b]) => [c, l, ...b.map(px)]) };
}

async function main() {
  const out = arg('out');
  const split = arg('split');
  const count = Number(arg('count'));
  const workers = Number(arg('workers', '2'));
  if (!['train', 'test'].includes(split)) throw new Error(`datagen: --split must be train or test, got "${split}"`);
  const dir = join(out, split);
  const index = join(dir, 'samples.jsonl');
  if (existsSync(index) && readFileSync(index, 'utf8').trim().split('\n').length >= count) return console.log(`datagen: ${split} already has ${count} samples`);
  mkdirSync(join(dir, 'img'), { recursive: true });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--disable-gpu', '--font-render-hinting=none'] });
  const results = new Array(count);
  let next = 0;
  const t0 = Date.now();
  await Promise.all(Array.from({ length: workers }, async () => {
    const pages = new Map();
    while (next < count) {
      const i = next++;
      const sample = makeSample(split, i);
      const key = sample.viewport.join('x');
      if (!pages.has(key)) pages.set(key, await browser.newPage({ viewport: { width: sample.viewport[0], height: sample.viewport[1] }, deviceScaleFactor: sample.viewport[2] }));
      results[i] = await renderSample(pages.get(key), sample, dir);
      if (i % 500 === 0) console.log(`datagen: ${split} ${i}/${count} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    }
  }));
  await browser.close();
  writeFileSync(`${index}.tmp`, results.map((s) => JSON.stringify(s)).join('\n') + '\n');
  renameSync(`${index}.tmp`, index);
  console.log(`datagen: ${split} ${count} samples in ${((Date.now() - t0) / 1000).toFixed(1)} s -> ${dir}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
