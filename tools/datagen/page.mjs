// The page shell every screen is drawn in: theme, font and size, plus a component recorder
// that tags each element with data-c (type) and data-l (label) so the renderer can measure
// its box, and remembers the components in reading order for the description.

export const THEMES = {
  light: { bg: '#ffffff', fg: '#1f2328', muted: '#656d76', panel: '#f6f8fa', border: '#d0d7de', accent: '#0969da', danger: '#cf222e', ok: '#1a7f37' },
  dark: { bg: '#0d1117', fg: '#e6edf3', muted: '#8d96a0', panel: '#161b22', border: '#30363d', accent: '#2f81f7', danger: '#f85149', ok: '#3fb950' },
  sepia: { bg: '#fbf1e3', fg: '#3b2f24', muted: '#7a6a58', panel: '#f1e4cf', border: '#d9c6a8', accent: '#a0522d', danger: '#b22222', ok: '#4f7a28' },
  blue: { bg: '#1e2a3a', fg: '#f0f4f8', muted: '#a3b3c4', panel: '#27364a', border: '#3d5370', accent: '#5fb3f9', danger: '#ff7b72', ok: '#7ee787' },
};
export const THEME_WORD = { light: 'light', dark: 'dark', sepia: 'light', blue: 'dark' };
const SANS = ['DejaVu Sans', 'Liberation Sans', 'Noto Sans', 'Liberation Serif', 'DejaVu Serif'];
const MONO = ['DejaVu Sans Mono', 'Liberation Mono', 'Noto Mono'];

export const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function newPage(r) {
  const themeName = r.pick(Object.keys(THEMES));
  const t = THEMES[themeName];
  const comps = [];
  const page = {
    theme: themeName,
    t,
    font: r.pick(SANS),
    mono: r.pick(MONO),
    size: r.int(13, 18),
    radius: r.pick([0, 3, 6, 10]),
    comps,
    /** An element recorded as a component: `c('button', 'Save', 'span', 'class="btn"')`; inner defaults to the label. */
    c(type, label, tag, attrs, inner) {
      comps.push({ type, label });
      return `<${tag} data-c="${esc(type)}" data-l="${esc(label)}" ${attrs}>${inner ?? esc(label)}</${tag}>`;
    },
  };
  return page;
}

export function html(page, body, extraCss = '') {
  const { t } = page;
  return `<!doctype html><html><head><meta charset="utf-8"><style>
*{box-sizing:border-box} html,body{margin:0;height:100%}
body{background:${t.bg};color:${t.fg};font-family:'${page.font}';font-size:${page.size}px;line-height:1.4}
.btn{display:inline-block;padding:.45em 1em;border-radius:${page.radius}px;border:1px solid ${t.border};background:${t.panel};color:${t.fg};margin:.2em .4em .2em 0}
.btn.primary{background:${t.accent};border-color:${t.accent};color:#fff}
.btn.danger{background:${t.danger};border-color:${t.danger};color:#fff}
.field{display:block;width:100%;padding:.45em .6em;border:1px solid ${t.border};border-radius:${page.radius}px;background:${t.bg};color:${t.fg};margin:.2em 0 .7em}
.muted{color:${t.muted}} a,.link{color:${t.accent};text-decoration:underline}
.panel{background:${t.panel};border:1px solid ${t.border};border-radius:${page.radius}px}
.mono{font-family:'${page.mono}'}
${extraCss}
</style></head><body>${body}</body></html>`;
}
