const { createClient, showError, TOKEN_KEY, SIGNED_OUT_KEY, NotBoundError } = require('../utils/api');
const { createFakeWx, ok, error } = require('./fake-wx');

const BASE = 'https://edangwu.example';

test('login stores the session token and later calls send it', async () => {
  const wx = createFakeWx({
    handler: (req) => (req.url.endsWith('/api/auth/login') ? ok({ bound: true, token: 'tok-1' }) : ok({ name: '张三' })),
  });
  const api = createClient({ wx, baseUrl: BASE });
  await api.login();
  expect(wx.storage[TOKEN_KEY]).toBe('tok-1');
  expect(await api.get('/api/me')).toEqual({ name: '张三' });
  expect(wx.requests[1].header.Authorization).toBe('Bearer tok-1');
  expect(wx.requests[0].data).toEqual({ code: 'code-1' });
});

test('an expired token triggers one new login and the call is retried once', async () => {
  const wx = createFakeWx({
    handler: (req, n) => {
      if (req.url.endsWith('/api/auth/login')) return ok({ bound: true, token: 'tok-new' });
      return n === 1 ? error(401, 'token_expired', '登录已过期，请重新登录') : ok({ name: '张三' });
    },
  });
  wx.setStorageSync(TOKEN_KEY, 'tok-old');
  const api = createClient({ wx, baseUrl: BASE });
  expect(await api.get('/api/me')).toEqual({ name: '张三' });
  expect(wx.requests.map((r) => r.url.replace(BASE, ''))).toEqual(['/api/me', '/api/auth/login', '/api/me']);
  expect(wx.requests[2].header.Authorization).toBe('Bearer tok-new');
});

test('a token refused again after the new login is not retried forever', async () => {
  const wx = createFakeWx({
    handler: (req) =>
      req.url.endsWith('/api/auth/login') ? ok({ bound: true, token: 'tok' }) : error(401, 'token_revoked', '登录已失效'),
  });
  const api = createClient({ wx, baseUrl: BASE });
  await expect(api.get('/api/me')).rejects.toMatchObject({ code: 'token_revoked', message: '登录已失效' });
  expect(wx.requests).toHaveLength(3);
});

test('a member who is no longer bound is sent to the binding page', async () => {
  const onNotBound = jest.fn();
  const wx = createFakeWx({
    handler: (req) =>
      req.url.endsWith('/api/auth/login') ? ok({ bound: false, bind_ticket: 't' }) : error(401, 'token_revoked', '登录已失效'),
  });
  const api = createClient({ wx, baseUrl: BASE, onNotBound });
  await expect(api.get('/api/me')).rejects.toMatchObject({ code: 'not_bound' });
  expect(onNotBound).toHaveBeenCalledTimes(1);
});

test('a network failure asks the member to retry, and the retry goes through', async () => {
  const wx = createFakeWx({
    handler: (req, n) => (n === 1 ? { fail: true } : ok({ ok: true })),
    modalAnswers: [true],
  });
  const api = createClient({ wx, baseUrl: BASE });
  expect(await api.post('/api/auth/logout')).toEqual({ ok: true });
  expect(wx.modals[0]).toMatchObject({ title: '网络不给力', confirmText: '重试' });
  expect(wx.requests).toHaveLength(2);
});

test('a network failure the member does not retry is reported, not swallowed', async () => {
  const wx = createFakeWx({ handler: () => ({ fail: true }), modalAnswers: [false] });
  const api = createClient({ wx, baseUrl: BASE });
  const failure = api.get('/api/me');
  await expect(failure).rejects.toMatchObject({ code: 'network_error' });
  showError(wx, await failure.catch((err) => err));
  expect(wx.toasts[0].title).toBe('网络不给力，请检查网络后重试');
});

test('a poll that fails on the network is thrown at once, without asking the member', async () => {
  const wx = createFakeWx({ handler: () => ({ fail: true }), modalAnswers: [true] });
  const api = createClient({ wx, baseUrl: BASE });
  await expect(api.get('/api/meetings/7/arrivals', { retry: false })).rejects.toMatchObject({ code: 'network_error' });
  expect(wx.modals).toEqual([]);
  expect(wx.requests).toHaveLength(1);
});

test('the server error shape becomes a Chinese toast', async () => {
  const wx = createFakeWx({
    handler: (req) =>
      req.url.endsWith('/api/auth/login')
        ? ok({ bound: false, bind_ticket: 'ticket-1' })
        : error(400, 'invite_code_expired', '邀请码已过期，请联系支部书记重新发放'),
  });
  const api = createClient({ wx, baseUrl: BASE });
  const err = await api.bindWithInvite('ABCD2345', '张三').catch((e) => e);
  expect(err.code).toBe('invite_code_expired');
  expect(wx.requests[1].data).toEqual({ bind_ticket: 'ticket-1', invite_code: 'ABCD2345', name: '张三' });
  showError(wx, err);
  expect(wx.toasts[0]).toMatchObject({ title: '邀请码已过期，请联系支部书记重新发放', icon: 'none' });
});

test('put sends its body with the session, as a saved quiz answer is', async () => {
  const wx = createFakeWx({ handler: () => ok({ saved: true, answered_at: '2026-11-24T04:00:05+00:00' }) });
  wx.setStorageSync(TOKEN_KEY, 'tok-1');
  const api = createClient({ wx, baseUrl: BASE });
  expect(await api.put('/api/attempts/301/items/3', { given: [0, 2] }, { retry: false })).toMatchObject({ saved: true });
  expect(wx.requests[0]).toMatchObject({ method: 'PUT', url: `${BASE}/api/attempts/301/items/3`, data: { given: [0, 2] } });
  expect(wx.requests[0].header.Authorization).toBe('Bearer tok-1');
});

test('a server error without our shape still gets a readable message', async () => {
  const wx = createFakeWx({ handler: () => ({ statusCode: 502, data: '<html>Bad Gateway</html>' }) });
  const api = createClient({ wx, baseUrl: BASE });
  await expect(api.get('/api/me')).rejects.toMatchObject({ status: 502, message: '服务器开小差了，请稍后再试' });
});

describe('several calls that find the session dead at once', () => {
  // Answers 401 to the old token, and counts wx.login and /api/auth/login.
  function server({ bound = true } = {}) {
    return (req) => {
      if (req.url.endsWith('/api/auth/login')) return bound ? ok({ bound: true, token: 'tok-new' }) : ok({ bound: false, bind_ticket: 't' });
      return req.header.Authorization === 'Bearer tok-new' ? ok({ path: req.url.replace(BASE, '') }) : error(401, 'token_expired', '登录已过期');
    };
  }

  test('share one wx.login and one login, then each is retried once', async () => {
    const wx = createFakeWx({ handler: server() });
    const logins = jest.spyOn(wx, 'login');
    wx.setStorageSync(TOKEN_KEY, 'tok-old');
    const api = createClient({ wx, baseUrl: BASE });
    const answers = await Promise.all(['/api/home', '/api/meetings', '/api/me'].map((path) => api.get(path)));
    expect(answers.map((a) => a.path)).toEqual(['/api/home', '/api/meetings', '/api/me']);
    expect(logins).toHaveBeenCalledTimes(1);
    const paths = wx.requests.map((r) => r.url.replace(BASE, ''));
    expect(paths.filter((p) => p === '/api/auth/login')).toHaveLength(1);
    expect(paths.filter((p) => p === '/api/home')).toHaveLength(2);
    expect(wx.storage[TOKEN_KEY]).toBe('tok-new');
  });

  test('a 401 that arrives after the renewal retries with the new token without logging in again', async () => {
    const wx = createFakeWx({ handler: server() });
    const logins = jest.spyOn(wx, 'login');
    wx.setStorageSync(TOKEN_KEY, 'tok-old');
    const api = createClient({ wx, baseUrl: BASE });
    const slow = { fire: null };
    const request = wx.request;
    // The second call's answer is held back until the first call has renewed the session.
    wx.request = (options) => {
      if (options.url.endsWith('/api/meetings') && options.header.Authorization === 'Bearer tok-old') {
        wx.requests.push(options);
        slow.fire = () => options.success(error(401, 'token_expired', '登录已过期'));
        return;
      }
      request(options);
    };
    const first = api.get('/api/home');
    const second = api.get('/api/meetings');
    await first;
    slow.fire();
    expect((await second).path).toBe('/api/meetings');
    expect(logins).toHaveBeenCalledTimes(1);
  });

  test.each([true, false])('a call sent during the renewal, answered 401 after it, shares it (bound: %s)', async (bound) => {
    const wx = createFakeWx({ handler: server({ bound }) });
    const logins = jest.spyOn(wx, 'login');
    wx.setStorageSync(TOKEN_KEY, 'tok-old');
    const api = createClient({ wx, baseUrl: BASE, onNotBound: () => {} });
    const request = wx.request;
    const held = {};
    // The login's answer, and the old-token answer to /api/meetings, wait until released.
    wx.request = (options) => {
      if (options.url.endsWith('/api/auth/login')) held.login = () => request(options);
      else if (options.url.endsWith('/api/meetings') && options.header.Authorization === 'Bearer tok-old') held.second = () => request(options);
      else request(options);
    };
    const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
    const first = api.get('/api/home').catch((e) => e);
    while (!held.login) await tick();
    const second = api.get('/api/meetings').catch((e) => e); // goes out with the old token
    held.login();
    const firstAnswer = await first; // the renewal is over
    held.second(); // now the old token's 401 arrives
    const answers = [firstAnswer, await second];
    if (bound) expect(answers.map((a) => a.path)).toEqual(['/api/home', '/api/meetings']);
    else expect(answers.map((a) => a.code)).toEqual(['not_bound', 'not_bound']);
    expect(logins).toHaveBeenCalledTimes(1);
  });

  test('a member no longer bound is sent to the login page once, and every call is told', async () => {
    const onNotBound = jest.fn();
    const wx = createFakeWx({ handler: server({ bound: false }) });
    wx.setStorageSync(TOKEN_KEY, 'tok-old');
    const api = createClient({ wx, baseUrl: BASE, onNotBound });
    const results = await Promise.allSettled([api.get('/api/home'), api.get('/api/meetings')]);
    expect(results.map((r) => r.reason)).toEqual([expect.any(NotBoundError), expect.any(NotBoundError)]);
    expect(onNotBound).toHaveBeenCalledTimes(1);
    expect(wx.requests.filter((r) => r.url.endsWith('/api/auth/login'))).toHaveLength(1);
  });

  test('a member unbound elsewhere leaves nothing of theirs kept on the phone', async () => {
    let unbound = false;
    const wx = createFakeWx({
      handler: (req) => {
        if (req.url.endsWith('/api/auth/login')) return ok({ bound: false, bind_ticket: 't' });
        return unbound ? error(401, 'token_revoked', '登录已失效') : ok({ member_name: '张三' });
      },
    });
    wx.setStorageSync(TOKEN_KEY, 'tok-old');
    const api = createClient({ wx, baseUrl: BASE, onNotBound: () => {} });
    await api.get('/api/home', { cache: true });
    unbound = true;
    await expect(api.get('/api/home', { cache: true })).rejects.toMatchObject({ code: 'not_bound' });
    expect(api.cached('/api/home')).toBeNull();
  });
});

describe('logout', () => {
  function boundPhone(handler) {
    const wx = createFakeWx({
      handler: (req, n) => (req.url.endsWith('/api/auth/login') ? ok({ bound: true, token: 'tok-2', member: { name: '张三' } }) : handler(req, n)),
    });
    wx.setStorageSync(TOKEN_KEY, 'tok-1');
    return wx;
  }

  test('tells the server, and forgets the token and what was kept of the member', async () => {
    const wx = boundPhone(() => ok({ ok: true, member_name: '张三' }));
    const api = createClient({ wx, baseUrl: BASE });
    await api.get('/api/home', { cache: true });
    require('../utils/quiz-answers').createPendingAnswers(wx, 7).put(3, 'B'); // an answer not yet saved
    wx.setStorageSync('another.app.key', 1);
    expect(api.cached('/api/home')).toMatchObject({ member_name: '张三' });
    expect(await api.logout()).toEqual({ serverNotified: true });
    const told = wx.requests[wx.requests.length - 1];
    expect([told.url, told.header.Authorization]).toEqual([`${BASE}/api/auth/logout`, 'Bearer tok-1']);
    expect(wx.storage[TOKEN_KEY]).toBeUndefined();
    expect(api.cached('/api/home')).toBeNull();
    expect(api.hasToken()).toBe(false);
    expect(api.member()).toBeNull();
    expect(Object.keys(wx.storage).sort()).toEqual(['another.app.key', SIGNED_OUT_KEY]); // the quiz's answer too
  });

  test('works with the network down: no retry question, nothing left on the phone', async () => {
    const wx = boundPhone(() => ({ fail: true }));
    const api = createClient({ wx, baseUrl: BASE });
    expect(await api.logout()).toEqual({ serverNotified: false });
    expect(wx.modals).toEqual([]);
    expect(wx.storage[TOKEN_KEY]).toBeUndefined();
    expect(wx.storage[SIGNED_OUT_KEY]).toBe(true);
  });

  test('also when the server refuses it (a token that had already died)', async () => {
    const wx = boundPhone(() => error(401, 'token_expired', '登录已过期'));
    const api = createClient({ wx, baseUrl: BASE });
    expect(await api.logout()).toEqual({ serverNotified: false });
    expect(wx.requests.map((r) => r.url.replace(BASE, ''))).toEqual(['/api/auth/logout']); // no login to "fix" it
    expect(api.isSignedOut()).toBe(true);
  });

  test('a later call does not log the member back in by itself, even after the app restarts', async () => {
    const onSignedOut = jest.fn();
    const wx = boundPhone(() => ok({ ok: true }));
    const logins = jest.spyOn(wx, 'login');
    await createClient({ wx, baseUrl: BASE }).logout();
    const restarted = createClient({ wx, baseUrl: BASE, onSignedOut });
    await expect(restarted.get('/api/home')).rejects.toMatchObject({ code: 'signed_out' });
    expect(onSignedOut).toHaveBeenCalledTimes(1);
    expect(logins).not.toHaveBeenCalled();
    expect(wx.requests.map((r) => r.url.replace(BASE, ''))).toEqual(['/api/auth/logout']);
    showError(wx, await restarted.get('/api/me').catch((e) => e));
    expect(wx.toasts).toEqual([]); // the login page says it; no toast on top
  });

  test("the member's own tap on 登录 logs in again", async () => {
    const wx = boundPhone(() => ok({ name: '张三' }));
    const api = createClient({ wx, baseUrl: BASE });
    await api.logout();
    expect(await api.login()).toMatchObject({ bound: true });
    expect(api.isSignedOut()).toBe(false);
    expect(await api.get('/api/me')).toEqual({ name: '张三' });
    expect(wx.requests[wx.requests.length - 1].header.Authorization).toBe('Bearer tok-2');
  });

  test('a renewal still under way when the member logs out does not log them back in', async () => {
    const wx = createFakeWx({ handler: (req) => (req.url.endsWith('/api/auth/login') ? ok({ bound: true, token: 'tok-2' }) : error(401, 'token_expired', '过期')) });
    wx.setStorageSync(TOKEN_KEY, 'tok-1');
    const api = createClient({ wx, baseUrl: BASE });
    const pending = api.get('/api/home').catch((e) => e);
    await new Promise((resolve) => setTimeout(resolve, 0)); // the 401 has arrived; the renewal is on its way
    await api.logout();
    expect(await pending).toMatchObject({ code: 'signed_out' });
    expect(api.hasToken()).toBe(false);
    expect(wx.storage[TOKEN_KEY]).toBeUndefined();
  });
});
