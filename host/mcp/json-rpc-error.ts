// The JSON-RPC error answer of a request refused before it reaches the MCP server
// (auth, Origin/Host, unknown package, wrong method): `id` is null because the
// request's own id was never read.
export function jsonRpcError(status: number, code: number, message: string, data?: unknown, headers: Record<string, string> = {}): Response {
  const error = data === undefined ? { code, message } : { code, message, data };
  return new Response(JSON.stringify({ jsonrpc: "2.0", id: null, error }), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}
