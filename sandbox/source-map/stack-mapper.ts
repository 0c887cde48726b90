// Maps plugin stack frames from the bundle back to the author's sources, so an error
// says `src/index.ts:12:7` instead of `bundle.js:840:13`. The bundle's source map has
// package-relative sources, so nothing of the host leaks through the mapped frames.
import { SourceMapConsumer, type RawSourceMapInput } from "source-map-js";

/**
 * What the sandbox puts before the bundle's first line when it compiles it (see
 * `PluginIsolate.load`): V8 columns on line 1 are shifted by its length, later
 * lines are not.
 */
export const BUNDLE_WRAPPER_PREFIX = "(function (module, exports, require) {";

export interface StackMapperOptions {
  /** The script name V8 was given for the bundle. */
  scriptName?: string;
  /** Characters the sandbox put before the bundle on its first line. */
  firstLinePrefix?: number;
}

export interface SourceLocation {
  source: string;
  line: number;
  column: number;
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Maps `bundle.js:L:C` positions through one bundle's source map; reuse it for many stacks. */
export class StackMapper {
  readonly #consumer: SourceMapConsumer;
  readonly #position: RegExp;
  readonly #prefix: number;

  constructor(mapJson: string, options: StackMapperOptions = {}) {
    this.#consumer = new SourceMapConsumer(JSON.parse(mapJson) as RawSourceMapInput);
    const name = escapeRegExp(options.scriptName ?? "bundle.js");
    // Matches the name only where it is a whole path segment (not `mybundle.js`).
    this.#position = new RegExp(`(?<![\\w./-])${name}:(\\d+):(\\d+)`, "g");
    this.#prefix = options.firstLinePrefix ?? BUNDLE_WRAPPER_PREFIX.length;
  }

  /** The author's position of a 1-based bundle line and column as V8 reports them, or null. */
  locate(line: number, column: number): SourceLocation | null {
    // V8 columns are 1-based, source-map columns 0-based.
    const generated = { line, column: Math.max(0, column - 1 - (line === 1 ? this.#prefix : 0)) };
    for (const bias of [SourceMapConsumer.GREATEST_LOWER_BOUND, SourceMapConsumer.LEAST_UPPER_BOUND]) {
      const found = this.#consumer.originalPositionFor({ ...generated, bias });
      if (found.source !== null && found.line !== null) {
        return { source: found.source, line: found.line, column: (found.column ?? 0) + 1 };
      }
    }
    return null;
  }

  /** Rewrites every bundle position in `stack`; positions with no mapping stay as they are. */
  mapStack(stack: string): string {
    return stack.replace(this.#position, (whole, line: string, column: string) => {
      const found = this.locate(Number(line), Number(column));
      return found ? `${found.source}:${found.line}:${found.column}` : whole;
    });
  }
}

/** One-off form of `StackMapper.mapStack`. */
export function mapStack(stack: string, mapJson: string, options?: StackMapperOptions): string {
  return new StackMapper(mapJson, options).mapStack(stack);
}

/** The first `file:line:column` of a (mapped) stack, e.g. for a one-line error report. */
export function firstLocation(stack: string): string | null {
  const match = /\(?([^\s()]+:\d+:\d+)\)?\s*$/m.exec(stack);
  return match?.[1] ?? null;
}
