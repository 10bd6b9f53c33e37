/*
 * EduDesk chat widget loader, served as /widget.js. The education platform embeds it with
 * one script tag:
 *
 *   <script src="https://support.example.com/widget.js" defer
 *     data-learner-id="L1001" data-name="李明" data-email="li.ming@example.com"
 *     data-signature="<hex HMAC-SHA256(secret, learner id)>"
 *     data-attributes='{"course": "Python 入门"}' data-lang="zh"></script>
 *
 * A classic script on purpose (that tag stays as it is, with or without type="module"):
 * it reads its own tag (data attributes, and the server's origin from its src), which only
 * a classic script can see as document.currentScript, loads only once per page, and imports
 * the widget module (widget/main.js), whose start() does the rest. The server replaces the
 * placeholder below with the module's content-hashed URL (absolute, or a path on itself).
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__edudeskWidget) return;
  window.__edudeskWidget = true;

  var base = new URL(script.src, location.href).origin;
  var data = script.dataset;
  var moduleUrl = "{{widget_module}}";
  // A path is on the server this script came from, not on the platform's site.
  if (moduleUrl.charAt(0) === "/") moduleUrl = new URL(moduleUrl, base).href;

  import(moduleUrl).then(function (widget) {
    widget.start({
      base: base,
      learnerId: data.learnerId || "",
      name: data.name,
      email: data.email,
      signature: data.signature,
      attributes: data.attributes,
      lang: data.lang,
    });
  }).catch(function (error) {
    console.error("EduDesk widget failed to load", error);
  });
})();
