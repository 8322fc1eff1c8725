// The app-wide API client, bound to this deployment's server. A member who must bind (or who logged out)
// is taken to the login page with the page they were on as `next`, so binding brings them back to it.
const config = require('../config');
const { createClient } = require('./api');
const { loginUrl, LOGIN } = require('./deeplink');

function toLogin() {
  const pages = typeof getCurrentPages === 'function' ? getCurrentPages() : [];
  const url = loginUrl(pages);
  const top = pages.length ? pages[pages.length - 1] : null;
  if (top && `/${top.route}` === LOGIN) return; // already there: the login page handles it itself
  wx.reLaunch({ url });
}

const client = createClient({
  wx,
  baseUrl: config.apiBase,
  onNotBound: toLogin,
  onSignedOut: toLogin,
});

module.exports = client;
