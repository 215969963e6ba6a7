import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { once } from 'node:events';

export interface Received {
  index: number;
  at: number;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: any;
}

/** What the receiver does with one request. */
export interface Behaviour {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
  delayMs?: number;
  /** Destroy the connection without answering. */
  reset?: boolean;
  /** Never answer (until the receiver closes). */
  hang?: boolean;
}

export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  /** Requests whose JSON body has this webhook-id / event. */
  byMessage(messageId: string): Received[];
  close(): Promise<void>;
}

/**
 * A real HTTP receiver on 127.0.0.1 (an ephemeral port) that records every request and answers
 * as `behave` says (200 "ok" by default).
 */
export async function startReceiver(
  behave: (request: Received) => Behaviour | Promise<Behaviour> = () => ({}),
): Promise<Receiver> {
  const received: Received[] = [];
  const hanging = new Set<ServerResponse>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const entry: Received = {
        index: received.length,
        at: Date.now(),
        path: request.url ?? '/',
        headers: request.headers,
        body,
        json,
      };
      received.push(entry);
      void Promise.resolve(behave(entry)).then(async (behaviour) => {
        if (behaviour.delayMs)
          await new Promise((resolve) => setTimeout(resolve, behaviour.delayMs));
        if (behaviour.hang) {
          hanging.add(response);
          return;
        }
        if (behaviour.reset) {
          request.socket.destroy();
          return;
        }
        response.writeHead(behaviour.status ?? 200, {
          'content-type': 'text/plain',
          ...behaviour.headers,
        });
        response.end(behaviour.body ?? 'ok');
      });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    received,
    byMessage: (messageId) => received.filter((entry) => entry.headers['webhook-id'] === messageId),
    close: async () => {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** Receivers a suite starts as it goes, closed together when it ends. */
export function receiverPool() {
  const started: Receiver[] = [];
  return {
    start: async (behave?: Parameters<typeof startReceiver>[0]): Promise<Receiver> => {
      const receiver = await startReceiver(behave);
      started.push(receiver);
      return receiver;
    },
    closeAll: async (): Promise<void> => {
      await Promise.all(started.map((receiver) => receiver.close()));
    },
  };
}
