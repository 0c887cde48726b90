// Packages: every installed package, its versions side by side, each version's plugins
// and tools with descriptions, labels, icon and the origins it may reach. An admin may
// delete a version, after confirming in the page. Plugin metadata is untrusted: it is
// only ever rendered as text.
import { useEffect, useState } from "preact/hooks";
import { call } from "./api.ts";
import { ErrorBox } from "./common.tsx";
import { PluginIcon } from "./icon.tsx";
import { localized } from "./labels.ts";
import type { PackageMeta, PluginMeta, Role } from "./types.ts";

function Labels({ labels }: { labels: Record<string, string> }) {
  const entries = Object.entries(labels);
  if (entries.length === 0) return null;
  return (
    <dl class="labels">
      {entries.map(([k, v]) => (
        <div key={k}><dt>{k}</dt><dd>{v}</dd></div>
      ))}
    </dl>
  );
}

/**
 * Config fields the plugin receives as their raw value (`secret(…, { exposed: true })`)
 * instead of a placeholder: an operator may want to refuse such a package.
 */
function exposedSecretFields(plugin: PluginMeta): string[] {
  const properties = plugin.config_schema?.properties ?? {};
  return Object.entries(properties)
    .filter(([, field]) => typeof field === "object" && field !== null && (field as Record<string, unknown>)["x-hiagent-secret-exposed"] === true)
    .map(([name]) => name);
}

function Plugin({ pkg, plugin }: { pkg: PackageMeta; plugin: PluginMeta }) {
  const title = localized(plugin.labels, "name");
  const description = localized(plugin.labels, "description") ?? plugin.description;
  const exposed = exposedSecretFields(plugin);
  return (
    <section class="plugin" data-plugin={plugin.name}>
      <header>
        <PluginIcon pkg={pkg} plugin={plugin} />
        <div>
          <h4 class="plugin-name">{title ?? plugin.name}{title ? <span class="muted"> ({plugin.name})</span> : null}</h4>
          {plugin.category ? <span class="chip">{plugin.category}</span> : null}
          {plugin.config_required ? <span class="chip">needs config</span> : null}
        </div>
      </header>
      <p class="description">{description}</p>
      {exposed.length > 0 ? (
        <p class="exposed-secrets warning" data-exposed-secrets={exposed.join(",")}>
          <strong>Sees raw secrets:</strong> {exposed.map((f) => <code key={f}>{f}</code>)} reach this plugin's code as their real values, not placeholders.
        </p>
      ) : null}
      <Labels labels={plugin.labels} />
      <ul class="tools">
        {Object.values(plugin.tools).map((tool) => {
          const toolTitle = localized(tool.labels, "name");
          return (
            <li key={tool.name} data-tool={tool.name}>
              <a class="tool-link" href={`#/try/${encodeURIComponent(pkg.name)}/${encodeURIComponent(pkg.version)}/${encodeURIComponent(plugin.name)}/${encodeURIComponent(tool.name)}`}>
                {toolTitle ?? tool.name}
              </a>
              {tool.stream ? <span class="chip">stream</span> : null}
              <span class="tool-description">{localized(tool.labels, "description") ?? tool.description}</span>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function Version({ pkg, role, onDeleted }: { pkg: PackageMeta; role: Role; onDeleted(): void }) {
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const origins = pkg.permissions?.fetch;
  return (
    <article class="version card" data-package={pkg.name} data-version={pkg.version}>
      <header class="version-head">
        <h3>{pkg.version}</h3>
        <span class="muted filename">{pkg.filename}</span>
        {role === "admin" ? (
          confirming ? (
            <span class="confirm">
              Delete {pkg.name}@{pkg.version}?{" "}
              <button
                class="danger small"
                data-action="confirm-delete"
                onClick={async () => {
                  try {
                    await call("DeletePackage", { pkg: pkg.name, version: pkg.version });
                    onDeleted();
                  } catch (err) {
                    setError(err);
                  }
                }}
              >
                Delete
              </button>{" "}
              <button class="small" onClick={() => setConfirming(false)}>Keep</button>
            </span>
          ) : (
            <button class="small" data-action="delete" onClick={() => setConfirming(true)}>Delete…</button>
          )
        ) : null}
      </header>
      <ErrorBox error={error} />
      <div class="permissions">
        <strong>May reach:</strong>{" "}
        {origins === undefined ? <span class="muted">not recorded</span> : origins.length === 0 ? <span class="muted">no network</span> : origins.map((o) => <code key={o} class="origin">{o}</code>)}
      </div>
      {pkg.plugins.map((plugin) => <Plugin key={plugin.name} pkg={pkg} plugin={plugin} />)}
    </article>
  );
}

export function PackagesScreen({ role }: { role: Role }) {
  const [packages, setPackages] = useState<PackageMeta[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = () => {
    call<PackageMeta[]>("ListPackages", {}).then((a) => setPackages(a.data), setError);
  };
  useEffect(load, []);
  if (error) return <ErrorBox error={error} />;
  if (packages === null) return <p class="muted">Loading…</p>;
  const byName = new Map<string, PackageMeta[]>();
  for (const p of packages) byName.set(p.name, [...(byName.get(p.name) ?? []), p]);
  return (
    <div>
      <h2>Packages</h2>
      {byName.size === 0 ? <p class="muted">No packages installed.{role === "admin" ? " Install one from the Install screen." : ""}</p> : null}
      {[...byName].map(([name, versions]) => (
        <section class="package" key={name} data-package-name={name}>
          <h3 class="package-name">{name}</h3>
          <div class="versions">
            {versions.map((v) => <Version key={v.version} pkg={v} role={role} onDeleted={load} />)}
          </div>
        </section>
      ))}
    </div>
  );
}
