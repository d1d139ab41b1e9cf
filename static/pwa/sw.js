// Floorcheck's service worker: the app shell from its cache, so the app opens with no network.
// VERSION changes with every change to a file under static/pwa/: phones then download the new shell and the
// page offers "Update ready — reload" (it never replaces a page with unsaved input: js/sw-client.js). It ends
// with a digest of the precached files, which tests/pwa/test_shell.py checks (and prints when it is stale).
// Data never passes through here: /api/ goes to the network, and the app keeps its data in IndexedDB.
const VERSION = '2026.12.01-1256803767';
const SHELL_CACHE = `floorcheck-shell-${VERSION}`;
// The decoder is big (0.9 MB) and changes rarely: its cache is named by its own version, so a shell
// update does not download it again on the factory's Wi-Fi.
const DECODER_CACHE = 'floorcheck-decoder-zxing-wasm-3.1.6';
const DECODER = [
  '/app/vendor/zxing-wasm/reader/index.js', '/app/vendor/zxing-wasm/share.js',
  '/app/vendor/zxing-wasm/zxing_reader.wasm',
];
// The office screens (online only), kept with the shell in its cache but listed apart: they have their own size
// budget (tests/pwa/test_shell.py).
const OFFICE = [
  '/app/js/office-follow-ups-strings.js', '/app/js/office-forms-strings.js', '/app/js/office-library-strings.js',
  '/app/js/office-packing-strings.js', '/app/js/office-partners-strings.js', '/app/js/office-people-strings.js',
  '/app/js/office-result-strings.js', '/app/js/office-spec-strings.js', '/app/js/office-strings.js',
  '/app/js/ui/office/booking.js', '/app/js/ui/office/colour-aliases.js', '/app/js/ui/office/common.js',
  '/app/js/ui/office/follow-ups.js', '/app/js/ui/office/index.js', '/app/js/ui/office/library.js',
  '/app/js/ui/office/nav.js', '/app/js/ui/office/order-form.js', '/app/js/ui/office/orders.js',
  '/app/js/ui/office/packing.js', '/app/js/ui/office/partners.js', '/app/js/ui/office/people.js',
  '/app/js/ui/office/result.js', '/app/js/ui/office/spec-paste.js', '/app/js/ui/office/spec-sheet.js',
];
// Everything the app needs to open and run offline (tests/pwa checks this list against the files).
const SHELL = [
  '/app/', '/app/app.css', '/app/manifest.webmanifest', '/app/js/main.js', '/app/js/api.js',
  '/app/js/assignments.js', '/app/js/db.js', '/app/js/decoder.js', '/app/js/dirty.js', '/app/js/feed.js',
  '/app/js/i18n.js', '/app/js/inspection-strings.js', '/app/js/logic/cartons.js', '/app/js/logic/grading.js',
  '/app/js/logic/gs1.js', '/app/js/logic/py.js', '/app/js/logic/tally.js', '/app/js/outbox.js',
  '/app/js/photos.js', '/app/js/platform.js', '/app/js/records.js', '/app/js/session.js', '/app/js/store.js',
  '/app/js/sw-client.js', '/app/js/sync-strings.js', '/app/js/sync.js', '/app/js/ui/app.js',
  '/app/js/ui/banners.js', '/app/js/ui/conflict.js', '/app/js/ui/html.js', '/app/js/ui/inspection/camera.js',
  '/app/js/ui/inspection/cartons.js', '/app/js/ui/inspection/checklist.js', '/app/js/ui/inspection/defects.js',
  '/app/js/ui/inspection/finish.js', '/app/js/ui/inspection/index.js', '/app/js/ui/inspection/measure.js',
  '/app/js/ui/inspection/parts.js', '/app/js/ui/inspection/signature.js', '/app/js/ui/inspection/start.js',
  '/app/js/ui/inspection/tally.js', '/app/js/ui/inspections.js', '/app/js/ui/login.js',
  '/app/icons/apple-touch-icon.png', '/app/icons/favicon-32.png', '/app/icons/icon-192.png',
  '/app/icons/icon-512.png', '/app/icons/maskable-192.png', '/app/icons/maskable-512.png',
  '/app/vendor/htm/standalone.module.js', '/app/vendor/idb/index.js',
];

// Straight from the server, not from the browser's HTTP cache: a new version must not mix in old files.
const fresh = (url) => new Request(url, { cache: 'reload', credentials: 'same-origin' });

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    await (await caches.open(SHELL_CACHE)).addAll([...SHELL, ...OFFICE].map(fresh));
    const decoder = await caches.open(DECODER_CACHE);
    for (const url of DECODER) {
      if (!(await decoder.match(url))) await decoder.add(fresh(url));
    }
    // No skipWaiting(): an update waits until the user reloads (or every page of the app is closed).
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const keep = new Set([SHELL_CACHE, DECODER_CACHE]);
    for (const name of await caches.keys()) {
      if (name.startsWith('floorcheck-') && !keep.has(name)) await caches.delete(name);
    }
    await self.clients.claim();  // the first install controls the page at once: offline from now on
  })());
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/api/') || !url.pathname.startsWith('/app/')) return;  // never cached
  if (request.mode === 'navigate') {
    // Any page of the app is the shell; the app routes by its #hash.
    event.respondWith(caches.match('/app/', { cacheName: SHELL_CACHE }).then((hit) => hit || fetch(request)));
    return;
  }
  // This version's own caches only: while an update waits, the page keeps getting the files it started with.
  event.respondWith((async () => (await caches.match(url.pathname, { cacheName: SHELL_CACHE }))
    || (await caches.match(url.pathname, { cacheName: DECODER_CACHE }))
    || fetch(request))());
});

self.addEventListener('message', (event) => {
  const data = event.data || {};
  if (data.type === 'SKIP_WAITING') self.skipWaiting();  // sent only when the user chose to reload
  if (data.type === 'VERSION' && event.ports[0]) event.ports[0].postMessage({ version: VERSION });
});
