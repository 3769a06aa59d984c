// The plain-TypeScript reference forward pass of docs/model-spec.md: the oracle that the ONNX
// graphs and the runtime are compared against. Float64 activations, float32 outputs.
export { visionForward } from './vision';
export { resamplerForward, mediaKeysValues, type MediaKeyValue } from './resampler';
export { decoderForward, greedyGenerate, type GenerateMedia } from './decoder';
