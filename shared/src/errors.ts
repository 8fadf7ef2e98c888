/**
 * One error envelope for every party: `{ "error": { "code", "message" } }`.
 * Domain code returns or throws `AppError`; the HTTP layer (http.ts) turns it
 * into the envelope with its status. Nothing else reaches a client.
 */
export type ErrorStatus = 400 | 401 | 403 | 404 | 405 | 409 | 410 | 413 | 415 | 422 | 423 | 429 | 500 | 502 | 503;

export interface ErrorBody {
  error: { code: string; message: string };
}

export class AppError extends Error {
  constructor(
    readonly status: ErrorStatus,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "AppError";
  }

  toBody(): ErrorBody {
    return errorBody(this.code, this.message);
  }
}

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

/** A typed failure of a pure parser or verifier: never thrown, always returned. */
export interface Failure<C extends string> {
  ok: false;
  code: C;
  message: string;
}

export function fail<C extends string>(code: C, message: string): Failure<C> {
  return { ok: false, code, message };
}
