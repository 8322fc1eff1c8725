// Renders the new pages' own WXML, as the member sees them, and checks every page is registered whole.
const fs = require('fs');
const path = require('path');
const { renderWithComponents, componentTexts } = require('./render');
const { offersFor } = require('../pages/meeting/logic');
const { saveScreen } = require('./screen');
const { summaryFrom } = require('../pages/attendance/logic');

const ROOT = path.join(__dirname, '..');

// With the components each page's index.json names (page-state…).
const render = renderWithComponents;

function text(comp, selector) {
  return comp.querySelector(selector).dom.textContent.trim();
}

test('every page in app.json has its script, template, style and settings', () => {
  const app = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8'));
  expect(app.pages).toEqual(expect.arrayContaining(['pages/meeting-new/index', 'pages/attendance/index']));
  for (const page of app.pages) {
    for (const ext of ['js', 'wxml', 'wxss', 'json']) {
      expect(fs.existsSync(path.join(ROOT, `${page}.${ext}`))).toBe(true);
    }
  }
});

test('the 安排会议 form shows its pickers, and the geofence only when switched on', () => {
  const data = {
    state: 'ready',
    ready: true,
    kindLabels: ['支部党员大会', '主题党日'],
    kindIndex: 1,
    scopeLabels: ['全支部（甲一支部）', '第一党小组'],
    scopeIndex: 0,
    day: '2026-11-25',
    starts: '09:00',
    ends: '10:00',
    useLocation: false,
    radiusLabels: ['100 米内', '200 米内'],
    radiusIndex: 1,
  };
  const off = render('meeting-new', data);
  expect(text(off, '.kind')).toBe('主题党日');
  expect(text(off, '.scope')).toBe('全支部（甲一支部）');
  expect([text(off, '.day'), text(off, '.starts'), text(off, '.ends')]).toEqual(['2026-11-25', '09:00', '10:00']);
  expect(off.querySelector('.location')).toBeUndefined();
  saveScreen(off, 'meeting-new', 'form');
  const on = render('meeting-new', { ...data, useLocation: true, locationText: '项目部会议室' });
  expect(text(on, '.location')).toBe('会场位置：项目部会议室');
  expect(text(on, '.map')).toBe('在地图上选择会场');
  saveScreen(on, 'meeting-new', 'geofence');
});

test('a member who may not schedule sees only the reason', () => {
  const comp = render('meeting-new', { state: 'forbidden', stateMessage: '只有支部书记可以安排会议', ready: false });
  expect(componentTexts(comp, 'page-state__text')).toEqual(['只有支部书记可以安排会议']);
  expect(componentTexts(comp, 'page-state__retry')).toEqual([]);
  expect(comp.querySelector('.primary')).toBeUndefined();
  saveScreen(comp, 'meeting-new', 'forbidden');
  const failed = render('meeting-new', { state: 'error', stateMessage: '网络不给力，请检查网络后重试' });
  expect(componentTexts(failed, 'page-state__retry')).toEqual(['重新加载']);
  saveScreen(failed, 'meeting-new', 'error');
  saveScreen(render('meeting-new', { state: 'loading' }), 'meeting-new', 'loading');
});

test('我的出勤 shows the rate, the four counts and each meeting with its status', () => {
  const summary = summaryFrom({
    expected: 2,
    present: 1,
    late: 0,
    leave: 0,
    absent: 1,
    attended: 1,
    rate: 0.5,
    meetings: [{ id: 9, title: '党员大会', kind_label: '支部党员大会', starts_at: '2026-06-05T01:00:00+00:00', status: 'absent', status_label: '缺席' }],
  });
  const comp = render('attendance', { yearLabels: ['2026年'], yearIndex: 0, state: 'ready', ...summary });
  expect(text(comp, '.summary__rate')).toBe('50%');
  expect(comp.querySelectorAll('.tile').map((t) => t.dom.textContent.replace(/\s+/g, ''))).toEqual(['1已到', '0迟到', '0请假', '1缺席']);
  expect(text(comp, '.item .mark--absent')).toBe('缺席');
  expect(text(comp, '.item__meta')).toBe('支部党员大会 · 2026-06-05 09:00');
});

test('the meetings list shows 安排会议 to secretaries only', () => {
  expect(render('meetings', { canCreate: true, state: 'ready', upcoming: [], past: [] }).querySelector('.create')).toBeDefined();
  expect(render('meetings', { canCreate: false, state: 'ready', upcoming: [], past: [] }).querySelector('.create')).toBeUndefined();
});

test('a meeting recorded afterwards (补录) is marked, and offers no scan and no leave', () => {
  const past = [
    { id: 1, title: '主题党日', kind_label: '主题党日', when: '2026-11-20 09:00', backfilled: true },
    { id: 2, title: '党小组会', kind_label: '党小组会', when: '2026-11-10 09:00', backfilled: false },
  ];
  const list = render('meetings', { canCreate: false, state: 'ready', upcoming: [], past });
  expect(list.querySelectorAll('.tag').map((tag) => tag.dom.textContent)).toEqual(['补录']);
  expect(list.querySelectorAll('.item')[0].dom.textContent).toContain('补录');

  const meeting = { id: 1, title: '主题党日', backfilled: true, backfill_reason: '停电，纸质签到', my_attendance: null, my_leave: null, phase: 'ended' };
  const page = render('meeting', { state: 'ready', meeting, statusText: '', ...offersFor(meeting) });
  expect(text(page, '.backfill')).toContain('停电，纸质签到');
  expect(page.querySelector('.primary')).toBeUndefined();
  expect(page.querySelector('.leave')).toBeUndefined();
  saveScreen(page, 'meeting', 'backfilled');
  const scheduled = { ...meeting, backfilled: false, backfill_reason: null, phase: 'open' };
  const onTime = render('meeting', { state: 'ready', meeting: scheduled, statusText: '', ...offersFor(scheduled) });
  expect(onTime.querySelector('.primary')).toBeDefined();
  expect(onTime.querySelector('.backfill')).toBeUndefined();
});
