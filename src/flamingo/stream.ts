// Incremental detokenisation. Decoding token by token would cut characters that span several
// byte-fallback tokens (<0xE2><0x82><0xAC> = "€"), so each step decodes a short window twice,
// with and without the new tokens, and emits the difference only once it no longer ends in
// U+FFFD, the mark of an incomplete UTF-8 sequence (the method of HF text-generation-inference).
// Bytes that can never complete (a stray continuation byte) are let through as U+FFFD at once.

/** The byte a byte-fallback token stands for: "<0xE2>" -> 0xE2. */
export function byteFallbackValue(token: string | undefined): number | undefined {
  const m = token && /^<0x([0-9A-Fa-f]{2})>$/.exec(token);
  return m ? parseInt(m[1], 16) : undefined;
}

/** Whether the bytes end in the start of a valid UTF-8 sequence that is still missing bytes. */
export function endsIncompleteUtf8(bytes: readonly number[]): boolean {
  for (let k = 1; k <= Math.min(4, bytes.length); k++) {
    const b = bytes[bytes.length - k];
    if ((b & 0xc0) === 0x80) continue; // continuation byte: look further back for the lead
    const needed = b >= 0xf0 && b <= 0xf4 ? 4 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xc2 && b <= 0xdf ? 2 : 1;
    return needed > k;
  }
  return false;
}

/** Longest UTF-8 sequence: more pending tokens than this cannot all be one unfinished character. */
const MAX_UTF8_BYTES = 4;

export class TextStream {
  private readonly ids: number[] = [];
  private prefixOffset = 0; // start of the window decoded for context
  private readOffset = 0;   // end of the text already emitted

  /** `byteOf` maps a byte-fallback token id to its byte (undefined for other tokens). */
  constructor(
    private readonly decode: (ids: readonly number[]) => string,
    private readonly byteOf: (id: number) => number | undefined = () => undefined,
  ) {}

  /** Adds a token; returns the text it completes ('' while a character is still incomplete). */
  push(id: number): string {
    this.ids.push(id);
    const before = this.decode(this.ids.slice(this.prefixOffset, this.readOffset));
    const after = this.decode(this.ids.slice(this.prefixOffset));
    if (after.length <= before.length || (after.endsWith('\uFFFD') && this.mayComplete())) return '';
    this.prefixOffset = this.readOffset;
    this.readOffset = this.ids.length;
    return after.slice(before.length);
  }

  /** Whether the pending tokens end in a character that later tokens can still complete. */
  private mayComplete(): boolean {
    const pending = this.ids.slice(this.readOffset);
    const bytes: number[] = [];
    for (let i = pending.length - 1; i >= 0; i--) {
      const b = this.byteOf(pending[i]);
      if (b === undefined) break;
      bytes.unshift(b);
    }
    return bytes.length ? endsIncompleteUtf8(bytes) : pending.length < MAX_UTF8_BYTES;
  }

  /** Whatever is still held at the end (an incomplete character decodes as U+FFFD). */
  flush(): string {
    if (this.readOffset === this.ids.length) return '';
    const before = this.decode(this.ids.slice(this.prefixOffset, this.readOffset));
    const after = this.decode(this.ids.slice(this.prefixOffset));
    this.prefixOffset = this.readOffset = this.ids.length;
    return after.slice(before.length);
  }
}

/**
 * Cuts streamed text at the first stop string. Text that might be the start of a stop string
 * is held back until it is known not to be one.
 */
export class StopStrings {
  private held = '';
  private stopped = false;

  constructor(private readonly stops: readonly string[]) {
    if (stops.some((s) => s === '')) throw new Error('stop strings must not be empty');
  }

  get done(): boolean { return this.stopped; }

  /** Returns the text that is safe to emit now; after a stop string it returns '' and `done` is true. */
  push(delta: string): string {
    if (this.stopped) return '';
    this.held += delta;
    let cut = -1;
    for (const s of this.stops) {
      const at = this.held.indexOf(s);
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    if (cut >= 0) {
      this.stopped = true;
      const out = this.held.slice(0, cut);
      this.held = '';
      return out;
    }
    const keep = this.partialStopLength();
    const out = this.held.slice(0, this.held.length - keep);
    this.held = this.held.slice(this.held.length - keep);
    return out;
  }

  /** The held text at the end of generation (it never became a stop string). */
  flush(): string {
    const out = this.stopped ? '' : this.held;
    this.held = '';
    return out;
  }

  /** Length of the longest end of the held text that begins some stop string. */
  private partialStopLength(): number {
    let best = 0;
    for (const s of this.stops) {
      for (let n = Math.min(s.length - 1, this.held.length); n > best; n--) {
        if (this.held.endsWith(s.slice(0, n))) { best = n; break; }
      }
    }
    return best;
  }
}
