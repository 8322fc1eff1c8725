const { createAttendancePage, summaryFrom, percent, yearsUpTo } = require('../pages/attendance/logic');
const { createProfilePage } = require('../pages/profile/logic');
const { ApiError } = require('../utils/api');
const { createFakeWx, mountPage } = require('./fake-wx');

const YEAR = {
  year: 2026,
  expected: 4,
  present: 1,
  late: 1,
  leave: 1,
  absent: 1,
  attended: 2,
  rate: 0.5,
  meetings: [
    { id: 9, title: '党员大会', kind_label: '支部党员大会', starts_at: '2026-06-05T01:00:00+00:00', status: 'absent', status_label: '缺席' },
    { id: 7, title: '三月主题党日', kind_label: '主题党日', starts_at: '2026-03-05T01:00:00+00:00', status: 'present', status_label: '已到' },
  ],
};

function phone() {
  const wx = createFakeWx({ handler: () => ({}) });
  wx.navigated = [];
  wx.navigateTo = ({ url }) => wx.navigated.push(url);
  return wx;
}

test('the rate reads as a percentage, and no meetings as a dash', () => {
  expect(percent(0.6667)).toBe('67%');
  expect(percent(1)).toBe('100%');
  expect(percent(null)).toBe('—');
  expect(yearsUpTo(2026)).toEqual([2026, 2025, 2024, 2023, 2022]);
});

test('the summary counts each status and lists meetings in Beijing time', () => {
  const summary = summaryFrom(YEAR);
  expect(summary.rateText).toBe('50%');
  expect(summary.countsText).toBe('应参会 4 次，实到 2 次');
  expect(summary.tiles.map((t) => `${t.label}${t.value}`)).toEqual(['已到1', '迟到1', '请假1', '缺席1']);
  expect(summary.meetings[0]).toMatchObject({ title: '党员大会', when: '2026-06-05 09:00', status_label: '缺席' });
  expect(summaryFrom({ ...YEAR, expected: 0, attended: 0, rate: null, meetings: [] }).countsText).toBe('这一年还没有已结束的会议');
});

test("opens on this year in Beijing (already next year there on 31 December's evening)", async () => {
  const api = { get: jest.fn().mockResolvedValue(YEAR) };
  const page = mountPage(createAttendancePage({ api, wx: phone(), now: () => new Date('2025-12-31T17:00:00Z') }));
  await page.onLoad();
  expect(api.get).toHaveBeenCalledWith('/api/me/attendance?year=2026', { retry: false });
  expect(page.data).toMatchObject({ state: 'ready', rateText: '50%', yearLabels: ['2026年', '2025年', '2024年', '2023年', '2022年'] });
});

test('choosing an earlier year loads it; a meeting opens its page', async () => {
  const wx = phone();
  const api = { get: jest.fn().mockResolvedValue(YEAR) };
  const page = mountPage(createAttendancePage({ api, wx, now: () => new Date('2026-11-23T06:00:00Z') }));
  await page.onLoad();
  await page.onYearChange({ detail: { value: '1' } });
  expect(api.get).toHaveBeenLastCalledWith('/api/me/attendance?year=2025', { retry: false });
  page.open({ currentTarget: { dataset: { id: 9 } } });
  expect(wx.navigated).toEqual(['/pages/meeting/index?id=9']);
});

test('a failure is an error with 重新加载, not a spinner forever; the retry loads', async () => {
  const wx = phone();
  const api = {
    get: jest.fn().mockRejectedValueOnce(new ApiError(500, 'server_error', '服务器出错了，请稍后再试')).mockResolvedValue(YEAR),
  };
  const page = mountPage(createAttendancePage({ api, wx }));
  await page.onLoad();
  expect(page.data).toMatchObject({ state: 'error', stateMessage: '服务器出错了，请稍后再试' });
  await page.onRetry();
  expect(page.data.state).toBe('ready');
});

test('a year without ended meetings is empty, and says which year', async () => {
  const api = { get: jest.fn().mockResolvedValue({ ...YEAR, expected: 0, present: 0, late: 0, leave: 0, absent: 0, attended: 0, rate: null, meetings: [] }) };
  const page = mountPage(createAttendancePage({ api, wx: phone(), now: () => new Date('2026-01-05T06:00:00Z') }));
  await page.onLoad();
  expect(page.data).toMatchObject({ state: 'empty', stateMessage: '2026年还没有已结束的会议' });
});

test('pull-down refresh reloads in place and stops its spinner', async () => {
  const wx = phone();
  const stopped = jest.spyOn(wx, 'stopPullDownRefresh');
  const api = { get: jest.fn().mockResolvedValue(YEAR) };
  const page = mountPage(createAttendancePage({ api, wx }));
  await page.onLoad();
  const states = [];
  const setData = page.setData;
  page.setData = (patch) => {
    if (patch.state) states.push(patch.state);
    setData(patch);
  };
  await page.onPullDownRefresh();
  expect(states).toEqual(['ready']); // no flash of 加载中 over the list
  expect(stopped).toHaveBeenCalled();
});

test('the profile page leads to 我的出勤', () => {
  const wx = phone();
  const page = mountPage(createProfilePage({ api: {}, wx }));
  page.openAttendance();
  expect(wx.navigated).toEqual(['/pages/attendance/index']);
});
