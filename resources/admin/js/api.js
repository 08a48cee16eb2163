// The admin JSON API, the same one the console and the CLI use. A session cookie
// (__Host-fazt_session over HTTPS) authenticates; every change carries the session's CSRF
// token in X-CSRF-Token.

let csrfToken = '';

export class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter; // seconds, from Retry-After (429, 503)
  }
}

export function setCsrfToken(token) {
  csrfToken = token || '';
}

async function errorOf(response) {
  let code = 'http_' + response.status;
  let message = response.status + ' ' + response.statusText;
  try {
    const body = await response.json();
    if (body && body.error) {
      code = body.error.code || code;
      message = body.error.message || message;
    }
  } catch (_) { /* not JSON: keep the status line */ }
  const retry = Number(response.headers.get('Retry-After'));
  return new ApiError(response.status, code, message, Number.isFinite(retry) && retry > 0 ? retry : 0);
}

// Sends a request; resolves to the parsed JSON (or null for 204), rejects with an ApiError.
export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrfToken;
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body: payload, credentials: 'same-origin', cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, 'network', 'The server cannot be reached (' + e.message + '). Check the connection and retry.', 0);
  }
  if (!response.ok) {
    // A session that ended (expired, logged out elsewhere, server restarted): back to login.
    if (response.status === 401 && path !== '/api/login' && path !== '/api/session') {
      window.dispatchEvent(new Event('fazt:unauthorized'));
    }
    throw await errorOf(response);
  }
  if (response.status === 204) return null;
  return response.json();
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body);
export const put = (path, body) => api('PUT', path, body);
export const del = (path) => api('DELETE', path);

// Uploads `blob` (an archive) with progress; returns {promise, abort}. XMLHttpRequest rather
// than fetch: it reports upload progress.
export function upload(path, blob, onProgress) {
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    xhr.open('POST', path);
    xhr.setRequestHeader('X-CSRF-Token', csrfToken);
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded, e.total); };
    xhr.onload = () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch (_) { /* keep null */ }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(body);
      const error = body && body.error ? body.error : { code: 'http_' + xhr.status, message: 'HTTP ' + xhr.status };
      reject(new ApiError(xhr.status, error.code, error.message, Number(xhr.getResponseHeader('Retry-After')) || 0));
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', 'The upload was cut off. Check the connection and retry.', 0));
    xhr.onabort = () => reject(new ApiError(0, 'aborted', 'Deploy cancelled: nothing was changed.', 0));
    xhr.send(blob);
  });
  return { promise, abort: () => xhr.abort() };
}
