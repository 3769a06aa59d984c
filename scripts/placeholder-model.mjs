// Until a trained model ships in models/flamingo-screens (issue 3), `npm run describe` uses a
// builder-made placeholder: the bundled model's architecture (models/placeholder/config.json)
// with random weights (seed 1) and a byte-level tokenizer. Its text is noise; it exercises the
// whole pipeline (decode, preprocess, vision, resampler, decoder, streaming). Built once, into
// models/placeholder/bundle (git-ignored).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (!existsSync('models/flamingo-screens/manifest.json') && !existsSync('models/placeholder/bundle/manifest.json')) {
  console.error('flamingo: no trained model ships yet; building the random-weight placeholder bundle (once)');
  execFileSync(process.execPath, ['dist/build-model.mjs', '--random', 'models/placeholder/config.json', '--seed', '1',
    '--out', 'models/placeholder/bundle'], { stdio: ['ignore', 'ignore', 'inherit'] });
}
