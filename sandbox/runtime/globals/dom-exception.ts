// DOMException: the error type that web APIs throw (AbortError, DataCloneError,
// InvalidCharacterError ...), with the legacy numeric codes that older code compares.

// The legacy numeric codes; names without one have code 0.
const LEGACY_CODES: Readonly<Record<string, number>> = {
  __proto__: null,
  IndexSizeError: 1,
  HierarchyRequestError: 3,
  WrongDocumentError: 4,
  InvalidCharacterError: 5,
  NoModificationAllowedError: 7,
  NotFoundError: 8,
  NotSupportedError: 9,
  InvalidStateError: 11,
  SyntaxError: 12,
  InvalidModificationError: 13,
  NamespaceError: 14,
  InvalidAccessError: 15,
  TypeMismatchError: 17,
  SecurityError: 18,
  NetworkError: 19,
  AbortError: 20,
  URLMismatchError: 21,
  QuotaExceededError: 22,
  TimeoutError: 23,
  InvalidNodeTypeError: 24,
  DataCloneError: 25,
} as unknown as Record<string, number>;

export interface DOMExceptionOptions {
  name?: string;
  cause?: unknown;
}

export class DOMException extends Error {
  // Legacy constants, as getters on the constructor only: static fields and prototype
  // copies cost a fresh isolate far more start-up time than these are worth.
  static get INDEX_SIZE_ERR(): number {
    return 1;
  }
  static get DOMSTRING_SIZE_ERR(): number {
    return 2;
  }
  static get HIERARCHY_REQUEST_ERR(): number {
    return 3;
  }
  static get WRONG_DOCUMENT_ERR(): number {
    return 4;
  }
  static get INVALID_CHARACTER_ERR(): number {
    return 5;
  }
  static get NO_DATA_ALLOWED_ERR(): number {
    return 6;
  }
  static get NO_MODIFICATION_ALLOWED_ERR(): number {
    return 7;
  }
  static get NOT_FOUND_ERR(): number {
    return 8;
  }
  static get NOT_SUPPORTED_ERR(): number {
    return 9;
  }
  static get INUSE_ATTRIBUTE_ERR(): number {
    return 10;
  }
  static get INVALID_STATE_ERR(): number {
    return 11;
  }
  static get SYNTAX_ERR(): number {
    return 12;
  }
  static get INVALID_MODIFICATION_ERR(): number {
    return 13;
  }
  static get NAMESPACE_ERR(): number {
    return 14;
  }
  static get INVALID_ACCESS_ERR(): number {
    return 15;
  }
  static get VALIDATION_ERR(): number {
    return 16;
  }
  static get TYPE_MISMATCH_ERR(): number {
    return 17;
  }
  static get SECURITY_ERR(): number {
    return 18;
  }
  static get NETWORK_ERR(): number {
    return 19;
  }
  static get ABORT_ERR(): number {
    return 20;
  }
  static get URL_MISMATCH_ERR(): number {
    return 21;
  }
  static get QUOTA_EXCEEDED_ERR(): number {
    return 22;
  }
  static get TIMEOUT_ERR(): number {
    return 23;
  }
  static get INVALID_NODE_TYPE_ERR(): number {
    return 24;
  }
  static get DATA_CLONE_ERR(): number {
    return 25;
  }

  #name: string;

  constructor(message: string = "", nameOrOptions: string | DOMExceptionOptions = "Error") {
    super(String(message));
    if (typeof nameOrOptions === "object" && nameOrOptions !== null) {
      this.#name = nameOrOptions.name === undefined ? "Error" : String(nameOrOptions.name);
      if ("cause" in nameOrOptions) {
        Object.defineProperty(this, "cause", {
          value: nameOrOptions.cause,
          writable: true,
          configurable: true,
        });
      }
    } else {
      this.#name = String(nameOrOptions);
    }
  }

  // Accessors on the prototype (not own data properties), as in browsers.
  override get name(): string {
    return this.#name;
  }

  // Static, so the name survives a minifier renaming the class.
  static override get name(): string {
    return "DOMException";
  }

  get [Symbol.toStringTag](): string {
    return "DOMException";
  }

  get code(): number {
    return LEGACY_CODES[this.#name] ?? 0;
  }
}

