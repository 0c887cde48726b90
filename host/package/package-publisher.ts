// Moves a finished build into `extensions/{name}/{version}/` and takes installed
// versions away (SPEC §2 step 8). Both are renames under the name@version lock, so a
// reader sees the old folder or the new one, never a half-written one; anything being
// thrown away goes through `extensions/.trash/` first and is deleted from there.
import { randomUUID } from "node:crypto";
import { mkdir, rename, rm, rmdir, stat } from "node:fs/promises";
import path from "node:path";
import { RuntimeError } from "../../sandbox/errors.ts";
import { PackageLock, type PackageLockOptions } from "./package-lock.ts";

export const STAGING_DIR = ".staging";
export const TRASH_DIR = ".trash";
export const LOCKS_DIR = ".locks";

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}

function alreadyInstalled(name: string, version: string): RuntimeError {
  return new RuntimeError("AlreadyInstalled", `package ${name}@${version} is already installed (install with force to replace it)`);
}

export class PackagePublisher {
  readonly #extensionsDir: string;
  readonly #lock: PackageLock;

  constructor(extensionsDir: string, lockOptions: PackageLockOptions = {}) {
    this.#extensionsDir = path.resolve(extensionsDir);
    this.#lock = new PackageLock(path.join(this.#extensionsDir, LOCKS_DIR), lockOptions);
  }

  /** `extensions/{name}/{version}`; callers validate name and version first. */
  versionDir(name: string, version: string): string {
    return path.join(this.#extensionsDir, name, version);
  }

  isInstalled(name: string, version: string): Promise<boolean> {
    return exists(this.versionDir(name, version));
  }

  /** The early check of an install without force (the decisive one is in `publish`). */
  async assertNotInstalled(name: string, version: string): Promise<void> {
    if (await this.isInstalled(name, version)) throw alreadyInstalled(name, version);
  }

  /**
   * Renames `builtDir` (a finished folder on the same disk) into place. Without `force`
   * an installed version is `AlreadyInstalled`; with it the installed one is replaced.
   */
  async publish(builtDir: string, name: string, version: string, options: { force: boolean }): Promise<void> {
    const target = this.versionDir(name, version);
    const trash = await this.#lock.withLock(name, version, async () => {
      if (await exists(target)) {
        if (!options.force) throw alreadyInstalled(name, version);
        const aside = await this.#moveToTrash(target);
        try {
          await rename(builtDir, target);
        } catch (err) {
          await rename(aside, target).catch(() => undefined);
          throw err;
        }
        return aside;
      }
      await this.#renameIntoPlace(builtDir, target, name, version);
      return null;
    });
    if (trash) await rm(trash, { recursive: true, force: true });
  }

  /** Takes an installed version away; false when it was not installed. */
  async remove(name: string, version: string): Promise<boolean> {
    const target = this.versionDir(name, version);
    const trash = await this.#lock.withLock(name, version, async () => {
      if (!(await exists(target))) return null;
      const aside = await this.#moveToTrash(target);
      // The name folder goes when its last version does; a publish racing this retries.
      await rmdir(path.dirname(target)).catch(() => undefined);
      return aside;
    });
    if (!trash) return false;
    await rm(trash, { recursive: true, force: true });
    return true;
  }

  async #moveToTrash(dir: string): Promise<string> {
    const trashRoot = path.join(this.#extensionsDir, TRASH_DIR);
    await mkdir(trashRoot, { recursive: true });
    const aside = path.join(trashRoot, randomUUID());
    await rename(dir, aside);
    return aside;
  }

  async #renameIntoPlace(builtDir: string, target: string, name: string, version: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      await mkdir(path.dirname(target), { recursive: true });
      try {
        await rename(builtDir, target);
        return;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // Another process without our lock won the race to this exact folder.
        if (code === "EEXIST" || code === "ENOTEMPTY") throw alreadyInstalled(name, version);
        // The name folder was removed (last version deleted) between mkdir and rename.
        if (code !== "ENOENT" || attempt >= 3) throw err;
      }
    }
  }
}
