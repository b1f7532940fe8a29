// The status page's script and style, served from /ui/app.js and /ui/app.css (the page's
// Content-Security-Policy allows no inline script or style). No framework and no CDN: the server
// renders the rows (view.ts, escaped) and the script swaps them in as Server-Sent Events bring
// them, and counts down break-glass windows. About 1.5 KB together, unminified.

export const APP_JS = `'use strict';
const rows = document.getElementById('sources');
const denials = document.getElementById('denials');
const live = document.getElementById('live');
function countdown() {
  for (const el of document.querySelectorAll('[data-expires]')) {
    const left = Date.parse(el.dataset.expires) - Date.now();
    const out = el.querySelector('.countdown');
    if (!out) continue;
    const m = Math.floor(left / 60000);
    const s = Math.floor(left / 1000) % 60;
    out.textContent = left > 0 ? ' (' + m + 'm ' + s + 's left)' : ' (expired)';
  }
}
const events = new EventSource('/ui/events');
events.addEventListener('sources', (e) => {
  const data = JSON.parse(e.data);
  rows.innerHTML = data.html;
  denials.innerHTML = data.denials;
  live.textContent = 'live, updated ' + new Date(data.at).toLocaleTimeString();
  countdown();
});
events.addEventListener('error', () => {
  if (events.readyState === EventSource.CLOSED) location.assign('/ui');
  else live.textContent = 'reconnecting…';
});
setInterval(countdown, 1000);
countdown();
`;

export const APP_CSS = `body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #111; background: #fff; }
header { display: flex; gap: 1rem; align-items: center; padding: .5rem 1rem; background: #0b3d5c; color: #fff; }
header h1 { font-size: 1.2rem; margin: 0; }
header p { margin: 0; flex: 1; }
main { padding: 1rem; }
table { border-collapse: collapse; width: 100%; }
caption { text-align: left; font-weight: 600; padding: .25rem 0; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #ccc; vertical-align: top; }
tr.details td { background: #f6f6f6; }
ul { margin: 0; padding-left: 1.2rem; }
pre { margin: .2rem 0; white-space: pre-wrap; font-size: 13px; }
.synced, .healthy { color: #0a5d1a; }
.failed, .degraded, .error { color: #a00; }
.outofsync, .progressing, .drift, .glass { color: #7a4a00; }
button { font: inherit; padding: .2rem .8rem; }
:focus-visible { outline: 3px solid #e0a800; outline-offset: 2px; }
.login { max-width: 28rem; margin: 3rem auto; }
.login input { display: block; width: 100%; margin: .3rem 0 .8rem; font: inherit; }
`;
