// A fake server and phone for the 消息 and 手机报 pages' tests: the answers the server gives (the shapes
// tests/news-contract.js lists, which tests/news-openapi.test.js holds these to), WeChat's subscribe
// dialog, the tab badge, and the end-of-article observer the test moves by hand.
const { createFakeWx, mountPage } = require('./fake-wx');
const { ApiError } = require('../utils/api');

const ORG = '北京铁路局集团公司党委';
const SHARE_PATH = '/pages/news-article/index?id=101&share=s-own-7f3a';

const inboxItem = (id, refId, number, title, extra = {}) => ({
  id,
  kind: 'newspaper',
  ref_id: refId,
  title,
  subtitle: `第 ${number} 期 · ${ORG}`,
  cover_url: `/media/news/cover-${refId}.jpg`,
  delivered_at: '2026-11-24T01:30:00+00:00',
  unread: false,
  ...extra,
});

// Newest first, as the server lists them; 20 to a page in life, fewer here.
const INBOX = {
  items: [
    inboxItem(58, 12, 37, '安全生产月特刊：冬季防寒过冬专项部署', { unread: true }),
    inboxItem(51, 11, 36, '学习贯彻党的二十届四中全会精神', { unread: true, delivered_at: '2026-11-23T10:05:00+00:00' }),
    inboxItem(44, 10, 35, '“最美铁路人”先进事迹巡回宣讲', { delivered_at: '2026-11-17T01:00:00+00:00', cover_url: null }),
  ],
  next_cursor: 'c-44',
  unread: 2,
  by_kind: { newspaper: 2, notice: 0 },
};
const INBOX_MORE = {
  items: [
    inboxItem(40, 9, 34, '第三季度党费收缴情况通报', { delivered_at: '2026-11-10T01:00:00+00:00' }),
    inboxItem(33, 8, 33, '重温入党誓词主题党日活动掠影', { delivered_at: '2025-12-01T01:00:00+00:00' }),
  ],
  next_cursor: null,
  unread: 2,
  by_kind: { newspaper: 2, notice: 0 },
};
const INBOX_EMPTY = { items: [], next_cursor: null, unread: 0, by_kind: { newspaper: 0, notice: 0 } };
const UNREAD = { unread: 2, by_kind: { newspaper: 2 } };

const ISSUE = {
  id: 12,
  number: 37,
  title: '安全生产月特刊',
  org_name: ORG,
  published_at: '2026-11-24T01:30:00+00:00',
  articles: [
    { id: 101, title: '冬季防寒过冬专项部署：确保线路设备安全稳定', summary: '集团公司召开专题会议，部署今冬明春安全生产工作，明确十项重点措施。', cover_url: '/media/news/a101.jpg', read: true, liked: true },
    { id: 102, title: '车务段党支部：把支部建在“防洪一线”', summary: '汛期 42 天，党员突击队巡查线路 1,260 公里。', cover_url: '/media/news/a102.jpg', read: true, liked: false },
    { id: 103, title: '安全知识问答：道口通行“十不准”', summary: '', cover_url: null, read: false, liked: false },
  ],
};

const BODY = [
  '<p>11月20日，集团公司召开冬季安全生产专题会议，传达学习上级有关文件精神，部署今冬明春安全生产工作。</p>',
  '<h2>一、压实安全责任</h2>',
  '<p>各单位党组织要把防寒过冬工作作为当前<strong>头等大事</strong>，党员干部带头深入现场，盯控关键岗位、关键时段。</p>',
  '<img src="/media/news/body-101-1.jpg" alt="现场检查" width="1080" height="720">',
  '<h2>二、十项重点措施</h2>',
  '<ul><li>道岔融雪装置逐台检查，12月1日前全部投入使用；</li><li>接触网覆冰观测点每日两次巡视；</li><li>站台、天桥防滑措施到位。</li></ul>',
  '<blockquote>安全是铁路永恒的主题。</blockquote>',
].join('');

const ARTICLE = {
  id: 101,
  issue_id: 12,
  title: '冬季防寒过冬专项部署：确保线路设备安全稳定',
  summary: '集团公司召开专题会议，部署今冬明春安全生产工作，明确十项重点措施。',
  cover_url: '/media/news/a101.jpg',
  body_html: BODY,
  likes: 12,
  liked: false,
  published_at: '2026-11-24T01:30:00+00:00',
  share_path: SHARE_PATH,
};
const LIKED = { likes: 13, liked: true };
const SHARED = { share_path: '/pages/news-article/index?id=101&share=s-fwd-91c0' };

const subscriptions = (remaining, extra = {}) => ({
  subscriptions: [
    { purpose: 'meeting_reminder', title: '会议提醒', template_id: 'demo_meeting_reminder', remaining: 1, status_label: '还可提醒 1 次', last_choice: 'accept', last_choice_at: null, refused_at: null },
    {
      purpose: 'newspaper_issue',
      title: '手机报推送',
      template_id: 'demo_newspaper_issue',
      remaining,
      status_label: remaining > 0 ? `还可提醒 ${remaining} 次` : '未开启',
      last_choice: remaining > 0 ? 'accept' : null,
      last_choice_at: remaining > 0 ? '2026-11-20T02:00:00+00:00' : null,
      refused_at: null,
      ...extra,
    },
  ],
});

const notFound = () => new ApiError(404, 'not_found', '没有找到');

// A fake server. `get` answers by path: a value, an Error (rejected), or a function of the path.
// Every call is kept in `calls` as [method, path, body, options].
function fakeApi({ get = {}, post = {}, cached = null } = {}) {
  const answers = {
    '/api/inbox?limit=20': INBOX,
    '/api/inbox?cursor=c-44&limit=20': INBOX_MORE,
    '/api/inbox/unread': UNREAD,
    '/api/me/subscriptions': subscriptions(0),
    '/api/newspaper/issues/12': ISSUE,
    '/api/newspaper/articles/101': ARTICLE,
    ...get,
  };
  const posts = {
    '/api/newspaper/articles/101/like': LIKED,
    '/api/newspaper/articles/101/share': SHARED,
    '/api/newspaper/articles/101/finish': '',
    '/api/me/subscriptions': subscriptions(1),
    ...post,
  };
  const settle = (answer, path, body) => {
    const value = typeof answer === 'function' ? answer(path, body) : answer;
    if (value instanceof Error) return Promise.reject(value);
    return value === undefined ? Promise.reject(notFound()) : Promise.resolve(value);
  };
  const api = {
    calls: [],
    get: jest.fn((path, options) => {
      api.calls.push(['GET', path, undefined, options]);
      const key = Object.keys(answers).find((k) => k === path) || path.split('?')[0];
      return settle(answers[key], path);
    }),
    post: jest.fn((path, body, options) => {
      api.calls.push(['POST', path, body, options]);
      return settle(posts[path], path, body);
    }),
    cached: jest.fn(() => cached),
  };
  return api;
}

// The phone: pages it opened, the subscribe dialog (answers `accept` unless told), the 消息 tab's badge,
// and an intersection observer the test fires with `wx.endMarker(visible)`.
function phone({ subscribeAnswer = 'accept' } = {}) {
  const wx = createFakeWx({ handler: () => ({}) });
  Object.assign(wx, {
    navigated: [],
    switched: [],
    subscribeAsked: [],
    badge: null,
    observed: [],
    navigateTo: ({ url }) => wx.navigated.push(url),
    switchTab: ({ url }) => wx.switched.push(url),
    requestSubscribeMessage(options) {
      wx.subscribeAsked.push(options.tmplIds);
      if (subscribeAnswer === 'fail') options.fail({ errMsg: 'requestSubscribeMessage:fail cancel' });
      else options.success({ errMsg: 'requestSubscribeMessage:ok', [options.tmplIds[0]]: subscribeAnswer });
    },
    setTabBarBadge: ({ index, text }) => {
      wx.badge = { index, text };
    },
    removeTabBarBadge: ({ index }) => {
      wx.badge = { index, text: null };
    },
    createIntersectionObserver(page) {
      const observer = {
        page,
        viewport: null,
        disconnected: false,
        relativeToViewport(margins) {
          observer.viewport = margins;
          return observer;
        },
        observe(selector, callback) {
          wx.observed.push({ selector, callback, observer });
        },
        disconnect() {
          observer.disconnected = true;
        },
      };
      return observer;
    },
    // The end-of-article marker comes into view (or leaves it).
    endMarker(visible) {
      wx.observed.filter((o) => !o.observer.disconnected).forEach((o) => o.callback({ intersectionRatio: visible ? 1 : 0 }));
    },
  });
  return wx;
}

// A timer the test fires by hand, and a clock it moves.
function manualTimers() {
  const timers = {
    pending: [],
    setTimeout(fn, ms) {
      const handle = { fn, ms };
      timers.pending.push(handle);
      return handle;
    },
    clearTimeout(handle) {
      timers.pending = timers.pending.filter((h) => h !== handle);
    },
    fireNext() {
      const next = timers.pending.shift();
      next.fn();
      return next.ms;
    },
  };
  return timers;
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

const NOW = new Date('2026-11-24T04:00:00Z'); // 12:00 in Beijing

async function openInbox({ api = fakeApi(), wx = phone(), now = NOW } = {}) {
  const { createInboxPage } = require('../pages/inbox/logic');
  const page = mountPage(createInboxPage({ api, wx, now: () => now }));
  await page.onShow();
  return { page, api, wx };
}

async function openIssue({ api = fakeApi(), wx = phone(), options = { id: '12' } } = {}) {
  const { createNewsIssuePage } = require('../pages/news-issue/logic');
  const page = mountPage(createNewsIssuePage({ api, wx }));
  await page.onLoad(options);
  return { page, api, wx };
}

async function openArticle({ api = fakeApi(), wx = phone(), timers = manualTimers(), clock = { t: 0 }, options = { id: '101' } } = {}) {
  const { createNewsArticlePage } = require('../pages/news-article/logic');
  const page = mountPage(createNewsArticlePage({ api, wx, timers, now: () => clock.t }));
  await page.onLoad(options);
  return { page, api, wx, timers, clock };
}

module.exports = {
  INBOX,
  INBOX_MORE,
  INBOX_EMPTY,
  UNREAD,
  ISSUE,
  ARTICLE,
  LIKED,
  SHARED,
  SHARE_PATH,
  NOW,
  subscriptions,
  fakeApi,
  phone,
  manualTimers,
  flush,
  openInbox,
  openIssue,
  openArticle,
};
