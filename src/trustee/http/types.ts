/**
 * The transport-neutral request/response shapes of Trustee's HTTP app: tests call the handler in
 * process, `adapter.ts` serves it over HTTP.
 * @module
 */

/** One HTTP request; header names are lowercase. */
export interface HttpRequest {
  method: string;
  /** Path plus query exactly as received (not decoded). */
  url: string;
  headers: Record<string, string | undefined>;
  body: Uint8Array;
  /** Set by the adapter when the body was larger than its limit (the body is then truncated). */
  bodyTooLarge?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array | string;
}

export type HttpHandler = (req: HttpRequest) => Promise<HttpResponse>;
