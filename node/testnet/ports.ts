/** Free TCP ports on a host, found by letting the kernel pick one. */
import { createServer } from 'node:net';
import { TestnetError } from './errors.js';

/** Resolves to a port that was free a moment ago (the kernel's choice for port 0). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', (err) =>
      reject(
        new TestnetError('NO_PORTS', `cannot open a TCP port on ${host}: ${err.message}`, {}, { cause: err }),
      ),
    );
    srv.listen({ host, port: 0, exclusive: true }, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** True when `port` can be bound on `host` right now. */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/**
 * `count` distinct free ports. All are held open together while they are
 * chosen, so that the kernel cannot hand out the same port twice.
 */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<import('node:net').Server>((resolve, reject) => {
          const srv = createServer();
          srv.on('error', (err) =>
            reject(
              new TestnetError(
                'NO_PORTS',
                `cannot open a TCP port on ${host}: ${err.message}`,
                {},
                { cause: err },
              ),
            ),
          );
          srv.listen({ host, port: 0, exclusive: true }, () => resolve(srv));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const a = s.address();
    return typeof a === 'object' && a !== null ? a.port : 0;
  });
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}
