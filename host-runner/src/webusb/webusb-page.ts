/**
 * The test page Chromium loads: a fixed origin (the policy grants the device to exactly that
 * scheme, host and port) whose requests the runner answers itself through playwright's
 * page.route, so no network port is opened and no name is resolved.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The page's origin. `https` makes it a secure context (WebUSB needs one); the `.test` TLD is
 * reserved (RFC 2606), so it can never be a real site.
 */
export const PAGE_ORIGIN = 'https://ffs-lab.test';
/** Path of the bundled page script in the page. */
export const BUNDLE_URL_PATH = '/ffs-webusb.js';
/** The bundle on disk: written by browser-bundle.ts at `npm run build`, next to this module's compiled file. */
export const PAGE_BUNDLE_FILE = path.join(__dirname, 'webusb-page.bundle.js');

const HTML = `<!doctype html>
<meta charset="utf-8">
<title>ffs-lab WebUSB host</title>
<script src="${BUNDLE_URL_PATH}"></script>
`;

/** A response to fulfil a routed request with (playwright's route.fulfill options). */
export interface PageResponse {
  status: number;
  contentType: string;
  body: string;
}

/** The response for a request to `url`: the page at `/`, the bundle, 404 for anything else. */
export function pageResponse(url: string, readBundle: () => string = () => fs.readFileSync(PAGE_BUNDLE_FILE, 'utf8')): PageResponse {
  const u = new URL(url);
  if (u.origin !== PAGE_ORIGIN) return { status: 404, contentType: 'text/plain', body: `not served: ${u.origin}` };
  if (u.pathname === '/') return { status: 200, contentType: 'text/html; charset=utf-8', body: HTML };
  if (u.pathname === BUNDLE_URL_PATH) return { status: 200, contentType: 'text/javascript; charset=utf-8', body: readBundle() };
  return { status: 404, contentType: 'text/plain', body: `not found: ${u.pathname}` };
}
