// The vendor's own page script, written as real file sites write theirs.
const csrf = document.querySelector('meta[name="csrf-token"]').content;

function mib(n) {
  return (n / 1048576).toFixed(1) + ' MiB';
}

async function failure(res) {
  const text = (await res.text()).trim();
  return `failed (${res.status}): ${text}`;
}

// A button that posts FormData with fetch. fetch reports no upload progress
// over HTTP/1.1 (streamed request bodies need HTTP/2 in Chromium), so the
// status line says what is being sent and, when done, how fast it went.
document.getElementById('fetch-upload').addEventListener('click', async () => {
  const input = document.getElementById('fetch-file');
  const status = document.getElementById('fetch-status');
  if (!input.files.length) { status.textContent = 'pick a file first'; return; }
  const body = new FormData();
  let total = 0;
  for (const f of input.files) { body.append('file', f, f.name); total += f.size; }
  status.textContent = `uploading ${input.files.length} file(s), ${mib(total)}…`;
  const started = performance.now();
  const res = await fetch('/api/files', { method: 'POST', body, headers: { 'X-CSRF-Token': csrf } });
  if (!res.ok) { status.textContent = await failure(res); return; }
  const secs = (performance.now() - started) / 1000;
  status.textContent = `uploaded ${mib(total)} in ${secs.toFixed(1)} s`;
  location.reload();
});

// Drag and drop of one or several files, posted with XMLHttpRequest so the
// progress bar follows the bytes sent.
const zone = document.getElementById('drop-zone');
zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
zone.addEventListener('dragleave', () => zone.classList.remove('over'));
zone.addEventListener('drop', (e) => {
  e.preventDefault();
  zone.classList.remove('over');
  const status = document.getElementById('drop-status');
  const progress = document.getElementById('drop-progress');
  const files = [...e.dataTransfer.files];
  if (!files.length) return;
  const body = new FormData();
  for (const f of files) body.append('file', f, f.name);
  const xhr = new XMLHttpRequest();
  xhr.open('POST', '/api/files');
  xhr.setRequestHeader('X-CSRF-Token', csrf);
  progress.hidden = false;
  xhr.upload.addEventListener('progress', (ev) => {
    if (ev.lengthComputable) {
      progress.value = ev.loaded / ev.total;
      status.textContent = `uploading ${files.length} file(s): ${mib(ev.loaded)} of ${mib(ev.total)}`;
    }
  });
  xhr.addEventListener('load', () => {
    if (xhr.status === 201) {
      status.textContent = `uploaded ${files.length} file(s)`;
      location.reload();
    } else {
      status.textContent = `failed (${xhr.status}): ${xhr.responseText.trim()}`;
    }
  });
  xhr.addEventListener('error', () => { status.textContent = 'failed: the connection was lost'; });
  xhr.send(body);
});
