// The texts a sample teaches, derived from its spec: a description, the error explanation,
// question-answer pairs and (for recordings) the events in order. Formats are fixed so that
// tools/eval.mjs can parse the model's answers back.
import { THEME_WORD } from './page.mjs';
import { shownParams } from './errors.mjs';

export const PROMPTS = {
  describe: 'Describe the screen.',
  error: 'Explain the error.',
  events: 'What happened?',
  qa: (q) => `Question: ${q}`,
};

const quote = (s) => `"${s}"`;
const plural = (t) => (/(x|s)$/.test(t) ? `${t}es` : `${t}s`);

export function description(spec) {
  const comps = spec.p.comps.map((c) => `${c.type} ${quote(c.label)}`).join('; ');
  let text = `${spec.phrase.charAt(0).toUpperCase()}${spec.phrase.slice(1)}, ${THEME_WORD[spec.p.theme]} theme. Components: ${comps}.`;
  if (spec.edges?.length) text += ` Edges: ${spec.edges.map(([a, b, m]) => `${quote(a)} -> ${quote(b)}${m ? `: ${m}` : ''}`).join('; ')}.`;
  return text;
}

export function errorAnswer({ err, params }) {
  return `Error: ${err.line(params)}\nMeaning: ${err.meaning(params)}\nFix: ${err.fix(params)}`;
}

export function questions(spec, r) {
  const qa = [];
  const comps = spec.p.comps;
  const first = (type) => comps.find((c) => c.type === type);
  if (first('heading')) qa.push(['What is the title?', first('heading').label]);
  if (first('button')) qa.push(['What does the first button say?', first('button').label]);
  const types = [...new Set(comps.map((c) => c.type))];
  const t = r.pick(types);
  qa.push([`How many ${plural(t)} are there?`, String(comps.filter((c) => c.type === t).length)]);
  if (spec.error) {
    const p = spec.error.params;
    if (p.file) qa.push(['Which file has the error?', p.file]);
    if (p.line) qa.push(['On which line is the error?', String(p.line)]);
  }
  if (spec.edges?.length) {
    const [a, b] = r.pick(spec.edges);
    qa.push([`What does ${quote(a)} point to?`, b]);
  }
  return r.sample(qa, Math.min(qa.length, 2));
}

export function eventsAnswer(events) {
  return events.map((e, i) => `${i + 1}. ${e.type === 'typed' ? `typed ${quote(e.label)} into ${quote(e.into)}`
    : e.type === 'ran' ? `ran ${quote(e.label)}` : `${e.what} ${quote(e.label)} ${e.type}`}.`).join(' ');
}

/** The tasks of a still screen: [{ task, prompt, answer }]. */
export function screenTasks(spec, r) {
  const tasks = [{ task: 'describe', prompt: PROMPTS.describe, answer: description(spec) }];
  if (spec.error) {
    tasks.push({ task: 'error', prompt: PROMPTS.error, answer: errorAnswer(spec.error) });
  }
  for (const [q, a] of questions(spec, r)) tasks.push({ task: 'qa', prompt: PROMPTS.qa(q), answer: a });
  return tasks;
}

export function errorTruth({ err, params }) {
  return { class: err.id, line: err.line(params), params: shownParams(err, params) };
}
