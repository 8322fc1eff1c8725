// 会议 (the list): its states, pull-down refresh, and the list kept on the phone for a bad network.
const { createMeetingsPage } = require('../pages/meetings/logic');
const { ApiError, NetworkError, SignedOutError } = require('../utils/api');
const { createFakeWx, mountPage } = require('./fake-wx');
const { renderWithComponents, textOf, find } = require('./render');
const { saveScreen } = require('./screen');

const NOW = new Date('2026-11-23T00:00:00Z');
const MEETINGS = [
  { id: 7, title: '十一月主题党日', kind_label: '主题党日', starts_at: '2026-11-24T01:00:00+00:00', ends_at: '2026-11-24T03:00:00+00:00', place: '三楼会议室' },
  { id: 6, title: '十月党小组会', kind_label: '党小组会', starts_at: '2026-10-10T01:00:00+00:00', ends_at: '2026-10-10T02:00:00+00:00', place: '' },
];
const DENIED = new ApiError(403, 'not_secretary', '只有支部书记可以安排会议');

function listWith(list, { cached = null } = {}) {
  const wx = createFakeWx({ handler: () => ({}) });
  const api = {
    get: jest.fn((path) => (path === '/api/meetings' ? list() : Promise.reject(DENIED))),
    cached: jest.fn().mockReturnValue(cached),
  };
  return { wx, api, page: mountPage(createMeetingsPage({ api, wx, now: () => NOW })) };
}

test('loads without a retry question and keeps the list for a bad day', async () => {
  const { page, api } = listWith(() => Promise.resolve(MEETINGS));
  expect(page.data.state).toBe('loading');
  await page.onShow();
  expect(api.get).toHaveBeenCalledWith('/api/meetings', { retry: false, cache: true });
  expect(page.data).toMatchObject({ state: 'ready', stale: false, canCreate: false });
  expect(page.data.upcoming.map((m) => m.id)).toEqual([7]);
});

test('no meetings at all is an empty state that says what will come', async () => {
  const { page } = listWith(() => Promise.resolve([]));
  await page.onShow();
  expect(page.data).toMatchObject({ state: 'empty', stateMessage: '还没有会议安排，支部安排会议后会显示在这里' });
});

test('a failure with nothing kept is an error with retry', async () => {
  const answers = [Promise.reject(new NetworkError()), Promise.resolve(MEETINGS)];
  const { page, wx } = listWith(() => answers.shift());
  await page.onShow();
  expect(page.data).toMatchObject({ state: 'error', stateMessage: '网络不给力，请检查网络后重试' });
  expect(wx.toasts).toEqual([]);
  await page.onRetry();
  expect(page.data.state).toBe('ready');
});

test('a failure with a list kept shows it, marked', async () => {
  const { page } = listWith(() => Promise.reject(new NetworkError()), { cached: MEETINGS });
  await page.onShow();
  expect(page.data).toMatchObject({ state: 'ready', stale: true });
  expect(page.data.past.map((m) => m.id)).toEqual([6]);
});

test('pull-down refresh keeps the list on failure, says why, and stops its spinner', async () => {
  const answers = [Promise.resolve(MEETINGS), Promise.reject(new ApiError(500, 'server_error', '服务器开小差了'))];
  const { page, wx } = listWith(() => answers.shift());
  const stopped = jest.spyOn(wx, 'stopPullDownRefresh');
  await page.onShow();
  await page.onPullDownRefresh();
  expect(page.data.state).toBe('ready');
  expect(wx.toasts[0].title).toBe('服务器开小差了');
  expect(stopped).toHaveBeenCalled();
});

test('a member being sent to the login page sees no error', async () => {
  const { page, wx } = listWith(() => Promise.reject(new SignedOutError()));
  await page.onShow();
  expect(page.data.state).toBe('loading');
  expect(wx.toasts).toEqual([]);
});

describe('as the member sees it', () => {
  afterEach(() => {
    delete global.getApp;
  });

  const view = (extra) => ({ canCreate: false, stale: false, upcoming: [], past: [], ...extra });

  test('loading', () => {
    const comp = renderWithComponents('meetings', view({ state: 'loading' }));
    expect(textOf(comp, '.page-state__text')).toBe('加载中…');
    saveScreen(comp, 'meetings', 'loading');
  });

  test('error', () => {
    const comp = renderWithComponents('meetings', view({ state: 'error', stateMessage: '网络不给力，请检查网络后重试' }));
    expect(textOf(comp, '.page-state__retry')).toBe('重新加载');
    saveScreen(comp, 'meetings', 'error');
  });

  test('empty', () => {
    const comp = renderWithComponents('meetings', view({ state: 'empty', stateMessage: '还没有会议安排，支部安排会议后会显示在这里' }));
    expect(textOf(comp, '.page-state__text')).toBe('还没有会议安排，支部安排会议后会显示在这里');
    expect(find(comp, '.meeting')).toBeNull();
    saveScreen(comp, 'meetings', 'empty');
  });

  test('ready: upcoming with time and place, then past', () => {
    const upcoming = [{ ...MEETINGS[0], when: '2026-11-24 09:00' }];
    const past = [{ ...MEETINGS[1], when: '2026-10-10 09:00', backfilled: true }];
    const comp = renderWithComponents('meetings', view({ state: 'ready', upcoming, past, canCreate: true }));
    expect(comp.querySelectorAll('.section-title').map((s) => s.dom.textContent)).toEqual(['即将召开', '已召开']);
    expect(comp.querySelectorAll('.meeting .item__meta').map((m) => m.dom.textContent)).toEqual([
      '主题党日 · 2026-11-24 09:00 · 三楼会议室',
      '党小组会 · 2026-10-10 09:00',
    ]);
    expect(textOf(comp, '.create')).toBe('＋ 安排会议');
    saveScreen(comp, 'meetings', 'ready');
  });

  test('only past meetings: says nothing is coming', () => {
    const past = [{ ...MEETINGS[1], when: '2026-10-10 09:00' }];
    const comp = renderWithComponents('meetings', view({ state: 'ready', past }));
    expect(textOf(comp, '.none-upcoming')).toBe('近期没有会议安排');
    saveScreen(comp, 'meetings', 'none-upcoming');
  });

  test('offline with the list kept', () => {
    global.getApp = () => ({ watchNetwork: (listener) => (listener(false), () => {}) });
    const upcoming = [{ ...MEETINGS[0], when: '2026-11-24 09:00' }];
    const comp = renderWithComponents('meetings', view({ state: 'ready', stale: true, upcoming }));
    expect(textOf(comp, '.offline-banner')).toBe('网络已断开，显示的可能不是最新内容');
    expect(textOf(comp, '.stale')).toContain('上次加载的内容');
    saveScreen(comp, 'meetings', 'offline');
  });
});
