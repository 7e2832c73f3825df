// Moves between the storefront's pages without a full page load (see islands.rs). A click on a
// link, or a GET form such as the search, fetches the next page's HTML; its <main> and its
// head tags (title, description, canonical, hreflang, Open Graph, robots) replace the current
// ones, its islands hydrate, the address is pushed, the view starts at the top and focus moves
// to the new heading. The header (with the cart count) and the footer stay: they are the same
// on every storefront page of one language. Whatever this script cannot do as well as the
// browser is left to the browser: other origins, new tabs, downloads, `rel="external"`,
// anchors on the same page, a page of another kind or language, any failure.
(() => {
  const HEAD =
    'title, meta[name="description"], meta[name="robots"], meta[property^="og:"], link[rel="canonical"], link[rel="alternate"]';
  const body = document.body;
  const page = (url) => url.pathname + url.search;
  let ticket = 0;
  let last = page(location);
  history.scrollRestoration = 'manual';

  // Until the first page's islands have hydrated, links and forms work as plain HTML.
  const ready = () => body.hasAttribute('data-hydrated') && typeof window.__hydrateIsland === 'function';

  async function go(url, push) {
    const mine = ++ticket;
    let shown = null;
    // Not interactive until the next page's islands are: tests (and the checks above) wait.
    body.removeAttribute('data-hydrated');
    try {
      const res = await fetch(url, { headers: { Accept: 'text/html' }, credentials: 'same-origin' });
      const html = (res.headers.get('content-type') || '').startsWith('text/html');
      if ((!res.ok && res.status !== 404) || !html) throw new Error('not a page');
      const next = new DOMParser().parseFromString(await res.text(), 'text/html');
      if (mine !== ticket) return;
      const main = next.querySelector('main');
      const islands = next.querySelector('meta[name="gd-mode"][content="islands"]');
      if (!main || !islands || next.documentElement.lang !== document.documentElement.lang) {
        throw new Error('another kind of page');
      }
      shown = new URL(res.url);
      shown.hash = url.hash;
      if (push) {
        history.replaceState({ y: window.scrollY }, '');
        history.pushState({ y: 0 }, '', shown.href);
      }
      last = page(shown);
      document.head.querySelectorAll(HEAD).forEach((tag) => tag.remove());
      next.head.querySelectorAll(HEAD).forEach((tag) => document.head.append(document.adoptNode(tag)));
      document.querySelector('main').replaceWith(document.adoptNode(main));
      const target = shown.hash && document.getElementById(decodeURIComponent(shown.hash.slice(1)));
      if (target) target.scrollIntoView();
      else window.scrollTo(0, push ? 0 : (history.state && history.state.y) || 0);
      const heading = main.querySelector('h1');
      if (heading && push) {
        heading.tabIndex = -1;
        heading.focus({ preventScroll: true });
      }
      for (const island of main.querySelectorAll('leptos-island')) {
        if (!island.parentElement.closest('leptos-island')) {
          await window.__hydrateIsland(island, island.dataset.component);
        }
      }
      body.setAttribute('data-hydrated', 'true');
    } catch (_) {
      // The address bar already shows the page (back, forward, or a failure after the swap):
      // load it; otherwise go there.
      if (mine === ticket) (shown || !push ? location.reload() : location.assign(url.href));
    }
  }

  addEventListener('click', (ev) => {
    if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    const link = ev.target instanceof Element && ev.target.closest('a[href]');
    if (!link || !ready() || link.target || link.hasAttribute('download') || /\bexternal\b/.test(link.rel)) return;
    const url = new URL(link.href, location.href);
    if (url.origin !== location.origin) return;
    if (url.hash && page(url) === page(location)) return;
    ev.preventDefault();
    go(url, true);
  });

  addEventListener('submit', (ev) => {
    const form = ev.target;
    if (ev.defaultPrevented || !(form instanceof HTMLFormElement) || !ready()) return;
    if (form.method !== 'get' || form.target) return;
    const url = new URL(form.action, location.href);
    if (url.origin !== location.origin) return;
    url.search = new URLSearchParams(new FormData(form, ev.submitter)).toString();
    ev.preventDefault();
    go(url, true);
  });

  addEventListener('popstate', () => {
    // A change of the fragment alone is the browser's own business.
    if (page(location) === last) return;
    last = page(location);
    go(new URL(location.href), false);
  });
})();
