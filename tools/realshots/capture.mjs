// Screenshots that no generator made, for the model card: real Chromium pages, a real
// documentation page, a hand-written page, and real error output of real commands.
// Usage: node tools/realshots/capture.mjs OUT_DIR   (writes PNGs and shots.json)
import { chromium } from 'playwright-core';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

const out = process.argv[2];
if (!out) throw new Error('usage: node tools/realshots/capture.mjs OUT_DIR');
mkdirSync(out, { recursive: true });

/** stderr + stdout of a real command that fails. */
function realOutput(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd });
  return `${r.stdout}${r.stderr}`.trim();
}

const work = mkdtempSync(join(tmpdir(), 'realshots-'));
writeFileSync(join(work, 'app.py'), 'import json\nimport requests\n\nprint(requests.get("http://localhost").status_code)\n');
writeFileSync(join(work, 'server.js'), "const express = require('express');\nexpress().listen(3000);\n");
const terminals = [
  { name: 'terminal-python', cmd: 'python3 app.py', text: realOutput('/usr/bin/python3', ['app.py'], work) },
  { name: 'terminal-node', cmd: 'node server.js', text: realOutput(process.execPath, ['server.js'], work) },
];

// A terminal window drawn by hand (not the generator's template): the output is real.
const terminalPage = (t) => `<!doctype html><html><body style="margin:0;background:#300a24;font:15px 'DejaVu Sans Mono';color:#fff">
<div style="background:#2c2c2c;color:#ddd;font:13px 'DejaVu Sans';padding:6px 10px">dev@workstation: ~/project</div>
<pre style="margin:0;padding:10px;white-space:pre-wrap">dev@workstation:~/project$ ${t.cmd}\n${t.text.replace(/</g, '&lt;')}\ndev@workstation:~/project$ </pre></body></html>`;

const signin = `<!doctype html><html><body style="margin:0;font-family:'Liberation Sans';background:#eef2f7">
<header style="background:#234;color:#fff;padding:14px 24px;font-size:20px">Acme Cloud Console</header>
<main style="width:360px;margin:60px auto;background:#fff;padding:28px;border-radius:8px;box-shadow:0 2px 12px #0002">
<h1 style="font-size:24px;margin:0 0 18px">Sign in</h1>
<label>Email address<input style="display:block;width:100%;margin:6px 0 14px;padding:8px" value="jane@acme.io"></label>
<label>Password<input type="password" style="display:block;width:100%;margin:6px 0 14px;padding:8px" value="secret"></label>
<button style="background:#1565c0;color:#fff;border:0;padding:10px 22px;border-radius:4px;font-size:15px">Sign in</button>
<p><a href="#">Forgot your password?</a></p></main></body></html>`;

const shots = [
  { name: 'chromium-settings', what: "Chromium's own settings page (chrome://settings)", url: 'chrome://settings' },
  { name: 'chromium-history', what: "Chromium's history page (chrome://history)", url: 'chrome://history' },
  { name: 'debian-doc', what: 'a real documentation page: /usr/share/doc/base-passwd/users-and-groups.html', url: 'file:///usr/share/doc/base-passwd/users-and-groups.html' },
  { name: 'handmade-signin', what: 'a sign-in page written by hand for this card', html: signin },
  ...terminals.map((t) => ({ name: t.name, what: `real output of \`${t.cmd}\` in a hand-drawn terminal window`, html: terminalPage(t), output: t.text })),
];

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium' });
const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
for (const s of shots) {
  if (s.url) await page.goto(s.url, { waitUntil: 'load' }).catch(() => {});
  else await page.setContent(s.html, { waitUntil: 'load' });
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(out, `${s.name}.png`) });
  s.file = `${s.name}.png`;
  delete s.html;
}
await browser.close();
writeFileSync(join(out, 'shots.json'), JSON.stringify(shots, null, 2));
console.log(`realshots: ${shots.length} screenshots in ${out}`);
