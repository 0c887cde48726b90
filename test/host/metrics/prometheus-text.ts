// Reads a /metrics answer with a Prometheus text-format parser, and looks up one series
// (a counter's or gauge's value, a histogram's count and sum) by its exact labels.
// The parser folds a histogram family into one unlabelled sample, so the text is parsed
// twice: once as it is (for each family's type) and once with histogram families
// declared untyped, which makes the parser return every `_bucket`, `_sum` and `_count`
// sample with its labels.
import parsePrometheusTextFormat from "parse-prometheus-text-format";

interface Sample {
  labels?: Record<string, string>;
  value?: string;
}

interface Family {
  name: string;
  type: string;
  metrics: Sample[];
}

const asUntyped = (line: string): string => (line.startsWith("# TYPE ") && line.endsWith(" histogram") ? `${line.slice(0, -" histogram".length)} untyped` : line);

export class Scrape {
  /** Every family as exposed, with its type. */
  readonly families: Map<string, Family>;
  /** Every series, a histogram's under its `_bucket`, `_sum` and `_count` names. */
  readonly #series: Map<string, Family>;

  constructor(text: string) {
    this.families = new Map((parsePrometheusTextFormat(text) as Family[]).map((f) => [f.name, f]));
    const flat = text.split("\n").map(asUntyped).join("\n");
    // Interleaved series come back as several families of one name: join them.
    this.#series = new Map();
    for (const f of parsePrometheusTextFormat(flat) as Family[]) {
      const seen = this.#series.get(f.name);
      if (seen === undefined) this.#series.set(f.name, { ...f, metrics: [...f.metrics] });
      else seen.metrics.push(...f.metrics);
    }
  }

  #find(name: string, labels: Record<string, string>): Sample | undefined {
    const family = this.#series.get(name);
    const want = Object.entries(labels);
    return family?.metrics.find((m) => {
      const have = m.labels ?? {};
      return Object.keys(have).length === want.length && want.every(([k, v]) => have[k] === v);
    });
  }

  /** A counter's or gauge's value; 0 for a series not (yet) present. */
  value(name: string, labels: Record<string, string> = {}): number {
    return Number(this.#find(name, labels)?.value ?? 0);
  }

  /** A histogram series' observation count and sum; zeros for a series not present. */
  histogram(name: string, labels: Record<string, string> = {}): { count: number; sum: number } {
    const type = this.families.get(name)?.type;
    if (type !== undefined && type !== "HISTOGRAM") throw new Error(`${name} is a ${type}, not a histogram`);
    return { count: this.value(`${name}_count`, labels), sum: this.value(`${name}_sum`, labels) };
  }

  /** Every label value `label` takes across a family's series (a histogram's: across its `_count` series). */
  labelValues(name: string, label: string): string[] {
    const family = this.families.get(name)?.type === "HISTOGRAM" ? this.#series.get(`${name}_count`) : this.#series.get(name);
    return [...new Set((family?.metrics ?? []).map((m) => m.labels?.[label]).filter((v): v is string => v !== undefined))];
  }
}
