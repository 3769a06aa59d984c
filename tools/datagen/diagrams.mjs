// Diagrams rendered as SVG from generated specs: flowcharts, box-and-arrow architecture
// diagrams, sequence diagrams and class diagrams. The spec's nodes and edges become the text.
import { newPage, html, esc } from './page.mjs';
import { cap } from './words.mjs';

const ARCH = ['API gateway', 'Auth service', 'Web app', 'Database', 'Cache', 'Queue', 'Worker', 'CDN', 'Load balancer', 'Search index', 'Object store', 'Mobile app'];

function box(p, type, label, x, y, w, h, shape) {
  p.comps.push({ type, label });
  const r = shape === 'round' ? h / 2 : shape === 'square' ? 0 : 6;
  return `<g data-c="${type}" data-l="${esc(label)}"><rect x="${x}" y="${y}" width="${w}" height="${h}" rx="${r}" fill="${p.t.panel}" stroke="${p.t.fg}" stroke-width="1.5"/>
<text x="${x + w / 2}" y="${y + h / 2}" text-anchor="middle" dominant-baseline="central" fill="${p.t.fg}">${esc(label)}</text></g>`;
}
const arrow = (p, x1, y1, x2, y2, text) => `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="${p.t.muted}" stroke-width="1.5" marker-end="url(#a)"/>` +
  (text ? `<text x="${(x1 + x2) / 2}" y="${(y1 + y2) / 2 - 6}" text-anchor="middle" fill="${p.t.fg}" font-size="0.85em">${esc(text)}</text>` : '');

export function diagram(r, W) {
  const p = newPage(r);
  const style = r.pick(['flowchart', 'architecture', 'sequence', 'class']);
  const edges = [];
  let svg = '';
  const bw = p.size * 10; const bh = p.size * 2.6;
  if (style === 'flowchart' || style === 'architecture') {
    const n = r.int(3, 6);
    const labels = style === 'flowchart'
      ? ['Start', ...Array.from({ length: n - 2 }, () => `${cap(r.pick(W('verb')))} ${r.pick(W('noun'))}`), 'End']
      : r.sample(ARCH, n - 1).concat([`${cap(r.pick(W('noun')))} service`]);
    const cols = style === 'flowchart' ? 1 + (n > 4 ? 1 : 0) : r.int(2, 3);
    const pos = labels.map((_, i) => [40 + (i % cols) * (bw + 80), 30 + Math.floor(i / cols) * (bh + 60)]);
    labels.forEach((l, i) => { svg += box(p, 'node', l, pos[i][0], pos[i][1], bw, bh, style === 'flowchart' && (i === 0 || i === n - 1) ? 'round' : 'box'); });
    for (let i = 1; i < n; i++) {
      const from = style === 'flowchart' ? i - 1 : r.int(0, i - 1);
      edges.push([labels[from], labels[i]]);
      const [x1, y1] = pos[from]; const [x2, y2] = pos[i];
      svg += y1 === y2 ? arrow(p, x1 + bw, y1 + bh / 2, x2 - 4, y2 + bh / 2) : arrow(p, x1 + bw / 2, y1 + bh, x2 + bw / 2, y2 - 4);
    }
  } else if (style === 'sequence') {
    const parts = r.sample(['Client', 'Server', 'Browser', 'API', 'Database', 'Worker', 'Cache', 'User'], r.int(2, 4));
    parts.forEach((l, i) => { svg += box(p, 'participant', l, 30 + i * (bw + 40), 20, bw, bh, 'square'); });
    const xs = parts.map((_, i) => 30 + i * (bw + 40) + bw / 2);
    xs.forEach((x) => { svg += `<line x1="${x}" y1="${20 + bh}" x2="${x}" y2="${60 + bh + 5 * 50}" stroke="${p.t.border}" stroke-dasharray="4 4"/>`; });
    for (let k = 0; k < r.int(2, 4); k++) {
      const a = r.int(0, parts.length - 1); let b = r.int(0, parts.length - 2); if (b >= a) b++;
      const msg = `${r.pick(W('verb'))} ${r.pick(W('noun'))}`;
      edges.push([parts[a], parts[b], msg]);
      const y = 70 + bh + k * 50;
      svg += arrow(p, xs[a], y, xs[b] + (xs[b] > xs[a] ? -4 : 4), y, msg);
    }
  } else {
    const n = r.int(2, 4);
    const names = r.sample(W('noun'), n).map(cap);
    names.forEach((name, i) => {
      const x = 40 + i * (bw + 60); const y = 40 + (i % 2) * 60;
      const fields = r.sample(W('ident'), r.int(1, 3));
      p.comps.push({ type: 'class', label: name });
      svg += `<g data-c="class" data-l="${esc(name)}"><rect x="${x}" y="${y}" width="${bw}" height="${bh * (1.2 + fields.length * 0.6)}" fill="${p.t.panel}" stroke="${p.t.fg}"/>
<text x="${x + bw / 2}" y="${y + bh * 0.6}" text-anchor="middle" font-weight="bold" fill="${p.t.fg}">${esc(name)}</text>
${fields.map((f, j) => `<text x="${x + 10}" y="${y + bh * (1.4 + j * 0.6)}" fill="${p.t.fg}" font-size="0.9em">${esc(f)}: ${r.pick(['string', 'number', 'boolean', 'Date'])}</text>`).join('')}</g>`;
      if (i > 0) { edges.push([names[i - 1], name]); svg += arrow(p, x - 60, y + bh / 2, x - 4, y + bh / 2); }
    });
  }
  const body = `<svg xmlns="http://www.w3.org/2000/svg" width="100%" height="100%" style="font-family:'${p.font}';font-size:${p.size}px">
<defs><marker id="a" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="${p.t.muted}"/></marker></defs>${svg}</svg>`;
  const phrase = { flowchart: 'a flowchart', architecture: 'an architecture diagram', sequence: 'a sequence diagram', class: 'a class diagram' }[style];
  return { kind: `diagram`, phrase, p, html: html(p, body), edges };
}
