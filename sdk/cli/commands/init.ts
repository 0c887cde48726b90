// `hiagent-plugin init <dir>`: scaffolds a working plugin folder.
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { CliError, parseCommandArgs, type Command } from "../command.ts";
import { packageNameFor, pluginNameFor, templateFiles } from "../plugin-template.ts";

const HELP = `Usage: hiagent-plugin init <dir> [--name NAME]

Creates dir with a TypeScript plugin that has one tool, a test that runs it in the
real sandbox (hiagent-plugin-sdk/testing + vitest), a README and a tsconfig.json.
dir must not exist or be empty.

Options:
  --name NAME  package name (default: from the folder name)
  -h, --help   show this help`;

async function sdkVersion(): Promise<string> {
  const manifest = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8")) as { version?: string };
  return manifest.version ?? "0.1.0";
}

export const initCommand: Command = {
  name: "init",
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs("init", argv, { name: { type: "string" } });
    if (values.help) {
      io.out.write(`${HELP}\n`);
      return 0;
    }
    const target = positionals[0];
    if (!target) throw new CliError("init needs a folder: hiagent-plugin init <dir>");
    const dir = path.resolve(io.cwd, target);
    const existing = await readdir(dir).catch(() => null);
    if (existing && existing.length > 0) throw new CliError(`${target} exists and is not empty`);
    const name = values.name ?? packageNameFor(path.basename(dir));
    if (!/^[a-z0-9][a-z0-9._-]{0,127}$/.test(name)) throw new CliError(`--name ${name}: use lower case letters, digits, ".", "_" and "-"`);

    const files = templateFiles(name, await sdkVersion());
    for (const [file, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
      await writeFile(path.join(dir, file), text);
    }
    io.out.write(`created ${target}: package ${name}, plugin ${pluginNameFor(name)}, tool greet\n`);
    for (const file of Object.keys(files).sort()) io.out.write(`  ${file}\n`);
    io.out.write(`next: cd ${target} && npm install && npx hiagent-plugin build\n`);
    return 0;
  },
};
