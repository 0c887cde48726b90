// The secrets of one call and the placeholders that stand in for them. A placeholder is
// minted per secret field per call (a recognisable prefix and 192 random bits), the
// plugin sees only it, and the bridge puts the real value back only in a request it is
// about to send to one of the package's secret origins (headers, URL and body). What
// comes back from upstream (head, body, errors) is scrubbed the other way, so an
// upstream that echoes the request does not hand the real value to the plugin either.
import { randomBytes } from "node:crypto";
import { RuntimeError } from "../errors.ts";
import type { GuardedBody, GuardedResponse } from "./guarded-fetch.ts";
import { checkSecretValue, mapSecretValues, PLACEHOLDER_MIN_LENGTH } from "./secret-fields.ts";

export const PLACEHOLDER_PREFIX = "hsp_";
/** Shorter real values are not scrubbed from responses: they would match ordinary text. */
const MIN_SCRUB_LENGTH = 8;

/** [placeholder, real value]. */
export type SecretPair = [string, string];

/** A request as the bridge finalises it: URL and header values as text, the body as latin1 text of its bytes. */
export interface OutgoingRequest {
  url: string;
  headers: [string, string][];
  body: string | null;
}

function mintPlaceholder(length: number): string {
  const random = randomBytes(Math.ceil(((length - PLACEHOLDER_PREFIX.length) * 3) / 4) + 3).toString("base64url");
  return (PLACEHOLDER_PREFIX + random).slice(0, length);
}

const utf8AsLatin1 = (text: string): string => Buffer.from(text, "utf8").toString("latin1");

interface ScrubForm {
  value: Buffer;
  text: string;
  placeholder: string;
}

export class CallSecrets {
  private readonly scrubbed: ScrubForm[];
  private readonly longest: number;

  constructor(readonly pairs: readonly SecretPair[]) {
    const forms: ScrubForm[] = [];
    for (const [placeholder, value] of pairs) {
      if (value.length < MIN_SCRUB_LENGTH) continue;
      // As is, percent-encoded, and JSON-escaped: the forms the bridge writes it in.
      for (const text of new Set([value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)])) forms.push({ value: Buffer.from(text, "utf8"), text, placeholder });
    }
    // Longest first, so a secret that contains another is replaced whole.
    this.scrubbed = forms.sort((a, b) => b.value.length - a.value.length);
    this.longest = forms.reduce((n, f) => Math.max(n, f.value.length), 0);
  }

  get size(): number {
    return this.pairs.length;
  }

  /**
   * Replaces each secret field's string value in `cfgJson` (found by the plugin's
   * config schema) by a fresh placeholder. A value outside the field's length limits
   * is refused with `code`, naming the field and never the value. Exposed fields and
   * values that are not strings are left as they are (the plugin's schema refuses the latter).
   */
  static mint(cfgJson: string, configSchema: unknown, code: "InvalidConfig" | "PluginInvalidConfig"): { cfgJson: string; secrets: CallSecrets } {
    let cfg: unknown;
    try {
      cfg = JSON.parse(cfgJson);
    } catch {
      return { cfgJson, secrets: new CallSecrets([]) };
    }
    const pairs: SecretPair[] = [];
    const hidden = mapSecretValues(cfg, configSchema, (value, field) => {
      if (field.exposed || typeof value !== "string") return value;
      const problem = checkSecretValue(field, value);
      // `stage: "schema"` as the isolate marks a validate refused by the config schema.
      if (problem !== null) throw new RuntimeError(code, problem, { data: { issues: [{ path: field.path, message: problem }], ...(code === "PluginInvalidConfig" ? { stage: "schema" } : {}) } });
      const placeholder = mintPlaceholder(Math.max(PLACEHOLDER_MIN_LENGTH, field.minLength));
      pairs.push([placeholder, value]);
      return placeholder;
    });
    return pairs.length === 0 ? { cfgJson, secrets: new CallSecrets([]) } : { cfgJson: JSON.stringify(hidden), secrets: new CallSecrets(pairs) };
  }

  /** Whether any placeholder of the call appears in the request. */
  appearsIn(req: OutgoingRequest): boolean {
    return this.pairs.some(([p]) => req.url.includes(p) || (req.body !== null && req.body.includes(p)) || req.headers.some(([k, v]) => k.includes(p) || v.includes(p)));
  }

  /**
   * The request with the real values in place of the placeholders: raw in header
   * values, percent-encoded in the URL, and in the body in the form its content type
   * reads (JSON string escapes, form encoding, or the raw UTF-8 bytes).
   */
  substitute(req: OutgoingRequest): OutgoingRequest {
    const type = req.headers.find(([k]) => k.toLowerCase() === "content-type")?.[1].toLowerCase() ?? "";
    const inBody = type.includes("json")
      ? (v: string) => utf8AsLatin1(JSON.stringify(v).slice(1, -1))
      : type.includes("x-www-form-urlencoded")
        ? encodeURIComponent
        : utf8AsLatin1;
    const put = (text: string, form: (v: string) => string): string => {
      let out = text;
      for (const [p, v] of this.pairs) if (out.includes(p)) out = out.replaceAll(p, form(v));
      return out;
    };
    return {
      url: put(req.url, encodeURIComponent),
      headers: req.headers.map(([k, v]) => [k, put(v, (x) => x)]),
      body: req.body === null ? null : put(req.body, inBody),
    };
  }

  /** `text` with every real value (as is, percent-encoded or JSON-escaped) turned back into its placeholder. */
  scrub(text: string): string {
    let out = text;
    for (const f of this.scrubbed) if (out.includes(f.text)) out = out.replaceAll(f.text, f.placeholder);
    return out;
  }

  /** A bridge failure with the real values taken out of its message and data. */
  scrubError(err: unknown): RuntimeError {
    const e = RuntimeError.from(err);
    if (this.scrubbed.length === 0) return e;
    let data = e.data;
    if (data !== undefined) {
      try {
        data = JSON.parse(this.scrub(JSON.stringify(data))) as unknown;
      } catch {
        data = undefined;
      }
    }
    return new RuntimeError(e.code, this.scrub(e.message), { data });
  }

  /** The response with the real values taken out of its URL, headers and body. */
  scrubResponse(res: GuardedResponse): GuardedResponse {
    if (this.scrubbed.length === 0) return res;
    return {
      ...res,
      url: this.scrub(res.url),
      headers: res.headers.map(([k, v]) => [k, this.scrub(v)]),
      body: new ScrubbedBody(res.body, this),
    };
  }

  /**
   * Scrubs a stretch of bytes. Unless `final`, the last bytes that could start a
   * secret are kept back (`rest`) to be scanned with the next chunk.
   */
  scrubBytes(buf: Buffer, final: boolean): { out: Buffer; rest: Buffer } {
    if (this.scrubbed.length === 0) return { out: buf, rest: Buffer.alloc(0) };
    const limit = final ? buf.length : Math.max(0, buf.length - (this.longest - 1));
    const parts: Buffer[] = [];
    let at = 0;
    while (at < limit) {
      let best: { index: number; form: ScrubForm } | null = null;
      for (const form of this.scrubbed) {
        const index = buf.indexOf(form.value, at);
        if (index >= 0 && index < limit && (best === null || index < best.index)) best = { index, form };
      }
      if (best === null) {
        parts.push(buf.subarray(at, limit));
        at = limit;
        break;
      }
      parts.push(buf.subarray(at, best.index), Buffer.from(best.form.placeholder, "latin1"));
      at = best.index + best.form.value.length;
    }
    return { out: Buffer.concat(parts), rest: buf.subarray(at) };
  }

  /** HMAC key bytes with the call's placeholders in them (as UTF-8) replaced by the real values. */
  keyBytes(key: Buffer): Buffer {
    if (this.pairs.length === 0) return key;
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(key);
    } catch {
      return key;
    }
    let changed = false;
    for (const [p, v] of this.pairs) {
      if (!text.includes(p)) continue;
      text = text.replaceAll(p, v);
      changed = true;
    }
    return changed ? Buffer.from(text, "utf8") : key;
  }
}

/** A response body read through the scrubber; chunk sizes change a little where a secret is replaced. */
class ScrubbedBody implements GuardedBody {
  constructor(
    private readonly inner: GuardedBody,
    private readonly secrets: CallSecrets,
  ) {}

  get bytesRead(): number {
    return this.inner.bytesRead;
  }

  cancel(): Promise<void> {
    return this.inner.cancel();
  }

  async readAll(): Promise<Uint8Array> {
    return this.secrets.scrubBytes(Buffer.from(await this.inner.readAll()), true).out;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    let rest = Buffer.alloc(0);
    for await (const chunk of this.inner) {
      const scanned = this.secrets.scrubBytes(Buffer.concat([rest, chunk]), false);
      rest = Buffer.from(scanned.rest);
      if (scanned.out.length > 0) yield scanned.out;
    }
    const last = this.secrets.scrubBytes(rest, true).out;
    if (last.length > 0) yield last;
  }
}
