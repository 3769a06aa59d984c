// The exported tokenizer.json, read by @huggingface/tokenizers (what the runtime uses), must give
// the same ids as the trainer's Python BPE on held-out strings the trainer wrote down.
import { readFileSync } from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';

export function tokenizerMismatches(tokenizerJson: string, checkJson: string): { total: number; mismatches: string[] } {
  const tok = new Tokenizer(JSON.parse(readFileSync(tokenizerJson, 'utf8')), {});
  const check = JSON.parse(readFileSync(checkJson, 'utf8')) as { strings: string[]; ids: number[][] };
  const mismatches = check.strings.filter((s, i) => tok.encode(s, { add_special_tokens: false }).ids.join() !== check.ids[i].join());
  return { total: check.strings.length, mismatches };
}
