// Usage slots in this process's memory: the single-node store (no Redis). One map per
// resolution; slots enter it in the order of their start (a slot is created by the
// first call in it), so expired ones are always at the front and pruning stops at the
// first live one.
import { resolutionsFor, rowsOfFields, USAGE_METRICS, usageField, usageKeyId, type Resolution, type UsageAmounts, type UsageKey, type UsageSlot, type UsageStore } from "./usage-store.ts";

interface Slot {
  expires: number;
  fields: Map<string, number>;
}

export class MemoryUsageStore implements UsageStore {
  readonly #resolutions: Resolution[];
  /** Resolution ms → `tenant\nstart` → slot. */
  readonly #slots = new Map<number, Map<string, Slot>>();

  constructor(retentionMs: number) {
    this.#resolutions = resolutionsFor(retentionMs);
    for (const r of this.#resolutions) this.#slots.set(r.ms, new Map());
  }

  record(tenant: string, key: UsageKey, amounts: UsageAmounts, now: number): Promise<void> {
    const id = usageKeyId(key);
    for (const r of this.#resolutions) {
      const slots = this.#slotsOf(r.ms);
      prune(slots, now);
      const start = now - (now % r.ms);
      const slotKey = `${tenant}\n${start}`;
      let slot = slots.get(slotKey);
      if (slot === undefined) {
        slot = { expires: start + r.ms + r.keepMs, fields: new Map() };
        slots.set(slotKey, slot);
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
    const slots = this.#slotsOf(resolutionMs);
    const found: UsageSlot[] = [];
    for (let start = since - (since % resolutionMs); start < until; start += resolutionMs) {
      if (start < since) continue;
      const slot = slots.get(`${tenant}\n${start}`);
      if (slot !== undefined) found.push({ start, rows: rowsOfFields(slot.fields) });
    }
    return Promise.resolve(found);
  }

  #slotsOf(resolutionMs: number): Map<string, Slot> {
    let slots = this.#slots.get(resolutionMs);
    if (slots === undefined) {
      slots = new Map();
      this.#slots.set(resolutionMs, slots);
    }
    return slots;
  }
}

/** Drops the expired slots at the front (a Map iterates in insertion order). */
function prune(slots: Map<string, Slot>, now: number): void {
  for (const [key, slot] of slots) {
    if (slot.expires > now) return;
    slots.delete(key);
  }
}
