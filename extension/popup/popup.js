// The popup: what policy is in force, which keys (labels and ids only) and
// sites, and what was refused recently. Secrets never reach this page.
const api = globalThis.browser ?? globalThis.chrome;

function el(tag, text, attrs = {}) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  Object.assign(e, attrs);
  return e;
}

async function render() {
  const res = await api.runtime.sendMessage({ type: 'status' });
  if (!res?.ok) {
    document.getElementById('state').textContent = `OrgSeal is not running: ${res?.error?.message ?? 'no answer'}`;
    return;
  }
  const { status, recent, version, extensionId } = res.value;
  const state = document.getElementById('state');
  state.className = status.state;
  state.textContent = {
    none: 'No OrgSeal policy is installed: files are not sealed or opened. Ask IT to install the policy.',
    invalid: 'The OrgSeal policy is invalid: nothing is sealed or opened, and uploads on the configured sites are blocked. Tell IT:',
    valid: `Policy active: new files are sealed with key “${status.keys?.find((k) => k.encrypt)?.label ?? '?'}”.`,
    loading: 'Loading the policy…',
  }[status.state] ?? status.state;
  const problems = document.getElementById('problems');
  problems.replaceChildren(...(status.problems ?? []).map((p) => el('li', p)));

  const keys = status.keys ?? [];
  document.getElementById('keys-section').hidden = keys.length === 0;
  document.querySelector('#keys tbody').replaceChildren(
    ...keys.map((k) => {
      const tr = el('tr');
      tr.append(el('td', k.label), el('td', undefined, {}), el('td', k.encrypt ? 'seals new files' : 'opens only'));
      tr.children[1].append(el('code', k.id));
      return tr;
    }),
  );
  const sites = status.sites ?? [];
  document.getElementById('sites-section').hidden = sites.length === 0;
  document.getElementById('sites').replaceChildren(
    ...sites.map((s) => el('li', `${s.origin}${s.sealNames ? ' (names sealed)' : ''}`)),
  );
  document.getElementById('recent-section').hidden = recent.length === 0;
  document.getElementById('recent').replaceChildren(
    ...recent.map((r) => el('li', `${new Date(r.when).toLocaleTimeString()}: ${r.what}: ${r.why}`)),
  );
  document.getElementById('version').textContent = `OrgSeal ${version} · ${extensionId} · fail-closed: ${status.failClosed ? 'yes' : 'no'}`;
}

render();
setInterval(render, 2000);
