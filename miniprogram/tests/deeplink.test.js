// Deep links through binding, with the app's own client (utils/client.js) and the login page: a member
// not yet bound opens a meeting from a reminder, a poster, a shared card or WeChat's scanner, binds, and
// lands on that meeting, which still knows which one it is (utils/links.js's meetingTarget).
const { createFakeWx, mountPage, ok, error } = require('./fake-wx');
const { currentPageUrl, loginUrl, safeNext } = require('../utils/deeplink');
const { meetingTarget } = require('../utils/links');
const { createLoginPage } = require('../pages/login/logic');

const LINK = 'http://127.0.0.1:5000/m/checkin?c=M7.abc-DEF_1';

// What WeChat hands a page opened at `url`: its route, and the query values as written (not decoded).
function opened(url) {
  const [pathPart, query = ''] = url.split('?');
  const options = {};
  query
    .split('&')
    .filter(Boolean)
    .forEach((pair) => {
      const at = pair.indexOf('=');
      options[pair.slice(0, at)] = pair.slice(at + 1);
    });
  return { route: pathPart.replace(/^\//, ''), options };
}

// A phone whose WeChat user is not bound yet; binding by invite works.
function unboundPhone() {
  let bound = false;
  return createFakeWx({
    handler: (req) => {
      const path = req.url.replace(/^https?:\/\/[^/]+/, '');
      if (path === '/api/auth/login') return ok(bound ? { bound: true, token: 'tok' } : { bound: false, bind_ticket: 'ticket' });
      if (path === '/api/auth/bind/invite') {
        bound = true;
        return ok({ bound: true, token: 'tok', member: { name: '张三' } });
      }
      if (path === '/api/me/subscriptions') return ok({ ok: true });
      return req.header.Authorization ? ok({ id: 7 }) : error(401, 'token_missing', '请先登录');
    },
    modalAnswers: [true], // 开启会议提醒
  });
}

// The app's client module with this phone as `wx` and `page` on top of the page stack.
function appClient(wx, pages) {
  global.wx = wx;
  global.getCurrentPages = () => pages;
  let client;
  jest.isolateModules(() => {
    client = require('../utils/client');
  });
  return client;
}

afterEach(() => {
  delete global.wx;
  delete global.getCurrentPages;
});

test.each([
  ['a reminder (page parameters)', '/pages/meeting/index?id=7', { id: 7, code: null }],
  ['a poster (mini-program code scene)', `/pages/meeting/index?scene=${encodeURIComponent('m=7')}`, { id: 7, code: null }],
  ['a shared meeting card', '/pages/meeting/index?id=7&from=share', { id: 7, code: null }],
  ["WeChat's scanner (q link)", `/pages/meeting/index?q=${encodeURIComponent(LINK)}`, { id: 7, code: 'M7.abc-DEF_1' }],
])('%s reaches the meeting through binding', async (_, url, target) => {
  const wx = unboundPhone();
  wx.requestSubscribeMessage = ({ tmplIds, success }) => success({ [tmplIds[0]]: 'accept' });
  const meetingPage = opened(url);
  const api = appClient(wx, [meetingPage]);

  // The meeting page loads; the client finds the member not bound and takes them to the login page.
  await expect(api.get('/api/meetings/7')).rejects.toMatchObject({ code: 'not_bound' });
  expect(wx.relaunched).toEqual([`/pages/login/index?next=${encodeURIComponent(url)}`]);

  // The login page binds with an invite code, offers the reminder, and goes back to the meeting.
  const loginAt = opened(wx.relaunched[0]);
  global.getCurrentPages = () => [loginAt];
  const login = mountPage(createLoginPage({ api, wx }));
  await login.onLoad(loginAt.options);
  expect(login.data.state).toBe('ready');
  login.setData({ inviteCode: 'ABCD2345', name: '张三' });
  await login.onInviteSubmit();
  expect(wx.modals[0]).toMatchObject({ title: '绑定成功', confirmText: '开启提醒' });
  expect(wx.requests.find((r) => r.url.endsWith('/api/me/subscriptions')).data).toEqual({
    results: { demo_meeting_reminder: 'accept' },
  });
  expect(wx.relaunched[1]).toBe(url);

  // The meeting page, opened again at `next`, still knows its meeting, and now loads.
  const back = opened(wx.relaunched[1]);
  expect(back).toEqual(meetingPage);
  expect(meetingTarget(back.options)).toEqual(target);
  expect(await api.get('/api/meetings/7')).toEqual({ id: 7 });
});

test('a member already bound who opens the login page with next goes there at once', async () => {
  const wx = createFakeWx({ handler: () => ok({ bound: true, token: 'tok' }) });
  const api = appClient(wx, []);
  const login = mountPage(createLoginPage({ api, wx }));
  await login.onLoad({ next: encodeURIComponent('/pages/meeting/index?id=7') });
  expect(wx.relaunched).toEqual(['/pages/meeting/index?id=7']);
  expect(wx.modals).toEqual([]);
});

test('after logout the app sends the member to the login page, which waits for their tap', async () => {
  const wx = createFakeWx({ handler: () => ok({ bound: true, token: 'tok', ok: true }) });
  wx.setStorageSync('edangwu.token', 'tok');
  const api = appClient(wx, [opened('/pages/attendance/index')]);
  await api.logout();
  await expect(api.get('/api/me/attendance')).rejects.toMatchObject({ code: 'signed_out' });
  expect(wx.relaunched).toEqual([`/pages/login/index?next=${encodeURIComponent('/pages/attendance/index')}`]);
  const login = mountPage(createLoginPage({ api, wx }));
  const logins = jest.spyOn(wx, 'login');
  await login.onLoad(opened(wx.relaunched[0]).options);
  expect(login.data).toMatchObject({ state: 'ready', signedOut: true });
  expect(logins).not.toHaveBeenCalled();
  await login.onSignIn();
  expect(wx.relaunched[1]).toBe('/pages/attendance/index');
});

test('the page URL is rebuilt as WeChat wrote it; only our own pages are accepted as next', () => {
  expect(currentPageUrl([{ route: 'pages/home/index', options: {} }])).toBe('/pages/home/index');
  // A value an older base library handed over decoded is encoded again, so the query stays whole.
  expect(currentPageUrl([{ route: 'pages/meeting/index', options: { q: LINK } }])).toBe(
    `/pages/meeting/index?q=${encodeURIComponent(LINK)}`,
  );
  expect(loginUrl([{ route: 'pages/login/index', options: { next: 'x' } }])).toBe('/pages/login/index');
  expect(loginUrl([])).toBe('/pages/login/index');
  expect(safeNext(encodeURIComponent('/pages/meeting/index?id=7'))).toBe('/pages/meeting/index?id=7');
  expect(safeNext('/pages/meetings/index')).toBe('/pages/meetings/index');
  for (const bad of ['https://evil.example/pages/x/index', 'pages/meeting/index', '/pages/login/index?next=x', '%E0%A4%A', '/pages/../x', '']) {
    expect(safeNext(bad)).toBeNull();
  }
});
