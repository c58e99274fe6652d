// @ts-check
// The CCP API: JSON in and out, the bearer token, the error envelope as an ApiError.
import { config } from "./config.js";
import { idToken } from "./session.js";

export class ApiError extends Error {
  constructor(status, code, message, details = []) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

let onSignedOut = () => {};
export function whenSignedOut(callback) {
  onSignedOut = callback;
}

/**
 * @typedef {object} RequestOptions
 * @property {unknown} [body] sent as JSON
 * @property {string} [accept] the media type asked for (JSON, or a CSV or PDF download)
 * @property {boolean | string} [idempotent] an Idempotency-Key: the submission's own (submissionKey), or true for a new one
 * @property {boolean} [auth] send the signed-in member's token
 */

/**
 * @param {"GET" | "POST" | "PATCH" | "DELETE"} method
 * @param {string} path
 * @param {RequestOptions} [options]
 */
export async function request(method, path, { body, accept = "application/json", idempotent = false, auth = true } = {}) {
  const { api_url: base } = await config();
  const headers = { Accept: accept };
  if (auth) {
    const token = await idToken();
    if (!token) {
      onSignedOut();
      throw new ApiError(401, "UNAUTHORIZED", "Your session has ended. Sign in again.");
    }
    headers.Authorization = `Bearer ${token}`;
  }
  if (body !== undefined) headers["Content-Type"] = "application/json";
  // `idempotent`: a submission's own key (submissionKey), or true for a key of this call alone.
  if (idempotent) headers["Idempotency-Key"] = typeof idempotent === "string" ? idempotent : crypto.randomUUID();
  let response;
  try {
    response = await fetch(`${base || ""}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "NETWORK", "The service could not be reached. Check your connection and try again.");
  }
  if (response.status === 401 && auth) {
    onSignedOut();
  }
  if (!response.ok) {
    const payload = await response.json().catch(() => null);
    const error = payload?.error || {};
    throw new ApiError(
      response.status,
      error.code || "HTTP_" + response.status,
      error.message || "Something went wrong. Try again.",
      error.details || [],
    );
  }
  if (accept !== "application/json") return response.blob();
  return response.status === 204 ? null : response.json();
}

// One Idempotency-Key per form submission: sending the same submission again (its answer was lost, a
// second click) carries the same key and is applied once; any change to the form makes a new submission.
export function submissionKey(form) {
  let key = null;
  const fresh = () => { key = null; };
  form.addEventListener("input", fresh);
  form.addEventListener("change", fresh);
  return () => (key ??= crypto.randomUUID());
}

/** @param {string} path @param {RequestOptions} [options] */
export const get = (path, options) => request("GET", path, options);
/** @param {string} path @param {unknown} body @param {RequestOptions} [options] */
export const post = (path, body, options = {}) => request("POST", path, { ...options, body });
/** @param {string} path @param {unknown} body @param {RequestOptions} [options] */
export const patch = (path, body, options = {}) => request("PATCH", path, { ...options, body });
/** @param {string} path @param {RequestOptions} [options] */
export const remove = (path, options) => request("DELETE", path, options);
