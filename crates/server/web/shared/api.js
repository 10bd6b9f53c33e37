// The one REST helper of the console and the widget. Each creates its own client:
//   console: createApi({ csrfCookie: "edudesk_csrf" }) — same origin, the session cookie, and
//            the CSRF token (read from that cookie) as `x-csrf-token` on every non-GET;
//   widget:  createApi({ base }) — the support server's origin, and per call
//            { token } sent as `Authorization: Bearer <token>`.
// Failures throw an Error whose message is the server's problem `detail` (or the status
// text) and whose `.status` is the HTTP status.
import { cookie } from "./dom.js";

export function createApi({ base = "", csrfCookie = null } = {}) {
  const url = (path) => base + "/api/v1" + path;
  const headers = (method, token, contentType) => {
    const result = {};
    if (contentType) result["content-type"] = contentType;
    if (token) result.authorization = "Bearer " + token;
    if (csrfCookie && method !== "GET") result["x-csrf-token"] = cookie(csrfCookie) || "";
    return result;
  };

  // A JSON request; resolves to the JSON answer (null for 204 or a body that is not JSON).
  async function request(method, path, body, { token } = {}) {
    const response = await fetch(url(path), {
      method, headers: headers(method, token, "application/json"), credentials: "same-origin", body: body ? JSON.stringify(body) : undefined });
    return answer(response);
  }

  // Raw bytes (a file), e.g. an attachment; resolves to the JSON answer like request().
  async function upload(path, file, { token, contentType } = {}) {
    const response = await fetch(url(path), {
      method: "POST", headers: headers("POST", token, contentType || file.type || "application/octet-stream"), credentials: "same-origin", body: file });
    return answer(response);
  }

  // A plain GET whose Response the caller reads itself (files, or an answer it may do without).
  // No content type is sent, so a cross-origin GET stays a simple request (no preflight).
  function get(path, { token } = {}) {
    return fetch(url(path), { headers: headers("GET", token), credentials: "same-origin" });
  }

  return { request, upload, get, url };
}

async function answer(response) {
  const json = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw Object.assign(new Error(json?.detail || response.statusText), { status: response.status });
  return json;
}
