import { Agent, request } from 'node:http';

export interface Answer {
  status: number;
  body: string;
  /** From the request sent to the whole answer read. */
  ms: number;
}

/** Keep-alive HTTP/1.1 to one port on 127.0.0.1, at most `connections` at once. */
export class HttpClient {
  private readonly agent: Agent;

  constructor(
    readonly port: number,
    connections: number,
    private readonly headers: Record<string, string> = { authorization: 'Bearer bench' },
  ) {
    this.agent = new Agent({
      keepAlive: true,
      maxSockets: connections,
      maxFreeSockets: connections,
    });
  }

  request(method: string, path: string, body?: string | object): Promise<Answer> {
    const payload = body === undefined || typeof body === 'string' ? body : JSON.stringify(body);
    const started = performance.now();
    return new Promise<Answer>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: this.port,
          path,
          method,
          agent: this.agent,
          headers: {
            ...this.headers,
            ...(payload === undefined
              ? {}
              : {
                  'content-type': 'application/json',
                  'content-length': Buffer.byteLength(payload),
                }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
              ms: performance.now() - started,
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** A JSON answer with the expected status, or an error naming the call and what came back. */
  async json<T = Record<string, any>>(
    method: string,
    path: string,
    body?: object,
    expected = method === 'POST' ? 201 : 200,
  ): Promise<T> {
    const answer = await this.request(method, path, body);
    if (answer.status !== expected) {
      throw new Error(
        `${method} ${path.replace(/token=[^&]*/, 'token=…')}: ${answer.status} ${answer.body.slice(0, 300)}`,
      );
    }
    return JSON.parse(answer.body) as T;
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Runs `task` over `items` with `concurrency` of them in flight; answers their results in order. */
export async function pool<T, R>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  perSecond: number;
  latencies: number[];
  /** Answers that were not the expected status, by status. */
  unexpected: Record<string, number>;
}

/** A closed loop: `connections` workers each send the next request as soon as one is answered. */
export async function closedLoop(
  client: HttpClient,
  connections: number,
  next: (index: number) => { method: string; path: string; body?: string | object },
  until: { durationMs?: number; total?: number },
  expectedStatus = 200,
): Promise<LoadResult> {
  const latencies: number[] = [];
  const unexpected: Record<string, number> = {};
  let issued = 0;
  const started = performance.now();
  const deadline = until.durationMs === undefined ? Infinity : started + until.durationMs;
  const total = until.total ?? Infinity;
  const worker = async () => {
    while (issued < total && performance.now() < deadline) {
      const call = next(issued++);
      const answer = await client.request(call.method, call.path, call.body);
      latencies.push(answer.ms);
      if (answer.status !== expectedStatus)
        unexpected[answer.status] = (unexpected[answer.status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  const seconds = (performance.now() - started) / 1000;
  return {
    requests: latencies.length,
    seconds,
    perSecond: latencies.length / seconds,
    latencies,
    unexpected,
  };
}
