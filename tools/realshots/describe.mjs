// Runs the bundle (through the project's CLI, i.e. the runtime on onnxruntime-node) on the
// screenshots of capture.mjs and prints a markdown section for the model card.
// Usage: node tools/realshots/describe.mjs SHOTS_DIR BUNDLE_DIR
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, bundle] = process.argv.slice(2);
if (!dir || !bundle) throw new Error('usage: node tools/realshots/describe.mjs SHOTS_DIR BUNDLE_DIR');
const shots = JSON.parse(readFileSync(join(dir, 'shots.json'), 'utf8'));
const prompts = JSON.parse(readFileSync(join(bundle, 'manifest.json'), 'utf8')).generation.prompts;
for (const s of shots) {
  const asks = s.name.startsWith('terminal') ? [prompts.describe, prompts.error] : [prompts.describe, prompts.question.replace('{question}', 'What is the title?')];
  console.log(`### ${s.name}: ${s.what}\n`);
  if (s.output) console.log('Real output shown:\n\n```\n' + s.output + '\n```\n');
  for (const prompt of asks) {
    const out = execFileSync(process.execPath, ['dist/cli.mjs', 'describe', join(dir, s.file), '--model', bundle, '--prompt', prompt], { encoding: 'utf8' });
    console.log(`- **${prompt}**\n\n  \`\`\`\n  ${out.trim().replace(/\n/g, '\n  ')}\n  \`\`\`\n`);
  }
}
