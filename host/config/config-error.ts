// A config that cannot start the runtime. Its message is one line naming the key
// path and what is wrong, fit to print as is before exiting.
export class ConfigError extends Error {
  constructor(message: string) {
    super(message.replace(/\s*\n\s*/g, " "));
    this.name = "ConfigError";
  }
}
