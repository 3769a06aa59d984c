// A tiny static server on 127.0.0.1 (random port) for the browser tests: fixed pages from
// memory, folders from disk. Every answer carries the cross-origin isolation headers
// (COOP/COEP), without which Chromium gives WASM no threads (no SharedArrayBuffer).
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { extname, isAbsolute, join, relative, resolve } from 'node:path';

export interface StaticServer {
  readonly origin: string;
  close(): Promise<void>;
}

export interface Routes {
  /** Exact URL paths answered from memory. */
  pages: Record<string, string | Uint8Array>;
  /** URL prefixes ('/ort/') mapped to folders on disk. */
  folders: Record<string, string>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm',
  '.json': 'application/json', '.png': 'image/png',
};

const ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

export async function serve(routes: Routes): Promise<StaticServer> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    find(routes, path).then((body) => {
      if (!body) {
        res.writeHead(404, ISOLATION).end(`not found: ${path}`);
        return;
      }
      res.writeHead(200, { ...ISOLATION, 'Content-Type': TYPES[extname(path)] ?? 'application/octet-stream', 'Content-Length': body.byteLength });
      res.end(body);
    }, (e: Error) => res.writeHead(500, ISOLATION).end(e.message));
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', ok);
  });
  const { port } = server.address() as { port: number };
  return { origin: `http://127.0.0.1:${port}`, close: () => stop(server) };
}

async function find(routes: Routes, path: string): Promise<Uint8Array | undefined> {
  const page = routes.pages[path];
  if (page !== undefined) return typeof page === 'string' ? new TextEncoder().encode(page) : page;
  for (const [prefix, folder] of Object.entries(routes.folders)) {
    if (!path.startsWith(prefix)) continue;
    const root = resolve(folder);
    const file = resolve(root, path.slice(prefix.length));
    const rel = relative(root, file);
    if (rel.startsWith('..') || isAbsolute(rel)) return undefined; // outside the folder
    return readFile(join(root, rel)).catch(() => undefined);
  }
  return undefined;
}

function stop(server: Server): Promise<void> {
  server.closeAllConnections(); // keep-alive sockets would hold close() open
  return new Promise((ok, fail) => server.close((e) => (e ? fail(e) : ok())));
}
