// The web globals of the sandbox (sandbox/runtime/globals), bundled as the prelude
// bundles them and evaluated in a real isolated-vm isolate; every assertion runs
// inside the isolate and comes back as JSON.
import { fileURLToPath } from "node:url";
import esbuild from "esbuild";
import ivm from "isolated-vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ENTRY = fileURLToPath(new URL("./fixtures/globals-entry.ts", import.meta.url));
const GLOBALS_INDEX = fileURLToPath(new URL("../../sandbox/runtime/globals/index.ts", import.meta.url));

let isolate: ivm.Isolate;
let context: ivm.Context;

async function bundle(options: Pick<esbuild.BuildOptions, "entryPoints" | "stdin">): Promise<string> {
  const result = await esbuild.build({
    ...options,
    bundle: true,
    write: false,
    format: "iife",
    platform: "neutral",
    target: "es2022",
    minify: true,
  });
  return result.outputFiles[0]!.text;
}

beforeAll(async () => {
  const code = await bundle({ entryPoints: [ENTRY] });
  isolate = new ivm.Isolate({ memoryLimit: 64 });
  context = await isolate.createContext();
  await context.eval(code, { filename: "globals.js" });
  // Listener errors are reported to the realm's console; keep them to assert on.
  await context.eval(`globalThis.console = { error: (e) => reported.push(String(e)) }; globalThis.reported = [];`);
});

afterAll(() => isolate?.dispose());

/** Runs statements (ending in `return`) inside the isolate and returns the JSON result. */
async function run<T = unknown>(body: string): Promise<T> {
  const json = (await context.eval(`JSON.stringify((() => { ${body} })())`, { copy: true })) as string | undefined;
  return (json === undefined ? undefined : JSON.parse(json)) as T;
}

/** The value of an expression evaluated inside the isolate. */
function value<T = unknown>(expression: string): Promise<T> {
  return run<T>(`return (${expression});`);
}

interface Thrown {
  type: string;
  name: string;
  message: string;
  code?: number;
}

/** What the statements throw inside the isolate, or null when they do not throw. */
function thrown(body: string): Promise<Thrown | null> {
  return run<Thrown | null>(`
    try { ${body}; return null; }
    catch (e) { return { type: e.constructor.name, name: e.name, message: e.message, code: e.code }; }
  `);
}

describe("the globals themselves", () => {
  const names = [
    "URL",
    "URLSearchParams",
    "TextEncoder",
    "TextDecoder",
    "atob",
    "btoa",
    "structuredClone",
    "AbortController",
    "AbortSignal",
    "EventTarget",
    "Event",
    "DOMException",
    "Headers",
  ];

  it.each(names)("%s is a non-enumerable, writable, configurable function with its own name", async (name) => {
    expect(
      await run(`
        const d = Object.getOwnPropertyDescriptor(globalThis, ${JSON.stringify(name)});
        return { type: typeof d.value, name: d.value.name, enumerable: d.enumerable, writable: d.writable, configurable: d.configurable };
      `),
    ).toEqual({ type: "function", name, enumerable: false, writable: true, configurable: true });
  });

  it("adds nothing enumerable to the global object", async () => {
    expect(await value(`Object.keys(globalThis).filter((k) => k !== "reported")`)).toEqual([]);
  });

  it("brands instances for Object.prototype.toString, as libraries check", async () => {
    expect(
      await value(`[new URL("http://h/"), new URLSearchParams(), new Headers(), new AbortController().signal,
        new EventTarget(), new Event("x"), new DOMException(), new TextEncoder(), new TextDecoder()]
        .map((o) => Object.prototype.toString.call(o))`),
    ).toEqual([
      "[object URL]",
      "[object URLSearchParams]",
      "[object Headers]",
      "[object AbortSignal]",
      "[object EventTarget]",
      "[object Event]",
      "[object DOMException]",
      "[object TextEncoder]",
      "[object TextDecoder]",
    ]);
  });
});

describe("URL", () => {
  it.each([
    ["/a?b=1#c", "https://x.test:8443/p/", "https://x.test:8443/a?b=1#c"],
    ["c/d", "https://x.test/a/b", "https://x.test/a/c/d"],
    ["../../x", "https://x.test/a/b/c", "https://x.test/x"],
    ["../../../../x", "https://x.test/a/b", "https://x.test/x"],
    ["./y/./z/../w", "http://h/a/", "http://h/a/y/w"],
    ["..", "http://h/a/b", "http://h/"],
    ["/%2e%2E/a/%2e/b", "http://h/", "http://h/a/b"],
    ["//other.test/p", "https://x.test/a", "https://other.test/p"],
    ["?q=1", "https://x.test/a/b?z#f", "https://x.test/a/b?q=1"],
    ["#frag", "https://x.test/a?q", "https://x.test/a?q#frag"],
    ["", "https://x.test/a?q#f", "https://x.test/a?q"],
    ["\\\\evil.test\\p", "http://h/", "http://evil.test/p"],
    ["https:relative", "https://x.test/a/b", "https://x.test/a/relative"],
    ["v2/items?id=7", "https://api.example.com/v1/", "https://api.example.com/v1/v2/items?id=7"],
    ["sc:x", "https://x.test/", "sc:x"],
    ["x", "file:///C:/dir/file", "file:///C:/dir/x"],
    ["../../../..", "file:///C:/a/b", "file:///C:/"],
  ])("resolves %j against %j", async (input, base, href) => {
    expect(await value(`new URL(${JSON.stringify(input)}, ${JSON.stringify(base)}).href`)).toBe(href);
  });

  it.each([
    ["HTTP://EXAMPLE.COM:80/A", "http://example.com/A"],
    ["https://example.com:443/", "https://example.com/"],
    ["wss://h:443", "wss://h/"],
    ["ws://h:80/x", "ws://h/x"],
    ["ftp://h:21/x", "ftp://h/x"],
    ["http://h:443/", "http://h:443/"],
    ["http://h:0080/", "http://h/"],
    ["https://h:/", "https://h/"],
    ["sc://h:80/", "sc://h:80/"],
    ["https://user:p@ss@h/", "https://user:p%40ss@h/"],
    ["https://:@h/", "https://h/"],
    ["http://h/a b?c d#e f", "http://h/a%20b?c%20d#e%20f"],
    ["http://h/p?q='\"<>`{}", "http://h/p?q=%27%22%3C%3E`{}"],
    ["sc://h/p?q='", "sc://h/p?q='"],
    ["http://h/é?é#é", "http://h/%C3%A9?%C3%A9#%C3%A9"],
    ["http://h/😀", "http://h/%F0%9F%98%80"],
    ["http://h/%7e%zz", "http://h/%7e%zz"],
    ["http://h/a\tb\nc", "http://h/abc"],
    ["  http://h/  ", "http://h/"],
    ["http://h\\a\\b", "http://h/a/b"],
    ["http:/h/x", "http://h/x"],
    ["http:h/x", "http://h/x"],
    ["http://[::1]:8080/", "http://[::1]:8080/"],
    ["http://[0:0:0:0:0:0:0:1]/", "http://[::1]/"],
    ["http://[2001:DB8:0:0:1:0:0:1]/", "http://[2001:db8::1:0:0:1]/"],
    ["http://[1:0:0:2:0:0:0:3]/", "http://[1:0:0:2::3]/"],
    ["http://[::ffff:192.168.0.1]/", "http://[::ffff:c0a8:1]/"],
    ["http://192.168.0.1./", "http://192.168.0.1/"],
    ["http://0x7f.1/", "http://127.0.0.1/"],
    ["http://2130706433/", "http://127.0.0.1/"],
    ["http://017700000001/", "http://127.0.0.1/"],
    ["http://1.2.3/", "http://1.2.0.3/"],
    ["http://münchen.de/", "http://xn--mnchen-3ya.de/"],
    ["http://faß.de/", "http://xn--fa-hia.de/"],
    ["http://ＥＸＡＭＰＬＥ。com/", "http://example.com/"],
    ["http://%41.com/", "http://a.com/"],
    ["http://xn--mnchen-3ya.de/", "http://xn--mnchen-3ya.de/"],
    ["file:///C:/a/../../b", "file:///C:/b"],
    ["file://localhost/etc/x", "file:///etc/x"],
    ["file:c|/x", "file:///c:/x"],
    ["file://host/share", "file://host/share"],
    ["mailto:Someone@Example.com", "mailto:Someone@Example.com"],
    ["data:text/plain,hello world", "data:text/plain,hello world"],
    ["javascript:alert(1)", "javascript:alert(1)"],
    ["sc://H%41/%2E/x", "sc://H%41/x"],
    ["sc:/a/../b", "sc:/b"],
    ["sc:/.//p", "sc:/.//p"],
    ["sc://", "sc://"],
  ])("parses %j as %j", async (input, href) => {
    expect(await value(`new URL(${JSON.stringify(input)}).href`)).toBe(href);
  });

  it("exposes every component", async () => {
    expect(
      await run(`
        const u = new URL("https://us%20er:pa:ss@Sub.Example.com:8443/a/b.json?x=1&y=%20#top");
        return [u.protocol, u.username, u.password, u.host, u.hostname, u.port, u.pathname, u.search, u.hash, u.origin];
      `),
    ).toEqual([
      "https:",
      "us%20er",
      "pa%3Ass",
      "sub.example.com:8443",
      "sub.example.com",
      "8443",
      "/a/b.json",
      "?x=1&y=%20",
      "#top",
      "https://sub.example.com:8443",
    ]);
  });

  it.each([
    ["blob:https://x.test:1/uuid", "https://x.test:1"],
    ["blob:sc://x/uuid", "null"],
    ["file:///x", "null"],
    ["sc://h/", "null"],
    ["ws://h:80/", "ws://h"],
  ])("gives %j the origin %j", async (input, origin) => {
    expect(await value(`new URL(${JSON.stringify(input)}).origin`)).toBe(origin);
  });

  it.each([
    [""],
    ["http://"],
    ["https://exa mple.com/"],
    ["http://[::1/"],
    ["http://[1::2::3]/"],
    ["http://[::1]x/"],
    ["http://h:65536/"],
    ["http://h:port/"],
    ["http://1.2.3.256/"],
    ["http://0x100000000/"],
    ["http://%ff/"],
    ["http://a%00b/"],
    ["http://xn--/"],
    ["http://user@/"],
    ["//x.test/"],
    ["relative/path"],
    ["sc://a b/"],
  ])("refuses %j with a TypeError", async (input) => {
    expect(await thrown(`new URL(${JSON.stringify(input)})`)).toMatchObject({ type: "TypeError" });
  });

  it("refuses an invalid base and a relative URL against an opaque base", async () => {
    expect(await thrown(`new URL("/a", "not a url")`)).toMatchObject({ type: "TypeError" });
    expect(await thrown(`new URL("x", "mailto:a@b")`)).toMatchObject({ type: "TypeError" });
    expect(await value(`new URL("#f", "mailto:a@b").href`)).toBe("mailto:a@b#f");
  });

  it("has canParse and parse", async () => {
    expect(
      await value(`[URL.canParse("https://x.test/"), URL.canParse("nope"), URL.canParse("/a", "https://x.test/"),
        URL.parse("nope"), URL.parse("b", "https://x.test/a/").href]`),
    ).toEqual([true, false, true, null, "https://x.test/a/b"]);
  });

  it("round-trips href through the parser and JSON", async () => {
    expect(
      await run(`
        const inputs = ["https://u:p@h:1/a/./b/../c?d=e f#g h", "sc:/.//p", "file:///C:/x", "http://[::1]/",
          "data:,x", "http://h/?", "http://h/#", "sc://h?q", "http://münchen.de/ü?ü#ü"];
        return inputs.map((i) => { const href = new URL(i).href; return new URL(href).href === href && JSON.stringify(new URL(i)) === JSON.stringify(href); });
      `),
    ).toEqual(Array(9).fill(true));
  });

  it("keeps searchParams and href in step both ways", async () => {
    expect(
      await run(`
        const u = new URL("https://api.test/items?page=1&tag=a");
        const params = u.searchParams;
        const steps = [];
        params.set("page", "2");
        params.append("q", "café & crème");
        steps.push(u.href);
        params.delete("tag");
        steps.push(u.search);
        u.search = "?x=1&x=2";
        steps.push(params.getAll("x"), params === u.searchParams);
        u.href = "https://api.test/?z=9";
        steps.push(params.get("z"));
        params.delete("z");
        steps.push(u.href);
        return steps;
      `),
    ).toEqual([
      "https://api.test/items?page=2&tag=a&q=caf%C3%A9+%26+cr%C3%A8me",
      "?page=2&q=caf%C3%A9+%26+cr%C3%A8me",
      ["1", "2"],
      true,
      "9",
      "https://api.test/",
    ]);
  });

  it("applies the setters as the standard does", async () => {
    expect(
      await run(`
        const u = new URL("http://h.test:8080/p?q#f");
        const out = [];
        u.protocol = "https"; out.push(u.href);
        u.protocol = "sc"; out.push(u.protocol);
        u.port = "443"; out.push(u.host);
        u.port = "99999"; out.push(u.port);
        u.port = "81abc"; out.push(u.port);
        u.port = ""; out.push(u.host);
        u.host = "other.test:9000"; out.push(u.host);
        u.hostname = "third.test:1"; out.push(u.host);
        u.hostname = "[::1]"; out.push(u.hostname);
        u.pathname = "a b/c?d#e"; out.push(u.pathname);
        u.search = "x=a b#c"; out.push(u.search);
        u.hash = "#frag ment"; out.push(u.hash);
        u.username = "us:er@"; u.password = "p w"; out.push(u.href);
        u.hash = ""; u.search = ""; out.push(u.href);
        const file = new URL("file:///tmp/x");
        file.username = "nope"; file.port = "1"; out.push(file.href);
        const opaque = new URL("mailto:a@b");
        opaque.pathname = "c@d"; opaque.host = "h"; out.push(opaque.href);
        return out;
      `),
    ).toEqual([
      "https://h.test:8080/p?q#f",
      "https:",
      "h.test",
      "",
      "81",
      "h.test",
      "other.test:9000",
      "other.test:9000",
      "[::1]",
      "/a%20b/c%3Fd%23e",
      "?x=a%20b%23c",
      "#frag%20ment",
      "https://us%3Aer%40:p%20w@[::1]:9000/a%20b/c%3Fd%23e?x=a%20b%23c#frag%20ment",
      "https://us%3Aer%40:p%20w@[::1]:9000/a%20b/c%3Fd%23e",
      "file:///tmp/x",
      "mailto:a@b",
    ]);
  });

  it("throws a TypeError when href is set to something that is not a URL", async () => {
    expect(await thrown(`new URL("http://h/").href = "::"`)).toMatchObject({ type: "TypeError" });
  });
});

describe("URLSearchParams", () => {
  it("parses and serialises application/x-www-form-urlencoded", async () => {
    expect(
      await run(`
        const p = new URLSearchParams("?a=1&b=x+y&c=%E2%82%AC&&d&=e&a=2&f=%zz&g=%F0%9F");
        return [[...p], p.toString(), p.size];
      `),
    ).toEqual([
      [
        ["a", "1"],
        ["b", "x y"],
        ["c", "€"],
        ["d", ""],
        ["", "e"],
        ["a", "2"],
        ["f", "%zz"],
        ["g", "\uFFFD"],
      ],
      "a=1&b=x+y&c=%E2%82%AC&d=&=e&a=2&f=%25zz&g=%EF%BF%BD",
      8,
    ]);
  });

  it("takes records, pairs and other params, and refuses bad pairs", async () => {
    expect(
      await value(`[new URLSearchParams({ a: "1", b: "x y" }).toString(),
        new URLSearchParams([["k", "v"], ["k", "w"]]).getAll("k"),
        new URLSearchParams(new URLSearchParams("z=1")).get("z"),
        new URLSearchParams(new Map([["m", "n"]])).toString()]`),
    ).toEqual(["a=1&b=x+y", ["v", "w"], "1", "m=n"]);
    expect(await thrown(`new URLSearchParams([["only-one"]])`)).toMatchObject({ type: "TypeError" });
  });

  it("has, deletes with a value, sets, sorts stably and iterates", async () => {
    expect(
      await run(`
        const p = new URLSearchParams("b=2&a=1&b=1&c=3&a=0");
        const out = [p.has("a"), p.has("a", "9"), p.has("zz")];
        p.delete("b", "1"); out.push(p.toString());
        p.set("a", "x"); out.push(p.toString());
        p.sort(); out.push(p.toString());
        const seen = []; p.forEach((v, k) => seen.push(k + ":" + v)); out.push(seen);
        out.push([...p.keys()], [...p.values()], p.get("missing"));
        out.push(new URLSearchParams({ "a b": "!'()~*&=+" }).toString());
        return out;
      `),
    ).toEqual([
      true,
      false,
      false,
      "b=2&a=1&c=3&a=0",
      "b=2&a=x&c=3",
      "a=x&b=2&c=3",
      ["a:x", "b:2", "c:3"],
      ["a", "b", "c"],
      ["x", "2", "3"],
      null,
      "a+b=%21%27%28%29%7E*%26%3D%2B",
    ]);
  });
});

describe("TextEncoder and TextDecoder", () => {
  it("encodes UTF-8, with 4-byte characters and lone surrogates", async () => {
    expect(
      await value(`[Array.from(new TextEncoder().encode("h€😀")), Array.from(new TextEncoder().encode("a\\ud800b")),
        new TextEncoder().encoding, new TextEncoder().encode().length]`),
    ).toEqual([[104, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80], [97, 0xef, 0xbf, 0xbd, 98], "utf-8", 0]);
  });

  it("encodeInto never writes half a character", async () => {
    expect(
      await run(`
        const dest = new Uint8Array(5);
        const r = new TextEncoder().encodeInto("ab😀", dest);
        return [r, Array.from(dest)];
      `),
    ).toEqual([{ read: 2, written: 2 }, [97, 98, 0, 0, 0]]);
  });

  it("round-trips text with every width of character", async () => {
    const text = "ascii é ß € 中文 😀🎉 \u{10FFFF}";
    expect(await value(`new TextDecoder().decode(new TextEncoder().encode(${JSON.stringify(text)}))`)).toBe(text);
  });

  it("decodes a character split across streamed chunks once", async () => {
    expect(
      await run(`
        const bytes = new TextEncoder().encode("a😀b€");
        const d = new TextDecoder();
        let out = "";
        for (const byte of bytes) out += d.decode(new Uint8Array([byte]), { stream: true });
        out += d.decode();
        const cut = new TextDecoder();
        const unfinished = cut.decode(bytes.subarray(0, 3), { stream: true }) + cut.decode();
        return [out, unfinished];
      `),
    ).toEqual(["a😀b€", "a\uFFFD"]);
  });

  it("replaces invalid input as the Encoding standard does, or throws when fatal", async () => {
    expect(
      await value(`[[0xf0, 0x9f, 0x41], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xff], [0xe2, 0x82]]
        .map((b) => new TextDecoder().decode(new Uint8Array(b)))`),
    ).toEqual(["\uFFFDA", "\uFFFD\uFFFD", "\uFFFD\uFFFD\uFFFD", "\uFFFD", "\uFFFD"]);
    expect(await thrown(`new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array([0xc3]))`)).toMatchObject({
      type: "TypeError",
    });
  });

  it("strips a leading BOM unless ignoreBOM, and only at the start of a stream", async () => {
    expect(
      await run(`
        const bom = [0xef, 0xbb, 0xbf];
        const d = new TextDecoder();
        const streamed = d.decode(new Uint8Array(bom), { stream: true }) + d.decode(new Uint8Array([...bom, 0x41]));
        return [new TextDecoder().decode(new Uint8Array([...bom, 0x41])),
          new TextDecoder("utf-8", { ignoreBOM: true }).decode(new Uint8Array([...bom, 0x41])), streamed];
      `),
    ).toEqual(["A", "\uFEFFA", "\uFEFFA"]);
  });

  it("accepts the UTF-8 labels and views of any kind, and refuses other encodings", async () => {
    expect(
      await value(`[new TextDecoder(" UTF8 ").encoding, new TextDecoder("unicode-1-1-utf-8").encoding,
        new TextDecoder().decode(new DataView(new Uint8Array([0, 0x68, 0x69]).buffer, 1)),
        new TextDecoder().decode(new Uint8Array([0x68, 0x69]).buffer), new TextDecoder().decode(),
        new TextDecoder("utf-8", { fatal: true }).fatal]`),
    ).toEqual(["utf-8", "utf-8", "hi", "hi", "", true]);
    expect(await thrown(`new TextDecoder("latin1")`)).toMatchObject({ type: "RangeError" });
    expect(await thrown(`new TextDecoder("utf-16le")`)).toMatchObject({ type: "RangeError" });
    expect(await thrown(`new TextDecoder().decode("text")`)).toMatchObject({ type: "TypeError" });
  });
});

describe("atob and btoa", () => {
  it("encode and decode binary strings", async () => {
    expect(
      await run(`
        let all = ""; for (let i = 0; i < 256; i++) all += String.fromCharCode(i);
        return [btoa("hello"), btoa(""), btoa("\\xff\\xfe"), atob("aGVsbG8="), atob("aGVsbG8"), atob(" aGVs\\nbG8= "), atob(btoa(all)) === all];
      `),
    ).toEqual(["aGVsbG8=", "", "//4=", "hello", "hello", "hello", true]);
  });

  it.each(["a", "ab=c", "=", "aGVsbG8===", "aGV$bG8=", "aGVsbG8=a"])(
    "atob(%j) throws InvalidCharacterError",
    async (input) => {
      expect(await thrown(`atob(${JSON.stringify(input)})`)).toMatchObject({
        type: "DOMException",
        name: "InvalidCharacterError",
        code: 5,
      });
    },
  );

  it("btoa refuses characters above U+00FF", async () => {
    expect(await thrown(`btoa("€")`)).toMatchObject({ type: "DOMException", name: "InvalidCharacterError" });
  });
});

describe("structuredClone", () => {
  it("keeps cycles and shared references", async () => {
    expect(
      await run(`
        const shared = { n: 1 };
        const a = { shared, list: [shared], nested: { shared } };
        a.self = a;
        const c = structuredClone(a);
        return [c !== a, c.self === c, c.list[0] === c.shared, c.nested.shared === c.shared, c.shared !== shared, c.shared.n];
      `),
    ).toEqual([true, true, true, true, true, 1]);
  });

  it("clones Map, Set, Date, RegExp, wrappers and primitives", async () => {
    expect(
      await run(`
        const key = { k: 1 };
        const m = new Map([[key, new Set([1, "two", key])]]);
        const [[ck, cs]] = structuredClone(m);
        const re = /a+b/gi; re.lastIndex = 3;
        const cre = structuredClone(re);
        const d = structuredClone(new Date(0));
        const prims = structuredClone([1n, -0, NaN, undefined, null, "s", true]);
        return [ck !== key, ck.k, cs.has(ck), cs.size, d instanceof Date, d.getTime(), cre.source, cre.flags, cre.lastIndex,
          Object.is(prims[1], -0), Number.isNaN(prims[2]), 3 in prims, typeof prims[0], typeof structuredClone(Object(5)),
          structuredClone(Object("x")) instanceof String];
      `),
    ).toEqual([true, 1, true, 3, true, 0, "a+b", "gi", 0, true, true, true, "bigint", "object", true]);
  });

  it("copies buffers and keeps views on one buffer together", async () => {
    expect(
      await run(`
        const buf = new ArrayBuffer(8);
        const bytes = new Uint8Array(buf); bytes.set([1, 2, 3, 4, 5, 6, 7, 8]);
        const words = new Uint16Array(buf, 2, 2);
        const view = new DataView(buf, 4);
        const c = structuredClone({ bytes, words, view });
        c.bytes[2] = 99;
        const resizable = structuredClone(new ArrayBuffer(2, { maxByteLength: 16 }));
        return [bytes[2], c.words.buffer === c.bytes.buffer, c.view.buffer === c.bytes.buffer, c.words.byteOffset,
          c.words.length, c.view.getUint8(0), Array.from(new Uint8Array(c.words.buffer, 2, 1)), resizable.resizable,
          resizable.maxByteLength, structuredClone(new BigInt64Array([5n]))[0] === 5n];
      `),
    ).toEqual([3, true, true, 2, 2, 5, [99], true, 16, true]);
  });

  it("clones errors by their standard type and keeps arrays' holes and length", async () => {
    expect(
      await run(`
        class Custom extends Error { constructor() { super("custom"); this.name = "Custom"; } }
        const e = structuredClone(new RangeError("bad", { cause: { why: 1 } }));
        const c = structuredClone(new Custom());
        const arr = [1, , 3]; arr.extra = "x";
        const ca = structuredClone(arr);
        const inst = structuredClone(new (class Point { constructor() { this.x = 1; } })());
        const dom = structuredClone(new DOMException("gone", "AbortError"));
        return [e instanceof RangeError, e.message, e.cause, c.constructor === Error, c.message, ca.length, 1 in ca, ca.extra,
          Object.getPrototypeOf(inst) === Object.prototype, inst.x, dom instanceof DOMException, dom.name, dom.message];
      `),
    ).toEqual([true, "bad", { why: 1 }, true, "custom", 3, false, "x", true, 1, true, "AbortError", "gone"]);
  });

  it.each([
    ["a function", "() => 1"],
    ["a symbol", "Symbol('s')"],
    ["a function inside an object", "{ ok: 1, f() {} }"],
    ["a WeakMap", "new WeakMap()"],
    ["a Promise", "Promise.resolve()"],
    ["a URL", "new URL('http://h/')"],
    ["an AbortSignal", "AbortSignal.abort()"],
  ])("refuses %s with DataCloneError", async (_label, source) => {
    expect(await thrown(`structuredClone(${source})`)).toMatchObject({
      type: "DOMException",
      name: "DataCloneError",
      code: 25,
    });
  });

  it("refuses a transfer list it cannot honour, and requires an argument", async () => {
    const transferable = await value<boolean>(`typeof ArrayBuffer.prototype.transfer === "function"`);
    if (transferable) {
      expect(
        await run(`const b = new ArrayBuffer(4); const c = structuredClone(b, { transfer: [b] }); return [b.byteLength, c.byteLength];`),
      ).toEqual([0, 4]);
    } else {
      expect(await thrown(`const b = new ArrayBuffer(4); structuredClone(b, { transfer: [b] })`)).toMatchObject({
        name: "DataCloneError",
      });
    }
    expect(await thrown(`structuredClone()`)).toMatchObject({ type: "TypeError" });
  });
});

describe("AbortController and AbortSignal", () => {
  it("fires abort once, with the default AbortError reason", async () => {
    expect(
      await run(`
        const c = new AbortController();
        const events = [];
        c.signal.addEventListener("abort", (e) => events.push([e.type, e.isTrusted, e.target === c.signal, c.signal.aborted]));
        c.signal.onabort = () => events.push("onabort");
        const before = c.signal.aborted;
        c.abort(); c.abort("again");
        const r = c.signal.reason;
        return [before, events, r instanceof DOMException, r.name, r.message, r.code];
      `),
    ).toEqual([false, [["abort", true, true, true], "onabort"], true, "AbortError", "This operation was aborted", 20]);
  });

  it("keeps a custom reason and throwIfAborted throws it", async () => {
    expect(
      await run(`
        const c = new AbortController();
        c.signal.throwIfAborted();
        c.abort({ code: "E_STOP" });
        try { c.signal.throwIfAborted(); return "no throw"; } catch (e) { return [e, c.signal.reason === e]; }
      `),
    ).toEqual([{ code: "E_STOP" }, true]);
  });

  it("has AbortSignal.abort and AbortSignal.any", async () => {
    expect(
      await run(`
        const pre = AbortSignal.abort("why");
        const a = new AbortController(), b = new AbortController();
        const any = AbortSignal.any([a.signal, b.signal]);
        const nested = AbortSignal.any([any]);
        const order = [];
        any.addEventListener("abort", () => order.push("any"));
        nested.addEventListener("abort", () => order.push("nested"));
        a.signal.addEventListener("abort", () => order.push("a"));
        const early = [any.aborted, AbortSignal.any([b.signal, pre]).reason];
        b.abort("b-reason"); a.abort("a-reason");
        return [pre.aborted, pre.reason, early, any.reason, nested.reason, order, AbortSignal.any([]).aborted];
      `),
    ).toEqual([true, "why", [false, "why"], "b-reason", "b-reason", ["any", "nested", "a"], false]);
  });

  it("cannot be constructed directly, and is an EventTarget", async () => {
    expect(await thrown(`new AbortSignal()`)).toMatchObject({ type: "TypeError" });
    expect(await value(`new AbortController().signal instanceof EventTarget`)).toBe(true);
  });

  it("removes listeners registered with a signal when it aborts", async () => {
    expect(
      await run(`
        const t = new EventTarget(); const c = new AbortController(); let n = 0;
        t.addEventListener("ping", () => n++, { signal: c.signal });
        t.dispatchEvent(new Event("ping")); c.abort(); t.dispatchEvent(new Event("ping"));
        t.addEventListener("ping", () => n++, { signal: c.signal }); t.dispatchEvent(new Event("ping"));
        return n;
      `),
    ).toBe(1);
  });
});

describe("EventTarget and Event", () => {
  it("runs listeners in order, capture first, once, without duplicates", async () => {
    expect(
      await run(`
        const t = new EventTarget(); const log = [];
        const f = () => log.push("f");
        t.addEventListener("x", f); t.addEventListener("x", f);
        t.addEventListener("x", () => log.push("capture"), true);
        t.addEventListener("x", { handleEvent: (e) => log.push("object:" + e.eventPhase) });
        t.addEventListener("x", () => log.push("once"), { once: true });
        t.dispatchEvent(new Event("x")); t.dispatchEvent(new Event("x"));
        return log;
      `),
    ).toEqual(["capture", "f", "object:2", "once", "capture", "f", "object:2"]);
  });

  it("honours stopImmediatePropagation, preventDefault, passive and removal during dispatch", async () => {
    expect(
      await run(`
        const t = new EventTarget(); const log = [];
        const later = () => log.push("removed-before-its-turn");
        t.addEventListener("x", (e) => { log.push("first"); t.removeEventListener("x", later); e.preventDefault(); });
        t.addEventListener("x", later);
        t.addEventListener("x", (e) => { e.stopImmediatePropagation(); });
        t.addEventListener("x", () => log.push("after-stop"));
        const cancelable = new Event("x", { cancelable: true });
        const notCanceled = t.dispatchEvent(cancelable);
        const p = new EventTarget();
        p.addEventListener("y", (e) => e.preventDefault(), { passive: true });
        const passive = new Event("y", { cancelable: true });
        return [log, notCanceled, cancelable.defaultPrevented, p.dispatchEvent(passive), passive.defaultPrevented,
          cancelable.eventPhase, cancelable.currentTarget, cancelable.target === t];
      `),
    ).toEqual([["first"], false, true, true, false, 0, null, true]);
  });

  it("reports a listener's error and carries on", async () => {
    expect(
      await run(`
        reported.length = 0;
        const t = new EventTarget(); const log = [];
        t.addEventListener("x", () => { throw new Error("boom"); });
        t.addEventListener("x", () => log.push("second"));
        const result = t.dispatchEvent(new Event("x"));
        return [result, log, reported];
      `),
    ).toEqual([true, ["second"], ["Error: boom"]]);
  });

  it("refuses to dispatch an event twice at once, and non-events", async () => {
    expect(
      await run(`
        const t = new EventTarget(); const e = new Event("x"); let inner = null;
        t.addEventListener("x", () => { try { t.dispatchEvent(e); } catch (err) { inner = err.name; } });
        t.dispatchEvent(e);
        return inner;
      `),
    ).toBe("InvalidStateError");
    expect(await thrown(`new EventTarget().dispatchEvent({ type: "x" })`)).toMatchObject({ type: "TypeError" });
    expect(
      await value(`[Event.AT_TARGET, new Event("x").BUBBLING_PHASE, new Event("x", { bubbles: true }).bubbles, new Event("x").isTrusted]`),
    ).toEqual([2, 3, true, false]);
  });
});

describe("DOMException", () => {
  it("is an Error with a name, a legacy code and a stack", async () => {
    expect(
      await run(`
        const e = new DOMException("stopped", "AbortError");
        const plain = new DOMException();
        const withCause = new DOMException("m", { name: "TimeoutError", cause: "c" });
        return [e instanceof Error, e.name, e.message, e.code, String(e), e.stack.split("\\n")[0], plain.name, plain.message,
          plain.code, withCause.name, withCause.cause, withCause.code, DOMException.ABORT_ERR, DOMException.DATA_CLONE_ERR];
      `),
    ).toEqual([
      true,
      "AbortError",
      "stopped",
      20,
      "AbortError: stopped",
      "AbortError: stopped",
      "Error",
      "",
      0,
      "TimeoutError",
      "c",
      23,
      20,
      25,
    ]);
  });
});

describe("Headers", () => {
  it("matches names case-insensitively and combines repeated headers", async () => {
    expect(
      await run(`
        const h = new Headers({ "Content-Type": "application/json" });
        h.append("Accept", "text/html"); h.append("accept", "application/json");
        return [h.get("content-type"), h.get("ACCEPT"), h.has("Accept"), h.get("missing")];
      `),
    ).toEqual(["application/json", "text/html, application/json", true, null]);
  });

  it("iterates sorted, lower-cased, with each Set-Cookie on its own", async () => {
    expect(
      await run(`
        const h = new Headers([["X-B", "2"], ["set-cookie", "a=1"], ["x-a", "1"], ["Set-Cookie", "b=2"], ["x-b", "3"]]);
        const seen = []; h.forEach((v, k) => seen.push(k));
        return [[...h], h.getSetCookie(), h.get("set-cookie"), [...h.keys()], seen];
      `),
    ).toEqual([
      [
        ["set-cookie", "a=1"],
        ["set-cookie", "b=2"],
        ["x-a", "1"],
        ["x-b", "2, 3"],
      ],
      ["a=1", "b=2"],
      "a=1, b=2",
      ["set-cookie", "set-cookie", "x-a", "x-b"],
      ["set-cookie", "set-cookie", "x-a", "x-b"],
    ]);
  });

  it("sets, deletes, trims values and copies from other Headers", async () => {
    expect(
      await run(`
        const h = new Headers([["a", "1"], ["A", "2"], ["b", "3"]]);
        h.set("A", "  only \\t"); h.delete("B");
        const copy = new Headers(h); copy.set("c", "4");
        return [[...h], [...copy]];
      `),
    ).toEqual([[["a", "only"]], [["a", "only"], ["c", "4"]]]);
  });

  it.each([
    ["an invalid name", `new Headers().append("bad name", "x")`],
    ["a value with a newline", `new Headers().set("x", "a\\nb")`],
    ["a value outside Latin-1", `new Headers({ x: "€" })`],
    ["a malformed pair", `new Headers([["only"]])`],
  ])("refuses %s with a TypeError", async (_label, source) => {
    expect(await thrown(source)).toMatchObject({ type: "TypeError" });
  });

  it("can be made immutable by the runtime (the headers of a fetched response)", async () => {
    expect(
      await inRuntimeContext(`
        const h = new Headers({ a: "1" });
        runtime.markHeadersImmutable(h);
        try { h.set("a", "2"); return "changed"; } catch (e) { return [e.constructor.name, h.get("a")]; }
      `),
    ).toEqual(["TypeError", "1"]);
  });
});

describe("warmWebGlobals", () => {
  it("runs the common paths and leaves no trace in the realm", async () => {
    expect(
      await inRuntimeContext(`
        const before = Object.getOwnPropertyNames(globalThis).join();
        runtime.warmWebGlobals();
        return [Object.getOwnPropertyNames(globalThis).join() === before, new URL("/x", "https://h/").href];
      `),
    ).toEqual([true, "https://h/x"]);
  });
});

/**
 * Runs statements in a fresh context whose bundle also exposes the exports that only
 * the runtime uses, as `runtime`.
 */
async function inRuntimeContext(body: string): Promise<unknown> {
  const code = await bundle({
    stdin: {
      contents: `import { installWebGlobals, markHeadersImmutable, warmWebGlobals } from ${JSON.stringify(GLOBALS_INDEX)};
        installWebGlobals(globalThis);
        globalThis.runtime = { markHeadersImmutable, warmWebGlobals };`,
      resolveDir: fileURLToPath(new URL(".", import.meta.url)),
      loader: "ts",
    },
  });
  const own = await isolate.createContext();
  try {
    await own.eval(code);
    const json = await own.eval(`JSON.stringify((() => { ${body} })())`, { copy: true });
    return JSON.parse(json as string);
  } finally {
    own.release();
  }
}
