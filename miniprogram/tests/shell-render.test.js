// 登录 and 我的出勤 as the member sees them, in each state.
const { summaryFrom } = require('../pages/attendance/logic');
const { renderWithComponents, textOf, find } = require('./render');
const { saveScreen } = require('./screen');

afterEach(() => {
  delete global.getApp;
});

describe('login', () => {
  const view = (extra) => ({ signedOut: false, mode: 'phone', inviteCode: '', name: '', busy: false, stateMessage: '', ...extra });

  test('loading: checking whether this WeChat is bound', () => {
    const comp = renderWithComponents('login', view({ state: 'loading' }));
    expect(textOf(comp, '.page-state__text')).toBe('加载中…');
    expect(find(comp, '.bind-phone')).toBeNull();
    saveScreen(comp, 'login', 'loading');
  });

  test('error: the reason and 重新加载', () => {
    const comp = renderWithComponents('login', view({ state: 'error', stateMessage: '微信服务暂时不可用，请稍后再试' }));
    expect(textOf(comp, '.page-state__text')).toBe('微信服务暂时不可用，请稍后再试');
    expect(textOf(comp, '.page-state__retry')).toBe('重新加载');
    saveScreen(comp, 'login', 'error');
  });

  test('phone: one tap with the WeChat phone number, the invite code as the way out', () => {
    const comp = renderWithComponents('login', view({ state: 'ready' }));
    expect(textOf(comp, '.hero__sub')).toBe('首次使用请绑定您的党员身份，只需一次');
    expect(textOf(comp, '.bind-phone .btn--primary')).toBe('微信手机号一键绑定');
    expect(textOf(comp, '.bind-phone .link')).toBe('手机号不对或没有登记？用邀请码绑定');
    saveScreen(comp, 'login', 'phone');
  });

  test('invite: code and name', () => {
    const comp = renderWithComponents('login', view({ state: 'ready', mode: 'invite' }));
    expect(comp.querySelectorAll('.field')).toHaveLength(2);
    expect(textOf(comp, '.bind-invite .btn--primary')).toBe('绑定');
    saveScreen(comp, 'login', 'invite');
  });

  test('signed out: waits for the member to log in again', () => {
    const comp = renderWithComponents('login', view({ state: 'ready', signedOut: true }));
    expect(textOf(comp, '.hero__sub')).toBe('您已退出登录');
    expect(textOf(comp, '.sign-in')).toBe('用本微信重新登录');
    expect(find(comp, '.bind-phone')).toBeNull();
    saveScreen(comp, 'login', 'signed-out');
  });
});

describe('attendance', () => {
  const YEAR = {
    expected: 3,
    present: 1,
    late: 1,
    leave: 0,
    absent: 1,
    attended: 2,
    rate: 0.6667,
    meetings: [
      { id: 9, title: '党员大会', kind_label: '支部党员大会', starts_at: '2026-06-05T01:00:00+00:00', status: 'absent', status_label: '缺席' },
      { id: 8, title: '五月主题党日', kind_label: '主题党日', starts_at: '2026-05-05T01:00:00+00:00', status: 'late', status_label: '迟到', backfilled: true },
      { id: 7, title: '三月主题党日', kind_label: '主题党日', starts_at: '2026-03-05T01:00:00+00:00', status: 'present', status_label: '已到' },
    ],
  };
  const view = (extra) => ({ yearLabels: ['2026年', '2025年'], yearIndex: 0, stateMessage: '', ...extra });

  test('loading', () => {
    const comp = renderWithComponents('attendance', view({ state: 'loading' }));
    expect(textOf(comp, '.year')).toBe('2026年 ▾');
    expect(textOf(comp, '.page-state__text')).toBe('加载中…');
    saveScreen(comp, 'attendance', 'loading');
  });

  test('error', () => {
    const comp = renderWithComponents('attendance', view({ state: 'error', stateMessage: '服务器开小差了，请稍后再试' }));
    expect(textOf(comp, '.page-state__retry')).toBe('重新加载');
    expect(find(comp, '.summary')).toBeNull();
    saveScreen(comp, 'attendance', 'error');
  });

  test('empty: the year can still be changed', () => {
    const comp = renderWithComponents('attendance', view({ state: 'empty', stateMessage: '2026年还没有已结束的会议' }));
    expect(textOf(comp, '.page-state__text')).toBe('2026年还没有已结束的会议');
    expect(textOf(comp, '.year')).toBe('2026年 ▾');
    saveScreen(comp, 'attendance', 'empty');
  });

  test('ready: the rate, the four counts, each meeting marked', () => {
    const comp = renderWithComponents('attendance', view({ state: 'ready', ...summaryFrom(YEAR) }));
    expect(textOf(comp, '.summary__rate')).toBe('67%');
    expect(comp.querySelectorAll('.meeting .item__side').map((s) => s.dom.textContent)).toEqual(['缺席', '迟到', '已到']);
    expect(textOf(comp, '.meeting .tag')).toBe('补录');
    saveScreen(comp, 'attendance', 'ready');
  });

  test('offline', () => {
    global.getApp = () => ({ watchNetwork: (listener) => (listener(false), () => {}) });
    const comp = renderWithComponents('attendance', view({ state: 'ready', ...summaryFrom(YEAR) }));
    expect(textOf(comp, '.offline-banner')).toBe('网络已断开，显示的可能不是最新内容');
    saveScreen(comp, 'attendance', 'offline');
  });
});
