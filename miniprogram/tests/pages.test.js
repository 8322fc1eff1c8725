const { createLoginPage } = require('../pages/login/logic');
const { createHomePage } = require('../pages/home/logic');
const { createProfilePage } = require('../pages/profile/logic');
const { ApiError, NetworkError, NotBoundError, createClient } = require('../utils/api');
const { createFakeWx, mountPage, ok } = require('./fake-wx');

const LINK_SCANNED = 'http://127.0.0.1:5000/m/checkin?c=M7.abc';

function fakeApi(overrides) {
  return {
    login: jest.fn().mockResolvedValue({ bound: false }),
    bindWithPhone: jest.fn().mockResolvedValue({ bound: true }),
    bindWithInvite: jest.fn().mockResolvedValue({ bound: true }),
    get: jest.fn(),
    post: jest.fn().mockResolvedValue({ ok: true }),
    logout: jest.fn().mockResolvedValue({ serverNotified: true }),
    unbind: jest.fn().mockResolvedValue(),
    isSignedOut: jest.fn().mockReturnValue(false),
    ...overrides,
  };
}

describe('login page', () => {
  test('one tap with the WeChat phone number binds and goes home', async () => {
    const wx = createFakeWx({ handler: () => ({}) });
    const api = fakeApi();
    const page = mountPage(createLoginPage({ api, wx }));
    await page.onPhoneNumber({ detail: { code: 'phone-code' } });
    expect(api.bindWithPhone).toHaveBeenCalledWith('phone-code');
    expect(wx.relaunched).toEqual(['/pages/home/index']);
    expect(page.data.busy).toBe(false);
  });

  test('refusing the phone permission suggests the invite code', async () => {
    const wx = createFakeWx({ handler: () => ({}) });
    const api = fakeApi();
    const page = mountPage(createLoginPage({ api, wx }));
    await page.onPhoneNumber({ detail: { errMsg: 'getPhoneNumber:fail user deny' } });
    expect(api.bindWithPhone).not.toHaveBeenCalled();
    expect(wx.toasts[0].title).toContain('邀请码');
  });

  test('invite code and name are checked before anything is sent', async () => {
    const wx = createFakeWx({ handler: () => ({}) });
    const api = fakeApi();
    const page = mountPage(createLoginPage({ api, wx }));
    page.onInviteInput({ detail: { value: 'ABCD2345' } });
    await page.onInviteSubmit();
    expect(wx.toasts[0].title).toBe('请输入您的姓名');
    page.onNameInput({ detail: { value: ' 张三 ' } });
    await page.onInviteSubmit();
    expect(api.bindWithInvite).toHaveBeenCalledWith('ABCD2345', '张三');
  });

  test('a refused invite code shows the server message and stays on the page', async () => {
    const wx = createFakeWx({ handler: () => ({}) });
    const api = fakeApi({
      bindWithInvite: jest.fn().mockRejectedValue(new ApiError(400, 'invite_code_used', '该邀请码已使用过，请联系支部书记重新发放')),
    });
    const page = mountPage(createLoginPage({ api, wx }));
    page.setData({ inviteCode: 'ABCD2345', name: '张三' });
    await page.onInviteSubmit();
    expect(wx.toasts[0].title).toBe('该邀请码已使用过，请联系支部书记重新发放');
    expect(wx.relaunched).toEqual([]);
    expect(page.data.busy).toBe(false);
  });
});

describe('login page states and where binding leads', () => {
  test('checks first whether this WeChat is bound: loading, then the binding choices', async () => {
    const wx = createFakeWx({ handler: () => ({}) });
    const api = fakeApi();
    const page = mountPage(createLoginPage({ api, wx }));
    const loading = page.onLoad({});
    expect(page.data.state).toBe('loading');
    await loading;
    expect(page.data).toMatchObject({ state: 'ready', signedOut: false, mode: 'phone' });
  });

  test('an unreachable server is an error with retry, not a toast over a dead page', async () => {
    const wx = createFakeWx({ handler: () => ({}) });
    const api = fakeApi({ login: jest.fn().mockRejectedValueOnce(new NetworkError()).mockResolvedValue({ bound: false }) });
    const page = mountPage(createLoginPage({ api, wx }));
    await page.onLoad({});
    expect(page.data).toMatchObject({ state: 'error', stateMessage: '网络不给力，请检查网络后重试' });
    await page.onRetry();
    expect(page.data.state).toBe('ready');
  });

  test('coming back online retries a failed check, but never logs in a member who logged out', async () => {
    const wx = createFakeWx({ handler: () => ({}) });
    const api = fakeApi({ isSignedOut: jest.fn().mockReturnValue(true) });
    const page = mountPage(createLoginPage({ api, wx }));
    await page.onLoad({});
    await page.onReconnect();
    expect(api.login).not.toHaveBeenCalled();
    const failing = fakeApi({ login: jest.fn().mockRejectedValueOnce(new NetworkError()).mockResolvedValue({ bound: true }) });
    const retried = mountPage(createLoginPage({ api: failing, wx }));
    await retried.onLoad({});
    await retried.onReconnect();
    expect(wx.relaunched).toEqual(['/pages/home/index']);
  });

  test('after binding the reminder is offered; accepting asks WeChat straight from the tap', async () => {
    const wx = createFakeWx({ handler: () => ({}), modalAnswers: [true] });
    const asked = [];
    wx.requestSubscribeMessage = (options) => {
      asked.push({ tmplIds: options.tmplIds, modalsSoFar: wx.modals.length });
      options.success({ [options.tmplIds[0]]: 'accept' });
    };
    const api = fakeApi();
    const page = mountPage(createLoginPage({ api, wx }));
    await page.onLoad({ next: encodeURIComponent('/pages/meeting/index?id=7') });
    await page.onPhoneNumber({ detail: { code: 'phone-code' } });
    expect(wx.modals[0]).toMatchObject({ title: '绑定成功', confirmText: '开启提醒', cancelText: '以后再说' });
    expect(asked).toEqual([{ tmplIds: ['demo_meeting_reminder'], modalsSoFar: 1 }]);
    expect(api.post).toHaveBeenCalledWith('/api/me/subscriptions', { results: { demo_meeting_reminder: 'accept' } });
    expect(wx.relaunched).toEqual(['/pages/meeting/index?id=7']);
  });

  test('declining the reminder still goes on; a next outside our pages goes home instead', async () => {
    const wx = createFakeWx({ handler: () => ({}), modalAnswers: [false] });
    wx.requestSubscribeMessage = jest.fn();
    const api = fakeApi();
    const page = mountPage(createLoginPage({ api, wx }));
    await page.onLoad({ next: encodeURIComponent('https://evil.example/') });
    await page.onPhoneNumber({ detail: { code: 'phone-code' } });
    expect(wx.requestSubscribeMessage).not.toHaveBeenCalled();
    expect(wx.relaunched).toEqual(['/pages/home/index']);
  });

  test('logout from 我的 lands on the login page with nothing left, even with the network down', async () => {
    const wx = createFakeWx({
      handler: (req) => (req.url.endsWith('/api/me') ? ok({ name: '张三', branch: null, dues_base_fen: 0 }) : { fail: true }),
    });
    wx.setStorageSync('edangwu.token', 'tok');
    const api = createClient({ wx, baseUrl: 'https://edangwu.example' });
    const profile = mountPage(createProfilePage({ api, wx }));
    await profile.onShow();
    await profile.onLogout();
    expect(wx.relaunched).toEqual(['/pages/login/index']);
    expect(wx.toasts).toEqual([]);
    expect(wx.storage['edangwu.token']).toBeUndefined();
    const login = mountPage(createLoginPage({ api, wx }));
    await login.onLoad({});
    expect(login.data).toMatchObject({ state: 'ready', signedOut: true });
  });
});

describe('home page', () => {
  const NOW = new Date('2026-11-24T00:00:00Z'); // 08:00 in Beijing
  const HOME = {
    member_name: '张三',
    branch_name: '甲一支部',
    features: ['meetings'],
    next_meeting: { id: 7, title: '十一月主题党日', starts_at: '2026-11-24T01:00:00+00:00', place: '三楼会议室' },
    todos: [
      { action: 'checkin', meeting: { id: 7, title: '十一月主题党日', starts_at: '2026-11-24T01:00:00+00:00', place: '三楼会议室' } },
      { action: 'leave_pending', meeting: { id: 8, title: '党小组会', starts_at: '2026-11-25T06:30:00+00:00', place: '' } },
    ],
  };

  function homeWith(get, extra = {}) {
    const wx = createFakeWx({ handler: () => ({}) });
    Object.assign(wx, { navigated: [], switched: [], navigateTo: ({ url }) => wx.navigated.push(url), switchTab: ({ url }) => wx.switched.push(url) }, extra);
    const api = fakeApi({ get, cached: jest.fn().mockReturnValue(null) });
    return { wx, api, page: mountPage(createHomePage({ api, wx, now: () => NOW })) };
  }

  test('shows only what the server knows: no dues, newspaper or quiz without those features', async () => {
    const { page, api } = homeWith(jest.fn().mockResolvedValue(HOME));
    await page.onShow();
    expect(api.get).toHaveBeenCalledWith('/api/home', { retry: false, cache: true });
    expect(page.data).toMatchObject({ state: 'ready', greeting: '张三同志，您好', branch: '甲一支部' });
    expect(page.data.entries.map((e) => e.label)).toEqual(['扫码签到', '会议', '签到码', '我的出勤']);
    expect(page.data.cards.map((c) => c.title)).toEqual(['下次会议']);
    expect(JSON.stringify(page.data)).not.toContain('党费已缴清');
  });

  test('entries for 党费, 学习 and 手机报 appear when the server says they exist', async () => {
    const { page } = homeWith(jest.fn().mockResolvedValue({ ...HOME, features: ['meetings', 'dues', 'study', 'newspaper'], unpaid_dues_fen: 4550 }));
    await page.onShow();
    expect(page.data.entries.map((e) => e.label)).toEqual(['扫码签到', '会议', '签到码', '我的出勤', '党费', '学习', '手机报']);
    expect(page.data.cards[1]).toMatchObject({ title: '待缴党费', empty: false, text: '45.50 元' });
  });

  test("to-dos read today or tomorrow in Beijing time and open their meeting", async () => {
    const { page, wx } = homeWith(jest.fn().mockResolvedValue(HOME));
    await page.onShow();
    expect(page.data.todos.map((t) => [t.actionLabel, t.title, t.when, t.place])).toEqual([
      ['待签到', '十一月主题党日', '今天 09:00', '三楼会议室'],
      ['请假待审批', '党小组会', '明天 14:30', ''],
    ]);
    page.onTodo({ currentTarget: { dataset: { link: page.data.todos[1].link } } });
    expect(wx.navigated).toEqual(['/pages/meeting/index?id=8']);
  });

  test('quick entries switch tabs or open pages', async () => {
    const { page, wx } = homeWith(jest.fn().mockResolvedValue(HOME));
    await page.onShow();
    await page.onEntry({ currentTarget: { dataset: { key: 'meetings' } } });
    await page.onEntry({ currentTarget: { dataset: { key: 'attendance' } } });
    expect(wx.switched).toEqual(['/pages/meetings/index']);
    expect(wx.navigated).toEqual(['/pages/attendance/index']);
  });

  test('手机报 opens the 消息 tab, from its entry and from its card; the tab shows the unread count', async () => {
    const home = { ...HOME, features: ['meetings', 'newspaper'], unread_newspapers: 2 };
    const get = jest.fn((path) => Promise.resolve(path === '/api/inbox/unread' ? { unread: 3, by_kind: { newspaper: 3 } } : home));
    const badges = [];
    const { page, wx } = homeWith(get, { setTabBarBadge: (options) => badges.push(options) });
    await page.onShow();
    expect(get).toHaveBeenCalledWith('/api/inbox/unread', { retry: false });
    expect(badges).toMatchObject([{ index: 3, text: '3' }]);
    expect(page.data.cards.find((c) => c.key === 'newspaper')).toMatchObject({ title: '手机报', text: '2 期未读', link: '/pages/inbox/index' });
    await page.onEntry({ currentTarget: { dataset: { key: 'newspaper' } } });
    page.onOpen({ detail: { link: '/pages/inbox/index' } });
    page.onOpen({ detail: { link: '/pages/meeting/index?id=7' } });
    expect(wx.switched).toEqual(['/pages/inbox/index', '/pages/inbox/index']);
    expect(wx.navigated).toEqual(['/pages/meeting/index?id=7']);
  });

  test('without the newspaper the unread count is not asked, and a failed count changes nothing', async () => {
    const { page, api } = homeWith(jest.fn().mockResolvedValue(HOME));
    await page.onShow();
    expect(api.get).toHaveBeenCalledTimes(1);
    const home = { ...HOME, features: ['meetings', 'newspaper'] };
    const get = jest.fn((path) => (path === '/api/inbox/unread' ? Promise.reject(new NetworkError()) : Promise.resolve(home)));
    const other = homeWith(get);
    await other.page.onShow();
    expect(other.page.data.state).toBe('ready');
    expect(other.wx.toasts).toEqual([]);
  });

  test.each([
    ['a link from the projector', LINK_SCANNED, `/pages/meeting/index?q=${encodeURIComponent(LINK_SCANNED)}`],
    ['a bare code from an older screen', 'M12.signed', `/pages/meeting/index?q=${encodeURIComponent('M12.signed')}`],
  ])('扫码签到 works for any meeting: %s opens that meeting to check in', async (_, scanned, url) => {
    const { page, wx } = homeWith(jest.fn().mockResolvedValue(HOME), { scanCode: ({ success }) => success({ result: scanned }) });
    await page.onEntry({ currentTarget: { dataset: { key: 'scan' } } });
    expect(wx.navigated).toEqual([url]);
  });

  test.each([
    ["a member's personal code", 'U5.signed', '这是个人签到码，请扫会场的签到码'],
    ['anything else', 'https://example.com/', '未识别到会议签到码，请扫会场投屏上的二维码'],
  ])('扫码签到 on %s explains instead of opening a page', async (_, scanned, toast) => {
    const { page, wx } = homeWith(jest.fn(), { scanCode: ({ success }) => success({ result: scanned }) });
    await page.onScan();
    expect(wx.navigated).toEqual([]);
    expect(wx.toasts[0]).toMatchObject({ title: toast, icon: 'none' });
  });

  test('closing the scanner does nothing', async () => {
    const { page, wx } = homeWith(jest.fn(), { scanCode: ({ fail }) => fail({ errMsg: 'scanCode:fail cancel' }) });
    await page.onScan();
    expect([wx.navigated, wx.toasts]).toEqual([[], []]);
  });

  test('a failure with nothing kept is an error with retry; the retry loads', async () => {
    const get = jest.fn().mockRejectedValueOnce(new NetworkError()).mockResolvedValue(HOME);
    const { page, wx } = homeWith(get);
    await page.onShow();
    expect(page.data).toMatchObject({ state: 'error', stateMessage: '网络不给力，请检查网络后重试' });
    expect(wx.toasts).toEqual([]);
    await page.onRetry();
    expect(page.data.state).toBe('ready');
  });

  test('a failure shows the last home kept on the phone, marked as such', async () => {
    const { page, api } = homeWith(jest.fn().mockRejectedValue(new NetworkError()));
    api.cached.mockReturnValue(HOME);
    await page.onShow();
    expect(page.data).toMatchObject({ state: 'ready', stale: true, greeting: '张三同志，您好' });
  });

  test('a failed refresh keeps the page and says why; pull-down refresh stops its spinner', async () => {
    const get = jest.fn().mockResolvedValueOnce(HOME).mockRejectedValue(new ApiError(500, 'server_error', '服务器开小差了'));
    const { page, wx } = homeWith(get);
    const stopped = jest.spyOn(wx, 'stopPullDownRefresh');
    await page.onShow();
    await page.onPullDownRefresh();
    expect(page.data.state).toBe('ready');
    expect(wx.toasts[0].title).toBe('服务器开小差了');
    expect(stopped).toHaveBeenCalled();
  });

  test('a member sent to the login page sees no error', async () => {
    const { page, wx } = homeWith(jest.fn().mockRejectedValue(new NotBoundError('t')));
    await page.onShow();
    expect(page.data.state).toBe('loading');
    expect(wx.toasts).toEqual([]);
  });
});

describe('profile page', () => {
  test('shows the masked record and unbinds only after confirmation', async () => {
    const wx = createFakeWx({ handler: () => ({}), modalAnswers: [false, true] });
    const api = fakeApi({
      get: jest.fn().mockResolvedValue({
        name: '张三',
        gender: '男',
        branch: { name: '甲一支部' },
        group: null,
        status_label: '正式党员',
        id_card: '110105********002X',
        dues_category_label: '在职',
        dues_base_fen: 500000,
      }),
    });
    const page = mountPage(createProfilePage({ api, wx }));
    await page.onShow();
    expect(page.data.rows.find((r) => r.label === '身份证号').value).toBe('110105********002X');
    expect(page.data.rows.find((r) => r.label === '月缴费基数').value).toBe('5000.00 元');
    await page.onUnbind();
    expect(api.unbind).not.toHaveBeenCalled();
    await page.onUnbind();
    expect(api.unbind).toHaveBeenCalledTimes(1);
    expect(wx.relaunched).toEqual(['/pages/login/index']);
  });
});
