/** A real local HTTP server that webhook tests POST to: each request's body read in full, then handled. */
import http from 'node:http';
import { type AddressInfo, type ListenOptions } from 'node:net';

export interface Receiver {
  port: number;
  close(): Promise<void>;
}

export async function startReceiver(
  handle: (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void,
  listen: ListenOptions = { port: 0, host: '127.0.0.1' },
): Promise<Receiver> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, Buffer.concat(chunks).toString('utf8'), res));
  });
  await new Promise<void>((resolve) => server.listen(listen, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
