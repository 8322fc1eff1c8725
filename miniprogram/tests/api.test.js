const { createClient, showError, TOKEN_KEY } = require('../utils/api');
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

test('a server error without our shape still gets a readable message', async () => {
  const wx = createFakeWx({ handler: () => ({ statusCode: 502, data: '<html>Bad Gateway</html>' }) });
  const api = createClient({ wx, baseUrl: BASE });
  await expect(api.get('/api/me')).rejects.toMatchObject({ status: 502, message: '服务器开小差了，请稍后再试' });
});
