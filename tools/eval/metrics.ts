// Scoring of the model's answers against the generator's truth. The answer formats are those
// of tools/datagen/texts.mjs; parsing is lenient about what follows, strict about content.
// @ts-expect-error plain ESM module without types
import { ERRORS } from '../datagen/errors.mjs';

export interface Component { type: string; label: string }

/** Components of a description: `type "label"` pairs after "Components:" (before "Edges:"). */
export function parseComponents(text: string): Component[] {
  const at = text.indexOf('Components:');
  if (at < 0) return [];
  const body = text.slice(at + 'Components:'.length).split(' Edges:')[0];
  return [...body.matchAll(/([a-z][a-z ]*?) "([^"]*)"/g)].map((m) => ({ type: m[1].trim(), label: m[2] }));
}

/** Counts for micro-averaged F1 over component types (multisets). */
export function typeCounts(pred: Component[], truth: Component[]): { tp: number; fp: number; fn: number } {
  const left = new Map<string, number>();
  for (const c of truth) left.set(c.type, (left.get(c.type) ?? 0) + 1);
  let tp = 0;
  for (const c of pred) {
    const n = left.get(c.type) ?? 0;
    if (n > 0) { tp++; left.set(c.type, n - 1); }
  }
  return { tp, fp: pred.length - tp, fn: truth.length - tp };
}

export function f1({ tp, fp, fn }: { tp: number; fp: number; fn: number }): number {
  return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
}

/** Truth labels found among the predicted labels (exact strings). */
export function labelHits(pred: Component[], truth: Component[]): { hit: number; total: number } {
  const got = new Set(pred.map((c) => c.label));
  return { hit: truth.filter((c) => got.has(c.label)).length, total: truth.length };
}

export function errorLine(text: string): string {
  const m = /^Error: (.*)$/m.exec(text);
  return m ? m[1].trim() : '';
}

// Each error class as a regex over its line: the template with its parameters as wildcards.
const CLASS_PATTERNS: [string, RegExp][] = ERRORS.map((e: { id: string; line: (p: unknown) => string }) => {
  const marks = new Proxy({}, { get: (_, k) => `\u0000${String(k)}\u0000` });
  const src = e.line(marks).replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\u0000[^\u0000]*\u0000/g, '.+?');
  return [e.id, new RegExp(`^${src}$`)];
});

export function errorClass(line: string): string | undefined {
  return CLASS_PATTERNS.find(([, re]) => re.test(line))?.[0];
}

export interface Event { type: string; label: string }

/** Events of an answer "1. typed "x" into "y". 2. a dialog "z" appeared." */
export function parseEvents(text: string): Event[] {
  return [...text.matchAll(/\d+\. (typed|ran|an? [a-z]+|the [a-z]+) "([^"]*)"(?: into "[^"]*")?(?: (appeared|closed))?\./g)].map((m) => ({
    type: m[1] === 'typed' || m[1] === 'ran' ? m[1] : `${m[1].replace(/^(an?|the) /, '')} ${m[3] ?? ''}`.trim(),
    label: m[2],
  }));
}

/** Truth events matched at the same position, by type and label, and by type alone. */
export function eventHits(pred: Event[], truth: Event[]): { exact: number; type: number; total: number } {
  let exact = 0, type = 0;
  truth.forEach((t, i) => {
    if (pred[i]?.type === t.type) { type++; if (pred[i].label === t.label) exact++; }
  });
  return { exact, type, total: truth.length };
}

export const FEWSHOT_FORMAT = /^Screen type: [a-z]+ \| Buttons: \d+$/;
