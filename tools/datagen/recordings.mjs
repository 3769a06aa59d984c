// Short screen recordings: 2 to 6 frames of one interaction, each frame a full HTML page.
// The events (what happened, in order) come from the script that made the frames.
import { SCREENS, errorOutput } from './screens.mjs';
import { ERRORS } from './errors.mjs';
import { esc } from './page.mjs';
import { cap } from './words.mjs';

function typing(r, W) {
  const s = SCREENS.signin(r, W);
  const field = s.p.comps.find((c) => c.type === 'text field' && c.label !== 'Password') ?? { label: 'Password' };
  const value = field.label === 'Email' ? `${r.pick(W('name'))}@${r.pick(W('noun'))}.dev` : field.label === 'Password' ? '••••••' : `${r.pick(W('name'))}${r.int(1, 99)}`;
  const steps = r.int(2, 4);
  const at = s.html.indexOf(`data-l="${field.label}"`);
  const start = s.html.indexOf('class="field muted">', at) + 'class="field muted">'.length;
  const end = s.html.indexOf('</div>', start);
  const frames = Array.from({ length: steps + 1 }, (_, i) => s.html.slice(0, start) + esc(value.slice(0, Math.round((value.length * i) / steps))) + s.html.slice(end));
  const events = [{ type: 'typed', label: value, into: field.label }];
  if (r.chance(0.5)) {
    const msg = `${cap(r.pick(['signed in', 'welcome back', 'account created']))}`;
    frames.push(frames[frames.length - 1].replace('</body>', `<div style="position:fixed;top:1.2em;right:1.2em;padding:.8em 1.2em;background:${s.p.t.ok};color:#fff">${esc(msg)}</div></body>`));
    events.push({ type: 'appeared', what: 'a toast', label: msg });
  }
  return { s, frames, events };
}

function overlayed(r, W, kind) {
  const s = SCREENS[kind](r, W);
  const over = s.p.comps.find((c) => c.type === kind);
  const base = s.html.replace(/<div style="position:fixed;inset:0[\s\S]*<\/body>|<div data-c="toast"[\s\S]*<\/body>/, '</body>');
  const frames = [base, s.html];
  const events = [{ type: 'appeared', what: kind === 'dialog' ? 'a dialog' : 'a toast', label: over.label }];
  if (r.chance(0.5)) { frames.push(base); events.push({ type: 'closed', what: `the ${kind}`, label: over.label }); }
  if (r.chance(0.3)) frames.unshift(base);
  return { s, frames, events };
}

function command(r, W) {
  const s = SCREENS.terminal(r, W);
  const { err, params } = s.error;
  const out = errorOutput(err, params, r, W);
  const pre = s.html.indexOf('<pre');
  const open = s.html.indexOf('>', pre) + 1;
  const close = s.html.indexOf('</pre>');
  const prompt = s.html.slice(open, close).split(' ')[0];
  const typed = (n) => `${prompt} ${esc(out.cmd.slice(0, n))}`;
  const frames = [s.html.slice(0, open) + typed(0) + s.html.slice(close)];
  if (r.chance(0.5)) frames.push(s.html.slice(0, open) + typed(Math.ceil(out.cmd.length / 2)) + s.html.slice(close));
  frames.push(s.html.slice(0, open) + typed(out.cmd.length) + s.html.slice(close), s.html);
  return { s, frames, events: [{ type: 'ran', label: out.cmd }, { type: 'appeared', what: 'an error', label: err.line(params) }] };
}

const KINDS = [typing, typing, (r, W) => overlayed(r, W, 'dialog'), (r, W) => overlayed(r, W, 'toast'), command];

export function recording(r, W) {
  const rec = r.pick(KINDS)(r, W);
  return { ...rec, frames: rec.frames.slice(0, 6) };
}
