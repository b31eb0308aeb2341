// The demo page: pick a user, watch the live connection, start a simulated
// slow job and see its progress and completion arrive, and a bell with the
// user's inbox (unread badge, list, read on click). Plain HTML and the
// client library; no framework.

export const DEMO_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>userhub demo</title>
<style>
  :root { font: 15px/1.5 system-ui, sans-serif; color: #1d2330; background: #f5f6f8; }
  main { max-width: 44rem; margin: 2rem auto; padding: 0 1rem; }
  h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
  p.lead { margin: 0 0 1.25rem; color: #5a6272; }
  section { background: #fff; border: 1px solid #e1e4ea; border-radius: 10px; padding: 1rem 1.25rem; margin-bottom: 1rem; }
  form { display: flex; gap: .5rem; align-items: center; }
  input { flex: 1; font: inherit; padding: .4rem .6rem; border: 1px solid #c9ced8; border-radius: 6px; }
  button { font: inherit; padding: .4rem .9rem; border: 0; border-radius: 6px; background: #2f5bea; color: #fff; cursor: pointer; }
  button:disabled { background: #a8b3cf; cursor: default; }
  #status { font-weight: 600; }
  #status[data-state="open"] { color: #16794a; }
  #status[data-state="reconnecting"], #status[data-state="connecting"] { color: #a36300; }
  #status[data-state="unauthorized"], #status[data-state="closed"] { color: #b42318; }
  ul { list-style: none; margin: 0; padding: 0; }
  #jobs li { display: grid; grid-template-columns: 8rem 1fr 6rem; gap: .75rem; align-items: center; padding: .35rem 0; }
  progress { width: 100%; height: .8rem; }
  .state[data-status="succeeded"] { color: #16794a; font-weight: 600; }
  #log { font: 12px/1.45 ui-monospace, monospace; max-height: 14rem; overflow: auto; color: #3b4252; }
  #log li { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  .empty { color: #8a93a3; }
  #bell { position: relative; background: #eef1f7; color: #1d2330; }
  #unread { display: inline-block; min-width: 1.3rem; margin-left: .35rem; padding: 0 .3rem; border-radius: 1rem; background: #b42318; color: #fff; font-size: .8rem; text-align: center; }
  #unread[data-count="0"] { background: #a8b3cf; }
  #inbox li { display: flex; gap: .75rem; padding: .35rem 0; border-top: 1px solid #eef0f4; cursor: pointer; }
  #inbox li[data-read="true"] { color: #8a93a3; }
  #inbox li[data-read="false"] .title { font-weight: 600; }
</style>
</head>
<body>
<main>
  <h1>userhub demo</h1>
  <p class="lead">One actor per user. Open a second tab as the same user and both update; open one as another user and it sees nothing of this one.</p>
  <section>
    <form id="who">
      <label for="user">User</label>
      <input id="user" name="user" value="john" autocomplete="off">
      <button id="connect">Connect</button>
    </form>
    <p>Connection: <span id="status" data-state="closed">not connected</span></p>
  </section>
  <section>
    <form id="jobform"><button id="start" disabled>Start a slow job</button><span class="empty">prepares a zip in about five seconds, reporting progress</span></form>
    <ul id="jobs"></ul>
  </section>
  <section>
    <form id="inboxform">
      <button type="button" id="bell" disabled>Inbox <span id="unread" data-count="0">0</span></button>
      <button id="notify" disabled>Send a notification</button>
      <button type="button" id="readall" disabled>Mark all read</button>
      <button type="button" id="pushme" disabled>Enable push</button>
    </form>
    <p id="pushstate" class="empty"></p>
    <ul id="inbox"></ul>
  </section>
  <section>
    <strong>Events</strong>
    <ul id="log"><li class="empty">none yet</li></ul>
  </section>
</main>
<script type="module">
import { connect } from './client.js';

const $ = (id) => document.getElementById(id);
let hub;
let user;

function showStatus(status) {
  const el = $('status');
  el.dataset.state = status.state;
  el.textContent = status.transport ? status.state + ' (' + status.transport + ')' : status.state;
  for (const id of ['start', 'bell', 'notify', 'readall', 'pushme']) $(id).disabled = status.state !== 'open';
}

function showCounts(counts) {
  $('unread').textContent = String(counts.unread);
  $('unread').dataset.count = String(counts.unread);
}

function showItem(item) {
  let row = document.querySelector('[data-item-id="' + CSS.escape(item.id) + '"]');
  if (!row) {
    row = document.createElement('li');
    row.dataset.itemId = item.id;
    row.innerHTML = '<span class="title"></span><span class="body empty"></span>';
    row.querySelector('.title').textContent = item.title ?? item.type;
    row.querySelector('.body').textContent = item.body ?? '';
    row.addEventListener('click', () => hub.inbox.markRead([item.id]));
    $('inbox').prepend(row);
  }
  if ('readAt' in item) row.dataset.read = String(item.readAt !== null);
  if (item.archivedAt) row.remove();
}

async function loadInbox() {
  const { items } = await hub.inbox.list({ limit: 20 });
  $('inbox').replaceChildren();
  for (const item of items.reverse()) showItem(item);
}

function showJob(job) {
  let row = document.querySelector('[data-job-id="' + CSS.escape(job.id) + '"]');
  if (!row) {
    row = document.createElement('li');
    row.dataset.jobId = job.id;
    row.innerHTML = '<span class="name"></span><progress max="100" value="0"></progress><span class="state"></span>';
    row.querySelector('.name').textContent = job.id;
    $('jobs').prepend(row);
  }
  const percent = job.status === 'succeeded' ? 100 : Math.round((job.progress ?? 0) * 100);
  row.querySelector('progress').value = percent;
  const state = row.querySelector('.state');
  state.dataset.status = job.status;
  state.textContent = job.status === 'running' ? percent + '%' : job.status;
}

function logEvent(event) {
  const log = $('log');
  log.querySelector('.empty')?.remove();
  const line = document.createElement('li');
  line.textContent = event.id + '  ' + event.type + '  ' + JSON.stringify(event.data).slice(0, 120);
  log.prepend(line);
}

async function token() {
  const response = await fetch('./token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId: user }) });
  if (!response.ok) throw new Error('token refused');
  return (await response.json()).token;
}

function start(name) {
  hub?.close();
  user = name;
  $('jobs').replaceChildren();
  $('inbox').replaceChildren();
  $('log').innerHTML = '<li class="empty">none yet</li>';
  history.replaceState(null, '', '?user=' + encodeURIComponent(user));
  hub = connect({ url: location.origin, getToken: token, lastId: '0', onStatus: showStatus, onInbox: showCounts, onEvent(event) {
    logEvent(event);
    if (event.type.startsWith('job.')) showJob(event.data);
    if (event.type === 'inbox.created') {
      if (event.data.replaces) document.querySelector('[data-item-id="' + CSS.escape(event.data.replaces) + '"]')?.remove();
      showItem(event.data);
    }
    if (event.type === 'inbox.changed') for (const item of event.data.items) showItem(item);
  } });
  loadInbox().catch(() => {});
}

$('who').addEventListener('submit', (e) => { e.preventDefault(); start($('user').value.trim()); });
$('jobform').addEventListener('submit', async (e) => {
  e.preventDefault();
  await fetch('./jobs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId: user }) });
});

$('inboxform').addEventListener('submit', async (e) => {
  e.preventDefault();
  await fetch('./notify', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId: user }) });
});
$('bell').addEventListener('click', () => hub.inbox.markSeen());
// Web Push: the service worker shows what arrives while no tab is connected.
const registering = 'serviceWorker' in navigator ? navigator.serviceWorker.register('./sw.js') : Promise.reject(new Error('no service workers'));
registering.then(() => ($('pushstate').dataset.sw = 'registered'), () => {});
$('pushme').addEventListener('click', async () => {
  try {
    if ((await Notification.requestPermission()) !== 'granted') throw new Error('notifications are not allowed');
    await hub.push.subscribe(await registering);
    $('pushstate').textContent = 'push enabled: notifications arrive while this user has no tab open';
  } catch (err) {
    $('pushstate').textContent = 'push not enabled: ' + err.message;
  }
});
$('readall').addEventListener('click', () => hub.inbox.markRead({ through: hub.lastId ?? '0' }));

const fromUrl = new URLSearchParams(location.search).get('user');
if (fromUrl) { $('user').value = fromUrl; start(fromUrl); }
</script>
</body>
</html>`;

/** The demo's service worker: shows each push as a notification and opens its url when clicked. */
export const SERVICE_WORKER = `self.addEventListener('push', (event) => {
  const push = event.data ? event.data.json() : {};
  event.waitUntil(self.registration.showNotification(push.title ?? 'userhub', {
    body: push.body ?? '',
    tag: push.id,
    data: { id: push.id, url: push.url ?? '/demo/' },
  }));
});
self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = new URL(event.notification.data?.url ?? '/demo/', self.location.origin);
  // Only the application's own pages: a push cannot send the browser elsewhere.
  if (url.origin !== self.location.origin) return;
  event.waitUntil(self.clients.openWindow(url.href));
});
`;
