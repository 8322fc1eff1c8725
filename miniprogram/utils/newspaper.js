// What the 手机报 pages share: the server's picture addresses made whole, article bodies laid out for a
// phone, and the paths of the issue and article pages (also the ones a forward carries).
const config = require('../config');

const ISSUE_PAGE = '/pages/news-issue/index';
const ARTICLE_PAGE = '/pages/news-article/index';

const issueUrl = (id) => `${ISSUE_PAGE}?id=${id}`;
const articleUrl = (id) => `${ARTICLE_PAGE}?id=${id}`;

// A picture the server names: its own path ("/media/…") on this deployment's server, a full http(s)
// address as given; anything else is no picture.
function mediaUrl(url) {
  const text = String(url || '').trim();
  if (/^https?:\/\//i.test(text)) return text;
  if (/^\/[^/]/.test(text)) return `${config.apiBase}${text}`;
  return '';
}

// The article body for <rich-text>: the server has already sanitised it (only plain tags, no style, no
// script). The phone adds its look, which page styles cannot give the inside of a <rich-text>: pictures
// never wider than the screen (the server keeps them up to 1080 px wide), centred, with their
// addresses made whole; a quotation set off by a line, not an indent that narrows it on a small screen.
const PICTURE_STYLE = 'max-width:100%;height:auto;display:block;margin:12px auto;';
const QUOTE_STYLE = 'margin:12px 0;padding:4px 12px;border-left:3px solid #ddd;color:#555;';

const withoutStyle = (attrs) => attrs.replace(/\sstyle\s*=\s*("[^"]*"|'[^']*')/gi, '');

function phoneHtml(html) {
  return String(html || '')
    .replace(/<img\b([^>]*?)\/?>/gi, (_, attrs) => {
      const withSrc = withoutStyle(attrs).replace(/\ssrc\s*=\s*"([^"]*)"/i, (__, src) => ` src="${mediaUrl(src.replace(/&amp;/g, '&')).replace(/&/g, '&amp;')}"`);
      return `<img${withSrc} style="${PICTURE_STYLE}">`;
    })
    .replace(/<blockquote\b([^>]*)>/gi, (_, attrs) => `<blockquote${withoutStyle(attrs)} style="${QUOTE_STYLE}">`);
}

// The path a forward of article `id` carries: the server's share path (which names the sharer, so
// the opens count for them) when it is one of this page's, else `fallback` (the plain article path).
function sharePathFor(id, serverPath, fallback = articleUrl(id)) {
  const path = String(serverPath || '');
  const ours = path === ARTICLE_PAGE || path.startsWith(`${ARTICLE_PAGE}?`);
  return ours && !/[\s#]/.test(path) ? path : fallback;
}

// A page id from the query: a positive integer, or null.
function idFrom(value) {
  const text = String(value === undefined || value === null ? '' : value);
  return /^[1-9]\d{0,15}$/.test(text) ? Number(text) : null;
}

module.exports = { ISSUE_PAGE, ARTICLE_PAGE, issueUrl, articleUrl, mediaUrl, phoneHtml, sharePathFor, idFrom };
