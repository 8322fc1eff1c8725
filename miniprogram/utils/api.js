// The mini-program's one API client. It adds the session token, logs in again once when the token has
// expired, turns the server's error shape into a Chinese toast, and never drops a request silently on a
// bad network: the member is asked whether to retry.
//
// Plain CommonJS with `wx` passed in, so jest can run it against a fake `wx` or a live server.

const TOKEN_KEY = 'edangwu.token';
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

class NotBoundError extends Error {
  constructor(bindTicket) {
    super('请先绑定党员身份');
    this.code = 'not_bound';
    this.bindTicket = bindTicket;
  }
}

function promisify(wx, name, options) {
  return new Promise((resolve, reject) => wx[name]({ ...options, success: resolve, fail: reject }));
}

function createClient({ wx, baseUrl, onNotBound }) {
  let token = wx.getStorageSync(TOKEN_KEY) || null;
  let bindTicket = null;

  function setToken(value) {
    token = value;
    if (value) wx.setStorageSync(TOKEN_KEY, value);
    else wx.removeStorageSync(TOKEN_KEY);
  }

  function send(method, path, data) {
    const header = { 'Content-Type': 'application/json' };
    if (token) header.Authorization = `Bearer ${token}`;
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
  async function login() {
    const { code } = await promisify(wx, 'login', {});
    const res = await sendWithRetry('POST', '/api/auth/login', { code });
    if (res.statusCode !== 200) throw toError(res);
    if (res.data.bound) {
      setToken(res.data.token);
      bindTicket = null;
    } else {
      setToken(null);
      bindTicket = res.data.bind_ticket;
    }
    return res.data;
  }

  async function bind(path, payload) {
    if (!bindTicket) await login();
    if (!bindTicket) return { bound: true };
    const res = await sendWithRetry('POST', path, { bind_ticket: bindTicket, ...payload });
    if (res.statusCode !== 200) {
      if (res.data && res.data.error && /^bind_ticket/.test(res.data.error.code)) bindTicket = null;
      throw toError(res);
    }
    setToken(res.data.token);
    bindTicket = null;
    return res.data;
  }

  // Any authenticated call. A dead token triggers one fresh login, then the call is tried once more.
  // With `retry: false` a network failure is thrown at once instead of asking the member: a page that
  // polls tries again on its next tick, and a modal every few seconds would bury the page.
  async function call(method, path, data, { retry = true } = {}) {
    const transmit = retry ? sendWithRetry : send;
    let res = await transmit(method, path, data);
    if (res.statusCode === 401 && SESSION_ERRORS.includes(toError(res).code)) {
      const session = await login();
      if (!session.bound) {
        if (onNotBound) onNotBound();
        throw new NotBoundError(bindTicket);
      }
      res = await transmit(method, path, data);
    }
    if (res.statusCode >= 400) throw toError(res);
    return res.data;
  }

  return {
    login,
    bindWithPhone: (phoneCode) => bind('/api/auth/bind/phone', { phone_code: phoneCode }),
    bindWithInvite: (inviteCode, name) => bind('/api/auth/bind/invite', { invite_code: inviteCode, name }),
    get: (path, options) => call('GET', path, undefined, options),
    post: (path, data) => call('POST', path, data || {}),
    logout: async () => {
      await call('POST', '/api/auth/logout');
      setToken(null);
    },
    unbind: async () => {
      await call('POST', '/api/auth/unbind');
      setToken(null);
    },
    hasToken: () => Boolean(token),
  };
}

// Show any failure as a short Chinese toast; network failures the member chose not to retry included.
function showError(wx, err) {
  const title = (err && err.message) || '操作失败，请稍后再试';
  wx.showToast({ title: title.slice(0, 30), icon: 'none', duration: 2500 });
}

module.exports = { createClient, showError, ApiError, NetworkError, NotBoundError, TOKEN_KEY };
