// Streaming detokenisation never emits half a UTF-8 character, and stop strings cut the text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { byteFallbackValue, endsIncompleteUtf8, StopStrings, TextStream } from '../../src/flamingo/stream';
import { TextTokenizer } from '../../src/flamingo/tokenizer';
import { tinyTokenizerJson } from './tiny-tokenizer';

const tokenizer = new TextTokenizer(tinyTokenizerJson());
const newStream = () => new TextStream((x) => tokenizer.decode(x), (id) => byteFallbackValue(tokenizer.tokenOf(id)));
const byteToken = (b: number) => 3 + b; // the tiny vocabulary puts <0xNN> at id 3 + NN

test('multi-byte characters through byte-fallback tokens arrive whole', () => {
  const text = 'h€llo héllo 😀 ab 日本';
  const ids = tokenizer.encode(text);
  const byteTokens = ids.filter((id) => /^<0x[0-9A-F]{2}>$/.test(tokenizer.tokenOf(id) ?? ''));
  assert.ok(byteTokens.length >= 10, 'the text must go through byte-fallback tokens');
  const stream = newStream();
  const deltas = ids.map((id) => stream.push(id));
  deltas.push(stream.flush());
  assert.equal(deltas.join(''), text);
  for (const d of deltas) {
    assert.ok(!d.includes('\uFFFD'), `delta ${JSON.stringify(d)} holds a broken character`);
    assert.ok(!/[\uD800-\uDBFF]$/.test(d), `delta ${JSON.stringify(d)} ends in half a surrogate pair`);
  }
  // The bytes of "€" were held until the third one arrived.
  const euro = ids.indexOf(tokenizer.encode('€').find((id) => tokenizer.tokenOf(id) === '<0xE2>')!);
  assert.deepEqual(deltas.slice(euro, euro + 3), ['', '', '€']);
});

test('an incomplete character at the very end is flushed as U+FFFD, not dropped', () => {
  const stream = newStream();
  const e2 = tokenizer.encode('€')[1];
  assert.equal(stream.push(e2), '');
  assert.equal(stream.flush(), '\uFFFD');
});

test('stop strings cut the text and hold back possible beginnings', () => {
  const stops = new StopStrings(['\n\n', 'END']);
  assert.equal(stops.push('Hello E'), 'Hello ');
  assert.equal(stops.push('N'), '');
  assert.equal(stops.push('D? no'), '');
  assert.equal(stops.done, true);
  const other = new StopStrings(['END']);
  assert.equal(other.push('EN'), '');
  assert.equal(other.push('ough'), 'ENough');
  assert.equal(other.push(' E'), ' ');
  assert.equal(other.flush(), 'E');
});

test('bytes that can never form a character are not held back', () => {
  assert.equal(tokenizer.tokenOf(byteToken(0x80)), '<0x80>');
  const stream = newStream();
  assert.equal(stream.push(byteToken(0x80)), '\uFFFD'); // a stray continuation byte
  assert.equal(stream.push(byteToken(0xe2)), '');
  assert.equal(stream.push(byteToken(0x82)), '');
  assert.equal(stream.push(byteToken(0xac)), '€');
  assert.equal(stream.push(byteToken(0xff)), '\uFFFD'); // never valid in UTF-8
});

test('incomplete UTF-8 endings are recognised', () => {
  assert.equal(endsIncompleteUtf8([0xe2]), true);
  assert.equal(endsIncompleteUtf8([0xe2, 0x82]), true);
  assert.equal(endsIncompleteUtf8([0xe2, 0x82, 0xac]), false);
  assert.equal(endsIncompleteUtf8([0xf0, 0x9f, 0x98]), true);
  assert.equal(endsIncompleteUtf8([0x80]), false);
  assert.equal(endsIncompleteUtf8([0x41, 0xc3]), true);
  assert.equal(endsIncompleteUtf8([0xc3, 0xa9]), false);
  assert.equal(byteFallbackValue('<0xE2>'), 0xe2);
  assert.equal(byteFallbackValue('▁hello'), undefined);
});
