// Assembles src/gcd.wat into src/gcd.wasm without a toolchain: the module is tiny, so
// its bytes are spelled out here instruction by instruction, in the .wat's order.
// Run: node scripts/build-wasm.mjs   (checks the result with WebAssembly, then writes it)
import { writeFileSync } from "node:fs";

const I64 = 0x7e;
const op = {
  block: 0x02, loop: 0x03, if: 0x04, end: 0x0b, br: 0x0c, br_if: 0x0d,
  local_get: 0x20, local_set: 0x21, i64_const: 0x42, i64_eqz: 0x50, i64_lt_s: 0x53,
  i64_sub: 0x7d, i64_rem_u: 0x82,
};
const VOID = 0x40;
const [A, B, T] = [0, 1, 2];

const uleb = (n) => {
  const out = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
};
const vec = (items) => [...uleb(items.length), ...items.flat()];
const name = (text) => vec([...Buffer.from(text, "utf8")]);
const section = (id, content) => [id, ...uleb(content.length), ...content];

const abs = (local) => [
  op.local_get, local, op.i64_const, 0, op.i64_lt_s,
  op.if, VOID,
  op.i64_const, 0, op.local_get, local, op.i64_sub, op.local_set, local,
  op.end,
];
const body = [
  ...vec([[1, I64]]), // one local: $t
  ...abs(A),
  ...abs(B),
  op.block, VOID,
  op.loop, VOID,
  op.local_get, B, op.i64_eqz, op.br_if, 1,
  op.local_get, A, op.local_get, B, op.i64_rem_u, op.local_set, T,
  op.local_get, B, op.local_set, A,
  op.local_get, T, op.local_set, B,
  op.br, 0,
  op.end,
  op.end,
  op.local_get, A,
  op.end,
];

const bytes = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  ...section(1, vec([[0x60, ...vec([I64, I64]), ...vec([I64])]])), // type 0: (i64, i64) -> i64
  ...section(3, vec([[0]])), // function 0 has type 0
  ...section(7, vec([[...name("gcd"), 0x00, 0]])), // export "gcd" = function 0
  ...section(10, vec([[...uleb(body.length), ...body]])),
]);

const { instance } = await WebAssembly.instantiate(bytes);
const gcd = instance.exports.gcd;
for (const [a, b, want] of [[12n, 18n, 6n], [-48n, 36n, 12n], [0n, 7n, 7n], [0n, 0n, 0n], [17n, 5n, 1n]]) {
  const got = gcd(a, b);
  if (got !== want) throw new Error(`gcd(${a}, ${b}) = ${got}, want ${want}`);
}
const out = new URL("../src/gcd.wasm", import.meta.url);
writeFileSync(out, bytes);
console.log(`wrote src/gcd.wasm (${bytes.length} bytes)`);
