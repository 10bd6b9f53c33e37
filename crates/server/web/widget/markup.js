// The widget's look: its stylesheet and markup, inside a shadow root so the platform's CSS
// and ours never mix. Texts are filled in by widget/main.js.
export const MARKUP =
  "<style>" +
  ":host{all:initial}*{box-sizing:border-box;font-family:system-ui,-apple-system,'Noto Sans CJK SC',sans-serif}" +
  ".launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;background:#2563eb;color:#fff;border:0;border-radius:24px;padding:12px 18px;font-size:15px;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.2)}" +
  ".panel{position:fixed;right:20px;bottom:80px;z-index:2147483000;width:360px;height:520px;max-height:calc(100vh - 100px);background:#fff;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.25);display:none;flex-direction:column;overflow:hidden}" +
  ".panel.open{display:flex}" +
  "header{background:#2563eb;color:#fff;padding:12px 14px;display:flex;justify-content:space-between;align-items:center}" +
  "header .agent{font-size:12px;opacity:.9}header button{background:none;border:0;color:#fff;font-size:20px;cursor:pointer}" +
  ".status{background:#fef3c7;color:#92400e;font-size:12px;padding:4px 12px;display:none}.status.show{display:block}" +
  ".messages{flex:1;overflow-y:auto;padding:12px;background:#f8fafc}" +
  ".msg{max-width:80%;margin:6px 0;padding:8px 11px;border-radius:10px;white-space:pre-wrap;word-wrap:break-word;font-size:14px;line-height:1.45}" +
  ".msg.theirs{background:#fff;border:1px solid #e2e8f0}.msg.mine{background:#2563eb;color:#fff;margin-left:auto}" +
  ".msg.pending{opacity:.6}.meta{font-size:11px;color:#64748b;text-align:right;margin:-2px 0 4px}" +
  ".typing{font-size:12px;color:#64748b;padding:2px 12px;min-height:18px}" +
  "form{display:flex;gap:8px;padding:10px;border-top:1px solid #e2e8f0}" +
  "textarea{flex:1;resize:none;height:42px;border:1px solid #cbd5e1;border-radius:8px;padding:8px;font-size:14px}" +
  "form button{background:#2563eb;color:#fff;border:0;border-radius:8px;padding:0 14px;font-size:14px;cursor:pointer}" +
  "form .attach{background:#e2e8f0;color:#1f2937;padding:0 10px}.msg img{max-width:100%;border-radius:6px;display:block}" +
  ".empty{color:#64748b;font-size:13px;text-align:center;margin-top:30px}" +
  ".suggest{border-top:1px solid #e2e8f0;padding:8px 12px;background:#eff6ff;font-size:13px;display:none}.suggest.show{display:block}" +
  ".suggest a{display:block;color:#1d4ed8;margin:4px 0;text-decoration:none}.msg a{color:inherit;text-decoration:underline}" +
  ".banner{margin:6px 0;padding:8px 10px;border-radius:8px;background:#fef2f2;border:1px solid #fecaca;color:#991b1b;font-size:13px}" +
  ".csat{margin:6px 0;padding:8px 10px;border:1px solid #fde68a;background:#fffbeb;border-radius:10px;font-size:13px}" +
  ".csat-ratings button{margin:4px 4px 0 0;padding:4px 6px;border:1px solid #f59e0b;background:#fff;border-radius:6px;color:#b45309;cursor:pointer}" +
  ".csat-comment{width:100%;box-sizing:border-box;margin-top:6px;font:inherit}.csat-send{margin-top:4px}" +
  ".msg.bot{border-color:#bfdbfe;background:#f0f9ff}.who{font-size:11px;color:#64748b;margin:6px 0 -4px}" +
  ".launcher .unread{display:inline-block;min-width:20px;margin-left:6px;padding:0 6px;border-radius:10px;background:#ef4444;color:#fff;font-size:12px;line-height:20px;text-align:center}" +
  ".greeting{background:#eff6ff;border:1px solid #bfdbfe;border-radius:10px;padding:8px 11px;font-size:13px;color:#1e3a8a;margin-bottom:8px}" +
  ".notice{background:#f0fdf4;border:1px solid #bbf7d0;border-radius:10px;padding:8px 11px;font-size:13px;color:#166534;margin:8px 0}" +
  "header .human{font-size:12px;background:#fff;color:#2563eb;border-radius:12px;padding:3px 10px;margin-right:6px}" +
  "header .call-voice,header .call-video,header .board-open{font-size:16px;padding:2px 6px}" +
  ".board-area .board{border-bottom:1px solid #e2e8f0;padding:4px;background:#f8fafc}.board-canvas{width:100%;height:auto;border:1px solid #cbd5e1;border-radius:6px;background:#fff;touch-action:none;display:block}" +
  ".board-toolbar{display:flex;flex-wrap:wrap;gap:3px;align-items:center;font-size:12px;margin-bottom:4px}.board-toolbar button{padding:2px 6px;border:1px solid #cbd5e1;border-radius:5px;background:#fff;font-size:12px;cursor:pointer}" +
  ".board-toolbar .active{outline:2px solid #2563eb}.board-color{width:18px;height:18px;padding:0!important}.board-text{font-size:12px;width:140px}" +
  ".call-area .call-panel,.call-area .call-incoming{margin:6px;padding:8px;border-radius:10px;background:#0f172a;color:#e2e8f0;font-size:13px}" +
  ".call-area .call-incoming{background:#dcfce7;color:#14532d;border:1px solid #86efac}" +
  ".call-area button{margin:4px 4px 0 0;padding:4px 8px;border-radius:6px;border:1px solid #cbd5e1;background:#fff;color:#1f2937;font-size:12px;cursor:pointer}" +
  ".call-area .danger{background:#dc2626;color:#fff;border-color:#b91c1c}.call-area .call-quality{color:#4ade80;margin-left:6px}" +
  ".call-area .call-videos{display:flex;flex-wrap:wrap;gap:4px;margin:6px 0}.call-area video{width:150px;max-height:120px;background:#000;border-radius:6px}" +
  ".call-area .call-consent{background:#fef3c7;color:#92400e;padding:6px;border-radius:6px;margin:6px 0}" +
  "@media (max-width:480px){.panel{right:0;bottom:0;width:100vw;height:100vh;max-height:100vh;border-radius:0}}" +
  "</style>" +
  "<button class='launcher' part='launcher'></button>" +
  "<section class='panel' role='dialog'>" +
  "<header><div><div class='title'></div><div class='agent'></div></div><div><button class='call-voice' type='button' hidden>📞</button><button class='call-video' type='button' hidden>📹</button><button class='board-open' type='button' hidden>🖊</button><button class='human' type='button'></button><button class='close'>×</button></div></header>" +
  "<div class='status'></div><div class='call-area'></div><div class='board-area'></div><div class='messages' aria-live='polite'></div><div class='typing'></div>" +
  "<div class='suggest' aria-live='polite'></div>" +
  "<form><button class='attach' type='button'></button><input class='file' type='file' accept='image/png,image/jpeg,image/gif,image/webp' hidden>" +
  "<textarea class='input'></textarea><button class='send' type='submit'></button></form>" +
  "</section>";
