/**
 * The HTTP client to the core, typed by the API's contract (contract/: the zod schemas' DTO
 * types the core validates with). `hc<AppType>` would type routes end to end, but its type
 * reaches every server module, which does not compile under the browser's lib; so the pages call
 * `request<Dto>()` with the contract's DTO types, and the endpoints each page uses are named in
 * one module of that page (kiosk/api.ts, …).
 *
 * One fetch wrapper adds what each kind of caller needs: a kiosk its bearer token, a staff
 * session its CSRF token on every write (the session itself rides in the HttpOnly cookie).
 */
export type Credentials =
  | { readonly kind: 'none' }
  | { readonly kind: 'kiosk'; readonly token: string }
  | { readonly kind: 'staff'; readonly csrfToken: string };

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** An answer the core refused (`application/problem+json`), or no answer (`status` 0). */
export class ApiProblem extends Error {
  override name = 'ApiProblem';
  constructor(
    readonly status: number,
    /** The last segment of the problem type (`/api/v1/problems/<code>`), or `network`. */
    readonly code: string,
    /** The rule a refusal names (its `rule` field), when it does. */
    readonly rule: string | null,
    message: string,
  ) {
    super(message);
  }
}

/** The problem an error response holds, read from its body. */
export async function problemOf(response: Response): Promise<ApiProblem> {
  let body: Record<string, unknown> = {};
  try {
    body = (await response.json()) as Record<string, unknown>;
  } catch {
    // a bare status
  }
  const type = typeof body.type === 'string' ? body.type : '';
  const code = type.split('/').pop() || `http_${response.status}`;
  const rule = typeof body.rule === 'string' ? body.rule : null;
  const detail = typeof body.detail === 'string' ? body.detail : response.statusText;
  return new ApiProblem(response.status, code, rule, detail);
}

/** The headers a caller's credentials add to a request with this method. */
export function credentialHeaders(
  credentials: Credentials,
  method = 'GET',
): Record<string, string> {
  if (credentials.kind === 'kiosk') return { authorization: `Bearer ${credentials.token}` };
  if (credentials.kind === 'staff' && UNSAFE_METHODS.has(method.toUpperCase())) {
    return { 'x-csrf-token': credentials.csrfToken };
  }
  return {};
}

export interface RequestOptions {
  /** A JSON body (sent as application/json). */
  json?: unknown;
  /** A raw body (an image) with its content type. */
  body?: Blob | ArrayBuffer | Uint8Array<ArrayBuffer>;
  contentType?: string;
  query?: Record<string, string | number | undefined>;
  signal?: AbortSignal;
}

export interface ApiClient {
  readonly credentials: () => Credentials;
  /** Sends a request to the core; resolves with the parsed JSON body, rejects with ApiProblem. */
  request<T>(method: string, path: string, options?: RequestOptions): Promise<T>;
  get<T>(path: string, options?: RequestOptions): Promise<T>;
  post<T>(path: string, json?: unknown, options?: RequestOptions): Promise<T>;
}

/** A client of the core at `origin` (the page's own by default), never cached by the browser. */
export function createApiClient(
  credentials: () => Credentials,
  origin: string = location.origin,
): ApiClient {
  async function request<T>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<T> {
    const url = new URL(path, origin);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...credentialHeaders(credentials(), method),
    };
    let body: BodyInit | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.body !== undefined) {
      headers['content-type'] = options.contentType ?? 'application/octet-stream';
      body = options.body;
    }
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body,
        credentials: 'same-origin',
        cache: 'no-store',
        signal: options.signal,
      });
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') throw error;
      throw new ApiProblem(0, 'network', null, 'the appliance cannot be reached');
    }
    if (!response.ok) throw await problemOf(response);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }
  return {
    credentials,
    request,
    get: (path, options) => request('GET', path, options),
    post: (path, json, options) => request('POST', path, { ...options, json }),
  };
}
