// Health: each component of GET /v1/health with its state and details, the sandbox
// processes as a table.
import { useEffect, useState } from "preact/hooks";
import { get } from "./api.ts";
import { Badge, ErrorBox } from "./common.tsx";

interface Health {
  status: string;
  components: Record<string, { state: string; [k: string]: unknown }>;
}

/** A nested value as `key value · key value`, not as JSON text. */
function cell(value: unknown): string {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    return Object.entries(value).map(([k, v]) => `${k} ${typeof v === "object" ? JSON.stringify(v) : String(v)}`).join(" · ");
  }
  return typeof value === "object" ? JSON.stringify(value) : String(value ?? "");
}

function Detail({ value }: { value: unknown }) {
  if (Array.isArray(value) && value.every((v) => typeof v === "object" && v !== null && !Array.isArray(v))) {
    const rows = value as Record<string, unknown>[];
    const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    return (
      <table class="detail">
        <thead><tr>{cols.map((c) => <th key={c}>{c}</th>)}</tr></thead>
        <tbody>{rows.map((r, i) => <tr key={i}>{cols.map((c) => <td key={c}>{cell(r[c])}</td>)}</tr>)}</tbody>
      </table>
    );
  }
  if (typeof value === "object" && value !== null) return <span>{cell(value)}</span>;
  return <span>{String(value)}</span>;
}

export function HealthScreen() {
  const [health, setHealth] = useState<Health | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = () => {
    get<Health>("/v1/health").then(setHealth, setError);
  };
  useEffect(load, []);
  return (
    <div>
      <h2>Health {health ? <Badge state={health.status} /> : null} <button class="small" onClick={load}>Refresh</button></h2>
      <ErrorBox error={error} />
      <div class="components">
        {health
          ? Object.entries(health.components).map(([name, c]) => (
              <section class={`card component${Object.values(c).some(Array.isArray) ? " wide" : ""}`} key={name} data-component={name}>
                <h3>{name} <Badge state={c.state} /></h3>
                <dl class="details">
                  {Object.entries(c).filter(([k]) => k !== "state").map(([k, v]) => (
                    <div key={k}><dt>{k}</dt><dd><Detail value={v} /></dd></div>
                  ))}
                </dl>
              </section>
            ))
          : null}
      </div>
    </div>
  );
}
