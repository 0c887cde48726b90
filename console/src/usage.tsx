// Usage: calls and CPU ms per package over the last hour (GetUsage), as a small SVG
// chart of the hour's buckets and a bar per package. A server without GetUsage says so;
// nothing is made up.
import { useEffect, useState } from "preact/hooks";
import { ApiFailure, call } from "./api.ts";
import { ErrorBox } from "./common.tsx";
import type { UsageAnswer } from "./types.ts";

function Series({ series, what, label }: { series: UsageAnswer["series"]; what: "calls" | "cpu_ms"; label: string }) {
  const w = 600;
  const h = 120;
  const max = Math.max(what === "calls" ? 1 : 0.001, ...series.map((b) => b[what]));
  const bw = series.length === 0 ? 0 : w / series.length;
  return (
    <figure class="chart-box" data-chart={what}>
    <figcaption>{label} <span class="muted">(max {what === "calls" ? max : max.toFixed(1)} per bucket)</span></figcaption>
    <svg class="chart" viewBox={`0 0 ${w} ${h + 20}`} role="img" aria-label={`${label} per interval over the window`}>
      {series.map((b, i) => {
        const bh = (b[what] / max) * h;
        return (
          <rect key={b.start} x={i * bw + 1} y={h - bh} width={Math.max(1, bw - 2)} height={bh} class="bar">
            <title>{`${new Date(b.start).toLocaleTimeString()}: ${b.calls} calls, ${b.cpu_ms.toFixed(1)} CPU ms`}</title>
          </rect>
        );
      })}
      <line x1={0} y1={h} x2={w} y2={h} class="axis" />
      <text x={0} y={h + 16} class="tick">{series[0] ? new Date(series[0].start).toLocaleTimeString() : ""}</text>
      <text x={w} y={h + 16} class="tick end">now</text>
    </svg>
    </figure>
  );
}

export function UsageScreen() {
  const [usage, setUsage] = useState<UsageAnswer | null>(null);
  const [missing, setMissing] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    call<UsageAnswer>("GetUsage", { window: "1h" }).then(
      (a) => setUsage(a.data),
      (err: unknown) => {
        if (err instanceof ApiFailure && err.error.http_code === 404 && /no such route/.test(err.error.message)) setMissing(true);
        else setError(err);
      },
    );
  }, []);
  if (missing) return (<div><h2>Usage</h2><p class="muted" data-usage="unavailable">Usage is not available on this server (it has no GetUsage operation).</p></div>);
  if (error) return <ErrorBox error={error} />;
  if (usage === null) return <p class="muted">Loading…</p>;
  const maxCalls = Math.max(1, ...usage.packages.map((p) => p.calls));
  const maxCpu = Math.max(1, ...usage.packages.map((p) => p.cpu_ms));
  return (
    <div>
      <h2>Usage <span class="muted">last hour{usage.tenant ? `, tenant ${usage.tenant}` : ""}</span></h2>
      <p>{usage.totals.calls} calls · {usage.totals.cpu_ms.toFixed(1)} CPU ms · {usage.totals.egress_requests} fetches ({usage.totals.egress_bytes} bytes)</p>
      <div class="charts">
        <Series series={usage.series} what="calls" label="Calls" />
        <Series series={usage.series} what="cpu_ms" label="CPU ms" />
      </div>
      <table class="usage">
        <thead><tr><th>Package</th><th>Calls</th><th /><th>CPU ms</th><th /></tr></thead>
        <tbody>
          {usage.packages.map((p) => (
            <tr key={`${p.pkg}@${p.version}`}>
              <td>{p.pkg}@{p.version}</td>
              <td>{p.calls}</td>
              <td><meter max={maxCalls} value={p.calls} /></td>
              <td>{p.cpu_ms.toFixed(1)}</td>
              <td><meter max={maxCpu} value={p.cpu_ms} /></td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
