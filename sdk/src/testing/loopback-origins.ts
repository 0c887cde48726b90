// Checks the origins a test or `hiagent-plugin run` opens to a plugin. They exist to
// reach fake upstreams on this machine, so only loopback origins are accepted: a test
// that could widen fetch to any host would make it easy to ship a plugin whose tests
// pass only because they reach the real service.

const LOOPBACK_HOSTS = new Set(["localhost", "[::1]"]);

function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** Returns the origins normalised (`http://127.0.0.1:4010`); throws on anything else. */
export function checkLoopbackOrigins(origins: readonly string[]): string[] {
  return origins.map((origin) => {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new TypeError(`allowOrigins: ${JSON.stringify(origin)} is not a URL origin such as http://127.0.0.1:4010`);
    }
    if ((url.protocol !== "http:" && url.protocol !== "https:") || url.origin !== origin.replace(/\/$/, "")) {
      throw new TypeError(`allowOrigins: ${JSON.stringify(origin)} must be a bare http(s) origin such as http://127.0.0.1:4010`);
    }
    if (!isLoopbackHost(url.hostname)) {
      throw new TypeError(`allowOrigins: ${origin} is not a loopback origin; tests reach fake upstreams on 127.0.0.1 (other origins belong in sandbox.fetch)`);
    }
    return url.origin;
  });
}
