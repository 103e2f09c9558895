// The local dev key hand-off: the notebook's server reads the key the start
// script wrote and gives it only to a same-origin page on a loopback host, so a
// fresh browser opens pre-configured while nothing off this machine (nor
// another site in the same browser) can obtain it.
const loopbackHosts = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

function hostname(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon < 0 ? host : host.slice(0, colon);
}

/** Why the request may not have the dev key, or undefined when it may. */
export function devConfigRefusal(headers: Headers): string | undefined {
  const host = headers.get('host');
  // A Host other than loopback means DNS rebinding or a proxy: refuse.
  if (!host || !loopbackHosts.has(hostname(host).toLowerCase())) return 'the dev key is only served to a loopback host';
  const site = headers.get('sec-fetch-site');
  if (site !== null && site !== 'same-origin' && site !== 'none') return 'the dev key is only served to the notebook itself';
  const origin = headers.get('origin');
  if (origin !== null && origin !== 'null') {
    try {
      if (new URL(origin).host !== host) return 'the dev key is only served to the notebook itself';
    } catch {
      return 'the dev key is only served to the notebook itself';
    }
  }
  return undefined;
}

export interface DevConfig {
  apiKey?: string;
  edgeUrl: string;
}
