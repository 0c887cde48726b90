// Usage slots in this process's memory: the single-node store (no Redis).
import { resolutionsFor, rowsOfFields, USAGE_METRICS, usageField, usageKeyId, type Resolution, type UsageAmounts, type UsageKey, type UsageSlot, type UsageStore } from "./usage-store.ts";

interface Slot {
  expires: number;
  fields: Map<string, number>;
}

export class MemoryUsageStore implements UsageStore {
  readonly #resolutions: Resolution[];
  readonly #slots = new Map<string, Slot>();
  #nextPrune = 0;

  constructor(retentionMs: number) {
    this.#resolutions = resolutionsFor(retentionMs);
  }

  record(tenant: string, key: UsageKey, amounts: UsageAmounts, now: number): Promise<void> {
    this.#prune(now);
    const id = usageKeyId(key);
    for (const r of this.#resolutions) {
      const start = now - (now % r.ms);
      const slotKey = slotId(tenant, r.ms, start);
      let slot = this.#slots.get(slotKey);
      if (slot === undefined) {
        slot = { expires: start + r.ms + r.keepMs, fields: new Map() };
        this.#slots.set(slotKey, slot);
      }
      for (const metric of USAGE_METRICS) {
        if (amounts[metric] === 0) continue;
        const field = usageField(metric, id);
        slot.fields.set(field, (slot.fields.get(field) ?? 0) + amounts[metric]);
      }
    }
    return Promise.resolve();
  }

  read(tenant: string, resolutionMs: number, since: number, until: number): Promise<UsageSlot[]> {
    const slots: UsageSlot[] = [];
    for (let start = since - (since % resolutionMs); start < until; start += resolutionMs) {
      if (start < since) continue;
      const slot = this.#slots.get(slotId(tenant, resolutionMs, start));
      if (slot !== undefined) slots.push({ start, rows: rowsOfFields(slot.fields) });
    }
    return Promise.resolve(slots);
  }

  /** Drops expired slots, at most once a second. */
  #prune(now: number): void {
    if (now < this.#nextPrune) return;
    this.#nextPrune = now + 1000;
    for (const [id, slot] of this.#slots) if (slot.expires <= now) this.#slots.delete(id);
  }
}

function slotId(tenant: string, resolutionMs: number, start: number): string {
  return `${tenant}\n${resolutionMs}\n${start}`;
}
