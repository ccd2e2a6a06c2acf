// TEST SUPPORT (not exported): a real HTTP proxy on 127.0.0.1 that sits
// between a LockClient and a real lock server and can, per request path,
//  - hold the request (never forwarded until released): a stalled network;
//  - forward it but hold the answer (released later): a late answer, whose
//    effect on the server has already happened;
//  - reset the connection: a server that is down.
// Everything not matched by a rule is forwarded untouched.

import { createServer, request as httpRequest, Agent, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FaultAction = 'hold-request' | 'hold-response' | 'reset';

interface Rule {
  readonly match: (method: string, path: string) => boolean;
  readonly action: FaultAction;
  /** Requests this rule still applies to. */
  remaining: number;
}

interface Held {
  readonly kind: 'request' | 'response';
  readonly method: string;
  readonly path: string;
  readonly release: () => void;
}

export class FaultProxy {
  readonly url: string;
  readonly #server: Server;
  readonly #target: URL;
  readonly #agent = new Agent({ keepAlive: true });
  #rules: Rule[] = [];
  readonly #held: Held[] = [];
  /** Every request seen, as "METHOD /path". */
  readonly seen: string[] = [];

  static async start(target: string): Promise<FaultProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new FaultProxy(server, target);
  }

  private constructor(server: Server, target: string) {
    this.#server = server;
    this.#target = new URL(target);
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    server.on('request', (req, res) => this.#handle(req, res));
  }

  /**
   * Adds a rule for requests whose path (without query) passes `match`,
   * for the next `times` of them (default: all); the first matching rule wins.
   */
  on(match: RegExp | ((method: string, path: string) => boolean), action: FaultAction, times = Number.POSITIVE_INFINITY): this {
    const fn = match instanceof RegExp ? (_m: string, p: string) => match.test(p) : match;
    this.#rules.push({ match: fn, action, remaining: times });
    return this;
  }

  /** How many requests seen so far match `pattern` ("METHOD /path"). */
  count(pattern: RegExp): number {
    return this.seen.filter((s) => pattern.test(s)).length;
  }

  /** Removes every rule (held requests stay held until released). */
  clearRules(): void {
    this.#rules = [];
  }

  /** How many requests or responses are being held. */
  held(kind?: 'request' | 'response'): number {
    return this.#held.filter((h) => kind === undefined || h.kind === kind).length;
  }

  /** Forwards held requests and delivers held responses, oldest first. */
  releaseAll(): void {
    for (const h of this.#held.splice(0)) h.release();
  }

  async close(): Promise<void> {
    this.#held.splice(0);
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#agent.destroy();
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    this.seen.push(`${method} ${path}`);
    const rule = this.#rules.find((r) => r.remaining > 0 && r.match(method, path));
    if (rule) rule.remaining--;
    const action = rule?.action;
    if (action === 'reset') {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const forward = (): void => this.#forward(req, res, body, action === 'hold-response' ? { method, path } : undefined);
      if (action === 'hold-request') this.#held.push({ kind: 'request', method, path, release: forward });
      else forward();
    });
  }

  #forward(req: IncomingMessage, res: ServerResponse, body: Buffer, holdAnswer: { method: string; path: string } | undefined): void {
    if (res.destroyed) return;
    const headers = { ...req.headers, host: this.#target.host };
    const up = httpRequest({ agent: this.#agent, host: this.#target.hostname, port: this.#target.port, method: req.method, path: req.url, headers }, (upRes) => {
      const chunks: Buffer[] = [];
      upRes.on('data', (c: Buffer) => chunks.push(c));
      upRes.on('end', () => {
        const deliver = (): void => {
          if (res.destroyed) return;
          const { connection: _c, 'keep-alive': _k, 'transfer-encoding': _t, ...rest } = upRes.headers;
          res.writeHead(upRes.statusCode ?? 502, { ...rest, 'content-length': Buffer.concat(chunks).length });
          res.end(Buffer.concat(chunks));
        };
        if (holdAnswer) this.#held.push({ kind: 'response', ...holdAnswer, release: deliver });
        else deliver();
      });
    });
    up.on('error', () => res.destroy());
    up.end(body);
  }
}
