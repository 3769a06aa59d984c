// The extension end to end in code-server, with the engine on WebGPU (Chromium's SwiftShader
// adapter, --enable-unsafe-webgpu): the same tests, and the same greedy text as the command line on WASM.
import { extensionSuite } from './suite';

extensionSuite('webgpu');
