// The mini-program's one API client. It adds the session token, logs in again when the token has died
// (once for any number of calls that find it dead together), turns the server's error shape into a
// Chinese toast, and never drops a request silently on a bad network: the member is asked whether to
// retry (or, with `retry: false`, the page shows its own error state with 重新加载).
//
// Logging out is the member's decision and survives a restart: `wx.login` would hand a bound WeChat user
// a new session at any moment, so after `logout()` the client no longer logs in by itself. Calls are
// refused with `signed_out` (and `onSignedOut` sends the member to the login page) until the member
// taps 登录 there, which calls `login()`.
//
// Plain CommonJS with `wx` passed in, so jest can run it against a fake `wx` or a live server.

// Every key this mini-program keeps in the phone's storage starts so.
const KEY_PREFIX = 'edangwu.';
const TOKEN_KEY = 'edangwu.token';
const SIGNED_OUT_KEY = 'edangwu.signedOut';
const CACHE_INDEX_KEY = 'edangwu.cache';
const CACHE_PREFIX = 'edangwu.cache:';
const SESSION_ERRORS = ['token_expired', 'token_invalid', 'token_revoked', 'token_missing'];

class ApiError extends Error {
  constructor(status, code, message, fields) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields || null;
  }
}

class NetworkError extends Error {
  constructor(message) {
    super(message || '网络不给力，请检查网络后重试');
    this.code = 'network_error';
  }
}

// The member is on their way to the login page: pages stop loading and show nothing about it.
class NotBoundError extends Error {
  constructor(bindTicket) {
    super('请先绑定党员身份');
    this.code = 'not_bound';
    this.bindTicket = bindTicket;
  }
}

class SignedOutError extends Error {
  constructor() {
    super('您已退出登录，请重新登录');
    this.code = 'signed_out';
  }
}

// Errors after which the client has already sent the member to the login page.
const LOGIN_NEEDED = ['not_bound', 'signed_out'];

function promisify(wx, name, options) {
  return new Promise((resolve, reject) => wx[name]({ ...options, success: resolve, fail: reject }));
}

function createClient({ wx, baseUrl, onNotBound, onSignedOut }) {
  let token = wx.getStorageSync(TOKEN_KEY) || null;
  let signedOut = Boolean(wx.getStorageSync(SIGNED_OUT_KEY));
  let bindTicket = null;
  let member = null;
  // Re-login bookkeeping: `generation` counts renewals started; a call remembers the generation it was
  // sent in, so a 401 that arrives after another call already renewed the session just retries.
  let generation = 0;
  let renewing = null;
  let lastRenewal = null;

  function setToken(value) {
    token = value;
    if (value) wx.setStorageSync(TOKEN_KEY, value);
    else wx.removeStorageSync(TOKEN_KEY);
  }

  function cachedPaths() {
    return wx.getStorageSync(CACHE_INDEX_KEY) || [];
  }

  function dropCaches() {
    cachedPaths().forEach((path) => wx.removeStorageSync(CACHE_PREFIX + path));
    wx.removeStorageSync(CACHE_INDEX_KEY);
  }

  // Whatever else a page kept of the member (a quiz's answers not yet saved, …): every key of ours but
  // the signed-out mark, so the next person on this phone inherits nothing.
  function dropMemberKeys() {
    const keys = (wx.getStorageInfoSync && wx.getStorageInfoSync().keys) || [];
    keys.filter((key) => key.startsWith(KEY_PREFIX) && key !== SIGNED_OUT_KEY).forEach((key) => wx.removeStorageSync(key));
  }

  // Everything this client knows about the member, in memory and on the phone.
  function forgetMember() {
    setToken(null);
    bindTicket = null;
    member = null;
    dropCaches();
    dropMemberKeys();
  }

  function remember(path, body) {
    wx.setStorageSync(CACHE_PREFIX + path, body);
    const paths = cachedPaths();
    if (!paths.includes(path)) wx.setStorageSync(CACHE_INDEX_KEY, paths.concat(path));
  }

  function send(method, path, data, sessionToken = token) {
    const header = { 'Content-Type': 'application/json' };
    if (sessionToken) header.Authorization = `Bearer ${sessionToken}`;
    return promisify(wx, 'request', { url: baseUrl + path, method, data, header, timeout: 15000 }).then(
      (res) => res,
      () => Promise.reject(new NetworkError()),
    );
  }

  // Ask the member, in plain words, whether to try a failed request again.
  async function askRetry() {
    const answer = await promisify(wx, 'showModal', {
      title: '网络不给力',
      content: '请求没有发送成功，是否重试？',
      confirmText: '重试',
      cancelText: '取消',
    }).catch(() => ({ confirm: false }));
    return Boolean(answer.confirm);
  }

  async function sendWithRetry(method, path, data) {
    for (;;) {
      try {
        return await send(method, path, data);
      } catch (err) {
        if (!(err instanceof NetworkError) || !(await askRetry())) throw err;
      }
    }
  }

  function toError(res) {
    const body = res.data && res.data.error ? res.data.error : {};
    return new ApiError(res.statusCode, body.code || 'server_error', body.message || '服务器开小差了，请稍后再试', body.fields);
  }

  // wx.login → our /api/auth/login. Bound members get a session; others a ticket to bind with.
  // `explicit` is the member's own tap (the login page): it ends a logout. A renewal in the background
  // that answers after the member logged out is thrown away.
  async function exchangeCode({ explicit }) {
    if (explicit) {
      signedOut = false;
      wx.removeStorageSync(SIGNED_OUT_KEY);
    }
    const { code } = await promisify(wx, 'login', {});
    const res = await sendWithRetry('POST', '/api/auth/login', { code });
    if (res.statusCode !== 200) throw toError(res);
    if (signedOut) throw new SignedOutError();
    if (res.data.bound) {
      setToken(res.data.token);
      bindTicket = null;
      member = res.data.member || null;
    } else {
      setToken(null);
      bindTicket = res.data.bind_ticket;
    }
    return res.data;
  }

  // One renewal for every call that found the session dead: the first starts it, the others wait for it,
  // and a call whose 401 arrives after a renewal it did not wait for simply retries with the new token.
  function renewSession(sentIn) {
    if (renewing) return renewing;
    if (generation > sentIn && lastRenewal) return lastRenewal;
    generation += 1;
    renewing = exchangeCode({ explicit: false })
      .then((session) => {
        if (!session.bound) {
          // Unbound elsewhere (by the member or the secretary): what was kept belongs to someone else now.
          member = null;
          dropCaches();
          if (onNotBound) onNotBound();
          throw new NotBoundError(bindTicket);
        }
        return session;
      })
      .finally(() => {
        renewing = null;
      });
    lastRenewal = renewing;
    return renewing;
  }

  function refuseSignedOut() {
    if (onSignedOut) onSignedOut();
    return Promise.reject(new SignedOutError());
  }

  async function bind(path, payload) {
    if (!bindTicket) await exchangeCode({ explicit: true });
    if (!bindTicket) return { bound: true, member };
    const res = await sendWithRetry('POST', path, { bind_ticket: bindTicket, ...payload });
    if (res.statusCode !== 200) {
      if (res.data && res.data.error && /^bind_ticket/.test(res.data.error.code)) bindTicket = null;
      throw toError(res);
    }
    setToken(res.data.token);
    bindTicket = null;
    member = res.data.member || null;
    return res.data;
  }

  // Any authenticated call. A dead session is renewed once (shared with concurrent calls), then the call
  // is tried once more. With `retry: false` a network failure is thrown at once instead of asking the
  // member: a page load shows its error state with 重新加载, and a poll tries again on its next tick.
  // With `cache: true` a successful answer is kept on the phone for `cached(path)` until logout.
  async function call(method, path, data, { retry = true, cache = false } = {}) {
    if (signedOut) return refuseSignedOut();
    const transmit = retry ? sendWithRetry : send;
    // A call sent while a renewal is under way carries the old token: it belongs to the session before.
    const sentIn = renewing ? generation - 1 : generation;
    const sentWith = token;
    let res = await transmit(method, path, data);
    if (res.statusCode === 401 && SESSION_ERRORS.includes(toError(res).code)) {
      if (signedOut) return refuseSignedOut(); // logged out while this call was on its way
      if (!token || token === sentWith) await renewSession(sentIn);
      res = await transmit(method, path, data);
    }
    if (res.statusCode >= 400) throw toError(res);
    if (cache) remember(path, res.data);
    return res.data;
  }

  return {
    login: () => exchangeCode({ explicit: true }),
    bindWithPhone: (phoneCode) => bind('/api/auth/bind/phone', { phone_code: phoneCode }),
    bindWithInvite: (inviteCode, name) => bind('/api/auth/bind/invite', { invite_code: inviteCode, name }),
    get: (path, options) => call('GET', path, undefined, options),
    post: (path, data, options) => call('POST', path, data || {}, options),
    put: (path, data, options) => call('PUT', path, data || {}, options),
    // Logged out on this phone at once, whatever the network says: the token, the member and every
    // cached answer are gone before the server is told, and no later call logs in by itself. The server
    // is then asked to end the session; if it cannot be reached the token dies on its own expiry.
    // Resolves {serverNotified}; never rejects, so the page can always go on to the login page.
    logout: async () => {
      const ending = token;
      forgetMember();
      signedOut = true;
      wx.setStorageSync(SIGNED_OUT_KEY, true);
      if (!ending) return { serverNotified: false };
      const res = await send('POST', '/api/auth/logout', {}, ending).catch(() => null);
      return { serverNotified: Boolean(res && res.statusCode === 200) };
    },
    unbind: async () => {
      await call('POST', '/api/auth/unbind');
      forgetMember();
    },
    // A file of the API (a notice's attachment) downloaded to the phone with this session's token:
    // resolves the temporary file's path; a refusal or a broken network rejects with the usual errors.
    download: (path) =>
      promisify(wx, 'downloadFile', { url: baseUrl + path, header: token ? { Authorization: `Bearer ${token}` } : {} }).then(
        (res) => (res.statusCode === 200 ? res.tempFilePath : Promise.reject(new ApiError(res.statusCode, 'download_failed', '附件下载失败，请稍后再试'))),
        () => Promise.reject(new NetworkError()),
      ),
    hasToken: () => Boolean(token),
    isSignedOut: () => signedOut,
    // The member from the last login or binding ({id, name, …}), or null.
    member: () => member,
    // The last answer kept with `cache: true` for `path`, or null (nothing kept, or logged out since).
    cached: (path) => wx.getStorageSync(CACHE_PREFIX + path) || null,
  };
}

// True when the client has already sent the member to the login page for this error.
function leadsToLogin(err) {
  return Boolean(err && LOGIN_NEEDED.includes(err.code));
}

// Show any failure as a short Chinese toast; network failures the member chose not to retry included.
// Nothing is shown for a member who is being taken to the login page.
function showError(wx, err) {
  if (leadsToLogin(err)) return;
  const title = (err && err.message) || '操作失败，请稍后再试';
  wx.showToast({ title: title.slice(0, 30), icon: 'none', duration: 2500 });
}

module.exports = {
  createClient,
  showError,
  leadsToLogin,
  ApiError,
  NetworkError,
  NotBoundError,
  SignedOutError,
  TOKEN_KEY,
  SIGNED_OUT_KEY,
};
