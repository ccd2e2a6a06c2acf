// Port checks before anything starts: each fixed port the cluster will
// listen on is bound once on 127.0.0.1 and released, so a port already
// taken is reported by name before a single server runs. (A port taken in
// the moment between this check and the server's own bind is caught from
// the server's exit: see service-process.mjs.)

import { createServer } from 'node:net';
import { LaunchError } from './launch-error.mjs';

/** Resolves when 127.0.0.1:port can be bound; rejects with a LaunchError naming the port and its user. */
export function checkPortFree(port, what, flag) {
  return /** @type {Promise<void>} */ (
    new Promise((resolve, reject) => {
      const server = createServer();
      server.once('error', (e) => {
        const code = e && typeof e === 'object' && 'code' in e ? e.code : undefined;
        const why = code === 'EADDRINUSE' ? 'is already in use' : code === 'EACCES' ? 'may not be bound by this user' : `cannot be bound (${e.message})`;
        reject(
          new LaunchError(
            `port ${port} on 127.0.0.1 (${what}) ${why}: stop what holds it (e.g. another npm start; \`ss -ltnp | grep :${port}\` shows it) or pass ${flag} with another port`,
          ),
        );
      });
      server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve()));
    })
  );
}

/** Every fixed (non-zero) port of the plan, checked in order. */
export async function checkPorts(plan) {
  for (const p of plan) if (p.port !== 0) await checkPortFree(p.port, p.what, p.flag);
}
