// A plugin's icon, fetched with the signed-in token (an <img src> could not send it)
// and shown from a blob: URL; a letter when the plugin has none or it cannot be read.
import { useEffect, useState } from "preact/hooks";
import { token } from "./api.ts";
import type { PackageMeta, PluginMeta } from "./types.ts";

export function PluginIcon({ pkg, plugin }: { pkg: PackageMeta; plugin: PluginMeta }) {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    // A URL icon is not fetched (the page loads nothing from elsewhere); a data: one is shown as it is.
    if (plugin.icon === "" || /^[a-z][a-z0-9+.-]*:/i.test(plugin.icon)) return;
    let revoked = false;
    let objectUrl: string | null = null;
    const q = new URLSearchParams({ pkg: pkg.name, version: pkg.version, plugin: plugin.name });
    const t = token.get();
    fetch(`/v1/PluginIcon?${q}`, { headers: t === null ? {} : { authorization: `Bearer ${t}` } })
      .then(async (r) => {
        if (!r.ok || revoked) return;
        objectUrl = URL.createObjectURL(await r.blob());
        setUrl(objectUrl);
      })
      .catch(() => undefined);
    return () => {
      revoked = true;
      if (objectUrl !== null) URL.revokeObjectURL(objectUrl);
    };
  }, [pkg.name, pkg.version, plugin.name, plugin.icon]);
  if (/^data:image\//i.test(plugin.icon)) return <img class="icon" src={plugin.icon} alt="" width={40} height={40} />;
  if (url !== null) return <img class="icon" src={url} alt="" width={40} height={40} />;
  return <span class="icon letter" aria-hidden="true">{(plugin.name[0] ?? "?").toUpperCase()}</span>;
}
