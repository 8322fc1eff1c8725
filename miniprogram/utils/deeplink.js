// Deep links through binding: a member who opens a page (a reminder, a poster, a shared card, WeChat's
// scanner) before binding goes to the login page with `next`, and comes back to that page after binding.
//
// WeChat hands a page its query values as they were written in the URL, without decoding them (pages
// decode `q` and `scene` themselves), so the page's own URL is rebuilt from `route` and `options` as is;
// only a value that would break the query (an already decoded link with `?`, `&`, `=`) is encoded.

const LOGIN = '/pages/login/index';
const HOME = '/pages/home/index';
const PAGE_PATH = /^\/pages\/[\w-]+\/index(\?[^#\s]*)?$/;

function queryValue(value) {
  const text = String(value);
  return /[&=?#\s]/.test(text) ? encodeURIComponent(text) : text;
}

// `/pages/meeting/index?id=7` for the page on top of the stack `getCurrentPages()` returns, or null.
function currentPageUrl(pages) {
  const page = pages && pages.length ? pages[pages.length - 1] : null;
  if (!page || !page.route) return null;
  const options = page.options || {};
  const query = Object.keys(options)
    .map((key) => `${key}=${queryValue(options[key])}`)
    .join('&');
  return `/${page.route}${query ? `?${query}` : ''}`;
}

// Where to send a member who must log in or bind first, remembering the page they were on.
function loginUrl(pages) {
  const here = currentPageUrl(pages);
  if (!here || here.split('?')[0] === LOGIN) return LOGIN;
  return `${LOGIN}?next=${encodeURIComponent(here)}`;
}

// The page to open after binding: `next` if it is one of our pages (never the login page itself, never
// an outside address), else null. `next` arrives encoded (or, on an older base library, decoded).
function safeNext(next) {
  if (!next) return null;
  let path = String(next);
  if (!path.startsWith('/')) {
    try {
      path = decodeURIComponent(path);
    } catch (err) {
      return null;
    }
  }
  if (!PAGE_PATH.test(path) || path.split('?')[0] === LOGIN) return null;
  return path;
}

module.exports = { currentPageUrl, loginUrl, safeNext, LOGIN, HOME };
