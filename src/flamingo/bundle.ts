// Loads a model bundle through a FileSource and checks every listed file (size, sha256)
// before anything runs. Environment-free: sha256 comes from WebCrypto (browser and Node).
import { BundleError } from './errors';
import { parseManifest, type Manifest } from './manifest';

/** Reads bundle files by their path relative to the bundle folder. */
export interface FileSource {
  read(relPath: string): Promise<Uint8Array>;
}

export interface Bundle {
  readonly manifest: Manifest;
  /** Every file listed in the manifest, by its relative path. */
  readonly files: ReadonlyMap<string, Uint8Array>;
}

export interface LoadBundleOptions {
  /** Check sha256 of every file (default true); sizes are always checked. */
  verify?: boolean;
}

export async function loadBundle(source: FileSource, opts: LoadBundleOptions = {}): Promise<Bundle> {
  const manifest = parseManifest(new TextDecoder().decode(await readFile(source, 'manifest.json')));
  const files = new Map<string, Uint8Array>();
  for (const [path, entry] of Object.entries(manifest.files)) {
    const bytes = await readFile(source, path);
    if (bytes.byteLength !== entry.size) {
      throw new BundleError('size-mismatch', `bundle: "${path}" has ${bytes.byteLength} bytes, the manifest says ${entry.size}`);
    }
    if (opts.verify !== false) {
      const actual = await sha256Hex(bytes);
      if (actual !== entry.sha256) {
        throw new BundleError('sha256-mismatch', `bundle: "${path}" has sha256 ${actual}, the manifest says ${entry.sha256}`);
      }
    }
    files.set(path, bytes);
  }
  return { manifest, files };
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function readFile(source: FileSource, path: string): Promise<Uint8Array> {
  try {
    return await source.read(path);
  } catch (e) {
    throw new BundleError('missing-file', `bundle: cannot read "${path}": ${(e as Error).message}`, { cause: e });
  }
}
