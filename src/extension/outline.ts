// Lays the model's one-line screen descriptions out as markdown while they stream:
// `A sign-in form, light theme. Components: heading "Sign in"; button "Go". Edges: "A" -> "B".`
// becomes the summary line, then one bullet per component and per edge. The model writes
// that format (docs/model-spec.md section 9, tools/datagen); other text passes unchanged.

const RULES: ReadonlyArray<readonly [string, string]> = [
  [' Components: ', '\n\n- '],
  [' Edges: ', '\n\nEdges:\n\n- '],
  ['; ', '\n- '],
];

/**
 * A streaming text transform: feed deltas in order, then `end()` for what is held back.
 * Separators inside quoted labels are left alone.
 */
export class MarkdownOutline {
  private pending = '';
  private inQuotes = false;

  /** Returns the text that can be written now; holds back a tail that may start a separator. */
  push(delta: string): string {
    const text = this.pending + delta;
    let out = '';
    let i = 0;
    while (i < text.length) {
      if (!this.inQuotes) {
        const rest = text.slice(i);
        const rule = RULES.find(([from]) => rest.startsWith(from));
        if (rule) { out += rule[1]; i += rule[0].length; continue; }
        if (RULES.some(([from]) => from.length > rest.length && from.startsWith(rest))) break;
      }
      if (text[i] === '"') this.inQuotes = !this.inQuotes;
      out += text[i++];
    }
    this.pending = text.slice(i);
    return out;
  }

  end(): string {
    const rest = this.pending;
    this.pending = '';
    this.inQuotes = false;
    return rest;
  }
}

/** The whole text at once (what the streamed deltas add up to). */
export function outline(text: string): string {
  const o = new MarkdownOutline();
  return o.push(text) + o.end();
}
