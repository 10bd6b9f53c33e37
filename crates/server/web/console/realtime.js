// The console's realtime connection: the shared client (shared/socket.js) authenticated by
// the session cookie at the upgrade. Screens listen to it with rt.on(type, fn). While it is
// down the offline banner shows; the outbox is kept in memory (a reload starts afresh).
import { byId } from "../shared/dom.js";
import { createSocket } from "../shared/socket.js";

export const rt = createSocket({
  // Every refused message is dropped (and the agent told), whatever the status.
  isPermanent: () => true,
});

rt.on("down", () => byId("offline")?.classList.add("show"));
rt.on("welcome", () => byId("offline")?.classList.remove("show"));
