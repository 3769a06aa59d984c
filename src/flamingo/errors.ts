// Errors the runtime raises on purpose, each with a stable code that callers can branch on.

export type BundleErrorCode =
  | 'malformed-json'      // manifest.json is not JSON
  | 'unknown-format'      // "format" is not "flamingo-bundle"
  | 'unsupported-version' // "version" is not one this runtime reads
  | 'invalid-manifest'    // a field is missing or has the wrong type
  | 'unsafe-path'         // a path is absolute or leaves the bundle folder
  | 'unlisted-file'       // a graph or the tokenizer is not in "files"
  | 'missing-file'        // a listed file cannot be read
  | 'size-mismatch'       // a file's size differs from the manifest
  | 'sha256-mismatch'     // a file's sha256 differs from the manifest
  | 'graph-mismatch';     // a graph's inputs or outputs do not match the config

/** A model bundle that fails its checks; refused before anything runs. */
export class BundleError extends Error {
  override readonly name = 'BundleError';
  constructor(readonly code: BundleErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
