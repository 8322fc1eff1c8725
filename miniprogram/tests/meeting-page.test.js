// The meeting page around the happy path: WeChat's own scanner, the location before the code expires,
// every state, and what members expect of a meeting (share, directions, calendar, reminders).
const { createMeetingPage, offersFor } = require('../pages/meeting/logic');
const { ApiError } = require('../utils/api');
const { createFakeWx, mountPage } = require('./fake-wx');
const { renderWithComponents, texts, componentTexts } = require('./render');
const { saveScreen } = require('./screen');
const { MEETING } = require('./meeting-fixture');

const LINK = 'https://dangwu.example.cn/m/checkin?c=M7.Nw.aw8Daw.signature';
const PLACE = { latitude: 39.909, longitude: 116.3978, accuracy: 30 };

const FENCED = { ...MEETING, needs_location: true, latitude: 39.909, longitude: 116.3978 };

// A phone whose location answers as `location` says (a place, a denial, or a function deciding per call).
function phone({ location = PLACE, scanned = LINK, modalAnswers = [], grant = true } = {}) {
  const wx = createFakeWx({ handler: () => ({}), modalAnswers });
  Object.assign(wx, {
    located: 0,
    opened: [],
    getLocation({ success, fail }) {
      wx.located += 1;
      const answer = typeof location === 'function' ? location(wx.located) : location;
      if (answer.errMsg) fail(answer);
      else success(answer);
    },
    openSetting: jest.fn(({ success }) => success({ authSetting: { 'scope.userLocation': grant } })),
    scanCode: jest.fn(({ success }) => success({ result: scanned })),
    requestSubscribeMessage: jest.fn(({ tmplIds, success }) => success(Object.fromEntries(tmplIds.map((id) => [id, 'accept'])))),
    openLocation: jest.fn(),
    addPhoneCalendar: jest.fn(({ success }) => success({})),
    switchTab: jest.fn(),
    navigateTo: jest.fn(),
  });
  return wx;
}

const DENIED = { errMsg: 'getLocation:fail auth deny' };

function serverWith(meeting, checkin = { ok: true, already: false, message: '签到成功' }) {
  return {
    get: jest.fn().mockResolvedValue(meeting),
    post: jest.fn((path) => Promise.resolve(path.endsWith('/checkin') ? checkin : {})),
  };
}

function open(api, wx, options, clock) {
  const page = mountPage(createMeetingPage({ api, wx, now: clock || (() => 1000) }));
  page.onLoad(options);
  return page;
}

const render = (data) => renderWithComponents('meeting', data);
const readyData = (meeting, extra = {}) => ({ state: 'ready', meeting: { ...meeting, when: '2026-11-24 09:00' }, ...offersFor(meeting), ...extra });

describe("WeChat's own 扫一扫 on the projected link", () => {
  test('one scan opens the meeting and checks in with the code in the link', async () => {
    const wx = phone();
    const api = serverWith(MEETING);
    const page = open(api, wx, { q: encodeURIComponent(LINK) });
    await page.onShow();
    expect(api.get).toHaveBeenCalledWith('/api/meetings/7');
    expect(api.post).toHaveBeenCalledWith('/api/meetings/7/checkin', { code: 'M7.Nw.aw8Daw.signature' });
    expect(wx.modals[0]).toMatchObject({ title: '签到成功', confirmText: '提醒我' });
    await page.onShow(); // coming back to the page does not post the same code again
    expect(api.post.mock.calls.filter(([path]) => path.endsWith('/checkin'))).toHaveLength(1);
  });

  test('at a fenced meeting it locates first, then posts the code with the place', async () => {
    const wx = phone();
    const api = serverWith(FENCED);
    const page = open(api, wx, { q: encodeURIComponent(LINK) });
    await page.onShow();
    expect(wx.located).toBe(1);
    expect(api.post).toHaveBeenCalledWith('/api/meetings/7/checkin', { code: 'M7.Nw.aw8Daw.signature', ...PLACE });
  });

  test('a slow location does not post a dead code: the member is asked to scan the latest one', async () => {
    let clock = 1000;
    const wx = phone({ location: () => ((clock += 20000), PLACE) }); // the permission dialog took 20 s
    const api = serverWith(FENCED);
    const page = open(api, wx, { q: encodeURIComponent(LINK) }, () => clock);
    await page.onShow();
    expect(api.post).not.toHaveBeenCalled();
    expect(wx.modals[0]).toMatchObject({ title: '请再扫一次' });
    expect(wx.modals[0].content).toMatch(/再扫一次会场大屏上的二维码/);
    const comp = render(readyData(FENCED, { locationState: 'ok', codeExpired: true }));
    expect(texts(comp, '.expired')).toEqual(['刚才扫描的二维码已更新，请用微信再扫一次会场大屏上的二维码。']);
    saveScreen(comp, 'meeting', 'code-expired');
  });

  test('a link that is not a meeting code of ours says so', () => {
    const page = open(serverWith(MEETING), phone(), { q: encodeURIComponent('https://example.com/?x=1') });
    expect(page.data).toMatchObject({ state: 'forbidden', stateMessage: '这不是本系统的签到二维码，请扫描会议现场大屏上的签到码' });
  });

  test('before check-in opens, or once checked in, the scan is answered in words and nothing is posted', async () => {
    for (const [meeting, words] of [
      [{ ...MEETING, phase: 'upcoming' }, '签到将于 2026-11-24 08:30 开放'],
      [{ ...MEETING, my_attendance: { status: 'present', checked_in_at: '2026-11-24T00:58:00+00:00' } }, '您已签到'],
    ]) {
      const wx = phone();
      const api = serverWith(meeting);
      const page = open(api, wx, { q: encodeURIComponent(LINK) });
      await page.onShow();
      expect(api.post).not.toHaveBeenCalled();
      expect(wx.toasts).toEqual([{ title: words, icon: 'none' }]);
    }
  });

  test('an ended meeting takes no code', async () => {
    const api = serverWith({ ...MEETING, phase: 'ended', leave_open: false });
    const page = open(api, phone(), { q: encodeURIComponent(LINK) });
    await page.onShow();
    expect(api.post).not.toHaveBeenCalled();
  });
});

describe('the location before the code expires', () => {
  test('a fenced meeting reads the location when the page shows, and the scan uses it', async () => {
    const wx = phone({ scanned: LINK });
    const api = serverWith(FENCED);
    const page = open(api, wx, { id: '7' });
    await page.onShow();
    expect(wx.located).toBe(1);
    expect(wx.scanCode).not.toHaveBeenCalled();
    expect(page.data.locationState).toBe('ok');
    await page.scan();
    expect(wx.located).toBe(1); // no second dialog between the scan and the post
    expect(api.post).toHaveBeenCalledWith('/api/meetings/7/checkin', { code: LINK, ...PLACE });
  });

  test('denied: the member reads why and is offered the settings, then it locates again', async () => {
    const wx = phone({ location: (n) => (n === 1 || n === 2 ? DENIED : PLACE), modalAnswers: [true] });
    const api = serverWith(FENCED);
    const page = open(api, wx, { id: '7' });
    await page.onShow();
    expect(page.data.locationState).toBe('denied');
    const comp = render(readyData(FENCED, { locationState: 'denied' }));
    expect(texts(comp, '.location__text')[0]).toBe('本次会议需定位签到。您没有允许“电子党务”使用位置信息，暂时无法签到。');
    expect(texts(comp, '.location__button')).toEqual(['去设置']);
    saveScreen(comp, 'meeting', 'location-denied');

    await page.scan(); // tried again, still refused: explained, the camera is not opened
    expect(wx.scanCode).not.toHaveBeenCalled();
    expect(wx.modals[0]).toMatchObject({ title: '需要您的位置', confirmText: '去设置' });
    expect(wx.openSetting).toHaveBeenCalled();
    await Promise.resolve();
    await page.locating;
    expect(page.data.locationState).toBe('ok');
    await page.scan();
    expect(api.post).toHaveBeenCalledWith('/api/meetings/7/checkin', { code: LINK, ...PLACE });
  });

  test('a phone that cannot find itself is offered a retry', async () => {
    const wx = phone({ location: { errMsg: 'getLocation:fail timeout' } });
    const page = open(serverWith(FENCED), wx, { id: '7' });
    await page.onShow();
    expect(page.data.locationState).toBe('failed');
    const comp = render(readyData(FENCED, { locationState: 'failed' }));
    expect(texts(comp, '.location__button')).toEqual(['重新定位']);
    saveScreen(comp, 'meeting', 'location-failed');
  });
});

describe('every state', () => {
  test('loading', () => {
    const comp = render({ state: 'loading' });
    expect(componentTexts(comp, 'page-state__text')).toEqual(['加载中…']);
    expect(comp.querySelector('.scan')).toBeUndefined();
    saveScreen(comp, 'meeting', 'loading');
  });

  test('a network failure shows an error with a retry that loads again', async () => {
    const api = { get: jest.fn().mockRejectedValueOnce(new Error('网络不给力，请检查网络后重试')).mockResolvedValue(MEETING) };
    const page = open(api, phone(), { id: '7' });
    await page.onShow();
    expect(page.data).toMatchObject({ state: 'error', stateMessage: '网络不给力，请检查网络后重试' });
    const comp = render({ state: 'error', stateMessage: page.data.stateMessage });
    expect(componentTexts(comp, 'page-state__retry')).toEqual(['重新加载']);
    saveScreen(comp, 'meeting', 'error');
    await page.onRetry();
    expect(page.data.state).toBe('ready');
  });

  test('a meeting that does not exist, or is not mine, says 会议不存在', async () => {
    const api = { get: jest.fn().mockRejectedValue(new ApiError(404, 'not_found', '会议不存在')) };
    const page = open(api, phone(), { id: '99' });
    await page.onShow();
    const comp = render({ state: page.data.state, stateMessage: page.data.stateMessage });
    expect(componentTexts(comp, 'page-state__text')).toEqual(['会议不存在']);
    expect(componentTexts(comp, 'page-state__retry')).toEqual([]);
    saveScreen(comp, 'meeting', 'not-found');
  });

  test.each([
    ['ended', '本次会议已结束'],
    ['cancelled', '本次会议已取消'],
  ])('%s: said so, no scan and no leave offered', (phase, words) => {
    const meeting = { ...FENCED, phase, leave_open: false };
    const comp = render(readyData(meeting));
    expect(texts(comp, '.phase')).toEqual([words]);
    for (const offer of ['.scan', '.leave', '.remind', '.calendar', '.location']) expect(comp.querySelector(offer)).toBeUndefined();
    saveScreen(comp, 'meeting', phase);
  });

  test('already checked in: my time, no scan, no leave', () => {
    const meeting = { ...MEETING, my_attendance: { status: 'present', checked_in_at: '2026-11-24T00:58:00+00:00' } };
    const comp = render(readyData(meeting, { statusText: '已签到 · 2026-11-24 08:58' }));
    expect(texts(comp, '.status')).toEqual(['已签到 · 2026-11-24 08:58']);
    expect(comp.querySelector('.scan')).toBeUndefined();
    expect(comp.querySelector('.leave')).toBeUndefined();
    saveScreen(comp, 'meeting', 'checked-in');
  });

  test('before check-in opens: when it opens, leave offered, no scan', () => {
    const meeting = { ...MEETING, phase: 'upcoming' };
    const comp = render(readyData(meeting, { opensText: '签到将于 2026-11-24 08:30 开放' }));
    expect(texts(comp, '.opens')).toEqual(['签到将于 2026-11-24 08:30 开放']);
    expect(comp.querySelector('.scan')).toBeUndefined();
    expect(texts(comp, '.ask-leave')).toEqual(['请假']);
    saveScreen(comp, 'meeting', 'upcoming');
  });

  test('open for check-in: scan, reminders, calendar, directions and share offered', () => {
    const comp = render(readyData(FENCED, { locationState: 'ok' }));
    expect(texts(comp, '.scan')).toEqual(['扫码签到']);
    expect(texts(comp, '.action')).toEqual(['提醒我', '加入日历', '导航到会场', '转发']);
    expect(texts(comp, '.location')).toEqual(['已获取位置，请在会场内扫码']);
    saveScreen(comp, 'meeting', 'open');
  });
});

describe('what members expect of a meeting', () => {
  async function shown(meeting = FENCED, wx = phone()) {
    const api = serverWith(meeting);
    const page = open(api, wx, { id: '7' });
    await page.onShow();
    return { page, api, wx };
  }

  test('sharing opens the same meeting by id', async () => {
    const { page } = await shown();
    expect(page.onShareAppMessage()).toEqual({ title: '十一月主题党日（2026-11-24 09:00）', path: '/pages/meeting/index?id=7' });
  });

  test('directions open the map at the venue', async () => {
    const { page, wx } = await shown();
    page.openVenue();
    expect(wx.openLocation).toHaveBeenCalledWith(expect.objectContaining({ latitude: 39.909, longitude: 116.3978, name: '三楼会议室' }));
  });

  test('the meeting goes into the phone calendar with a reminder an hour before', async () => {
    const { page, wx } = await shown();
    page.addToCalendar();
    expect(wx.addPhoneCalendar).toHaveBeenCalledWith(
      expect.objectContaining({ title: '十一月主题党日', startTime: 1795482000, endTime: 1795489200, location: '三楼会议室', alarmOffset: 3600 }),
    );
    expect(wx.toasts[0]).toEqual({ title: '已加入日历', icon: 'success' });
  });

  test('提醒我 asks WeChat for the meeting reminder and tells the server', async () => {
    const { page, api, wx } = await shown();
    await page.remindMe();
    expect(wx.requestSubscribeMessage).toHaveBeenCalledWith(expect.objectContaining({ tmplIds: ['demo_meeting_reminder'] }));
    expect(api.post).toHaveBeenCalledWith('/api/me/subscriptions', { results: { demo_meeting_reminder: 'accept' } });
    expect(wx.toasts[0]).toEqual({ title: '已开启提醒', icon: 'success' });
  });

  test('after a leave request the reminder is offered; its confirm asks WeChat at once', async () => {
    const wx = phone({ modalAnswers: [true] });
    const { page, api } = await shown(MEETING, wx);
    page.onReasonInput({ detail: { value: '在工地值班' } });
    await page.askLeave();
    expect(api.post).toHaveBeenCalledWith('/api/meetings/7/leave', { reason: '在工地值班' });
    expect(wx.modals[0]).toMatchObject({ title: '请假已提交，等待审批', confirmText: '提醒我', cancelText: '不用了' });
    expect(wx.requestSubscribeMessage).toHaveBeenCalled(); // called inside the modal's confirm, no await before it
  });

  test('declining the reminder asks nothing of WeChat', async () => {
    const wx = phone({ modalAnswers: [false] });
    const { page } = await shown(MEETING, wx);
    await page.scan();
    expect(wx.modals[0].title).toBe('签到成功');
    expect(wx.requestSubscribeMessage).not.toHaveBeenCalled();
  });
});
