// A FileSource over a bundle folder on disk.
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { FileSource } from '../flamingo';

export function folderSource(folder: string): FileSource {
  const root = resolve(folder);
  return {
    async read(relPath: string): Promise<Uint8Array> {
      const path = resolve(root, relPath);
      const rel = relative(root, path);
      if (isAbsolute(relPath) || rel.startsWith('..') || isAbsolute(rel)) throw new Error(`"${relPath}" is outside ${root}`);
      const bytes = await readFile(join(root, rel));
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
  };
}
