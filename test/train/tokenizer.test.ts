import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { tokenizerMismatches } from './tokenizer-check';

const TOKENIZER = 'models/flamingo-screens/tokenizer.json';
const CHECK = 'test/train/fixtures/flamingo-screens/tokenizer-check.json';
const missing = !existsSync(TOKENIZER) ? `${TOKENIZER} is not built yet` : !existsSync(CHECK) ? `${CHECK} is missing` : false;

test('the JS tokenizer encodes held-out strings exactly as the trainer did', { skip: missing || undefined }, () => {
  const { total, mismatches } = tokenizerMismatches(TOKENIZER, CHECK);
  assert.ok(total >= 200, `only ${total} strings to compare`);
  assert.deepEqual(mismatches, [], `${mismatches.length}/${total} strings encode differently`);
});
