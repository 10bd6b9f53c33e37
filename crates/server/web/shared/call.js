// In-browser calls (voice, video, screen sharing), shared by the widget and the console.
// Call control (ring, accept, decline, hang up) is REST; WebRTC signalling rides the realtime
// socket as `call_signal` frames that the server relays to the other participant only
// (docs/realtime.md). The media never touch the server, except through a TURN relay.
//
// Negotiation is "perfect negotiation" (the W3C pattern): both sides may renegotiate at any
// time (a camera turned on, a screen shared), and when two offers cross, the polite side (the
// learner) rolls back and answers while the impolite side (the agent) ignores the other offer.
// A failed or long-disconnected connection restarts ICE (a new network after a Wi-Fi to 4G
// switch); the socket reconnects by itself and signalling resumes.
//
// The call panel shows the other side's camera and screen, the controls, the duration and a
// five-level quality indicator computed from getStats (round-trip time, packet loss and the
// received bitrate). Its data attributes (data-state, data-level, data-frames, data-tracks,
// data-path) say what it shows, for people's tools and the browser tests alike; data-ice,
// data-connection, data-encoded, data-sent, data-received and data-remote say how far a
// call that shows nothing got (connected? sending? receiving?).
import { el } from "./dom.js";

const STATS_EVERY_MS = 1000;
const DISCONNECTED_GRACE_MS = 3000;
// A connection not back this long after its last restart is restarted again (the relay or
// the network may have come back since).
const RESTART_AGAIN_MS = 8000;

// options:
//   api        the REST client (shared/api.js)
//   rt         the realtime client (shared/socket.js)
//   token      () => a promise of the bearer token (widget) or null (console: cookie)
//   container  the element the call panel lives in
//   texts      the call texts in the page's language, or a function giving them (call-text.js)
//   side       "contact" (the widget: the polite peer) or "agent"
//   me         () => the agent's user id (console), to know which calls are this agent's
//   onEnded    (call) => called once when a call this page was in is over
//   onIncoming (call, ringsForMe) => every change of a call this page is not in: the page
//              shows accept/decline while ringsForMe, and takes the prompt down otherwise
export function createCalls({ api, rt, token = () => Promise.resolve(null), container, texts, side, me = () => null, onIncoming = () => {}, onChange = () => {}, onEnded = () => {} }) {
  const T = () => (typeof texts === "function" ? texts() : texts);
  let current = null;   // { call, pc, local, screen, makingOffer, ignoreOffer, queue, ... }
  const request = async (method, path, body) => api.request(method, path, body, { token: await token() });

  const mine = (call) => side === "contact" ? true : call.agent_id === me();
  const iRang = (call) => call.started_by === side && (side === "contact" || call.agent_id === me());

  async function start(conversationId, media) {
    if (current) throw new Error(T().busy);
    const call = await request("POST", `/conversations/${conversationId}/calls`, { media });
    adopt(call);
    return call;
  }

  async function accept(call) {
    const accepted = await request("POST", `/calls/${call.id}/accept`);
    adopt(accepted);
  }

  async function decline(call) {
    await request("POST", `/calls/${call.id}/decline`);
  }

  async function hangUp() {
    if (!current) return;
    const id = current.call.id;
    try { await request("POST", `/calls/${id}/hangup`); } catch (error) { /* ended meanwhile: the frame says how */ }
    teardown(current.call.state === "accepted" ? "ended" : "missed");
  }

  // A call this page takes part in: show it, and begin the media once it is accepted.
  function adopt(call) {
    if (current && current.call.id !== call.id) return;
    if (!current) current = { call, pc: null, local: null, screen: null, makingOffer: false, ignoreOffer: false, queue: [], remote: new Map(), stats: null, startedAt: 0, lastBytes: 0, lastAt: 0, lastLost: 0, lastReceived: 0 };
    current.call = call;
    if (call.state === "accepted" && !current.pc) begin().catch((error) => { render(error.message); });
    if (["declined", "missed", "ended"].includes(call.state)) { teardown(call.state); return; }
    render();
  }

  async function begin() {
    const call = current.call;
    current.startedAt = Date.now();
    const ice = await request("GET", "/calls/ice-servers");
    const pc = new RTCPeerConnection({ iceServers: ice.ice_servers, iceTransportPolicy: ice.ice_transport_policy });
    current.pc = pc;
    const signal = (data) => rt.send({ type: "call_signal", call_id: call.id, data });
    pc.onicecandidate = ({ candidate }) => { if (candidate) signal({ candidate: candidate.toJSON() }); };
    pc.onnegotiationneeded = async () => {
      try {
        current.makingOffer = true;
        await pc.setLocalDescription();
        signal({ description: pc.localDescription.toJSON() });
      } catch (error) { console.warn("negotiation", error); } finally { if (current) current.makingOffer = false; }
    };
    pc.ontrack = ({ track, streams }) => {
      const stream = streams[0] || new MediaStream([track]);
      if (!current.remote.has(stream.id)) {
        const video = el("video", { autoplay: true, playsinline: true, class: "remote", "data-stream": stream.id });
        video.srcObject = stream;
        current.remote.set(stream.id, video);
        stream.onremovetrack = () => { if (!stream.getTracks().length) { video.remove(); current?.remote.delete(stream.id); render(); } };
      }
      render();
    };
    let disconnectedTimer = null;
    pc.oniceconnectionstatechange = () => {
      clearTimeout(disconnectedTimer);
      if (["connected", "completed"].includes(pc.iceConnectionState)) current.healthyAt = Date.now();
      if (pc.iceConnectionState === "failed") restart();
      if (pc.iceConnectionState === "disconnected") disconnectedTimer = setTimeout(() => { if (pc.iceConnectionState === "disconnected") restart(); }, DISCONNECTED_GRACE_MS);
      render();
    };
    current.local = await navigator.mediaDevices.getUserMedia({ audio: true, video: call.media === "video" });
    current.local.getTracks().forEach((track) => pc.addTrack(track, current.local));
    // Signals that came before the connection existed.
    const queued = current.queue.splice(0);
    for (const data of queued) await onSignal(data);
    current.stats = setInterval(measure, STATS_EVERY_MS);
    render();
  }

  // ICE restart: new candidates (a new network, a relay back up), renegotiated.
  function restart() {
    if (!current?.pc) return;
    current.restartedAt = Date.now();
    current.pc.restartIce();
  }
  window.addEventListener("online", restart);

  async function onSignal(data) {
    const pc = current?.pc;
    if (!pc) { current?.queue.push(data); return; }
    const polite = side === "contact";
    if (data.description) {
      const description = data.description;
      const collision = description.type === "offer" && (current.makingOffer || pc.signalingState !== "stable");
      current.ignoreOffer = !polite && collision;
      if (current.ignoreOffer) return;
      await pc.setRemoteDescription(description);
      if (description.type === "offer") {
        await pc.setLocalDescription();
        rt.send({ type: "call_signal", call_id: current.call.id, data: { description: pc.localDescription.toJSON() } });
      }
    } else if (data.candidate) {
      try { await pc.addIceCandidate(data.candidate); } catch (error) { if (!current.ignoreOffer) console.warn("candidate", error); }
    } else if (data.control) {
      onControl(data.control);
    }
  }

  // Requests from the other side that need this person's consent (e.g. "show me your screen").
  function onControl(control) {
    if (control.ask === "screen") { current.asked = "screen"; render(); }
  }

  function setAudio(on) { current?.local?.getAudioTracks().forEach((track) => { track.enabled = on; }); render(); }

  // Camera on/off; turning it on in a voice call adds a video track (renegotiated).
  async function setCamera(on) {
    if (!current?.pc) return;
    const tracks = current.local.getVideoTracks();
    if (tracks.length) { tracks.forEach((track) => { track.enabled = on; }); render(); return; }
    if (!on) return;
    const camera = await navigator.mediaDevices.getUserMedia({ video: true });
    const track = camera.getVideoTracks()[0];
    current.local.addTrack(track);
    current.pc.addTrack(track, current.local);
    render();
  }

  // Sharing this screen: the browser's own picker is the sharer's consent.
  async function shareScreen() {
    if (!current?.pc || current.screen) return;
    current.asked = null;
    const display = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    const track = display.getVideoTracks()[0];
    const sender = current.pc.addTrack(track, display);
    current.screen = { display, sender };
    track.onended = () => stopScreen();
    render();
  }

  function stopScreen() {
    if (!current?.screen) return;
    const { display, sender } = current.screen;
    display.getTracks().forEach((track) => track.stop());
    try { current.pc.removeTrack(sender); } catch (error) { /* already closed */ }
    current.screen = null;
    render();
  }

  function askForScreen() {
    if (!current?.pc) return;
    rt.send({ type: "call_signal", call_id: current.call.id, data: { control: { ask: "screen" } } });
  }

  // Quality from getStats, one of five levels (5 best): the round-trip time of the selected
  // candidate pair, the share of packets lost and the received bitrate over the last second.
  async function measure() {
    const pc = current?.pc;
    if (!pc) return;
    const report = await pc.getStats();
    let rtt = null, lost = 0, received = 0, bytes = 0, frames = 0, decoding = 0, path = null, encoded = 0, sent = 0;
    let pairId = null;
    report.forEach((stat) => { if (stat.type === "transport" && stat.selectedCandidatePairId) pairId = stat.selectedCandidatePairId; });
    report.forEach((stat) => {
      if (stat.type === "candidate-pair" && (stat.id === pairId || (!pairId && stat.nominated && stat.state === "succeeded"))) {
        rtt = stat.currentRoundTripTime ?? rtt;
        path = report.get(stat.localCandidateId)?.candidateType ?? path;
      }
      if (stat.type === "inbound-rtp") {
        lost += stat.packetsLost || 0;
        received += stat.packetsReceived || 0;
        bytes += stat.bytesReceived || 0;
        if (stat.kind === "video") {
          frames += stat.framesDecoded || 0;
          if ((stat.framesDecoded || 0) > 0) decoding += 1;
        }
      }
      // What this side sends: a call that decodes nothing is told apart from one whose
      // camera never encoded a frame.
      if (stat.type === "outbound-rtp" && stat.kind === "video") {
        encoded += stat.framesEncoded || 0;
        sent += stat.bytesSent || 0;
      }
    });
    const now = Date.now();
    const seconds = current.lastAt ? (now - current.lastAt) / 1000 : 0;
    const kbps = seconds ? ((bytes - current.lastBytes) * 8) / 1000 / seconds : null;
    const newLost = lost - current.lastLost, newReceived = received - current.lastReceived;
    const loss = newLost + newReceived > 0 ? newLost / (newLost + newReceived) : 0;
    Object.assign(current, { lastAt: now, lastBytes: bytes, lastLost: lost, lastReceived: received });
    const healthy = ["connected", "completed"].includes(pc.iceConnectionState);
    if (healthy) current.healthyAt = now;
    else if (current.healthyAt && now - current.healthyAt > RESTART_AGAIN_MS && now - (current.restartedAt || 0) > RESTART_AGAIN_MS) restart();
    current.quality = { level: level(rtt, loss, kbps), rtt, loss, kbps, frames, decoding, path, encoded, sent, bytes };
    render();
  }

  function level(rtt, loss, kbps) {
    if (rtt === null || kbps === null) return 0;
    if (rtt > 1 || loss > 0.15 || kbps < 8) return 1;
    if (rtt > 0.5 || loss > 0.08) return 2;
    if (rtt > 0.3 || loss > 0.03) return 3;
    if (rtt > 0.15 || loss > 0.01) return 4;
    return 5;
  }

  function teardown(state) {
    if (!current) return;
    clearInterval(current.stats);
    current.local?.getTracks().forEach((track) => track.stop());
    current.screen?.display.getTracks().forEach((track) => track.stop());
    current.pc?.close();
    const ended = current.call;
    current = null;
    container.replaceChildren(el("div", { class: "call-panel", "data-state": state, "data-call": ended.id }, T()[state] || T().ended));
    onChange(null);
    onEnded(ended);
    setTimeout(() => { if (!current) container.replaceChildren(); }, 4000);
  }

  function duration() {
    const seconds = current?.startedAt ? Math.floor((Date.now() - current.startedAt) / 1000) : 0;
    return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
  }

  function render(problem) {
    if (!current) return;
    const { call, quality } = current;
    const connected = current.pc && ["connected", "completed"].includes(current.pc.iceConnectionState);
    const audioOn = current.local?.getAudioTracks().some((track) => track.enabled) ?? true;
    const cameraOn = current.local?.getVideoTracks().some((track) => track.enabled) ?? false;
    const status = call.state === "ringing" ? (iRang(call) ? T().calling : T().ringing)
      : connected ? `${T().inCall} ${duration()}` : T().connecting;
    const bars = quality ? "▂▄▆█▉".slice(0, quality.level) : "";
    const panel = el("div", { class: "call-panel", "data-call": call.id, "data-state": call.state, "data-media": call.media,
      "data-level": quality?.level ?? 0, "data-frames": quality?.frames ?? 0, "data-tracks": quality?.decoding ?? 0, "data-path": quality?.path ?? "",
      "data-ice": current.pc?.iceConnectionState ?? "", "data-connection": current.pc?.connectionState ?? "",
      "data-encoded": quality?.encoded ?? 0, "data-sent": quality?.sent ?? 0, "data-received": quality?.bytes ?? 0, "data-remote": current.remote.size },
      el("div", { class: "call-status" }, (call.media === "video" ? "📹 " : "📞 ") + status, " ",
        el("span", { class: "call-quality", title: T().quality + (quality?.rtt != null ? ` · RTT ${Math.round(quality.rtt * 1000)} ms` : "") + (quality?.kbps != null ? ` · ${Math.round(quality.kbps)} kbps` : "") }, bars)),
      problem ? el("div", { class: "call-problem" }, problem) : null,
      el("div", { class: "call-videos" }, ...current.remote.values()),
      current.asked === "screen" ? el("div", { class: "call-consent" }, T().askedScreen, " ",
        el("button", { class: "call-share-consent", onclick: () => shareScreen().catch((error) => render(error.message)) }, T().allow), " ",
        el("button", { class: "call-deny", onclick: () => { current.asked = null; render(); } }, T().deny)) : null,
      el("div", { class: "call-controls" },
        call.state === "accepted" ? [
          el("button", { class: "call-mute", "aria-pressed": String(!audioOn), onclick: () => setAudio(!audioOn) }, audioOn ? T().mute : T().unmute),
          el("button", { class: "call-camera", "aria-pressed": String(cameraOn), onclick: () => setCamera(!cameraOn).catch((error) => render(error.message)) }, cameraOn ? T().cameraOff : T().cameraOn),
          current.screen ? el("button", { class: "call-screen-stop", onclick: stopScreen }, T().stopScreen)
            : el("button", { class: "call-screen", onclick: () => shareScreen().catch((error) => render(error.message)) }, T().shareScreen),
          side === "agent" ? el("button", { class: "call-ask-screen", onclick: askForScreen }, T().askScreen) : null,
        ] : null,
        el("button", { class: "call-hangup danger", onclick: hangUp }, T().hangUp)));
    // The videos are moved, not rebuilt, so playback does not stutter.
    container.replaceChildren(panel);
    current.remote.forEach((video) => { if (video.paused) video.play().catch(() => {}); });
    onChange(current.call);
  }

  // The server's frames about calls.
  rt.on("media_call", (frame) => {
    const call = frame.call;
    if (current && current.call.id === call.id) {
      if (call.state === "accepted" && !mine(call)) { teardown("answeredElsewhere"); return; }
      adopt(call);
      return;
    }
    if (!current && call.state === "accepted" && iRang(call)) { adopt(call); return; }
    onIncoming(call, !current && call.state === "ringing" && !iRang(call));
  });
  rt.on("call_signal", (frame) => {
    if (current && current.call.id === frame.call_id) onSignal(frame.data).catch((error) => console.warn("signal", error));
  });

  return { start, accept, decline, hangUp, current: () => current?.call ?? null };
}
