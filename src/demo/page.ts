// The demo page: pick a user, watch the live connection, start a simulated
// slow job and see its progress and completion arrive. Plain HTML and the
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
  $('start').disabled = status.state !== 'open';
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
  $('log').innerHTML = '<li class="empty">none yet</li>';
  history.replaceState(null, '', '?user=' + encodeURIComponent(user));
  hub = connect({ url: location.origin, getToken: token, lastId: '0', onStatus: showStatus, onEvent(event) {
    logEvent(event);
    if (event.type.startsWith('job.')) showJob(event.data);
  } });
}

$('who').addEventListener('submit', (e) => { e.preventDefault(); start($('user').value.trim()); });
$('jobform').addEventListener('submit', async (e) => {
  e.preventDefault();
  await fetch('./jobs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId: user }) });
});

const fromUrl = new URLSearchParams(location.search).get('user');
if (fromUrl) { $('user').value = fromUrl; start(fromUrl); }
</script>
</body>
</html>`;
