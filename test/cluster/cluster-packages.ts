// Plugin packages for the cluster tests and the install benchmark, zipped the way an
// author's `pack` makes them: a package.json and TypeScript that imports the SDK (and
// so zod, as the host provides it).
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import JSZip from "jszip";

function manifest(name: string, version: string): string {
  return JSON.stringify({ name, version, type: "module", hiagent: { entry: "src/index.ts", permissions: { fetch: [] } }, dependencies: { "hiagent-plugin-sdk": "*" } });
}

/** A small plugin using zod: `Greeter.greet({who})` answers with its own version, so a test sees which build runs. */
function greeterSource(version: string): string {
  return `import { definePlugin, defineTool, z } from "hiagent-plugin-sdk";
export default definePlugin({
  name: "Greeter",
  description: "Says hello",
  tools: {
    greet: defineTool({
      description: "Greets someone",
      input: z.object({ who: z.string().min(1), excited: z.boolean().default(false) }),
      output: z.object({ text: z.string(), version: z.string() }),
      run: ({ who, excited }) => ({ text: "hello " + who + (excited ? "!" : ""), version: ${JSON.stringify(version)} }),
    }),
  },
});
`;
}

/** The greeter's tools with a `greet` that always throws: a new version gone bad, for channel rollbacks. */
function brokenGreeterSource(version: string): string {
  return `import { definePlugin, defineTool, z } from "hiagent-plugin-sdk";
export default definePlugin({
  name: "Greeter",
  description: "Says hello (broken)",
  tools: {
    greet: defineTool({
      description: "Fails",
      input: z.object({ who: z.string().min(1), excited: z.boolean().default(false) }),
      run: () => { throw new Error("greeter " + ${JSON.stringify(version)} + " is broken"); },
    }),
  },
});
`;
}

/** Spins `ms` when its bundle is first evaluated, so the install's inspect stage lasts a while. */
function slowSource(ms: number): string {
  return `import { definePlugin, defineTool, z } from "hiagent-plugin-sdk";
const until = Date.now() + ${ms};
let spins = 0;
while (Date.now() < until) spins++;
export default definePlugin({ name: "Slow", tools: { spun: defineTool({ input: z.object({}), run: () => spins > 0 }) } });
`;
}

async function zip(files: Record<string, string>): Promise<Buffer> {
  const archive = new JSZip();
  for (const [name, text] of Object.entries(files)) archive.file(name, text);
  return archive.generateAsync({ type: "nodebuffer", compression: "DEFLATE" });
}

export interface PackageFile {
  name: string;
  version: string;
  /** Absolute path of the zip. */
  file: string;
  uri: string;
}

async function write(dir: string, name: string, version: string, source: string): Promise<PackageFile> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${name}-${version}.zip`);
  await writeFile(file, await zip({ "package.json": manifest(name, version), "src/index.ts": source }));
  return { name, version, file, uri: `file://${file}` };
}

export function writeGreeter(dir: string, name: string, version: string): Promise<PackageFile> {
  return write(dir, name, version, greeterSource(version));
}

export function writeSlow(dir: string, name: string, version: string, ms: number): Promise<PackageFile> {
  return write(dir, name, version, slowSource(ms));
}

export function writeBrokenGreeter(dir: string, name: string, version: string): Promise<PackageFile> {
  return write(dir, name, version, brokenGreeterSource(version));
}
