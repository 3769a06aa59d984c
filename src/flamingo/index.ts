// Public API of the environment-free Flamingo runtime (browser webview, Node CLI, tests).
export { loadBundle, sha256Hex, type Bundle, type FileSource, type LoadBundleOptions } from './bundle';
export { BundleError, type BundleErrorCode } from './errors';
export { parseManifest, BUNDLE_FORMAT, BUNDLE_VERSION, type Manifest, type PreprocessSpec, type GenerationDefaults, type SpecialTokens } from './manifest';
export {
  FlamingoModel, decoderPlacement, WARM_UP_ROUNDS, type Ort, type PromptSegment, type PreparedPrompt, type GenerateOptions, type CreateOptions, type Timings,
} from './engine';
export { MediaHandle } from './media';
export { applyTemplate, taskPrompt } from './prompt';
export { sampleVideoFrames, type RgbaImage } from './preprocess';
export { TextTokenizer } from './tokenizer';
export type { FlamingoConfig } from './config';
