namespace ChatOpsBot.Features.Install;

/// <summary>The install page's only style sheet and script, inlined under the response's CSP nonce.</summary>
internal static class InstallPageAssets
{
    // Every variant is in the HTML; body[data-client] picks what shows, so the page is right without JavaScript for
    // every client the server recognises, and the script only corrects the choice or reveals the Safari fallback.
    public const string Style = """
        :root{color-scheme:light dark;--fg:#1c1c1e;--bg:#f2f2f7;--card:#fff;--muted:#636366;--line:#c7c7cc;--accent:#0063d1;--warn:#b25000}
        @media (prefers-color-scheme:dark){:root{--fg:#f2f2f7;--bg:#000;--card:#1c1c1e;--muted:#aeaeb2;--line:#48484a;--accent:#0a84ff;--warn:#ff9f0a}}
        *{box-sizing:border-box}
        body{margin:0;font:17px/1.45 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--fg);background:var(--bg);-webkit-text-size-adjust:100%}
        main{max-width:34rem;margin:0 auto;padding:1.25rem 1rem 3rem}
        .app{display:flex;gap:1rem;align-items:center;margin:0 0 1.25rem}
        .icon{width:72px;height:72px;border-radius:16px;flex:none}
        .placeholder{display:flex;align-items:center;justify-content:center;font-size:2rem;font-weight:600;color:#fff;background:#8e8e93}
        h1{font-size:1.5rem;line-height:1.2;margin:0;overflow-wrap:anywhere}
        h2{font-size:1.1rem;margin:0 0 .5rem}
        p{margin:.5rem 0}
        .meta,.fine{color:var(--muted)}
        .fine{font-size:.9rem}
        section{background:var(--card);border-radius:14px;padding:1rem 1.1rem;margin:0 0 1rem}
        .v,.when-fallback{display:none}
        [data-client=ios] .v-ios,[data-client=in-app] .v-ios,[data-client=in-app] .v-inapp,[data-fallback] .v-inapp,
        [data-client=desktop] .v-desktop,[data-client=android] .v-android,[data-client=android-in-app] .v-android,[data-client=other] .v-android,
        [data-client=android] .va-android,[data-client=android-in-app] .va-inapp,[data-client=android-in-app] .va-android,[data-client=other] .va-android,
        [data-client=desktop] .va-desktop,[data-client=ios] .va-other,[data-client=in-app] .va-other,.v:target{display:block}
        [data-fallback] .when-fallback{display:block}
        [data-client=in-app] .hint,[data-fallback] .hint{display:none}
        .button{display:block;text-align:center;background:var(--accent);color:#fff;text-decoration:none;font-weight:600;font-size:1.25rem;padding:1rem;border-radius:12px;margin:.25rem 0 .75rem}
        button{font:inherit;font-weight:600;color:#fff;background:var(--accent);border:0;border-radius:10px;padding:.6rem 1.1rem;min-height:2.9rem;cursor:pointer}
        .link{display:flex;flex-wrap:wrap;gap:.5rem;margin:.5rem 0}
        .url{flex:1 1 14rem;min-width:0;min-height:2.9rem;font:15px ui-monospace,Menlo,Consolas,monospace;padding:.6rem;border:1px solid var(--line);border-radius:10px;background:var(--bg);color:var(--fg)}
        .status{color:var(--muted);min-height:1.45em;margin:.25rem 0 0}
        .qr{display:block;width:232px;height:232px;margin:.75rem auto;background:#fff;padding:8px;border-radius:8px;image-rendering:pixelated}
        .notes{white-space:pre-wrap;overflow-wrap:anywhere;margin:.25rem 0 0}
        .reason{border-left:5px solid var(--warn)}
        ol,ul{padding-left:1.3rem;margin:.5rem 0}
        li{margin:.35rem 0}
        code{font-family:ui-monospace,Menlo,Consolas,monospace;background:var(--bg);padding:.05rem .3rem;border-radius:5px}
        a{color:var(--accent)}
        dl{display:grid;grid-template-columns:auto 1fr;gap:.3rem 1rem;margin:.5rem 0}
        dt{color:var(--muted)}dd{margin:0;overflow-wrap:anywhere}
        """;

    public const string Script = """
        (function () {
          var body = document.body, data = body.dataset, browser = data.browser || 'Safari';
          // iPadOS asks for desktop websites with a Mac user agent; only the touch screen gives it away.
          if (data.client === 'desktop' && navigator.platform === 'MacIntel' && navigator.maxTouchPoints > 1) {
            data.client = 'ios';
            data.detected = 'ipad-desktop-mode';
          }
          document.querySelectorAll('time[data-local]').forEach(function (t) {
            var d = new Date(t.dateTime);
            if (!isNaN(d)) t.textContent = d.toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
          });
          // An in-app browser that cannot hand the Install link to iOS leaves the page in view; Safari does not.
          var install = document.getElementById('install');
          if (install) {
            var left = false, timer = 0;
            document.addEventListener('visibilitychange', function () { if (document.visibilityState === 'hidden') left = true; });
            window.addEventListener('pagehide', function () { left = true; });
            install.addEventListener('click', function () {
              left = false;
              data.tapped = 'true';
              clearTimeout(timer);
              timer = setTimeout(function () {
                if (left || document.visibilityState !== 'visible') return;
                data.fallback = 'shown';
                var safari = document.getElementById('safari');
                if (safari && safari.scrollIntoView) safari.scrollIntoView();
              }, Number(data.fallbackDelay) || 3000);
            });
          }
          document.querySelectorAll('.link').forEach(function (box) {
            var url = box.querySelector('.url'), copy = box.querySelector('.copy'), status = box.parentNode.querySelector('.status');
            if (!url || !copy) return;
            function say(text) { if (status) status.textContent = text; }
            function select() {
              url.focus();
              url.select();
              url.setSelectionRange(0, url.value.length);
              var copied = false;
              try { copied = document.execCommand('copy'); } catch (e) { copied = false; }
              say(copied ? 'Link copied.' : 'The address is selected: copy it, then paste it into ' + browser + '.');
            }
            copy.hidden = false;
            copy.addEventListener('click', function () {
              if (navigator.clipboard && navigator.clipboard.writeText) {
                navigator.clipboard.writeText(url.value).then(function () { say('Link copied. Now open ' + browser + ' and paste it into the address bar.'); }, select);
              } else {
                select();
              }
            });
          });
        })();
        """;
}
