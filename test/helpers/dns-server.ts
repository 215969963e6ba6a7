import { createSocket } from 'node:dgram';
import { once } from 'node:events';

const TYPE_A = 1;
const TYPE_AAAA = 28;
const NXDOMAIN = 3;

export interface DnsServer {
  /** `127.0.0.1:<port>`, as DNS_SERVERS takes it. */
  address: string;
  /** Every query received: the name asked (lower-case) and its type (1 A, 28 AAAA). */
  queries: { name: string; type: number }[];
  close(): Promise<void>;
}

/**
 * A DNS server on loopback (UDP) that answers the names of `records` with their IPv4 address
 * (A, TTL 60 s; an AAAA query gets an empty answer), never answers the names in `silent`, and
 * answers NXDOMAIN for anything else.
 */
export async function startDnsServer(
  records: Record<string, string>,
  silent: string[],
): Promise<DnsServer> {
  const queries: DnsServer['queries'] = [];
  const socket = createSocket('udp4');
  socket.on('message', (message, from) => {
    // the question: labels from byte 12, then its type and class
    const labels: string[] = [];
    let offset = 12;
    while (message[offset] !== 0) {
      const length = message[offset];
      labels.push(message.subarray(offset + 1, offset + 1 + length).toString('latin1'));
      offset += 1 + length;
    }
    const questionEnd = offset + 5;
    const name = labels.join('.').toLowerCase();
    const type = message.readUInt16BE(offset + 1);
    queries.push({ name, type });
    if (silent.includes(name)) return;
    const address = records[name];
    const answers: Buffer[] = [];
    if (address !== undefined && type === TYPE_A) {
      const answer = Buffer.alloc(16);
      answer.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
      answer.writeUInt16BE(TYPE_A, 2);
      answer.writeUInt16BE(1, 4); // IN
      answer.writeUInt32BE(60, 6); // TTL
      answer.writeUInt16BE(4, 10);
      Buffer.from(address.split('.').map(Number)).copy(answer, 12);
      answers.push(answer);
    }
    const header = Buffer.alloc(12);
    message.copy(header, 0, 0, 2); // the query's id
    const recursionDesired = message[2] & 0x01;
    header[2] = 0x84 | recursionDesired; // an answer, authoritative
    header[3] = 0x80 | (address === undefined ? NXDOMAIN : 0); // recursion available; rcode
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    socket.send(
      Buffer.concat([header, message.subarray(12, questionEnd), ...answers]),
      from.port,
      from.address,
    );
  });
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return {
    address: `127.0.0.1:${socket.address().port}`,
    queries,
    close: async () => {
      socket.close();
      await once(socket, 'close');
    },
  };
}

export { TYPE_A, TYPE_AAAA };
