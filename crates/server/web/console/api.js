// The console's REST client: same origin, the session cookie, and the CSRF token on writes.
import { createApi } from "../shared/api.js";

const client = createApi({ csrfCookie: "edudesk_csrf" });

export const api = client.request;
export const upload = client.upload;
