// The URL record of the URL standard, its serialiser and its origin.

export interface UrlRecord {
  scheme: string;
  username: string;
  password: string;
  /** Serialised host: null for none, "" for the empty host. */
  host: string | null;
  port: number | null;
  /** A list of segments, or one string for an opaque path ("mailto:x", "data:..."). */
  path: string[] | string;
  query: string | null;
  fragment: string | null;
}

const DEFAULT_PORTS: Readonly<Record<string, number | null>> = {
  __proto__: null,
  ftp: 21,
  file: null,
  http: 80,
  https: 443,
  ws: 80,
  wss: 443,
} as Record<string, number | null>;

export function isSpecialScheme(scheme: string): boolean {
  return scheme in DEFAULT_PORTS;
}

export function defaultPort(scheme: string): number | null {
  return DEFAULT_PORTS[scheme] ?? null;
}

export function createUrlRecord(): UrlRecord {
  return { scheme: "", username: "", password: "", host: null, port: null, path: [], query: null, fragment: null };
}

export function includesCredentials(url: UrlRecord): boolean {
  return url.username !== "" || url.password !== "";
}

export function cannotHaveCredentialsOrPort(url: UrlRecord): boolean {
  return url.host === null || url.host === "" || url.scheme === "file";
}

export function serializePath(url: UrlRecord): string {
  if (typeof url.path === "string") return url.path;
  let output = "";
  for (const segment of url.path) output += "/" + segment;
  return output;
}

export function serializeUrl(url: UrlRecord, excludeFragment = false): string {
  let output = url.scheme + ":";
  if (url.host !== null) {
    output += "//";
    if (includesCredentials(url)) {
      output += url.username;
      if (url.password !== "") output += ":" + url.password;
      output += "@";
    }
    output += url.host;
    if (url.port !== null) output += ":" + url.port;
  } else if (typeof url.path !== "string" && url.path.length > 1 && url.path[0] === "") {
    // Without "/." the path "//x" would read back as a host.
    output += "/.";
  }
  output += serializePath(url);
  if (url.query !== null) output += "?" + url.query;
  if (!excludeFragment && url.fragment !== null) output += "#" + url.fragment;
  return output;
}

/** The serialised origin; `parse` resolves the inner URL of a blob: URL. */
export function serializeOrigin(url: UrlRecord, parse: (input: string) => UrlRecord | null): string {
  switch (url.scheme) {
    case "blob": {
      const inner = parse(serializePath(url));
      return inner !== null && (inner.scheme === "http" || inner.scheme === "https")
        ? serializeOrigin(inner, parse)
        : "null";
    }
    case "ftp":
    case "http":
    case "https":
    case "ws":
    case "wss":
      return url.scheme + "://" + url.host + (url.port === null ? "" : ":" + url.port);
    default:
      return "null";
  }
}
