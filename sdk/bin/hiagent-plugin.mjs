#!/usr/bin/env node
// The `hiagent-plugin` executable: registers tsx so the TypeScript CLI (and the runtime
// it drives) runs from source, then hands over to it.
import { register } from "tsx/esm/api";

register();
const { runFromProcess } = await import("../cli/main.ts");
await runFromProcess();
