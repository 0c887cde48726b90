// Web IDL USVString conversion: any value to a string without lone surrogates.

// String.prototype.toWellFormed ships in the isolate's V8 but is not in the ES2023 lib.
type WellFormable = { toWellFormed(): string };

/** Converts like Web IDL's USVString: lone surrogates become U+FFFD. */
export function toUSVString(value: unknown): string {
  return (String(value) as unknown as WellFormable).toWellFormed();
}
