/**
 * The REST API's HTTP edge: node:http on 127.0.0.1:8006 by default, passing the socket's peer
 * address to the handler, bounding request bodies.
 * @module
 */
import { createServer, type Server } from 'node:http';
import { handleGuestApi, type GuestApiBackend } from './routes.js';

const MAX_BODY = 64 * 1024;

/** Start the API; resolves once listening. */
export async function listenGuestApi(backend: GuestApiBackend, host = '127.0.0.1', port = 8006): Promise<{ server: Server; url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        res.writeHead(413, { 'content-type': 'text/plain' }).end('Payload Too Large');
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      void handleGuestApi({ method: req.method ?? 'GET', url: req.url ?? '/', remoteAddress: req.socket.remoteAddress, body: new Uint8Array(Buffer.concat(chunks)) }, backend).then((r) => {
        res.writeHead(r.status, { 'content-type': r.contentType, 'content-length': r.body.length });
        res.end(r.body);
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as { port: number };
  return {
    server,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}`,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
