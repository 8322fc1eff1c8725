// 消息: the member's inbox as the page logic shows it, from the fake server.
const { INBOX, INBOX_MORE, INBOX_EMPTY, NOW, subscriptions, fakeApi, phone, openInbox } = require('./news-fakes');
const { itemView, layOver, subscribeStatus, FIRST_PAGE } = require('../pages/inbox/logic');
const { NetworkError, ApiError } = require('../utils/api');
const config = require('../config');

const tapRow = (page, index) => page.onOpen({ currentTarget: { dataset: { index } } });
const titles = (page) => page.data.items.map((item) => item.title);

describe('the list', () => {
  test('newest first as the server lists them, each row drawn from its kind, unread ones marked', async () => {
    const { page, api, wx } = await openInbox();
    expect(api.get).toHaveBeenCalledWith('/api/inbox?limit=20', { retry: false, cache: true });
    expect(page.data).toMatchObject({ state: 'ready', unread: 2, more: 'idle', stale: false });
    expect(page.data.items.map((i) => [i.kindLabel, i.title, i.subtitle, i.when, i.unread])).toEqual([
      ['手机报', '安全生产月特刊：冬季防寒过冬专项部署', '第 37 期 · 北京铁路局集团公司党委', '今天 09:30', true],
      ['手机报', '学习贯彻党的二十届四中全会精神', '第 36 期 · 北京铁路局集团公司党委', '昨天 18:05', true],
      ['手机报', '“最美铁路人”先进事迹巡回宣讲', '第 35 期 · 北京铁路局集团公司党委', '11月17日', false],
    ]);
    expect(page.data.items[0]).toMatchObject({ url: '/pages/news-issue/index?id=12', cover: `${config.apiBase}/media/news/cover-12.jpg` });
    expect(page.data.items[2].cover).toBe(''); // no cover: no picture, not a broken one
    expect(wx.badge).toEqual({ index: 3, text: '2' });
  });

  test('an item of a kind this phone does not know yet is listed, and asks for an update when tapped', async () => {
    const letter = { ...INBOX.items[0], id: 60, kind: 'future-kind', ref_id: 4, title: '关于开展冬季慰问的通知', subtitle: '甲一支部' };
    const { page, wx } = await openInbox({ api: fakeApi({ get: { [FIRST_PAGE]: { ...INBOX, items: [letter, ...INBOX.items] } } }) });
    expect(page.data.items[0]).toMatchObject({ kindLabel: '消息', title: '关于开展冬季慰问的通知', url: '' });
    tapRow(page, 0);
    expect(wx.navigated).toEqual([]);
    expect(wx.toasts[0]).toMatchObject({ title: '请更新小程序后查看这条消息', icon: 'none' });
  });

  test('a notice is listed beside the newspaper, opens its page, and the unread of each kind is counted', async () => {
    const notice = { ...INBOX.items[0], id: 61, kind: 'notice', ref_id: 5, title: '明天下午三点召开支部党员大会', subtitle: '甲一支部 · 需回执', cover_url: null, unread: true };
    const body = { ...INBOX, items: [notice, ...INBOX.items], unread: 3, by_kind: { newspaper: 2, notice: 1 } };
    const { page, wx } = await openInbox({ api: fakeApi({ get: { [FIRST_PAGE]: body } }) });
    expect(page.data.items[0]).toMatchObject({ kindLabel: '通知', url: '/pages/notice/index?id=5', unread: true });
    expect(page.data.kinds).toEqual([
      { kind: 'notice', label: '通知', count: 1 },
      { kind: 'newspaper', label: '手机报', count: 2 },
    ]);
    tapRow(page, 0);
    expect(wx.navigated).toEqual(['/pages/notice/index?id=5']);
    expect(page.data.kinds).toEqual([{ kind: 'newspaper', label: '手机报', count: 2 }]);
    expect(wx.badge).toEqual({ index: 3, text: '2' });
  });

  test('empty: says where issues will appear; the badge goes', async () => {
    const { page, wx } = await openInbox({ api: fakeApi({ get: { [FIRST_PAGE]: INBOX_EMPTY } }) });
    expect(page.data).toMatchObject({ state: 'empty', stateMessage: '还没有收到消息。通知和手机报发布后会出现在这里', items: [] });
    expect(wx.badge).toEqual({ index: 3, text: null });
  });

  test('a badge past 99 reads 99+', async () => {
    const { wx } = await openInbox({ api: fakeApi({ get: { [FIRST_PAGE]: { ...INBOX, unread: 130 } } }) });
    expect(wx.badge).toEqual({ index: 3, text: '99+' });
  });

  test('error with nothing kept: the reason and 重新加载, which loads again', async () => {
    let fail = true;
    const api = fakeApi({ get: { [FIRST_PAGE]: () => (fail ? new NetworkError() : INBOX) } });
    const { page } = await openInbox({ api });
    expect(page.data).toMatchObject({ state: 'error', stateMessage: '网络不给力，请检查网络后重试' });
    fail = false;
    await page.onRetry();
    expect(page.data).toMatchObject({ state: 'ready', unread: 2 });
  });

  test('offline with the first page kept on the phone: shown, marked stale, no loading more from it', async () => {
    const api = fakeApi({ get: { [FIRST_PAGE]: new NetworkError() }, cached: INBOX });
    const { page, wx } = await openInbox({ api });
    expect(api.cached).toHaveBeenCalledWith(FIRST_PAGE);
    expect(page.data).toMatchObject({ state: 'ready', stale: true, unread: 2 });
    expect(titles(page)).toHaveLength(3);
    expect(wx.badge).toBeNull(); // a kept count is not news
    await page.onReachBottom();
    expect(api.get).toHaveBeenCalledTimes(2); // the list and the subscription line, nothing more
  });

  test('a refusal from the server keeps the list on screen and says why', async () => {
    let refuse = false;
    const api = fakeApi({ get: { [FIRST_PAGE]: () => (refuse ? new ApiError(500, 'server_error', '服务器开小差了，请稍后再试') : INBOX) } });
    const { page, wx } = await openInbox({ api });
    refuse = true;
    await page.onPullDownRefresh();
    expect(page.data.state).toBe('ready');
    expect(titles(page)).toHaveLength(3);
    expect(wx.toasts.map((t) => t.title)).toEqual(['服务器开小差了，请稍后再试']);
  });

  test('a member sent to log in sees no error here', async () => {
    const gone = Object.assign(new Error('请先绑定党员身份'), { code: 'not_bound' });
    const { page, wx } = await openInbox({ api: fakeApi({ get: { [FIRST_PAGE]: gone } }) });
    expect(page.data.state).toBe('loading');
    expect(wx.toasts).toEqual([]);
  });
});

describe('more, refresh and coming back', () => {
  test('reaching the bottom loads the next page after the cursor, once, until the end', async () => {
    const { page, api } = await openInbox();
    const first = page.onReachBottom();
    const second = page.onReachBottom(); // a second bottom while the first is on its way
    expect(page.data.more).toBe('loading');
    await Promise.all([first, second]);
    expect(api.get.mock.calls.filter(([path]) => path.includes('cursor='))).toEqual([['/api/inbox?cursor=c-44&limit=20', { retry: false }]]);
    expect(titles(page)).toHaveLength(5);
    expect(page.data.items[4].when).toBe('2025年12月1日');
    expect(page.data.more).toBe('end');
    await page.onReachBottom();
    expect(api.get.mock.calls.filter(([path]) => path.includes('cursor='))).toHaveLength(1);
  });

  test('a page that fails to load more says so and loads on a tap', async () => {
    let fail = true;
    const api = fakeApi({ get: { '/api/inbox?cursor=c-44&limit=20': () => (fail ? new NetworkError() : INBOX_MORE) } });
    const { page } = await openInbox({ api });
    await page.onReachBottom();
    expect(page.data.more).toBe('error');
    expect(titles(page)).toHaveLength(3);
    fail = false;
    await page.onMoreRetry();
    expect(page.data).toMatchObject({ more: 'end' });
    expect(titles(page)).toHaveLength(5);
  });

  test('rows the next page repeats (a new issue arrived meanwhile) are not shown twice', async () => {
    const api = fakeApi({ get: { '/api/inbox?cursor=c-44&limit=20': { ...INBOX_MORE, items: [INBOX.items[2], ...INBOX_MORE.items] } } });
    const { page } = await openInbox({ api });
    await page.onReachBottom();
    expect(page.data.items.map((i) => i.id)).toEqual([58, 51, 44, 40, 33]);
  });

  test('pull to refresh replaces the list with the newest page and stops the spinner', async () => {
    const { page, api, wx } = await openInbox();
    await page.onReachBottom();
    wx.stopPullDownRefresh = jest.fn();
    await page.onPullDownRefresh();
    expect(titles(page)).toHaveLength(3);
    expect(page.data.more).toBe('idle');
    expect(wx.stopPullDownRefresh).toHaveBeenCalled();
    expect(api.get.mock.calls.filter(([path]) => path === FIRST_PAGE)).toHaveLength(2);
  });

  test('opening an issue: its dot goes at once, the badge counts down, the issue page opens', async () => {
    const { page, wx } = await openInbox();
    tapRow(page, 0);
    expect(wx.navigated).toEqual(['/pages/news-issue/index?id=12']);
    expect(page.data.items.map((i) => i.unread)).toEqual([false, true, false]);
    expect(page.data.unread).toBe(1);
    expect(wx.badge).toEqual({ index: 3, text: '1' });
    tapRow(page, 0); // opened again: nothing more to count down
    expect(page.data.unread).toBe(1);
  });

  test('coming back keeps the rows scrolled to, with the newest page laid over the top', async () => {
    const { page, api } = await openInbox();
    await page.onReachBottom();
    const newIssue = { ...INBOX.items[0], id: 63, ref_id: 13, title: '第 38 期新到', unread: true };
    const read = INBOX.items.map((item) => ({ ...item, unread: false }));
    api.get.mockClear();
    api.get.mockImplementation(() => Promise.resolve({ items: [newIssue, read[0], read[1]], next_cursor: 'c-51', unread: 1 }));
    await page.onShow();
    expect(api.get).toHaveBeenCalledTimes(1); // only the top; the subscription line is asked on the first show
    expect(page.data.items.map((i) => [i.id, i.unread])).toEqual([
      [63, true],
      [58, false],
      [51, false],
      [44, false],
      [40, false],
      [33, false],
    ]);
    expect(page.data).toMatchObject({ unread: 1, more: 'end' });
  });
});

describe('laying the newest page over the rows shown', () => {
  const row = (id) => ({ id });
  const ids = (result) => result.items.map((r) => r.id);

  test('it reaches into the rows: the rows after it stay, with their cursor', () => {
    const result = layOver([row(5), row(4), row(3), row(2)], 'c-2', [row(6), row(5), row(4)], 'c-4');
    expect([ids(result), result.cursor]).toEqual([[6, 5, 4, 3, 2], 'c-2']);
  });

  test('a row withdrawn since drops out', () => {
    const result = layOver([row(5), row(4), row(3), row(2)], null, [row(5), row(3)], 'c-3');
    expect([ids(result), result.cursor]).toEqual([[5, 3, 2], null]);
  });

  test('it does not reach the rows (many new ones): it replaces them, with its own cursor', () => {
    const result = layOver([row(5), row(4)], null, [row(9), row(8)], 'c-8');
    expect([ids(result), result.cursor]).toEqual([[9, 8], 'c-8']);
  });

  test('it is the whole inbox: it is the list', () => {
    expect(ids(layOver([row(5), row(4)], 'c-4', [row(5)], null))).toEqual([5]);
    expect(layOver([row(5)], null, [], null)).toEqual({ items: [], cursor: null });
  });
});

describe('订阅手机报推送', () => {
  test('asked from the tap itself, the answer told to the server, the line under the button updated', async () => {
    const { page, api, wx } = await openInbox();
    expect(page.data).toMatchObject({ canSubscribe: true, subscribeStatus: '未订阅：新一期只在这里显示，不发微信通知' });
    api.get.mockClear();
    const tapped = page.onSubscribe();
    expect(wx.subscribeAsked).toEqual([[config.subscribeTemplates.newspaper_issue]]); // before anything awaited
    api.get.mockImplementation(() => Promise.resolve(subscriptions(1)));
    await tapped;
    expect(api.post).toHaveBeenCalledWith('/api/me/subscriptions', { results: { [config.subscribeTemplates.newspaper_issue]: 'accept' } });
    expect(wx.toasts[0]).toMatchObject({ title: '已订阅', icon: 'success' });
    expect(page.data).toMatchObject({ subscribeStatus: '已订阅，还可收到 1 次推送', subscribed: true });
  });

  test('refused in the dialog: said plainly, nothing counted', async () => {
    const wx = phone({ subscribeAnswer: 'reject' });
    const { page } = await openInbox({ wx });
    await page.onSubscribe();
    expect(wx.toasts[0]).toMatchObject({ title: '未订阅，可随时再点订阅', icon: 'none' });
    expect(page.data.subscribeStatus).toBe('未订阅：新一期只在这里显示，不发微信通知');
  });

  test('what the line says for each count', () => {
    expect(subscribeStatus(subscriptions(2))).toEqual({ subscribeStatus: '已订阅，还可收到 2 次推送', subscribed: true });
    expect(subscribeStatus(subscriptions(0, { refused_at: '2026-11-20T02:00:00+00:00' }))).toEqual({ subscribeStatus: '上次推送未能送达，请重新订阅', subscribed: false });
    expect(subscribeStatus({ subscriptions: [] })).toEqual({ subscribeStatus: '', subscribed: false }); // the deployment has no newspaper template
    expect(subscribeStatus(null)).toEqual({ subscribeStatus: '', subscribed: false });
  });
});

test('a row from the server, as the page draws it', () => {
  const view = itemView({ ...INBOX.items[0], cover_url: 'https://cdn.example.cn/c.jpg', subtitle: null }, NOW);
  expect(view).toMatchObject({ cover: 'https://cdn.example.cn/c.jpg', subtitle: '', when: '今天 09:30', kind: 'newspaper' });
});
