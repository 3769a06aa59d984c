// The bundle's Hugging Face tokenizer.json, through @huggingface/tokenizers (pure JS, no I/O).
import { Tokenizer } from '@huggingface/tokenizers';

export class TextTokenizer {
  private readonly tokenizer: Tokenizer;

  constructor(tokenizerJson: object) {
    this.tokenizer = new Tokenizer(tokenizerJson, {});
  }

  static fromBytes(bytes: Uint8Array): TextTokenizer {
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(bytes));
    } catch (e) {
      throw new Error(`tokenizer.json is not valid JSON: ${(e as Error).message}`, { cause: e });
    }
    if (typeof json !== 'object' || json === null) throw new Error('tokenizer.json must hold an object');
    return new TextTokenizer(json);
  }

  /** Token ids of plain text, without BOS/EOS (the prompt builder places those). */
  encode(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  /** Text of token ids; byte-fallback tokens of an incomplete character decode to U+FFFD. */
  decode(ids: readonly number[]): string {
    if (ids.length === 0) return ''; // the library refuses an empty list
    return this.tokenizer.decode(ids as number[], { skip_special_tokens: true });
  }

  tokenOf(id: number): string | undefined {
    return this.tokenizer.id_to_token(id);
  }
}
