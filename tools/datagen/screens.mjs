// Screen generators: each takes a seeded rng and a word picker for its split and returns a
// spec ({ kind, phrase, page, html, qa, error? }). The texts the model learns come from the
// spec alone, never from the pixels.
import { newPage, html, esc } from './page.mjs';
import { cap } from './words.mjs';
import { ERRORS } from './errors.mjs';
import { diagram } from './diagrams.mjs';

const FIELD_LABELS = ['Email', 'Username', 'Password', 'Full name', 'Phone', 'Company', 'Website', 'City'];

function label(r, W, n = r.int(1, 2)) {
  const words = [r.pick(W('noun'))];
  if (n > 1) words.unshift(r.pick(W('adj')));
  return cap(words.join(' '));
}
const action = (r, W) => `${cap(r.pick(W('verb')))}${r.chance(0.4) ? ` ${r.pick(W('noun'))}` : ''}`;
const sentence = (r, W) => `${cap(r.pick(W('verb')))} your ${r.pick(W('noun'))} and ${r.pick(W('verb'))} the ${r.pick(W('adj'))} ${r.pick(W('noun'))}.`;

function nav(p, r, W) {
  const brand = cap(r.pick(W('noun'))) + r.pick(['ly', 'hub', 'io', 'kit', 'base']);
  const links = r.sample(W('noun'), r.int(3, 5)).map(cap);
  const inner = `<b style="margin-right:2em">${esc(brand)}</b>` + links.map((l) => p.c('link', l, 'span', 'style="margin-right:1.5em"')).join('');
  return `<div data-c="navigation bar" data-l="${esc(brand)}" style="display:flex;align-items:center;padding:.8em 1.5em;border-bottom:1px solid ${p.t.border};background:${p.t.panel}">${inner}</div>`;
}

const wrap = (p, inner, width = 26) => `<div style="max-width:${width}em;margin:2.5em auto;padding:1.5em" class="panel">${inner}</div>`;

function signin(r, W) {
  const p = newPage(r);
  const title = r.pick(['Sign in', 'Welcome back', 'Log in', 'Create account', 'Sign up']) + (r.chance(0.5) ? ` to ${cap(r.pick(W('noun')))}` : '');
  let body = p.c('heading', title, 'h2', 'style="margin:0 0 .8em"');
  for (const f of r.sample(FIELD_LABELS.slice(0, 3), r.int(1, 2)).concat(['Password'])) {
    if (body.includes(`"${f}"`)) continue;
    body += `<label>${p.c('text field', f, 'span', '')}</label><div class="field muted">${f === 'Password' ? '••••••••' : esc(r.pick(W('name')) + (f === 'Email' ? '@example.com' : ''))}</div>`;
  }
  if (r.chance(0.6)) body += `<div style="margin-bottom:.8em">☐ ${p.c('checkbox', 'Remember me', 'span', '')}</div>`;
  const btn = title.split(' ').slice(0, 2).join(' ');
  body += p.c('button', btn, 'span', 'class="btn primary"');
  if (r.chance(0.7)) body += `<div style="margin-top:1em">${p.c('link', r.pick(['Forgot password?', 'Create an account', 'Need help?']), 'span', 'class="link"')}</div>`;
  return { kind: 'signin', phrase: 'a sign-in form', p, html: html(p, wrap(p, body)) };
}

function settings(r, W) {
  const p = newPage(r);
  let body = p.c('heading', `${cap(r.pick(W('noun')))} settings`, 'h2', 'style="margin:0 0 1em"');
  for (let i = r.int(3, 5); i > 0; i--) {
    const l = label(r, W);
    const kind = r.pick(['toggle', 'dropdown', 'checkbox', 'text field']);
    const control = kind === 'toggle' ? `<span style="display:inline-block;width:2.4em;height:1.3em;border-radius:1em;background:${r.chance(0.5) ? p.t.accent : p.t.border}"></span>`
      : kind === 'dropdown' ? `<span class="panel" style="padding:.2em .6em">${esc(cap(r.pick(W('adj'))))} ▾</span>`
      : kind === 'checkbox' ? '☑' : `<span class="field" style="display:inline-block;width:10em;margin:0">${esc(r.pick(W('noun')))}</span>`;
    body += `<div style="display:flex;justify-content:space-between;align-items:center;padding:.5em 0;border-bottom:1px solid ${p.t.border}">${p.c(kind, l, 'span', '')}${control}</div>`;
  }
  body += `<div style="margin-top:1em">` + p.c('button', 'Save changes', 'span', 'class="btn primary"') + p.c('button', 'Cancel', 'span', 'class="btn"') + '</div>';
  return { kind: 'settings', phrase: 'a settings page', p, html: html(p, wrap(p, body, 32)) };
}

function landing(r, W) {
  const p = newPage(r);
  let body = nav(p, r, W);
  const hero = `${cap(r.pick(W('verb')))} every ${r.pick(W('noun'))} in one place`;
  body += `<div style="padding:3em 2em;text-align:${r.pick(['left', 'center'])}">` + p.c('heading', hero, 'h1', 'style="margin:0 0 .5em"');
  body += `<p class="muted">${esc(sentence(r, W))}</p>`;
  body += p.c('button', action(r, W), 'span', 'class="btn primary"');
  if (r.chance(0.5)) body += p.c('button', 'Learn more', 'span', 'class="btn"');
  return { kind: 'landing', phrase: 'a landing page with a navigation bar', p, html: html(p, body + '</div>') };
}

function list(r, W) {
  const p = newPage(r);
  let body = p.c('heading', `${cap(r.pick(W('adj')))} ${r.pick(W('noun'))}s`, 'h2', 'style="margin:0 0 .6em"');
  for (let i = r.int(3, 5); i > 0; i--) {
    body += `<div style="padding:.55em .3em;border-bottom:1px solid ${p.t.border};display:flex;justify-content:space-between">${p.c('list item', label(r, W), 'span', '')}<span class="muted">${r.int(1, 28)} ${r.pick(['min', 'h', 'days'])} ago</span></div>`;
  }
  if (r.chance(0.5)) body += `<div style="margin-top:1em">${p.c('button', action(r, W), 'span', 'class="btn primary"')}</div>`;
  return { kind: 'list', phrase: 'a list', p, html: html(p, wrap(p, body, 30)) };
}

function table(r, W) {
  const p = newPage(r);
  const cols = r.sample(W('noun'), r.int(3, 4)).map(cap);
  let body = p.c('heading', `${cap(r.pick(W('noun')))} ${r.pick(['overview', 'report', 'list', 'summary'])}`, 'h2', 'style="margin:0 0 .6em"');
  const head = cols.map((c) => `<th style="text-align:left;padding:.4em .8em;border-bottom:2px solid ${p.t.border}">${esc(c)}</th>`).join('');
  const rows = Array.from({ length: r.int(3, 5) }, () => `<tr>${cols.map((_, i) => `<td style="padding:.4em .8em;border-bottom:1px solid ${p.t.border}">${i === 0 ? esc(cap(r.pick(W('name')))) : r.chance(0.5) ? r.int(1, 999) : esc(r.pick(W('adj')))}</td>`).join('')}</tr>`).join('');
  body += p.c('table', cols.join(', '), 'table', 'style="border-collapse:collapse;width:100%"', `<tr>${head}</tr>${rows}`);
  return { kind: 'table', phrase: 'a table', p, html: html(p, wrap(p, body, 40)) };
}

function cards(r, W) {
  const p = newPage(r);
  let body = p.c('heading', `${cap(r.pick(W('adj')))} ${r.pick(W('noun'))}s`, 'h2', 'style="margin:1em 1.5em .4em"');
  body += '<div style="display:flex;gap:1em;padding:1em 1.5em;flex-wrap:wrap">';
  for (let i = r.int(2, 4); i > 0; i--) {
    const title = label(r, W);
    body += `<div class="panel" style="width:14em;padding:1em">${p.c('card', title, 'b', 'style="display:block"')}<p class="muted" style="margin:.4em 0">${r.int(2, 90)} ${esc(r.pick(W('noun')))}s</p>${p.c('button', cap(r.pick(W('verb'))), 'span', 'class="btn"')}</div>`;
  }
  return { kind: 'cards', phrase: 'a grid of cards', p, html: html(p, body + '</div>') };
}

function search(r, W) {
  const p = newPage(r);
  const q = `${r.pick(W('adj'))} ${r.pick(W('noun'))}`;
  let body = `<div style="padding:1.2em 2em">${p.c('search box', q, 'div', 'class="field" style="padding:.5em .8em;border-radius:2em;max-width:30em"', `🔍 ${esc(q)}`)}`;
  for (let i = r.int(2, 4); i > 0; i--) {
    const t = `${cap(r.pick(W('noun')))} ${r.pick(W('noun'))} ${r.pick(['guide', 'docs', 'tips', 'API', 'FAQ'])}`;
    body += `<div style="margin:1em 0"><div class="muted" style="font-size:.8em">${esc(r.pick(W('noun')))}.example.com</div>${p.c('link', t, 'div', 'class="link" style="font-size:1.15em"')}<div class="muted">${esc(sentence(r, W))}</div></div>`;
  }
  return { kind: 'search', phrase: 'search results', p, html: html(p, body + '</div>') };
}

function overlay(r, W, kind) {
  const base = r.pick([signin, settings, list, cards])(r, W);
  const p = base.p;
  const n = p.comps.length;
  let over;
  if (kind === 'dialog') {
    const title = `${cap(r.pick(W('verb')))} ${r.pick(W('noun'))}?`;
    const inner = p.c('heading', title, 'h3', 'style="margin:0 0 .5em"') + `<p>${esc(sentence(r, W))}</p>` +
      p.c('button', 'Cancel', 'span', 'class="btn"') +
      p.c('button', cap(title.split(' ')[0]), 'span', `class="btn ${r.pick(['primary', 'danger'])}"`);
    over = `<div style="position:fixed;inset:0;background:rgba(0,0,0,.45)"></div><div data-c="dialog" data-l="${esc(title)}" class="panel" style="position:fixed;left:50%;top:30%;transform:translate(-50%,0);width:24em;padding:1.4em;background:${p.t.bg};box-shadow:0 8px 30px rgba(0,0,0,.4)">${inner}</div>`;
    p.comps.splice(n, 0, { type: 'dialog', label: title });
  } else {
    const msg = `${cap(r.pick(W('noun')))} ${r.pick(['saved', 'deleted', 'updated', 'sent', 'failed to sync', 'copied'])}`;
    over = p.c(kind, msg, 'div', `style="position:fixed;${r.pick(['bottom', 'top'])}:1.5em;right:1.5em;padding:.8em 1.2em;border-radius:${p.radius}px;background:${msg.includes('failed') ? p.t.danger : p.t.ok};color:#fff;box-shadow:0 4px 14px rgba(0,0,0,.3)"`);
  }
  return { kind, phrase: kind === 'dialog' ? `a dialog over ${base.phrase}` : `a toast over ${base.phrase}`, p, html: base.html.replace('</body>', `${over}</body>`) };
}

// Real terminal colour schemes (GNOME/Ubuntu, xterm, Solarized, VS Code, macOS): a full-window
// terminal's theme is its own background, not a page's.
const TERMINAL_SCHEMES = [
  { bg: '#300a24', fg: '#ffffff', dark: true }, { bg: '#000000', fg: '#d0d0d0', dark: true },
  { bg: '#002b36', fg: '#93a1a1', dark: true }, { bg: '#1e1e1e', fg: '#cccccc', dark: true },
  { bg: '#282c34', fg: '#abb2bf', dark: true }, { bg: '#ffffff', fg: '#000000', dark: false },
  { bg: '#fdf6e3', fg: '#586e75', dark: false }, { bg: '#f5f5f5', fg: '#333333', dark: false },
];

/** Earlier commands still on screen above the failing one, as a real terminal keeps them. */
function scrollback(r, W, prompt) {
  const f = () => `${r.pick(W('file'))}.${r.pick(['py', 'js', 'ts', 'c', 'json', 'md'])}`;
  const cmds = [
    () => [`ls`, Array.from({ length: r.int(3, 6) }, f).join('  ')],
    () => [`cd ${r.pick(W('noun'))}`],
    () => [`git status --short`, ` M ${f()}`, `?? ${f()}`],
    () => [`echo $${r.pick(['HOME', 'PATH', 'SHELL', 'USER'])}`, `/home/${r.pick(W('name'))}`],
    () => [`git log --oneline -2`, `${r.int(0x1000000, 0xfffffff).toString(16)} ${cap(r.pick(W('verb')))} ${r.pick(W('noun'))}`, `${r.int(0x1000000, 0xfffffff).toString(16)} ${cap(r.pick(W('verb')))} ${r.pick(W('noun'))}`],
  ];
  return Array.from({ length: r.int(0, 3) }, () => { const [c, ...out] = r.pick(cmds)(); return [`${prompt} ${c}`, ...out]; }).flat();
}

function terminal(r, W, viewport = [1280, 800, 1]) {
  const p = newPage(r);
  const err = r.pick(ERRORS);
  const params = err.params(r, W);
  const lines = errorOutput(err, params, r, W);
  const user = r.pick(W('name'));
  const host = r.pick(['dev', 'laptop', 'box', 'ws', 'workstation']);
  const dir = `~/${r.pick(W('noun'))}`;
  const prompt = r.pick([`${user}@${host}:${dir}$`, `${user}@${host} ${dir} %`, `${dir} $`, '$', `(venv) ${user}@${host}:${dir}$`]);
  const size = p.size - 1;
  const output = `${esc(prompt)} ${esc(lines.cmd)}
${lines.out.map((l) => (l === err.line(params) ? `<span style="color:${p.t.danger}">${esc(l)}</span>` : esc(l))).join('\n')}
${esc(prompt)} `;
  const earlier = scrollback(r, W, prompt);
  // Scrollback sits in its own block before the <pre>: recordings retype the command inside the <pre>.
  const history = (fg) => (earlier.length ? `<div class="mono" style="white-space:pre-wrap;padding:.8em .8em 0;font-size:${size}px;color:${fg}">${earlier.map(esc).join('\n')}</div>` : '');
  let body;
  if (r.chance(0.55)) {
    // The whole window is the terminal: its scheme sets the theme; the newest lines sit at the bottom.
    const s = r.pick(TERMINAL_SCHEMES);
    p.theme = s.dark ? 'dark' : 'light';
    const title = r.pick([`${user}@${host}: ${dir}`, `${r.pick(['bash', 'zsh', 'fish'])} — ${r.int(80, 160)}×${r.int(24, 50)}`, null]);
    const bar = title ? `<div style="padding:.35em .8em;text-align:center;background:${s.dark ? '#2c2c2c' : '#e0e0e0'};color:${s.dark ? '#ddd' : '#333'};font-family:'${p.font}';font-size:13px">${esc(title)}</div>` : '';
    body = `<div data-c="terminal" data-l="${esc(prompt)}" style="height:100vh;display:flex;flex-direction:column;background:${s.bg};color:${s.fg}">${bar}
<div style="flex:1;display:flex;flex-direction:column;justify-content:${viewport[1] < 600 || r.chance(0.5) ? 'flex-end' : 'flex-start'};overflow:hidden">${history(s.fg)}
<pre class="mono" style="margin:0;padding:.2em .8em .8em;white-space:pre-wrap;font-size:${size}px">${output}</pre></div></div>`;
  } else {
    const tb = p.theme === 'light' || p.theme === 'sepia' ? { bg: '#fafafa', fg: '#222' } : { bg: '#111', fg: '#ddd' };
    body = `<div class="mono" data-c="terminal" data-l="${esc(prompt)}" style="margin:1.5em;border-radius:8px;background:${tb.bg};color:${tb.fg};border:1px solid ${p.t.border};min-height:70vh">
<div style="padding:.3em .8em;background:${p.t.panel};color:${p.t.muted};font-family:'${p.font}'">● ● ●  ${esc(r.pick(['bash', 'zsh', 'Terminal', 'powershell']))}</div>${history(tb.fg)}
<pre class="mono" style="margin:0;padding:.8em;white-space:pre-wrap;font-size:${size}px">${output}</pre></div>`;
  }
  p.comps.push({ type: 'terminal', label: lines.cmd });
  return { kind: 'terminal', phrase: 'a terminal window', p, html: html(p, body), error: { err, params } };
}

function article(r, W) {
  const p = newPage(r);
  const topic = `${cap(r.pick(W('noun')))} ${r.pick(['and', 'with', 'for', 'or'])} ${r.pick(W('noun'))}`;
  let body = p.c('heading', topic, 'h1', 'style="margin:0 0 .6em"');
  if (r.chance(0.5)) body += `<p class="muted">${esc(sentence(r, W))}</p>`;
  for (let i = r.int(1, 2); i > 0; i--) {
    body += p.c('heading', `${cap(r.pick(W('verb')))} ${r.pick(['a', 'the', 'your'])} ${r.pick(W('noun'))}`, 'h3', 'style="margin:1em 0 .3em"');
    body += `<p>${Array.from({ length: r.int(1, 3) }, () => esc(sentence(r, W))).join(' ')}</p>`;
    if (r.chance(0.4)) body += `<pre class="mono panel" style="padding:.6em">$ ${esc(r.pick(W('verb')))} --${esc(r.pick(W('noun')))}</pre>`;
  }
  if (r.chance(0.6)) body += `<p>See also: ${p.c('link', `${cap(r.pick(W('noun')))} ${r.pick(['reference', 'guide', 'FAQ'])}`, 'span', 'class="link"')}</p>`;
  return { kind: 'article', phrase: 'a documentation page', p, html: html(p, `<div style="max-width:${r.int(36, 60)}em;padding:1.5em 2.5em">${body}</div>`) };
}

function editor(r, W) {
  const p = newPage(r);
  const langs = ERRORS.filter((e) => ['python', 'node', 'ts', 'c'].includes(e.lang));
  const err = r.pick(langs);
  const params = err.params(r, W);
  const file = params.file ?? `${r.pick(W('file'))}.py`;
  const first = Math.max(1, (params.line ?? 10) - r.int(2, 6));
  const code = Array.from({ length: r.int(7, 11) }, (_, i) => [first + i, codeLine(r, W, err.lang)]);
  const dark = p.theme === 'dark' || p.theme === 'blue';
  const ed = dark ? { bg: '#1e1e1e', fg: '#d4d4d4', gutter: '#858585', side: '#252526' } : { bg: '#ffffff', fg: '#333', gutter: '#999', side: '#f3f3f3' };
  const rows = code.map(([n, c]) => `<div><span style="display:inline-block;width:3em;color:${ed.gutter};text-align:right;margin-right:1em">${n}</span><span style="${n === params.line ? 'text-decoration:underline wavy #e51400' : ''}">${esc(c)}</span></div>`).join('');
  const body = `<div style="display:flex;height:100vh;background:${ed.bg};color:${ed.fg}">
<div style="width:12em;background:${ed.side};padding:.6em;font-size:.9em">${['EXPLORER', file, ...r.sample(W('file'), 3).map((f) => f + '.' + file.split('.').pop())].map((f) => `<div style="padding:.15em 0">${esc(f)}</div>`).join('')}</div>
<div style="flex:1;display:flex;flex-direction:column"><div style="background:${ed.side};padding:.35em 1em">${p.c('tab', file, 'span', '')}</div>
${p.c('code editor', file, 'div', `style="flex:1;padding:.6em 0;font-family:'${p.mono}';font-size:${p.size - 1}px"`, rows)}
<div style="border-top:1px solid ${p.t.border};padding:.5em 1em;font-size:.9em;background:${ed.side}">PROBLEMS 1<div style="color:#e51400;font-family:'${p.mono}'">✖ ${esc(err.line(params))}  [Ln ${params.line}, Col ${params.col ?? 1}]</div></div></div></div>`;
  p.comps.push({ type: 'problems panel', label: 'Problems' });
  return { kind: 'editor', phrase: 'a code editor with a diagnostic', p, html: html(p, body), error: { err, params } };
}

function codeLine(r, W, lang) {
  const a = r.pick(W('ident')); const b = r.pick(W('ident')); const f = `${r.pick(W('verb'))}_${r.pick(W('noun'))}`;
  const py = [`${a} = ${f}(${b})`, `for ${a} in ${b}:`, `    return ${a}.${b}`, `def ${f}(${a}):`, `import ${r.pick(W('pymod'))}`, `if ${a} is None:`];
  const js = [`const ${a} = ${f.replace('_', '')}(${b});`, `  return ${a}.${b};`, `function ${f.replace('_', '')}(${a}) {`, `}`, `import { ${a} } from './${r.pick(W('file'))}';`, `if (!${a}) throw new Error('${b}');`];
  const c = [`int ${a} = ${f}(${b});`, `  return ${a};`, `static void ${f}(int ${a}) {`, `}`, `#include <${r.pick(['stdio', 'stdlib', 'string'])}.h>`, `  ${a}++;`];
  return r.pick(lang === 'python' ? py : lang === 'c' ? c : js);
}

function errorOutput(err, p, r, W) {
  const line = err.line(p);
  switch (err.lang) {
    case 'python': return { cmd: `python ${p.file}`, out: ['Traceback (most recent call last):', `  File "${p.file}", line ${p.line}, in <module>`, `    ${codeLine(r, W, 'python')}`, line] };
    case 'node': return { cmd: `node ${p.file}`, out: [line, `    at ${r.pick(W('ident'))} (${p.file}:${p.line}:${p.col})`, `    at Module._compile (node:internal/modules/cjs/loader:1554:14)`, `Node.js v${r.pick([18, 20, 22])}.${r.int(0, 19)}.0`] };
    case 'ts': return { cmd: 'npx tsc --noEmit', out: [line, '', 'Found 1 error.'] };
    case 'c': return { cmd: `gcc -Wall -o app ${p.file}`, out: [`${p.file}: In function 'main':`, line, `  ${p.line} |   ${codeLine(r, W, 'c')}`, 'compilation terminated.'] };
    case 'npm': return { cmd: `npm install ${p.pkg}`, out: [line, 'npm ERR! A complete log of this run can be found in:', `npm ERR!     /home/dev/.npm/_logs/debug-0.log`] };
    case 'pip': return { cmd: `pip install ${p.pkg}`, out: [`ERROR: Could not find a version that satisfies the requirement ${p.pkg}`, line] };
    case 'git': return { cmd: `git merge ${p.branch}`, out: [`Auto-merging ${p.file}`, line, 'Automatic merge failed; fix conflicts and then commit the result.'] };
    case 'http': return { cmd: `curl -i localhost:8080${p.path}`, out: [line, 'content-type: application/json', '{"error": "request failed"}'] };
    default: return { cmd: line.includes('Permission') ? `./${p.file}` : `${p.cmd} --version`, out: [line] };
  }
}

export const SCREENS = { signin, settings, landing, list, table, cards, search, article, dialog: (r, W) => overlay(r, W, 'dialog'), toast: (r, W) => overlay(r, W, 'toast'), terminal, editor, diagram };
export { errorOutput };
