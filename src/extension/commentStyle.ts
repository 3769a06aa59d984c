// How streamed text is laid out at a position in a document: as a comment block in code, as
// plain text in markdown and plain text files. Pure string logic, so it is easy to test.

interface CommentSyntax { line?: string; block?: [string, string] }

const SLASH = { line: '//', block: ['/*', '*/'] } as const satisfies CommentSyntax;
const HASH = { line: '#' } as const satisfies CommentSyntax;
const DASH = { line: '--' } as const satisfies CommentSyntax;

const SYNTAX: Record<string, CommentSyntax> = {
  typescript: SLASH, typescriptreact: SLASH, javascript: SLASH, javascriptreact: SLASH, c: SLASH, cpp: SLASH,
  csharp: SLASH, java: SLASH, go: SLASH, rust: SLASH, swift: SLASH, kotlin: SLASH, scala: SLASH, dart: SLASH,
  php: SLASH, jsonc: SLASH, 'objective-c': SLASH, groovy: SLASH, fsharp: SLASH, less: SLASH, scss: SLASH,
  python: HASH, shellscript: HASH, ruby: HASH, perl: HASH, r: HASH, yaml: HASH, toml: HASH, dockerfile: HASH,
  makefile: HASH, powershell: HASH, julia: HASH, elixir: HASH, coffeescript: HASH, properties: HASH,
  sql: DASH, lua: DASH, haskell: DASH,
  latex: { line: '%' }, tex: { line: '%' }, matlab: { line: '%' }, erlang: { line: '%' },
  clojure: { line: ';' }, lisp: { line: ';' }, ini: { line: ';' }, bat: { line: 'REM' }, vb: { line: "'" },
  css: { block: ['/*', '*/'] }, html: { block: ['<!--', '-->'] }, xml: { block: ['<!--', '-->'] },
  vue: { block: ['<!--', '-->'] }, svelte: { block: ['<!--', '-->'] },
};

/** The strings written around and inside the streamed text. */
export interface StreamLayout {
  /** Written before the first token. */
  open: string;
  /** Replaces every newline of the streamed text. */
  newline: string;
  /** Written when the stream ends. */
  close: string;
}

/**
 * @param languageId the document's language
 * @param linePrefix the text of the line before the insertion point
 * @param lineSuffix the text of the line after the insertion point
 */
export function layoutFor(languageId: string, linePrefix: string, lineSuffix: string): StreamLayout {
  const indent = /^\s*/.exec(linePrefix)![0];
  const startsLine = linePrefix.trim() === '';
  const endsLine = lineSuffix.trim() === '';
  const syntax = SYNTAX[languageId];
  if (!syntax) {
    // Markdown, plain text and anything we do not know: the text itself.
    return { open: startsLine ? '' : '\n' + indent, newline: '\n' + indent, close: endsLine ? '' : '\n' + indent };
  }
  const lead = startsLine ? '' : '\n' + indent;
  const tail = endsLine ? '' : '\n' + indent;
  if (syntax.line) {
    return { open: `${lead}${syntax.line} `, newline: `\n${indent}${syntax.line} `, close: tail };
  }
  const [start, end] = syntax.block!;
  return { open: `${lead}${start} `, newline: `\n${indent}   `, close: ` ${end}${tail}` };
}
