// The little of npm `webgpu` (Dawn for Node, installed only where the Dawn runner is used) that bench/src/dawn.ts calls.
declare module 'webgpu' {
  export function create(flags: string[]): { requestAdapter(): Promise<{ info: object } | null> };
  export const globals: Record<string, unknown>;
}
