import type { LookupAddress } from 'node:dns';
import { isIP, type Socket } from 'node:net';
import { Agent, buildConnector, type Dispatcher, Pool, ProxyAgent } from 'undici';

/** The SSRF guard's judgement of a host name: its checked addresses, or why it is refused. */
export type CheckedLookup = (hostname: string) => Promise<LookupAddress>;

export interface DeliveryDispatcher {
  dispatcher: Dispatcher;
  destroy(): Promise<void>;
}

/**
 * Callbacks through an HTTP proxy (DELIVERY_PROXY), so that receivers see one address. An http
 * callback is sent to the proxy in absolute form (the proxy connects; the sender has had the
 * guard judge the host's addresses first: see `checkedBeforeProxy`). An https callback goes
 * through a CONNECT tunnel to the very address the guard checked (TLS inside it, with the host
 * name for SNI and the certificate), so a name that resolves elsewhere by the time the proxy
 * would have looked it up cannot take the callback there. The proxy itself is exempt from the
 * guard: it is the operator's.
 */
export function proxiedDispatcher(
  proxy: URL,
  options: Omit<Agent.Options, 'connect' | 'factory'>,
  checked: CheckedLookup,
): DeliveryDispatcher {
  const credentials =
    proxy.username !== ''
      ? {
          'proxy-authorization': `Basic ${Buffer.from(
            `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`,
          ).toString('base64')}`,
        }
      : {};
  const tunnels = new Pool(proxy.origin, { keepAliveTimeout: options.keepAliveTimeout });
  const tls = buildConnector({});
  const tunnel: buildConnector.connector = (opts, callback) => {
    const hostname = opts.hostname.replace(/^\[|\]$/g, '');
    const port = opts.port || (opts.protocol === 'https:' ? '443' : '80');
    const address =
      isIP(hostname) !== 0
        ? Promise.resolve({ address: hostname, family: isIP(hostname) })
        : checked(hostname);
    address
      .then(({ address: ip, family }) => {
        const target = `${family === 6 ? `[${ip}]` : ip}:${port}`;
        return tunnels.connect({ path: target, headers: { ...credentials, host: target } });
      })
      .then(({ socket: duplex, statusCode }) => {
        // a net.Socket: undici answers a CONNECT with the connection itself
        const socket = duplex as Socket;
        if (statusCode !== 200) {
          socket.destroy();
          throw Object.assign(new Error(`the proxy answered ${statusCode} to CONNECT`), {
            code: 'ERR_PROXY_REFUSED',
          });
        }
        if (opts.protocol !== 'https:') return callback(null, socket);
        const servername = opts.servername || (isIP(hostname) === 0 ? hostname : undefined);
        tls({ ...opts, servername, httpSocket: socket }, callback);
      })
      .catch((error: Error) => callback(error, null));
  };
  const dispatcher = new ProxyAgent({
    ...options,
    uri: proxy.href,
    // http callbacks in absolute form to the proxy; https ones through `tunnel`
    proxyTunnel: false,
    factory: (origin: string | URL, factoryOptions: object) =>
      new Pool(
        origin,
        new URL(origin).origin === proxy.origin
          ? factoryOptions
          : { ...factoryOptions, connect: tunnel },
      ),
  });
  return {
    dispatcher,
    destroy: async () => {
      await Promise.all([dispatcher.destroy(), tunnels.destroy()]);
    },
  };
}

/** Without a proxy: an Agent whose connections resolve through the guard (`lookup`). */
export function directDispatcher(options: Agent.Options): DeliveryDispatcher {
  const dispatcher = new Agent(options);
  return { dispatcher, destroy: () => dispatcher.destroy() };
}
