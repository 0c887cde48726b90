// Plugin labels in the reader's language: `name_zh_hans` style keys, picked when the
// browser prefers Chinese. Label values are plugin metadata, shown as text only.

function prefersChinese(): "zh_hans" | "zh_hant" | null {
  for (const lang of navigator.languages ?? [navigator.language]) {
    const l = lang.toLowerCase();
    if (l.startsWith("zh")) return /hant|tw|hk|mo/.test(l) ? "zh_hant" : "zh_hans";
    if (l.startsWith("en")) return null;
  }
  return null;
}

/** The label for `what` (`name`, `description`) in the preferred language, if the plugin gives one. */
export function localized(labels: Record<string, string> | undefined, what: "name" | "description"): string | undefined {
  const lang = prefersChinese();
  if (lang === null || labels === undefined) return undefined;
  return labels[`${what}_${lang}`] ?? labels[`${what}_zh_hans`];
}
