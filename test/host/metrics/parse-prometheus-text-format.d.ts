// The parser ships no types: it returns the metric families of a Prometheus text answer.
declare module "parse-prometheus-text-format" {
  export default function parsePrometheusTextFormat(text: string): unknown[];
}
