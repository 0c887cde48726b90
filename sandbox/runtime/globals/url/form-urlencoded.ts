// application/x-www-form-urlencoded: the format of a URL query as URLSearchParams sees it.

import { toUSVString } from "../usv-string.ts";
import { decodeUtf8 } from "../utf8-codec.ts";
import { FORM_URLENCODED_SET, percentDecode, percentEncode } from "./percent-encoding.ts";

export type FormEntry = [name: string, value: string];

export function parseFormUrlencoded(input: string): FormEntry[] {
  const entries: FormEntry[] = [];
  for (const sequence of input.split("&")) {
    if (sequence === "") continue;
    const equals = sequence.indexOf("=");
    const name = equals < 0 ? sequence : sequence.slice(0, equals);
    const value = equals < 0 ? "" : sequence.slice(equals + 1);
    entries.push([decodeComponent(name), decodeComponent(value)]);
  }
  return entries;
}

function decodeComponent(input: string): string {
  const spaced = input.replaceAll("+", " ");
  return spaced.includes("%") ? decodeUtf8(percentDecode(spaced)) : toUSVString(spaced);
}

export function serializeFormUrlencoded(entries: readonly FormEntry[]): string {
  let output = "";
  for (const [name, value] of entries) {
    if (output !== "") output += "&";
    output += percentEncode(name, FORM_URLENCODED_SET, true) + "=" + percentEncode(value, FORM_URLENCODED_SET, true);
  }
  return output;
}
