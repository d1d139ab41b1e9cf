// The API client: same-origin fetch with the session cookie (HttpOnly, set by the login answer), JSON in
// and out. Errors come in two kinds the UI treats differently:
//   NetworkError  no answer (offline, dropped, timed out): keep the work, retry later;
//   ApiError      the server answered with an error: `problem` is its problem+json (RFC 9457) body,
//                 with `detail` and `detail_zh` for the user.
// A 401 on any call but the login itself calls the handler set by onUnauthorized (back to the login
// screen, local data kept).
import { language, t } from './i18n.js';

const TIMEOUT_MS = 30_000;

export class NetworkError extends Error {
  constructor(message, { timeout = false, cause } = {}) {
    super(message, { cause });
    this.name = 'NetworkError';
    this.timeout = timeout;
  }
}

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem || {};
  }
}

let unauthorized = null;
export function onUnauthorized(handler) { unauthorized = handler; }

/** fetch + JSON; resolves to the decoded body (null for 204), rejects with NetworkError or ApiError. */
export async function request(path, { method = 'GET', body, signal, timeout = TIMEOUT_MS, auth = true } = {}) {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; controller.abort(); }, timeout);
  const cancel = () => controller.abort();
  signal?.addEventListener('abort', cancel, { once: true });
  const headers = { Accept: 'application/json, application/problem+json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  let data = null;
  let garbled = false;
  try {
    response = await fetch(path, {
      method, headers, credentials: 'same-origin', cache: 'no-store', signal: controller.signal,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const type = response.headers.get('content-type') || '';
    if (response.status !== 204 && type.includes('json')) data = await response.json();
    else if (response.status !== 204) await response.text();
  } catch (error) {
    if (signal?.aborted) throw error;  // the caller cancelled: not a network failure
    if (error instanceof SyntaxError) garbled = true;  // an answer that is not the JSON it claims to be
    else throw new NetworkError(timedOut ? 'timeout' : 'network', { timeout: timedOut, cause: error });
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', cancel);
  }
  if (response.ok && garbled) throw new ApiError(response.status, { title: 'The answer is not valid JSON.' });
  if (!response.ok) {
    const problem = data && typeof data === 'object' && !Array.isArray(data) ? data
      : { status: response.status, title: response.statusText };
    const error = new ApiError(response.status, problem);
    if (response.status === 401 && auth) unauthorized?.(error);
    throw error;
  }
  return data;
}

/** The seconds of a Retry-After header (seconds or an HTTP date), or null. */
export function retryAfterOf(value) {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, (at - Date.now()) / 1000);
}

const UPLOAD_TIMEOUT_MS = 300_000;

/**
 * Send a file (a Blob, or FormData for a multipart form) with upload progress, which fetch() does not report:
 * onProgress(fraction) as the bytes go out. Resolves to the decoded JSON answer (null if there is none);
 * rejects like request(): NetworkError, or ApiError with the problem and its `retryAfter` (seconds or null).
 */
export function upload(path, { method = 'POST', body, onProgress, timeout = UPLOAD_TIMEOUT_MS, auth = true } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, path);
    xhr.timeout = timeout;
    xhr.withCredentials = true;
    xhr.setRequestHeader('Accept', 'application/json, application/problem+json');
    // FormData sets its own multipart type with the boundary.
    if (body instanceof Blob) xhr.setRequestHeader('Content-Type', body.type || 'application/octet-stream');
    xhr.upload.onprogress = (event) => {
      if (onProgress && event.lengthComputable && event.total) onProgress(event.loaded / event.total);
    };
    xhr.onerror = () => reject(new NetworkError('network'));
    xhr.onabort = () => reject(new NetworkError('network'));
    xhr.ontimeout = () => reject(new NetworkError('timeout', { timeout: true }));
    xhr.onload = () => {
      let data = null;
      let garbled = false;
      if (xhr.responseText) {
        try { data = JSON.parse(xhr.responseText); } catch { garbled = true; }
      }
      const ok = xhr.status >= 200 && xhr.status < 300;
      if (ok && !garbled) {
        onProgress?.(1);
        resolve(data);
        return;
      }
      const error = new ApiError(ok ? 502 : xhr.status, data && typeof data === 'object' && !Array.isArray(data)
        ? data : { status: xhr.status, title: ok ? 'The answer is not valid JSON.' : xhr.statusText });
      error.retryAfter = retryAfterOf(xhr.getResponseHeader('Retry-After'));
      if (xhr.status === 401 && auth) unauthorized?.(error);
      reject(error);
    };
    xhr.send(body);
  });
}

/** What to tell the user about an error, in the UI's language. */
export function errorMessage(error) {
  if (error instanceof NetworkError) return t(error.timeout ? 'error_timeout' : 'error_network');
  if (error instanceof ApiError) {
    const { detail, detail_zh: detailZh } = error.problem;
    return (language() === 'zh' ? detailZh || detail : detail) || t('error_http', { status: error.status });
  }
  return t('app_error');
}

export const isNetworkError = (error) => error instanceof NetworkError;

// --- the calls the app makes ---------------------------------------------------------------------------

export const api = {
  login: (username, password) => request('/api/auth/login', { method: 'POST', body: { username, password }, auth: false }),
  logout: () => request('/api/auth/logout', { method: 'POST', auth: false }),
  me: () => request('/api/auth/me'),
  changes: (since, limit = 500) => {
    const query = new URLSearchParams({ limit: String(limit) });
    if (since) query.set('since', since);
    // A page can hold a large packing list: give slow Wi-Fi time.
    return request(`/api/sync/changes?${query}`, { timeout: 120_000 });
  },
  myInspections: (page = 1) => request(`/api/inspections?mine=true&per_page=100&page=${page}`),
  order: (id) => request(`/api/orders/${encodeURIComponent(id)}`),
};
