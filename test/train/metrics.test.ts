// The eval's parsers and scores, on answers written in the generator's formats.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorClass, errorLine, eventHits, f1, labelHits, parseComponents, parseEvents, typeCounts } from '../../tools/eval/metrics';

const truth = 'A sign-in form, dark theme. Components: heading "Sign in"; text field "Email"; button "Sign in".';

test('components parse and score as multisets of types', () => {
  const pred = parseComponents('A sign-in form, light theme. Components: heading "Welcome"; button "Sign in"; button "Go".');
  assert.deepEqual(pred.map((c) => c.type), ['heading', 'button', 'button']);
  const c = typeCounts(pred, parseComponents(truth));
  assert.deepEqual(c, { tp: 2, fp: 1, fn: 1 });
  assert.equal(f1(c), 4 / 6);
  assert.deepEqual(labelHits(pred, parseComponents(truth)), { hit: 2, total: 3 }); // "Sign in" twice in the truth
});

test('diagram edges are not read as components', () => {
  const d = parseComponents('A flowchart, light theme. Components: node "Start"; node "End". Edges: "Start" -> "End".');
  assert.deepEqual(d, [{ type: 'node', label: 'Start' }, { type: 'node', label: 'End' }]);
});

test('error lines are classified by the template they fill', () => {
  const line = errorLine("Error: ModuleNotFoundError: No module named 'yaml'\nMeaning: ...");
  assert.equal(line, "ModuleNotFoundError: No module named 'yaml'");
  assert.equal(errorClass(line), 'py_module');
  assert.equal(errorClass("NameError: name 'x' is not defined"), 'py_name');
  assert.equal(errorClass('src/app.ts(3,4): error TS2304: Cannot find name \'q\'.'), 'ts_name');
  assert.equal(errorClass('something else entirely'), undefined);
});

test('recording events compare by position, type and label', () => {
  const t = parseEvents('1. typed "bob" into "Email". 2. a toast "Signed in" appeared.');
  assert.deepEqual(t, [{ type: 'typed', label: 'bob' }, { type: 'toast appeared', label: 'Signed in' }]);
  const p = parseEvents('1. typed "bo" into "Email". 2. a toast "Signed in" appeared.');
  assert.deepEqual(eventHits(p, t), { exact: 1, type: 2, total: 2 });
});
