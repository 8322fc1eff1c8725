const { createMeetingNewPage, defaultTimes, anHourAfter, payloadFrom, messageOf } = require('../pages/meeting-new/logic');
const { createMeetingsPage } = require('../pages/meetings/logic');
const { ApiError, NetworkError } = require('../utils/api');
const { createFakeWx, mountPage } = require('./fake-wx');

const OPTIONS = {
  branch: { id: 4, name: '甲一支部' },
  groups: [{ id: 8, name: '第一党小组' }],
  kinds: [
    { value: 'branch_assembly', label: '支部党员大会' },
    { value: 'branch_committee', label: '支部委员会' },
    { value: 'group_meeting', label: '党小组会' },
    { value: 'party_lecture', label: '党课' },
    { value: 'theme_day', label: '主题党日' },
    { value: 'life_meeting', label: '组织生活会' },
    { value: 'heart_talk', label: '谈心谈话' },
    { value: 'other', label: '其他' },
  ],
};
// 2026-11-23 14:20 in Beijing
const NOW = new Date('2026-11-23T06:20:00Z');

function phone({ location = { latitude: 39.909, longitude: 116.3978 } } = {}) {
  const wx = createFakeWx({ handler: () => ({}) });
  wx.navigated = [];
  wx.redirected = [];
  wx.navigateTo = ({ url }) => wx.navigated.push(url);
  wx.redirectTo = ({ url }) => wx.redirected.push(url);
  wx.getLocation = ({ type, success, fail }) => (location && type === 'wgs84' ? success(location) : fail({ errMsg: 'getLocation:fail auth deny' }));
  return wx;
}

async function openForm(api, wx = phone()) {
  const page = mountPage(createMeetingNewPage({ api, wx, now: () => NOW }));
  await page.onLoad();
  return page;
}

describe('安排会议 form', () => {
  test('starts at the next whole hour in Beijing, an hour long, on a theme day of the branch', async () => {
    const api = { get: jest.fn().mockResolvedValue(OPTIONS) };
    const page = await openForm(api);
    expect(api.get).toHaveBeenCalledWith('/api/meetings/options');
    expect(page.data).toMatchObject({ ready: true, today: '2026-11-23', day: '2026-11-23', starts: '15:00', ends: '16:00' });
    expect(page.data.kindLabels[page.data.kindIndex]).toBe('主题党日');
    expect(page.data.scopeLabels).toEqual(['全支部（甲一支部）', '第一党小组']);
  });

  test('late in the evening the default ends the same day or moves to the next', () => {
    // 22:30 Beijing: 23:00 until the last minute of the day
    expect(defaultTimes(new Date('2026-11-23T14:30:00Z'))).toEqual({ today: '2026-11-23', day: '2026-11-23', starts: '23:00', ends: '23:59' });
    // 23:10 Beijing: midnight, which is already tomorrow
    expect(defaultTimes(new Date('2026-11-23T15:10:00Z'))).toEqual({ today: '2026-11-23', day: '2026-11-24', starts: '00:00', ends: '01:00' });
    expect(anHourAfter('09:30')).toBe('10:30');
  });

  test('sends the chosen kind, group, times and place, then opens the new meeting', async () => {
    const wx = phone();
    const api = { get: jest.fn().mockResolvedValue(OPTIONS), post: jest.fn().mockResolvedValue({ id: 31, title: '小组学习' }) };
    const page = await openForm(api, wx);
    page.onKindChange({ detail: { value: '2' } });
    page.onTitleInput({ detail: { value: ' 小组学习 ' } });
    page.onDayChange({ detail: { value: '2026-11-25' } });
    page.onStartsChange({ detail: { value: '19:00' } }); // past the end: the end moves along
    page.onPlaceInput({ detail: { value: '项目部会议室' } });
    page.onScopeChange({ detail: { value: '1' } });
    await page.submit();
    expect(api.post).toHaveBeenCalledWith('/api/meetings', {
      kind: 'group_meeting',
      title: '小组学习',
      organiser_id: 4,
      participant_ids: [8],
      day: '2026-11-25',
      starts: '19:00',
      ends: '20:00',
      place: '项目部会议室',
    });
    expect(wx.toasts[0]).toMatchObject({ title: '会议已安排', icon: 'success' });
    expect(wx.redirected).toEqual(['/pages/meeting/index?id=31']);
    expect(page.data.busy).toBe(false);
  });

  test('the whole branch takes part unless a group is chosen; no geofence unless switched on', () => {
    const form = {
      branch: OPTIONS.branch,
      kinds: OPTIONS.kinds,
      kindIndex: 4,
      scopes: [{ id: null }, { id: 8 }],
      scopeIndex: 0,
      title: ' 主题党日 ',
      day: '2026-11-25',
      starts: '09:00',
      ends: '10:00',
      place: '',
      useLocation: false,
    };
    expect(payloadFrom(form)).toEqual({
      kind: 'theme_day',
      title: '主题党日',
      organiser_id: 4,
      participant_ids: [],
      day: '2026-11-25',
      starts: '09:00',
      ends: '10:00',
      place: '',
    });
  });

  test('my current location becomes the geofence, with the chosen radius', async () => {
    const api = { get: jest.fn().mockResolvedValue(OPTIONS), post: jest.fn().mockResolvedValue({ id: 32 }) };
    const page = await openForm(api);
    await page.onLocationSwitch({ detail: { value: true } });
    expect(page.data).toMatchObject({ useLocation: true, locationText: '39.90900, 116.39780' });
    page.onRadiusChange({ detail: { value: '2' } });
    page.onTitleInput({ detail: { value: '主题党日' } });
    await page.submit();
    expect(api.post.mock.calls[0][1]).toMatchObject({ geo_lat: 39.909, geo_lng: 116.3978, geo_radius_m: 500 });
  });

  test('a refused location switches the geofence off and says why', async () => {
    const wx = phone({ location: null });
    const page = await openForm({ get: jest.fn().mockResolvedValue(OPTIONS) }, wx);
    await page.onLocationSwitch({ detail: { value: true } });
    expect(page.data.useLocation).toBe(false);
    expect(wx.toasts[0].title).toBe('未能获取位置，请允许小程序使用位置信息');
  });

  test('mistakes are caught before anything is sent', async () => {
    const wx = phone();
    const api = { get: jest.fn().mockResolvedValue(OPTIONS), post: jest.fn() };
    const page = await openForm(api, wx);
    await page.submit();
    expect(wx.toasts.pop().title).toBe('请填写会议名称');
    page.onTitleInput({ detail: { value: '党课' } });
    page.onEndsChange({ detail: { value: '14:00' } });
    await page.submit();
    expect(wx.toasts.pop().title).toBe('结束时间应晚于开始时间');
    expect(api.post).not.toHaveBeenCalled();
  });

  test("the server's field complaint is shown with the field's name", async () => {
    const wx = phone();
    const refused = new ApiError(422, 'invalid_input', '提交的内容有误，请检查后重试', { ends: ['结束时间应晚于开始时间'] });
    const api = { get: jest.fn().mockResolvedValue(OPTIONS), post: jest.fn().mockRejectedValue(refused) };
    const page = await openForm(api, wx);
    page.onTitleInput({ detail: { value: '党课' } });
    await page.submit();
    expect(wx.toasts[0].title).toBe('结束时间：结束时间应晚于开始时间');
    expect(wx.redirected).toEqual([]);
    expect(messageOf(new ApiError(400, 'meeting_over', '会议结束时间已过')).message).toBe('会议结束时间已过');
  });

  test('a member who may not schedule reads why instead of a form', async () => {
    const api = { get: jest.fn().mockRejectedValue(new ApiError(403, 'not_secretary', '只有支部书记可以安排会议')) };
    const page = await openForm(api);
    expect(page.data).toMatchObject({ ready: false, denied: '只有支部书记可以安排会议' });
  });
});

describe('meetings list', () => {
  const MEETINGS = [];

  test('a secretary gets 安排会议, asked once', async () => {
    const wx = phone();
    const api = { get: jest.fn((path) => Promise.resolve(path === '/api/meetings' ? MEETINGS : OPTIONS)) };
    const page = mountPage(createMeetingsPage({ api, wx }));
    await page.onShow();
    await page.onShow();
    expect(page.data.canCreate).toBe(true);
    expect(api.get.mock.calls.map(([path]) => path)).toEqual(['/api/meetings', '/api/meetings/options', '/api/meetings']);
    page.create();
    expect(wx.navigated).toEqual(['/pages/meeting-new/index']);
  });

  test('an ordinary member sees no button and no error', async () => {
    const wx = phone();
    const denied = new ApiError(403, 'not_secretary', '只有支部书记可以安排会议');
    const api = { get: jest.fn((path) => (path === '/api/meetings' ? Promise.resolve(MEETINGS) : Promise.reject(denied))) };
    const page = mountPage(createMeetingsPage({ api, wx }));
    await page.onShow();
    expect(page.data.canCreate).toBe(false);
    expect(wx.toasts).toEqual([]);
  });

  test('a network failure leaves the question open for the next visit', async () => {
    const wx = phone();
    const api = { get: jest.fn((path) => (path === '/api/meetings' ? Promise.resolve(MEETINGS) : Promise.reject(new Error('网络不给力')))) };
    const page = mountPage(createMeetingsPage({ api, wx }));
    await page.onShow();
    expect(page.data.canCreate).toBeNull();
    expect(wx.toasts).toEqual([]);
  });
});

describe('安排会议: the venue on the map, and the states of the form', () => {
  test('the venue picked on the map becomes the geofence centre and fills an empty 地点', async () => {
    const wx = phone();
    wx.chooseLocation = jest.fn(({ success }) => success({ name: '项目部二楼会议室', address: '北京市西城区', latitude: 39.91, longitude: 116.4 }));
    const api = { get: jest.fn().mockResolvedValue(OPTIONS), post: jest.fn().mockResolvedValue({ id: 33 }) };
    const page = await openForm(api, wx);
    await page.pickOnMap();
    expect(page.data).toMatchObject({ useLocation: true, locationText: '项目部二楼会议室', place: '项目部二楼会议室' });
    page.onTitleInput({ detail: { value: '主题党日' } });
    await page.submit();
    expect(api.post.mock.calls[0][1]).toMatchObject({ geo_lat: 39.91, geo_lng: 116.4, geo_radius_m: 200, place: '项目部二楼会议室' });
  });

  test('a place already typed is kept; closing the map changes nothing', async () => {
    const wx = phone();
    wx.chooseLocation = jest
      .fn()
      .mockImplementationOnce(({ fail }) => fail({ errMsg: 'chooseLocation:fail cancel' }))
      .mockImplementationOnce(({ success }) => success({ name: '', address: '北京市西城区', latitude: 39.91, longitude: 116.4 }));
    const page = await openForm({ get: jest.fn().mockResolvedValue(OPTIONS) }, wx);
    page.onPlaceInput({ detail: { value: '三楼会议室' } });
    await page.pickOnMap();
    expect(page.data).toMatchObject({ useLocation: false, location: null });
    expect(wx.toasts).toEqual([]);
    await page.pickOnMap();
    expect(page.data).toMatchObject({ useLocation: true, locationText: '北京市西城区', place: '三楼会议室' });
  });

  test('a network failure is an error with a retry, not a refusal', async () => {
    const api = { get: jest.fn().mockRejectedValueOnce(new NetworkError()).mockResolvedValue(OPTIONS) };
    const page = await openForm(api);
    expect(page.data).toMatchObject({ state: 'error', stateMessage: '网络不给力，请检查网络后重试', denied: '' });
    await page.onRetry();
    expect(page.data).toMatchObject({ state: 'ready', ready: true });
  });

  test('a refusal is forbidden, with the reason', async () => {
    const api = { get: jest.fn().mockRejectedValue(new ApiError(403, 'not_secretary', '只有支部书记可以安排会议')) };
    const page = await openForm(api);
    expect(page.data).toMatchObject({ state: 'forbidden', stateMessage: '只有支部书记可以安排会议' });
  });
});
