// MCP over Streamable HTTP: every installed tool as an MCP tool, per tenant.
export { mountMcp, MCP_PROTOCOL_VERSIONS, type McpOptions } from "./mcp-routes.ts";
