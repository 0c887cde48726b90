// Builtins that the isolate's V8 ships but that the ES2023 lib does not declare yet.

interface String {
  /** Replaces lone surrogates with U+FFFD (ES2024). */
  toWellFormed(): string;
}

interface ArrayBufferConstructor {
  new (byteLength: number, options?: { maxByteLength?: number }): ArrayBuffer;
}

interface ArrayBuffer {
  readonly resizable?: boolean;
  readonly maxByteLength?: number;
  /** Present from V8 11.4; absent on Node 20, where transfer lists are refused. */
  transfer?: (newByteLength?: number) => ArrayBuffer;
}
