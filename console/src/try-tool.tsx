// Try a tool: a form from the tool's input schema and the plugin's config schema, then
// Run: the result as pretty JSON, a streaming tool's chunks as they arrive, a failure
// with its code and message, and the call's usage receipt (X-Plugin-Usage).
import { useEffect, useMemo, useState } from "preact/hooks";
import { ApiFailure, call, parseUsage, stream } from "./api.ts";
import { ErrorBox, Json } from "./common.tsx";
import { localized } from "./labels.ts";
import { initialValue, SchemaForm } from "./schema-form.tsx";
import type { PackageMeta, PluginMeta, ToolMeta } from "./types.ts";

interface Target {
  pkg: string;
  version: string;
  plugin: string;
  tool: string;
}

/** The tenant's stored config of a plugin, as GetPluginConfig shows it (secrets redacted). */
interface StoredConfig {
  version: string;
  cfg: Record<string, unknown>;
  updated_at: string;
}

type StoredConfigs = { state: "unavailable" } | { state: "none" } | { state: "stored"; config: StoredConfig };

/**
 * Whether the tenant has a stored config for the plugin (GetPluginConfig). A server
 * without stored configs answers 404 (no such route), and the option is not offered.
 */
async function storedConfigFor(pkg: string, plugin: string): Promise<StoredConfigs> {
  try {
    const { data } = await call<StoredConfig | null>("GetPluginConfig", { pkg, plugin });
    return data === null ? { state: "none" } : { state: "stored", config: data };
  } catch (err) {
    if (err instanceof ApiFailure && err.error.http_code === 404) return { state: "unavailable" };
    return { state: "unavailable" };
  }
}

function Receipt({ usage }: { usage: Record<string, number> | null }) {
  if (usage === null) return null;
  const rows: [string, string][] = [
    ["CPU", `${usage.cpu_ms ?? "?"} ms`],
    ["duration", `${usage.wall_ms ?? "?"} ms`],
    ["heap peak", `${((usage.heap_peak_bytes ?? 0) / 1048576).toFixed(2)} MiB`],
    ["fetches", `${usage.fetch_count ?? 0} (${usage.fetch_bytes ?? 0} bytes)`],
  ];
  return (
    <dl class="receipt" data-receipt="">
      {rows.map(([k, v]) => <div key={k}><dt>{k}</dt><dd>{v}</dd></div>)}
    </dl>
  );
}

function ToolForm({ target, plugin, tool }: { target: Target; plugin: PluginMeta; tool: ToolMeta }) {
  const [input, setInput] = useState<unknown>(() => initialValue(tool.input_schema) ?? {});
  const [cfg, setCfg] = useState<unknown>(() => (plugin.config_schema ? initialValue(plugin.config_schema) : undefined));
  const [stored, setStored] = useState<StoredConfigs>({ state: "unavailable" });
  const [useStored, setUseStored] = useState(false);
  const [running, setRunning] = useState(false);
  const [result, setResult] = useState<{ value?: unknown; chunks?: unknown[] } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [usage, setUsage] = useState<Record<string, number> | null>(null);

  useEffect(() => {
    void storedConfigFor(target.pkg, target.plugin).then((found) => {
      setStored(found);
      // A tenant that stored a config most likely wants to run with it.
      if (found.state === "stored") setUseStored(true);
    });
  }, [target.pkg, target.plugin]);

  const run = async () => {
    setRunning(true);
    setError(null);
    setResult(null);
    setUsage(null);
    const body = { ...target, input: input ?? {}, cfg: useStored ? null : (cfg ?? null), stream: tool.stream };
    try {
      if (tool.stream) {
        const chunks: unknown[] = [];
        setResult({ chunks: [] });
        await stream<unknown>("RunPluginTool", body, {
          onChunk(chunk) {
            chunks.push(chunk);
            setResult({ chunks: [...chunks] });
          },
          onHeaders: (h) => setUsage(parseUsage(h.get("x-plugin-usage"))),
        });
      } else {
        const answer = await call<unknown>("RunPluginTool", body);
        setUsage(parseUsage(answer.headers.get("x-plugin-usage")));
        setResult({ value: answer.data });
      }
    } catch (err) {
      // A failed call carries its receipt too.
      if (err instanceof ApiFailure && err.headers !== undefined) setUsage(parseUsage(err.headers.get("x-plugin-usage")));
      setError(err);
    } finally {
      setRunning(false);
    }
  };

  const hasConfig = plugin.config_schema !== null && plugin.config_schema !== undefined && Object.keys(plugin.config_schema.properties ?? {}).length > 0;
  return (
    <form
      class="try"
      onSubmit={(e) => {
        e.preventDefault();
        void run();
      }}
    >
      <section class="card">
        <h3>Input</h3>
        <SchemaForm schema={tool.input_schema} value={input} onChange={setInput} name="input" />
      </section>
      {hasConfig ? (
        <section class="card">
          <h3>Config of {plugin.name}</h3>
          {stored.state === "stored" ? (
            <>
              <label class="check">
                <input type="checkbox" data-action="use-stored" checked={useStored} onChange={(e) => setUseStored(e.currentTarget.checked)} /> Use the stored config
                <span class="muted">(checked against {stored.config.version}, saved {new Date(stored.config.updated_at).toLocaleString()})</span>
              </label>
              {useStored ? <div data-stored-config=""><Json value={stored.config.cfg} /></div> : null}
            </>
          ) : stored.state === "none" ? <p class="muted" data-stored-config="none">This tenant has no stored config for {plugin.name}; fill it in below.</p> : null}
          {useStored ? null : <SchemaForm schema={plugin.config_schema!} value={cfg} onChange={setCfg} name="cfg" />}
        </section>
      ) : null}
      <div class="row">
        <button type="submit" data-action="run" disabled={running}>{running ? "Running…" : "Run"}</button>
      </div>
      <section class="card output" data-output="">
        <h3>Result</h3>
        {result === null && error === null ? <p class="muted">Run the tool to see its answer.</p> : null}
        {result?.chunks !== undefined ? (
          <ol class="chunks">{result.chunks.map((c, i) => <li key={i} class="chunk"><pre class="json">{JSON.stringify(c)}</pre></li>)}</ol>
        ) : null}
        {result !== null && "value" in result ? <Json value={result.value} /> : null}
        <ErrorBox error={error} />
        <Receipt usage={usage} />
        {tool.stream && !running && result !== null ? <p class="muted">A stream's receipt is logged by the server when it ends (SSE answers carry no header).</p> : null}
      </section>
    </form>
  );
}

export function TryScreen({ target }: { target: Target }) {
  const [packages, setPackages] = useState<PackageMeta[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    call<PackageMeta[]>("ListPackages", {}).then((a) => setPackages(a.data), setError);
  }, []);
  const found = useMemo(() => {
    const pkg = packages?.find((p) => p.name === target.pkg && p.version === target.version);
    const plugin = pkg?.plugins.find((p) => p.name === target.plugin);
    const tool = plugin?.tools[target.tool];
    return plugin && tool ? { plugin, tool } : null;
  }, [packages, target.pkg, target.version, target.plugin, target.tool]);
  if (error) return <ErrorBox error={error} />;
  if (packages === null) return <p class="muted">Loading…</p>;
  if (found === null) return <p class="error-text">No tool {target.tool} in {target.pkg}@{target.version} / {target.plugin}.</p>;
  return (
    <div>
      <h2>
        <span class="tool-title">{localized(found.tool.labels, "name") ?? found.tool.name}</span>{" "}
        <span class="muted">{target.pkg}@{target.version} / {target.plugin}</span>
      </h2>
      <p class="description">{localized(found.tool.labels, "description") ?? found.tool.description}</p>
      <ToolForm key={`${target.pkg}/${target.version}/${target.plugin}/${target.tool}`} target={target} plugin={found.plugin} tool={found.tool} />
    </div>
  );
}
