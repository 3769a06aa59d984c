// The mockup description's markdown layout, streamed in pieces of any size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MarkdownOutline, outline } from '../../src/extension/outline';

const ANSWER = 'A flowchart, light theme. Components: node "Start"; node "Load; parse"; node "End". Edges: "Start" -> "Load; parse"; "Load; parse" -> "End".';
const LAID_OUT = 'A flowchart, light theme.\n\n- node "Start"\n- node "Load; parse"\n- node "End".\n\nEdges:\n\n- "Start" -> "Load; parse"\n- "Load; parse" -> "End".';

test('a description becomes a summary line and bullets', () => {
  assert.equal(outline(ANSWER), LAID_OUT);
});

test('text without the description format passes unchanged', () => {
  assert.equal(outline('Error: x is not defined\nMeaning: ...'), 'Error: x is not defined\nMeaning: ...');
  assert.equal(outline('ends with a semicolon;'), 'ends with a semicolon;');
});

test('the result does not depend on how the stream is cut', () => {
  for (const size of [1, 2, 3, 5, 7, 13]) {
    const o = new MarkdownOutline();
    let out = '';
    for (let i = 0; i < ANSWER.length; i += size) out += o.push(ANSWER.slice(i, i + size));
    assert.equal(out + o.end(), LAID_OUT, `pieces of ${size}`);
  }
});
