// Prompt building: BOS first, one <image> token per media item, answers closed with
// <|endofchunk|>, and each token's media id (the last media item at or before it).
import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyTemplate, taskPrompt, tokenizePrompt } from '../../src/flamingo/prompt';
import { TextTokenizer } from '../../src/flamingo/tokenizer';
import { TINY_TOKENS, tinyTokenizerJson } from './tiny-tokenizer';

const tokenizer = new TextTokenizer(tinyTokenizerJson());
const encode = (t: string) => tokenizer.encode(t);
const hello = encode('hello');
const ab = encode('ab');

test('text only: BOS then the text, media id 0 everywhere', () => {
  const p = tokenizePrompt([{ type: 'text', text: 'hello' }], encode, { ...TINY_TOKENS });
  assert.deepEqual(p.ids, [TINY_TOKENS.bos, ...hello]);
  assert.deepEqual(p.mediaIds, p.ids.map(() => 0));
  assert.equal(p.mediaCount, 0);
});

test('interleaved few-shot prompt: image, answer, image, question', () => {
  const p = tokenizePrompt([
    { type: 'text', text: 'ab' }, { type: 'media' }, { type: 'answer', text: 'hello' }, { type: 'media' }, { type: 'text', text: 'ab' },
  ], encode, TINY_TOKENS);
  const { bos, image, endofchunk } = TINY_TOKENS;
  assert.deepEqual(p.ids, [bos, ...ab, image, ...hello, endofchunk, image, ...ab]);
  assert.deepEqual(p.mediaIds, [0, ...ab.map(() => 0), 1, ...hello.map(() => 1), 1, 2, ...ab.map(() => 2)]);
  assert.equal(p.mediaCount, 2);
});

test('an <image> typed into the text is refused', () => {
  assert.throws(() => tokenizePrompt([{ type: 'text', text: 'see <image> here' }], encode, TINY_TOKENS), /<image>/);
});

test('templates place the media at <image> and the text at {prompt}', () => {
  const m1 = { type: 'media' as const }, m2 = { type: 'media' as const };
  assert.deepEqual(applyTemplate('<image>{prompt}', [m1, m2], 'hello'), [m1, m2, { type: 'text', text: 'hello' }]);
  assert.deepEqual(applyTemplate('Q: <image> {prompt} A:', [m1], 'ab'), [{ type: 'text', text: 'Q: ' }, m1, { type: 'text', text: ' ab A:' }]);
  assert.deepEqual(applyTemplate('{prompt}', [m1], ''), [m1]);
});

describe('taskPrompt: a person\'s text in the forms the model was trained with', () => {
  const prompts = { describe: 'Describe the screen.', error: 'Explain the error.', question: 'Question: {question}' };
  it('asks the describe prompt for empty text', () => {
    assert.equal(taskPrompt(prompts, '  '), 'Describe the screen.');
  });
  it('sends a trained prompt as typed', () => {
    assert.equal(taskPrompt(prompts, 'Explain the error.'), 'Explain the error.');
    assert.equal(taskPrompt(prompts, ' Describe the screen.\n'), 'Describe the screen.');
  });
  it('asks any other text through the question prompt, once', () => {
    assert.equal(taskPrompt(prompts, 'What is the title?'), 'Question: What is the title?');
    assert.equal(taskPrompt(prompts, 'Question: What is the title?'), 'Question: What is the title?');
  });
  it('sends the text as typed when the model names no prompts or no question form', () => {
    assert.equal(taskPrompt(undefined, ' hello '), ' hello ');
    assert.equal(taskPrompt({ describe: 'Describe.' }, 'What is it?'), 'What is it?');
  });
});
