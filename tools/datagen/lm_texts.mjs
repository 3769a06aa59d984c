// The LM's own text corpus: the tasks (prompt and answer) of training specs that are never
// rendered, taken from indices far above any rendered sample's. Flamingo's language model is
// pretrained on text that is not its multimodal captions; pretrained on the captions that
// stage 3 then trains on, a small LM memorises them and stage 3 can finish a caption from
// memory instead of reading the screen (models/flamingo-screens/MODEL_CARD.md).
// Same word pools as the training split: the test split's held-out words stay unseen.
// Usage: node tools/datagen/lm_texts.mjs --out FILE --count N
import { writeFileSync, existsSync, readFileSync, renameSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { makeSample } from './main.mjs';

export const LM_TEXTS_FIRST_INDEX = 1_000_000;

const { values: a } = parseArgs({ options: { out: { type: 'string' }, count: { type: 'string' } } });
const count = Number(a.count);
if (!a.out || !(count > 0)) throw new Error('lm_texts: --out FILE and --count N (> 0) are required');
if (existsSync(a.out) && readFileSync(a.out, 'utf8').trim().split('\n').length >= count) {
  console.log(`lm_texts: ${a.out} already has ${count} samples' texts`);
} else {
  const t0 = Date.now();
  const lines = [];
  for (let i = 0; i < count; i++) lines.push(JSON.stringify({ tasks: makeSample('train', LM_TEXTS_FIRST_INDEX + i).tasks }));
  mkdirSync(dirname(a.out), { recursive: true });
  writeFileSync(`${a.out}.tmp`, lines.join('\n') + '\n');
  renameSync(`${a.out}.tmp`, a.out);
  console.log(`lm_texts: ${count} samples' texts in ${((Date.now() - t0) / 1000).toFixed(1)} s -> ${a.out}`);
}
