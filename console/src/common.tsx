// Small pieces every screen uses: an error box with the code and message, pretty JSON,
// a state badge. All text, never HTML.
import { ApiFailure } from "./api.ts";

export function ErrorBox({ error }: { error: unknown }) {
  if (error === null || error === undefined) return null;
  if (error instanceof ApiFailure) {
    return (
      <div class="error-box" role="alert">
        <strong class="error-code">{error.error.code}</strong> <span class="error-message">{error.error.message}</span>
        {error.error.data !== undefined ? <pre class="json">{JSON.stringify(error.error.data, null, 2)}</pre> : null}
      </div>
    );
  }
  return (
    <div class="error-box" role="alert">
      <span class="error-message">{error instanceof Error ? error.message : String(error)}</span>
    </div>
  );
}

export function Json({ value }: { value: unknown }) {
  return <pre class="json">{JSON.stringify(value, null, 2)}</pre>;
}

export function Badge({ state }: { state: string }) {
  return <span class={`badge badge-${state}`}>{state}</span>;
}
