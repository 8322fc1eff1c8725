// Secretary mode's scan page: scanning members' codes, and the live list polled while the page is shown.
const { createSecretaryScanPage, liveFrom, POLL_MS, SAME_CODE_MS } = require('../pages/secretary-scan/logic');
const { ApiError, NetworkError } = require('../utils/api');
const { createFakeWx, mountPage } = require('./fake-wx');
const { renderWithComponents, componentTexts } = require('./render');
const { saveScreen } = require('./screen');

const ARRIVALS = '/api/meetings/7/arrivals';

function arrival(name, status, method, checkedInAt, flags = []) {
  const labels = { present: '已到', late: '迟到', meeting_code: '扫会议码', member_code: '书记扫码' };
  return { name, status, status_label: labels[status], method, method_label: labels[method], checked_in_at: checkedInAt, flags };
}

// 张三 scanned the projected code at 08:58 Beijing time; nobody else has come yet.
const BEFORE = {
  expected: 4,
  arrived: 1,
  present: 1,
  late: 0,
  leave: 1,
  not_arrived: 2,
  arrivals: [arrival('张三', 'present', 'meeting_code', '2026-11-24T00:58:00+00:00')],
  not_arrived_names: ['李四', '赵六'],
  on_leave_names: ['王五'],
};
// …then the secretary scanned 李四's code at 09:12, after the grace minutes.
const AFTER = {
  ...BEFORE,
  arrived: 2,
  late: 1,
  not_arrived: 1,
  arrivals: [arrival('李四', 'late', 'member_code', '2026-11-24T01:12:00+00:00'), ...BEFORE.arrivals],
  not_arrived_names: ['赵六'],
};

function secretaryPhone(scanned = 'U5.code') {
  const wx = createFakeWx({ handler: () => ({}) });
  wx.scanCode = ({ success, fail }) => (scanned instanceof Error ? fail({ errMsg: scanned.message }) : success({ result: scanned }));
  wx.vibrated = 0;
  wx.vibrateShort = () => {
    wx.vibrated += 1;
  };
  return wx;
}

function openPage(api, wx = secretaryPhone()) {
  const page = mountPage(createSecretaryScanPage({ api, wx }));
  page.onLoad({ id: '7' });
  return page;
}

function polls(api) {
  return api.get.mock.calls.filter(([url]) => url === ARRIVALS).length;
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => {
  jest.clearAllTimers();
  jest.useRealTimers();
});

describe('the live list', () => {
  test('loads as the page shows, then every 3 seconds, without asking to retry a failed poll', async () => {
    const api = { get: jest.fn().mockResolvedValue(BEFORE) };
    const page = openPage(api);
    await page.onShow();
    expect(api.get).toHaveBeenCalledWith(ARRIVALS, { retry: false });
    expect(page.data.tiles.map((t) => [t.label, t.value])).toEqual([
      ['应到', 4],
      ['已到', 1],
      ['迟到', 0],
      ['请假', 1],
      ['未到', 2],
    ]);
    expect(jest.getTimerCount()).toBe(1);
    await jest.advanceTimersByTimeAsync(POLL_MS);
    expect(polls(api)).toBe(2);
    await jest.advanceTimersByTimeAsync(2 * POLL_MS);
    expect(polls(api)).toBe(4);
  });

  test.each([
    ['hidden', 'onHide'],
    ['closed', 'onUnload'],
  ])('stops when the page is %s', async (_, leave) => {
    const api = { get: jest.fn().mockResolvedValue(BEFORE) };
    const page = openPage(api);
    await page.onShow();
    page[leave]();
    expect(jest.getTimerCount()).toBe(0);
    await jest.advanceTimersByTimeAsync(5 * POLL_MS);
    expect(polls(api)).toBe(1);
  });

  test('starts again when shown again, with one timer however often it is shown', async () => {
    const api = { get: jest.fn().mockResolvedValue(BEFORE) };
    const page = openPage(api);
    await page.onShow();
    page.onHide();
    await page.onShow();
    await page.onShow();
    expect(jest.getTimerCount()).toBe(1);
    await jest.advanceTimersByTimeAsync(POLL_MS);
    expect(polls(api)).toBe(4);
  });

  test('a refusal stops polling and says why, on the page rather than in a toast', async () => {
    const wx = secretaryPhone();
    const refused = new ApiError(403, 'forbidden', '只有本支部书记或上级党组织管理员可以查看签到情况');
    const api = { get: jest.fn().mockRejectedValue(refused) };
    const page = openPage(api, wx);
    await page.onShow();
    expect(page.data.denied).toBe('只有本支部书记或上级党组织管理员可以查看签到情况');
    expect(jest.getTimerCount()).toBe(0);
    page.onHide();
    await page.onShow();
    await jest.advanceTimersByTimeAsync(5 * POLL_MS);
    expect(polls(api)).toBe(1);
    expect(wx.toasts).toEqual([]);
  });

  test('a poll lost on the network is noted quietly and the next one tries again', async () => {
    const wx = secretaryPhone();
    const api = { get: jest.fn().mockRejectedValueOnce(new NetworkError()).mockResolvedValue(BEFORE) };
    const page = openPage(api, wx);
    await page.onShow();
    expect(page.data).toMatchObject({ stale: true, loaded: false, denied: '' });
    await jest.advanceTimersByTimeAsync(POLL_MS);
    expect(page.data).toMatchObject({ stale: false, loaded: true });
    expect(wx.toasts).toEqual([]);
    expect(wx.modals).toEqual([]);
  });

  test('a slow answer holds back the next tick, and never overwrites a newer one', async () => {
    const answers = [];
    const api = { get: jest.fn(() => new Promise((resolve) => answers.push(resolve))) };
    const page = openPage(api);
    page.onShow();
    await jest.advanceTimersByTimeAsync(2 * POLL_MS);
    expect(polls(api)).toBe(1); // the first answer is still out
    const afterScan = page.refresh(); // a scan does not wait for it
    answers[1](AFTER);
    await afterScan;
    answers[0](BEFORE);
    await jest.advanceTimersByTimeAsync(0);
    expect(page.data.arrivals.map((a) => a.name)).toEqual(['李四', '张三']);
  });
});

describe('scanning', () => {
  test("a scanned member's result is shown and the list refreshed at once", async () => {
    const wx = secretaryPhone('U5.code');
    const api = {
      get: jest.fn().mockResolvedValueOnce(BEFORE).mockResolvedValue(AFTER),
      post: jest.fn().mockResolvedValue({ member_name: '李四', message: '签到成功（迟到）', already: false }),
    };
    const page = openPage(api, wx);
    await page.onShow();
    await page.scan();
    expect(api.post).toHaveBeenCalledWith('/api/meetings/7/scan-member', { code: 'U5.code' });
    expect(polls(api)).toBe(2); // no tick has passed: the scan asked for it
    expect(page.data).toMatchObject({ lastScan: '李四：签到成功（迟到）', waiting: ['赵六'], busy: false });
    expect(page.data.arrivals[0]).toEqual({ name: '李四', time: '09:12', status: 'late', statusLabel: '迟到', method: '书记扫码', flags: '' });
    expect(wx.toasts[0].title).toBe('李四 签到成功（迟到）');
  });

  test('a refused code is shown and the list is left for the next tick', async () => {
    const wx = secretaryPhone('U5.old');
    const api = {
      get: jest.fn().mockResolvedValue(BEFORE),
      post: jest.fn().mockRejectedValue(new ApiError(400, 'code_expired', '签到码已过期，请党员刷新后重试')),
    };
    const page = openPage(api, wx);
    await page.onShow();
    await page.scan();
    expect(wx.toasts[0].title).toBe('签到码已过期，请党员刷新后重试');
    expect(polls(api)).toBe(1);
    expect(page.data.busy).toBe(false);
  });

  test('closing the camera is not an error', async () => {
    const wx = secretaryPhone(new Error('scanCode:fail cancel'));
    const api = { get: jest.fn().mockResolvedValue(BEFORE), post: jest.fn() };
    const page = openPage(api, wx);
    await page.scan();
    expect(api.post).not.toHaveBeenCalled();
    expect(wx.toasts).toEqual([]);
  });
});

describe('what the secretary sees', () => {
  const render = (data) => renderWithComponents('secretary-scan', { state: 'ready', scanned: [], ...data });

  const texts = (comp, selector) => comp.querySelectorAll(selector).map((node) => node.dom.textContent.replace(/\s+/g, ' ').trim());

  test('the counts, who is still to come, who is on leave and the arrivals newest first', () => {
    const comp = render({ ...liveFrom(AFTER), lastScan: '李四：签到成功（迟到）' });
    expect(texts(comp, '.tile').map((t) => t.replace(/ /g, ''))).toEqual(['4应到', '1已到', '1迟到', '1请假', '1未到']);
    expect(texts(comp, '.waiting .name')).toEqual(['赵六']);
    expect(texts(comp, '.on-leave .name')).toEqual(['王五']);
    expect(texts(comp, '.arrivals .row__name')).toEqual(['李四', '张三']);
    expect(texts(comp, '.arrivals .row__meta')).toEqual(['09:12 · 书记扫码', '08:58 · 扫会议码']);
    expect(texts(comp, '.arrivals .status')).toEqual(['迟到', '已到']);
    expect(texts(comp, '.last')).toEqual(['李四：签到成功（迟到）']);
    expect(comp.querySelector('.stale')).toBeUndefined();
    saveScreen(comp, 'secretary-scan', 'list');
  });

  test('a check-in to look at carries its marks in words', () => {
    const flags = [
      { code: 'same_location', label: '与其他党员的定位完全相同' },
      { code: 'no_accuracy', label: '手机未提供定位精度' },
    ];
    const marked = arrival('赵六', 'present', 'meeting_code', '2026-11-24T00:59:00+00:00', flags);
    const comp = render(liveFrom({ ...BEFORE, arrivals: [marked, ...BEFORE.arrivals] }));
    expect(texts(comp, '.arrivals .row__flags')).toEqual(['⚠ 与其他党员的定位完全相同；手机未提供定位精度']);
  });

  test('a long list names the first members and counts the rest', () => {
    const comp = render(liveFrom({ ...BEFORE, not_arrived: 152, not_arrived_names: ['李四', '赵六'] }));
    expect(texts(comp, '.waiting .more')).toEqual(['等另 150 人']);
  });

  test('before anyone has come, and when refused', () => {
    expect(texts(render(liveFrom({ ...BEFORE, arrivals: [] })), '.arrivals .empty')).toEqual(['还没有人签到']);
    const empty = render(liveFrom({ ...BEFORE, arrivals: [] }));
    saveScreen(empty, 'secretary-scan', 'empty');
    const refused = render({ state: 'forbidden', stateMessage: '只有本支部书记或上级党组织管理员可以查看签到情况' });
    expect(componentTexts(refused, 'page-state__text')).toEqual(['只有本支部书记或上级党组织管理员可以查看签到情况']);
    expect(refused.querySelector('.primary')).toBeUndefined();
    saveScreen(refused, 'secretary-scan', 'forbidden');
  });
});

describe('continuous scanning with the camera on the page', () => {
  function continuousPage(post, clock) {
    const wx = secretaryPhone();
    wx.showModal = jest.fn();
    const api = { get: jest.fn().mockResolvedValue(BEFORE), post: jest.fn(post) };
    const page = mountPage(createSecretaryScanPage({ api, wx, now: () => clock.at }));
    page.onLoad({ id: '7' });
    return { wx, api, page };
  }
  const member = (name) => () => Promise.resolve({ member_name: name, message: '签到成功', already: false });

  test('each new code is posted once, buzzes the phone and joins the running list', async () => {
    const clock = { at: Date.parse('2026-11-24T00:58:00Z') };
    const names = { 'U5.a': '李四', 'U6.b': '赵六' };
    const { wx, api, page } = continuousPage((path, body) => member(names[body.code])(), clock);
    await page.onShow();
    page.toggleContinuous();
    expect(page.data.continuous).toBe(true);
    await page.onScanCode({ detail: { result: 'U5.a' } });
    clock.at += 800;
    await page.onScanCode({ detail: { result: 'U5.a' } }); // the camera still sees 李四's phone
    clock.at += 1200;
    await page.onScanCode({ detail: { result: 'U6.b' } });
    expect(api.post.mock.calls.map(([, body]) => body.code)).toEqual(['U5.a', 'U6.b']);
    expect(wx.vibrated).toBe(2);
    expect(page.data.scanned.map((s) => s.name)).toEqual(['赵六', '李四']);
    expect(page.data.scanned[0]).toMatchObject({ time: '08:58', message: '签到成功' });
    clock.at += SAME_CODE_MS;
    api.post.mockImplementationOnce(() => Promise.resolve({ member_name: '李四', message: '已于 08:58 签到', already: true }));
    await page.onScanCode({ detail: { result: 'U5.a' } }); // a while later it is posted again: the server says 已签到
    expect(api.post).toHaveBeenCalledTimes(3);
    expect(page.data.lastScan).toBe('李四：已于 08:58 签到');
    expect(page.data.scanned.map((s) => s.name)).toEqual(['赵六', '李四']); // not counted twice

    const comp = renderWithComponents('secretary-scan', { ...page.data });
    expect(comp.querySelector('.camera')).toBeDefined();
    expect(comp.querySelector('.scanned .card__title').dom.textContent).toBe('本机已签到 2 人');
    expect(comp.querySelector('.primary')).toBeUndefined();
    saveScreen(comp, 'secretary-scan', 'continuous');
  });

  test('a code seen while the last one is still being posted waits for the camera to report it again', async () => {
    const clock = { at: 0 };
    let finish;
    const slowFirst = () => (finish ? member('赵六')() : new Promise((resolve) => (finish = resolve)));
    const { api, page } = continuousPage(slowFirst, clock);
    await page.onShow();
    const first = page.onScanCode({ detail: { result: 'U5.a' } });
    await page.onScanCode({ detail: { result: 'U6.b' } });
    expect(api.post).toHaveBeenCalledTimes(1);
    finish({ member_name: '李四', message: '签到成功' });
    await first;
    await page.onScanCode({ detail: { result: 'U6.b' } });
    expect(api.post).toHaveBeenCalledTimes(2);
  });

  test('a refused code is said on the page, no buzz', async () => {
    const clock = { at: 0 };
    const { wx, page } = continuousPage(() => Promise.reject(new ApiError(400, 'code_expired', '党员的签到码已过期，请让其刷新后再扫')), clock);
    await page.onShow();
    await page.onScanCode({ detail: { result: 'U5.old' } });
    expect(wx.vibrated).toBe(0);
    expect(page.data.lastScan).toBe('未签到：党员的签到码已过期，请让其刷新后再扫');
  });

  test('without the camera permission it explains and offers the settings', async () => {
    const { wx, page } = continuousPage(member('x'), { at: 0 });
    page.toggleContinuous();
    page.onCameraError({ detail: { errMsg: 'insertCamera:fail auth deny' } });
    expect(page.data.continuous).toBe(false);
    expect(wx.showModal).toHaveBeenCalledWith(expect.objectContaining({ title: '无法使用相机', confirmText: '去设置' }));
  });
});

describe('the states of the page', () => {
  test('loading, then a first poll lost on the network is an error with a retry', async () => {
    const loading = renderWithComponents('secretary-scan', { state: 'loading' });
    expect(componentTexts(loading, 'page-state__text')).toEqual(['加载中…']);
    saveScreen(loading, 'secretary-scan', 'loading');
    const api = { get: jest.fn().mockRejectedValueOnce(new NetworkError()).mockResolvedValue(BEFORE) };
    const page = openPage(api);
    await page.onShow();
    expect(page.data).toMatchObject({ state: 'error', stateMessage: '网络不给力，名单稍后自动刷新' });
    const comp = renderWithComponents('secretary-scan', page.data);
    expect(componentTexts(comp, 'page-state__retry')).toEqual(['重新加载']);
    saveScreen(comp, 'secretary-scan', 'error');
    await page.onRetry();
    expect(page.data.state).toBe('ready');
    page.onUnload();
  });

  test('a meeting that does not exist for this secretary says 会议不存在', async () => {
    const api = { get: jest.fn().mockRejectedValue(new ApiError(404, 'not_found', '会议不存在')) };
    const page = openPage(api);
    await page.onShow();
    expect(page.data).toMatchObject({ state: 'forbidden', stateMessage: '会议不存在' });
    await jest.advanceTimersByTimeAsync(POLL_MS * 2);
    expect(polls(api)).toBe(1);
  });
});
