// Thin fetch wrapper over the gateway REST API: JSON in and out, RFC 7807 problems raised as ApiError.

/** An API answer that is not 2xx; `fields` maps a field name to its messages (from problem `errors`). */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.title ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem ?? {};
    this.rule = problem?.rule ?? null;
    this.fields = problem?.errors ?? {};
  }
}

/** Called with no argument when any call answers 401 (session expired or signed out elsewhere). */
let onUnauthorized = () => {};
export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

/**
 * Calls the API. `ifMatch` sends the identity version for optimistic concurrency.
 * Resolves with `{ data, etag }` so callers can keep the version they edit against.
 */
export async function call(method, url, { body, ifMatch, quiet401 = false } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (ifMatch !== undefined && ifMatch !== null) headers['If-Match'] = `"${ifMatch}"`;
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, { title: 'network' });
  }
  const text = await response.text();
  let data = null;
  if (text.length > 0) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    if (response.status === 401 && !quiet401) onUnauthorized();
    throw new ApiError(response.status, data);
  }
  return { data, etag: response.headers.get('ETag') };
}

export const get = (url, options) => call('GET', url, options).then((r) => r.data);
export const post = (url, body, options = {}) => call('POST', url, { ...options, body }).then((r) => r.data);
export const patch = (url, body, options = {}) => call('PATCH', url, { ...options, body }).then((r) => r.data);

/** Builds a query string from the non-empty values of `params`. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && String(v).trim() !== '') q.set(k, String(v).trim());
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}
