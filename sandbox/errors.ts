// The one error type of the runtime. Every failure a client can see has a `code`
// from ERROR_CODES (SPEC §5); the HTTP layer maps it to a response in one place.

export const ERROR_CODES = {
  InvalidRequest: { status: 400, retryable: false },
  Unauthorized: { status: 401, retryable: false },
  Forbidden: { status: 403, retryable: false },
  PackageNotFound: { status: 404, retryable: false },
  PluginNotFound: { status: 404, retryable: false },
  ToolNotFound: { status: 404, retryable: false },
  JobNotFound: { status: 404, retryable: false },
  AlreadyInstalled: { status: 409, retryable: false },
  PayloadTooLarge: { status: 413, retryable: false },
  InvalidPackage: { status: 422, retryable: false },
  InvalidInput: { status: 422, retryable: false },
  InvalidConfig: { status: 422, retryable: false },
  PluginInvalidConfig: { status: 422, retryable: false },
  RateLimited: { status: 429, retryable: true },
  QuotaExceeded: { status: 429, retryable: true },
  ToolError: { status: 500, retryable: false },
  ToolMemoryLimit: { status: 500, retryable: false },
  ToolTimeout: { status: 504, retryable: false },
  FetchDenied: { status: 403, retryable: false },
  DownloadFailed: { status: 502, retryable: true },
  QueueUnavailable: { status: 503, retryable: true },
  Internal: { status: 500, retryable: true },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(ERROR_CODES, value);
}

/** The JSON shape of an error as it crosses process boundaries and reaches clients. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  data?: unknown;
}

export class RuntimeError extends Error {
  readonly code: ErrorCode;
  readonly data: unknown;

  constructor(code: ErrorCode, message: string, options?: { data?: unknown; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "RuntimeError";
    this.code = code;
    this.data = options?.data;
  }

  /**
   * Seconds until a refused call may succeed (`QuotaExceeded`): `error.data.retry_after_s`,
   * so every transport can answer it (HTTP as `Retry-After`).
   */
  get retryAfterS(): number | undefined {
    const data = this.data;
    if (typeof data !== "object" || data === null) return undefined;
    const value: unknown = (data as { retry_after_s?: unknown }).retry_after_s;
    return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : undefined;
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  toBody(): ErrorBody {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }

  static fromBody(body: ErrorBody): RuntimeError {
    return new RuntimeError(isErrorCode(body.code) ? body.code : "Internal", body.message, { data: body.data });
  }

  /** Wraps anything thrown into a RuntimeError; unknown failures become `Internal`. */
  static from(err: unknown, fallback: ErrorCode = "Internal"): RuntimeError {
    if (err instanceof RuntimeError) return err;
    const message = err instanceof Error ? err.message : String(err);
    return new RuntimeError(fallback, message, { cause: err });
  }
}
