// The call panel's texts (shared/call.js) in Chinese and English, the same in the widget and
// the console.
export const CALL_TEXT = {
  zh: { voice: "语音通话", video: "视频通话", calling: "正在呼叫…", ringing: "来电响铃中", incoming: "来电", connecting: "正在连接…", inCall: "通话中",
    accept: "接听", decline: "拒绝", hangUp: "挂断", mute: "静音", unmute: "取消静音", cameraOn: "打开摄像头", cameraOff: "关闭摄像头",
    shareScreen: "共享屏幕", stopScreen: "停止共享", askScreen: "请对方共享屏幕", askedScreen: "客服希望查看您的屏幕，是否共享？", allow: "共享", deny: "不共享",
    quality: "通话质量", ended: "通话已结束", missed: "未接通", declined: "对方已拒绝", answeredElsewhere: "已由其他客服接听", busy: "已有通话进行中", board: "白板" },
  en: { voice: "Voice call", video: "Video call", calling: "Calling…", ringing: "Ringing", incoming: "Incoming call", connecting: "Connecting…", inCall: "In call",
    accept: "Accept", decline: "Decline", hangUp: "Hang up", mute: "Mute", unmute: "Unmute", cameraOn: "Camera on", cameraOff: "Camera off",
    shareScreen: "Share screen", stopScreen: "Stop sharing", askScreen: "Ask to see their screen", askedScreen: "The agent would like to see your screen. Share it?", allow: "Share", deny: "Don't share",
    quality: "Call quality", ended: "Call ended", missed: "Missed call", declined: "Call declined", answeredElsewhere: "Answered by another agent", busy: "A call is already in progress", board: "Whiteboard" },
};
