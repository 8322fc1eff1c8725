// Home: quick entries (扫码签到 for any meeting, 会议, …) and what needs the member today or tomorrow.
// Only what the server knows is shown as fact: entries and cards of a feature (党费, 学习, 手机报) appear
// when `/api/home` lists it in `features`, and a card only when its figure is in the answer.
const { QUIZZES_PAGE } = require('../../utils/quiz');
const { showError, leadsToLogin } = require('../../utils/api');
const { beijing, beijingParts } = require('../../utils/time');
const { checkinCodeFrom, meetingIdFromCode } = require('../../utils/links');
const { INBOX_PAGE, showUnreadBadge } = require('../../utils/inbox');

const HOME_PATH = '/api/home';

// Quick entries in the order shown; `feature` is what the server must offer for the entry to appear.
// `icon` is one character in a circle: plain, large, and read out by its label.
const ENTRIES = [
  { key: 'scan', label: '扫码签到', icon: '扫', feature: 'meetings' },
  { key: 'meetings', label: '会议', icon: '会', feature: 'meetings', url: '/pages/meetings/index', tab: true },
  { key: 'code', label: '签到码', icon: '码', feature: 'meetings', url: '/pages/my-code/index', tab: true },
  { key: 'attendance', label: '我的出勤', icon: '勤', feature: 'meetings', url: '/pages/attendance/index' },
  { key: 'dues', label: '党费', icon: '费', feature: 'dues', url: '/pages/dues/index' },
  { key: 'study', label: '学习', icon: '学', feature: 'study', url: QUIZZES_PAGE },
  { key: 'newspaper', label: '手机报', icon: '报', feature: 'newspaper', url: INBOX_PAGE, tab: true },
];
// Pages that are tabs: WeChat opens them with switchTab, never navigateTo.
const TAB_PAGES = ENTRIES.filter((entry) => entry.tab).map((entry) => entry.url);

function open(wx, url) {
  if (TAB_PAGES.includes(url.split('?')[0])) wx.switchTab({ url });
  else wx.navigateTo({ url });
}

const TODO_ACTIONS = {
  checkin: '待签到',
  show_code: '出示签到码',
  leave_pending: '请假待审批',
};

function featuresOf(home) {
  return Array.isArray(home.features) ? home.features : [];
}

function entriesFrom(home) {
  const features = featuresOf(home);
  return ENTRIES.filter((entry) => features.includes(entry.feature));
}

// "今天 09:00" / "明天 14:30" in Beijing time; any other day in full.
function dayAndTime(iso, now) {
  const { day, time } = beijingParts(new Date(iso));
  const today = beijingParts(now).day;
  const tomorrow = beijingParts(new Date(now.getTime() + 24 * 3600 * 1000)).day;
  if (day === today) return `今天 ${time}`;
  if (day === tomorrow) return `明天 ${time}`;
  return beijing(iso);
}

function todosFrom(home, now) {
  return (home.todos || [])
    .filter((todo) => TODO_ACTIONS[todo.action])
    .map((todo) => ({
      key: `${todo.action}-${todo.meeting.id}`,
      action: todo.action,
      actionLabel: TODO_ACTIONS[todo.action],
      title: todo.meeting.title,
      when: dayAndTime(todo.meeting.starts_at, now),
      place: todo.meeting.place || '',
      link: `/pages/meeting/index?id=${todo.meeting.id}`,
    }));
}

function cardsFrom(home, now = new Date()) {
  const cards = [];
  if (featuresOf(home).includes('meetings')) {
    const next = home.next_meeting;
    cards.push({
      key: 'meeting',
      title: '下次会议',
      empty: !next,
      emptyText: '近期没有会议安排',
      text: next ? `${next.title} · ${dayAndTime(next.starts_at, now)}` : '',
      link: next ? `/pages/meeting/index?id=${next.id}` : '',
    });
  }
  // Features still to come fill these in; until the server sends the figure there is no card.
  if (typeof home.unpaid_dues_fen === 'number') {
    cards.push({
      key: 'dues',
      title: '待缴党费',
      empty: !home.unpaid_dues_fen,
      emptyText: '党费已缴清',
      text: home.unpaid_dues_fen ? `${(home.unpaid_dues_fen / 100).toFixed(2)} 元` : '',
      link: '/pages/dues/index',
    });
  }
  if (typeof home.unread_newspapers === 'number') {
    cards.push({
      key: 'newspaper',
      title: '手机报',
      empty: !home.unread_newspapers,
      emptyText: '没有未读的手机报',
      text: home.unread_newspapers ? `${home.unread_newspapers} 期未读` : '',
      link: INBOX_PAGE,
    });
  }
  if (typeof home.open_quizzes === 'number') {
    cards.push({
      key: 'quiz',
      title: '学习答题',
      empty: !home.open_quizzes,
      emptyText: '暂无进行中的答题',
      text: home.open_quizzes ? `${home.open_quizzes} 个答题进行中` : '',
      link: QUIZZES_PAGE,
    });
  }
  return cards;
}

function viewOf(home, now) {
  return {
    greeting: `${home.member_name}同志，您好`,
    branch: home.branch_name,
    entries: entriesFrom(home),
    todos: todosFrom(home, now),
    cards: cardsFrom(home, now),
  };
}

function createHomePage({ api, wx, now = () => new Date() }) {
  return {
    data: { state: 'loading', stateMessage: '', stale: false, greeting: '', branch: '', entries: [], todos: [], cards: [] },

    onShow() {
      return this.refresh();
    },

    onPullDownRefresh() {
      return this.refresh().then(() => wx.stopPullDownRefresh());
    },

    onRetry() {
      this.setData({ state: 'loading' });
      return this.refresh();
    },

    onReconnect() {
      return this.refresh();
    },

    // A failed load keeps what is on screen; with nothing on screen it shows the last answer kept on the
    // phone (marked as such), and with nothing kept an error with 重新加载.
    refresh() {
      return api
        .get(HOME_PATH, { retry: false, cache: true })
        .then((home) => {
          this.setData({ ...viewOf(home, now()), state: 'ready', stale: false });
          return this.refreshBadge(home);
        })
        .catch((err) => {
          if (leadsToLogin(err)) return;
          if (this.data.state === 'ready') {
            showError(wx, err);
            return;
          }
          const kept = api.cached ? api.cached(HOME_PATH) : null;
          if (kept) this.setData({ ...viewOf(kept, now()), state: 'ready', stale: true });
          else this.setData({ state: 'error', stateMessage: err.message || '' });
        });
    },

    // The red number on the 消息 tab, where the deployment has the newspaper. A failure leaves it as it was.
    refreshBadge(home) {
      if (!featuresOf(home).includes('newspaper')) return Promise.resolve();
      return api
        .get('/api/inbox/unread', { retry: false })
        .then((answer) => showUnreadBadge(wx, answer && answer.unread))
        .catch(() => {});
    },

    onEntry(event) {
      const entry = ENTRIES.find((e) => e.key === event.currentTarget.dataset.key);
      if (!entry) return Promise.resolve();
      if (entry.key === 'scan') return this.onScan();
      open(wx, entry.url);
      return Promise.resolve();
    },

    // 扫码签到 for any meeting: the scanned link (or bare code) goes to the meeting page as `q`, the same
    // way WeChat's own scanner opens it, and that page checks in.
    onScan() {
      return new Promise((resolve) =>
        wx.scanCode({ onlyFromCamera: true, scanType: ['qrCode'], success: resolve, fail: () => resolve(null) }),
      ).then((scanned) => {
        if (!scanned) return; // the member closed the scanner
        const text = String(scanned.result || '').trim();
        const code = checkinCodeFrom(text);
        if (!meetingIdFromCode(code)) {
          const title = code ? '这是个人签到码，请扫会场的签到码' : '未识别到会议签到码，请扫会场投屏上的二维码';
          wx.showToast({ title, icon: 'none', duration: 2500 });
          return;
        }
        wx.navigateTo({ url: `/pages/meeting/index?q=${encodeURIComponent(text)}` });
      });
    },

    onTodo(event) {
      open(wx, event.currentTarget.dataset.link);
    },

    onOpen(event) {
      open(wx, event.detail.link);
    },
  };
}

module.exports = { createHomePage, cardsFrom, todosFrom, entriesFrom, dayAndTime, TAB_PAGES };
