const { createMeetingsPage, split } = require('../pages/meetings/logic');
const { createMeetingPage, meetingIdFrom } = require('../pages/meeting/logic');
const { ApiError } = require('../utils/api');
const { beijing } = require('../utils/time');
const { createFakeWx, mountPage, renderPage } = require('./fake-wx');
const { saveScreen } = require('./screen');
const { MEETING } = require('./meeting-fixture');

function wxWithScanner(result, extra = {}) {
  const wx = createFakeWx({ handler: () => ({}) });
  wx.navigated = [];
  wx.scanCode = ({ success, fail }) => (result instanceof Error ? fail({ errMsg: result.message }) : success({ result }));
  wx.getLocation = ({ success }) => success({ latitude: 39.909, longitude: 116.3978 });
  wx.navigateTo = ({ url }) => wx.navigated.push(url);
  return Object.assign(wx, extra);
}


test('times are shown in Beijing time', () => {
  expect(beijing('2026-11-24T01:00:00+00:00')).toBe('2026-11-24 09:00');
});

test('meetings are split into upcoming and past', () => {
  const { upcoming, past } = split(
    [MEETING, { ...MEETING, id: 6, ends_at: '2026-10-01T03:00:00+00:00', starts_at: '2026-10-01T01:00:00+00:00' }],
    new Date('2026-11-23T00:00:00Z'),
  );
  expect(upcoming.map((m) => m.id)).toEqual([7]);
  expect(past.map((m) => m.id)).toEqual([6]);
  expect(upcoming[0].when).toBe('2026-11-24 09:00');
});

test('the poster code opens its meeting', () => {
  expect(meetingIdFrom({ scene: encodeURIComponent('m=42') })).toBe(42);
  expect(meetingIdFrom({ id: '7' })).toBe(7);
  expect(meetingIdFrom({ scene: 'nonsense' })).toBeNull();
});

test('scanning the projected code checks in and offers a reminder', async () => {
  const wx = wxWithScanner('M7.signed-code');
  const api = {
    get: jest.fn().mockResolvedValue(MEETING),
    post: jest.fn().mockResolvedValue({ ok: true, already: false, message: '签到成功' }),
  };
  const page = mountPage(createMeetingPage({ api, wx }));
  page.onLoad({ id: '7' });
  await page.onShow();
  await page.scan();
  expect(api.post).toHaveBeenCalledWith('/api/meetings/7/checkin', { code: 'M7.signed-code' });
  expect(wx.modals[0]).toMatchObject({ title: '签到成功', confirmText: '提醒我' });
  expect(page.data.busy).toBe(false);
});

test.each([
  ['without', {}, {}],
  ['with', { accuracy: 35 }, { accuracy: 35 }],
])("a fenced meeting sends the location with the code, %s the phone's accuracy", async (_, given, sent) => {
  const place = { latitude: 39.909, longitude: 116.3978 };
  const wx = wxWithScanner('M7.code', { getLocation: ({ success }) => success({ ...place, ...given }) });
  const api = {
    get: jest.fn().mockResolvedValue({ ...MEETING, needs_location: true }),
    post: jest.fn().mockResolvedValue({ ok: true, already: false, message: '签到成功' }),
  };
  const page = mountPage(createMeetingPage({ api, wx }));
  page.onLoad({ id: '7' });
  await page.onShow();
  await page.scan();
  expect(api.post).toHaveBeenCalledWith('/api/meetings/7/checkin', { code: 'M7.code', ...place, ...sent });
});

describe('a 现场核验 meeting', () => {
  const { offersFor } = require('../pages/meeting/logic');
  const { renderWithComponents } = require('./render');
  const render = (meeting) => renderWithComponents('meeting', { state: 'ready', meeting, ...offersFor(meeting) });

  test('offers my personal code instead of scanning the screen', () => {
    const texts = (comp, selector) => comp.querySelectorAll(selector).map((node) => node.dom.textContent.trim());
    const strict = render({ ...MEETING, strict_checkin: true, needs_location: true });
    expect(texts(strict, '.primary')).toEqual(['出示我的签到码']);
    expect(texts(strict, '.hint')).toEqual(['本次会议为现场核验签到：请向支部书记出示您的个人签到码，由书记扫码签到']);
    saveScreen(strict, 'meeting', 'strict');
    const usual = render({ ...MEETING, needs_location: true });
    expect(texts(usual, '.primary')).toEqual(['扫码签到']);
    expect(texts(usual, '.hint')).toEqual(['本次会议需定位签到，请在会场内扫码']);
  });

  test('the button opens the 签到码 tab', () => {
    const wx = wxWithScanner('x', { switchTab: jest.fn() });
    const page = mountPage(createMeetingPage({ api: {}, wx }));
    page.showMyCode();
    expect(wx.switchTab).toHaveBeenCalledWith({ url: '/pages/my-code/index' });
  });
});

test('a refused scan tells the member why', async () => {
  const wx = wxWithScanner('M7.old');
  const api = {
    get: jest.fn().mockResolvedValue(MEETING),
    post: jest.fn().mockRejectedValue(new ApiError(400, 'code_expired', '签到码已过期，请扫描现场大屏上的最新二维码')),
  };
  const page = mountPage(createMeetingPage({ api, wx }));
  page.onLoad({ id: '7' });
  await page.onShow();
  await page.scan();
  expect(wx.toasts[0].title).toBe('签到码已过期，请扫描现场大屏上的最新二维码');
});

test('closing the camera is not an error', async () => {
  const wx = wxWithScanner(new Error('scanCode:fail cancel'));
  const api = { get: jest.fn().mockResolvedValue(MEETING), post: jest.fn() };
  const page = mountPage(createMeetingPage({ api, wx }));
  page.onLoad({ id: '7' });
  await page.onShow();
  await page.scan();
  expect(api.post).not.toHaveBeenCalled();
  expect(wx.toasts).toEqual([]);
});

test('asking for leave needs a reason', async () => {
  const wx = wxWithScanner('x');
  const api = { get: jest.fn().mockResolvedValue(MEETING), post: jest.fn().mockResolvedValue({ status: 'pending' }) };
  const page = mountPage(createMeetingPage({ api, wx }));
  page.onLoad({ id: '7' });
  await page.onShow();
  await page.askLeave();
  expect(api.post).not.toHaveBeenCalled();
  page.onReasonInput({ detail: { value: '在工地值班' } });
  await page.askLeave();
  expect(api.post).toHaveBeenCalledWith('/api/meetings/7/leave', { reason: '在工地值班' });
});

test('my status reads as a member would say it', async () => {
  const wx = wxWithScanner('x');
  const api = {
    get: jest.fn().mockResolvedValue({ ...MEETING, my_attendance: { status: 'late', checked_in_at: '2026-11-24T01:12:00+00:00' } }),
  };
  const page = mountPage(createMeetingPage({ api, wx }));
  page.onLoad({ id: '7' });
  await page.onShow();
  expect(page.data.statusText).toBe('已签到（迟到） · 2026-11-24 09:12');
});
