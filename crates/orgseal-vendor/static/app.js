// The vendor's own page script: uploads the picked file with fetch + FormData.
document.getElementById('fetch-upload').addEventListener('click', async () => {
  const input = document.getElementById('fetch-file');
  const status = document.getElementById('fetch-status');
  if (!input.files.length) { status.textContent = 'pick a file first'; return; }
  const body = new FormData();
  for (const f of input.files) body.append('file', f, f.name);
  status.textContent = 'uploading…';
  const res = await fetch('/api/files', { method: 'POST', body });
  status.textContent = res.ok ? 'uploaded' : `failed: ${res.status}`;
  if (res.ok) location.reload();
});

// Drag and drop: every dropped file, posted with fetch.
const zone = document.getElementById('drop-zone');
zone.addEventListener('dragover', (e) => e.preventDefault());
zone.addEventListener('drop', async (e) => {
  e.preventDefault();
  const status = document.getElementById('drop-status');
  const body = new FormData();
  for (const f of e.dataTransfer.files) body.append('file', f, f.name);
  status.textContent = 'uploading…';
  const res = await fetch('/api/files', { method: 'POST', body });
  status.textContent = res.ok ? 'uploaded' : `failed: ${res.status}`;
  if (res.ok) location.reload();
});
