// The status line every page of the example app has: what happened, and on failure the
// SDK's error code (also in data-code, where the tests read it).

const status = document.getElementById('status');

export function say(text) {
  status.classList.remove('error');
  status.dataset.code = '';
  status.textContent = text;
}

export function fail(err, text) {
  status.classList.add('error');
  status.dataset.code = err.code || 'Unknown';
  status.textContent = `${text || err.message} (${err.code})`;
}
