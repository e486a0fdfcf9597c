// The web UI's one script (same origin, no inline code). The pages work without it; it adds:
// - the waiting state of slow actions (INSi): busy, disabled button, a notice — and no second submission;
// - the focus on the outcome of an action, for keyboard and screen-reader users;
// - the print button of the print pages;
// - the live progress of running batch jobs (see liveRefresh).
document.addEventListener('submit', (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  // A download form leaves the page as it is: it may be submitted again (another choice, another copy).
  if (form.hasAttribute('data-download')) return;
  if (form.dataset.submitted === 'true') { event.preventDefault(); return; }
  form.dataset.submitted = 'true';
  const text = form.dataset.busy;
  if (!text) return;
  const button = event.submitter ?? form.querySelector('button[type="submit"]');
  if (button) {
    button.setAttribute('aria-busy', 'true');
    // Disabled after the form data is collected, so that the button's own value is still sent.
    setTimeout(() => { button.disabled = true; }, 0);
  }
  const notice = document.querySelector('[data-busy-notice]');
  if (notice) { notice.textContent = text; notice.hidden = false; }
});

window.addEventListener('pageshow', (event) => {
  // Back/forward cache: a page restored after a submission must be usable again.
  if (event.persisted) document.querySelectorAll('form[data-submitted]').forEach((f) => { delete f.dataset.submitted; });
});

document.addEventListener('DOMContentLoaded', () => {
  // Tells tests (and nothing else) that the handlers above are in place: a streamed page is visible before its
  // deferred script runs, and a form submitted before that gets no waiting state.
  document.documentElement.dataset.ui = 'ready';
  const outcome = document.querySelector('[data-focus]');
  if (outcome && !document.querySelector('[autofocus]')) outcome.focus();
  document.querySelectorAll('[data-print]').forEach((b) => b.addEventListener('click', () => window.print()));
});

// Live progress (jobs page): an element with data-live-refresh="SECONDS" is fetched again from the same page URL and
// replaced by its fresh copy, for as long as the fresh copy still asks for it (the server sets it only while a job
// runs). No reload: what is being typed elsewhere on the page stays; nothing is replaced while the user is inside it.
function liveRefresh(id, seconds) {
  setTimeout(async () => {
    const current = document.getElementById(id);
    if (!current) return;
    if (current.contains(document.activeElement) || current.querySelector('form[data-submitted]')) {
      liveRefresh(id, seconds);
      return;
    }
    try {
      const response = await fetch(window.location.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
      if (!response.ok || response.redirected) return;
      const fresh = new DOMParser().parseFromString(await response.text(), 'text/html').getElementById(id);
      if (!fresh || current.contains(document.activeElement) || current.querySelector('form[data-submitted]')) {
        if (fresh) liveRefresh(id, seconds);
        return;
      }
      current.replaceWith(document.adoptNode(fresh));
      if (fresh.dataset.liveRefresh) liveRefresh(id, Number(fresh.dataset.liveRefresh) || seconds);
    } catch {
      // Network gone: the page's own refresh link still works.
    }
  }, seconds * 1000);
}

document.addEventListener('DOMContentLoaded', () => {
  document.querySelectorAll('[data-live-refresh][id]').forEach((e) => liveRefresh(e.id, Number(e.dataset.liveRefresh) || 5));
});
