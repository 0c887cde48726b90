// Arity checks that Web IDL performs before a method runs, so that a call with a
// missing argument fails loudly instead of quietly working on "undefined".

export function requireArguments(given: number, needed: number, method: string): void {
  if (given < needed) {
    throw new TypeError(
      `${method}: ${needed} argument${needed === 1 ? "" : "s"} required, but only ${given} present.`,
    );
  }
}
