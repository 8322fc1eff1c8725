// 学习答题: my daily practice, exams and contests, grouped by what I can do with them — 进行中 (resume),
// 可参加, 即将开始, 已完成 — each with its kind, size, time limit, attempts left, best score and pass mark as
// the server lists them. Entries to 错题本, 我的积分 and 积分榜, and 答题提醒 (one WeChat message when a
// new quiz opens) asked for straight from the tap.
//
// Starting an exam or a contest asks first (the clock does not stop once started); practice starts at
// once. The quiz-take page starts or resumes the attempt, so 继续答题 and 开始 open the same page.
const { leadsToLogin, showError } = require('../../utils/api');
const { askFor, templateIdsFor } = require('../../utils/subscribe');
const { KIND_LABELS, durationText, whenText, takeQuizUrl, WRONG_ANSWERS_PAGE, POINTS_PAGE, LEADERBOARD_PAGE } = require('../../utils/quiz');

const QUIZZES_PATH = '/api/quizzes';
const SUBSCRIPTIONS_PATH = '/api/me/subscriptions';
const PURPOSE = 'quiz_open';
const EMPTY_TEXT = '暂时没有答题。支部发布每日练习、考试或竞答后会出现在这里';

// The list's groups in the order shown; a quiz that closed unanswered sits with the finished ones.
const SECTIONS = [
  { key: 'in_progress', title: '进行中', states: ['in_progress'] },
  { key: 'open', title: '可参加', states: ['open'] },
  { key: 'upcoming', title: '即将开始', states: ['upcoming'] },
  { key: 'done', title: '已完成', states: ['done', 'closed'] },
];

const ENTRIES = [
  { key: 'wrong', label: '错题本', icon: '错', url: WRONG_ANSWERS_PAGE },
  { key: 'points', label: '我的积分', icon: '分', url: POINTS_PAGE },
  { key: 'board', label: '积分榜', icon: '榜', url: LEADERBOARD_PAGE },
];

const START_LABELS = { practice: '开始练习', exam: '开始考试', contest: '开始竞答' };

function limitText(quiz) {
  if (quiz.kind === 'contest' && quiz.per_question_s) return `每题限时 ${durationText(quiz.per_question_s)}`;
  return quiz.time_limit_s ? `限时 ${durationText(quiz.time_limit_s)}` : '不限时';
}

function whenLine(quiz, now) {
  if (quiz.state === 'upcoming') return `${whenText(quiz.opens_at, now)} 开始`;
  if (!quiz.closes_at) return quiz.state === 'closed' ? '已结束' : '长期开放';
  return quiz.state === 'done' || quiz.state === 'closed' ? `${whenText(quiz.closes_at, now)} 结束` : `${whenText(quiz.closes_at, now)} 截止`;
}

function attemptsText(quiz) {
  if (quiz.attempts_left === null || quiz.attempts_left === undefined) return '不限次数';
  return quiz.attempts_left > 0 ? `还可作答 ${quiz.attempts_left} 次` : '作答机会已用完';
}

function actionOf(quiz) {
  if (quiz.state === 'in_progress') return '继续答题';
  if (quiz.state === 'open') return START_LABELS[quiz.kind] || '开始答题';
  return '';
}

// Where a quiz that cannot be started stands, in place of a button.
const STATE_WORDS = { upcoming: '未开始', done: '已完成', closed: '已结束' };

function quizView(quiz, now) {
  const facts = [`${quiz.question_count} 题`, limitText(quiz)];
  if (quiz.pass_mark !== null && quiz.pass_mark !== undefined) facts.push(`${quiz.pass_mark} 分及格`);
  const canAttempt = quiz.state === 'open' || quiz.state === 'upcoming'; // under way: the attempt is already counted
  return {
    id: quiz.id,
    kind: quiz.kind,
    kindLabel: KIND_LABELS[quiz.kind] || '答题',
    title: quiz.title,
    state: quiz.state,
    facts: facts.join(' · '),
    when: whenLine(quiz, now),
    attempts: canAttempt ? attemptsText(quiz) : '',
    best: quiz.best_score === null || quiz.best_score === undefined ? '' : `最好成绩 ${quiz.best_score} 分`,
    action: actionOf(quiz),
    stateWord: STATE_WORDS[quiz.state] || '',
  };
}

function sectionsFrom(items, now) {
  return SECTIONS.map((section) => ({
    key: section.key,
    title: section.title,
    quizzes: items.filter((quiz) => section.states.includes(quiz.state)).map((quiz) => quizView(quiz, now)),
  })).filter((section) => section.quizzes.length);
}

// What one more tap on 开启 gives, from the server's count of messages the member allowed.
function subscribeStatus(answer) {
  const line = ((answer && answer.subscriptions) || []).find((item) => item.purpose === PURPOSE);
  if (!line) return { subscribeStatus: '', subscribed: false };
  if (line.remaining > 0) return { subscribeStatus: `已开启，还可提醒 ${line.remaining} 次`, subscribed: true };
  const status = line.refused_at ? '上次提醒未能送达，请重新开启' : '未开启：新答题只在这里显示，不发微信通知';
  return { subscribeStatus: status, subscribed: false };
}

// What the member is told before the clock starts.
function startQuestion(quiz) {
  if (quiz.kind === 'contest') {
    return {
      title: '开始竞答',
      content: `共 ${quiz.question_count} 题，${limitText(quiz)}。选定答案后不能修改，答得又对又快得分越高。`,
    };
  }
  const tries = quiz.attempts_left === null || quiz.attempts_left === undefined ? '' : `您还有 ${quiz.attempts_left} 次作答机会，`;
  const limit = quiz.time_limit_s ? `限时 ${durationText(quiz.time_limit_s)}` : '不限时';
  return {
    title: '开始考试',
    content: `共 ${quiz.question_count} 题，${limit}。${tries}开始后计时不会暂停，中途退出可回到这里继续作答。`,
  };
}

function createQuizzesPage({ api, wx, now = () => new Date() }) {
  return {
    data: {
      state: 'loading', // page-state: loading, error, empty, ready
      stateMessage: '',
      stale: false,
      sections: [],
      entries: ENTRIES,
      canSubscribe: templateIdsFor([PURPOSE]).length > 0,
      subscribeStatus: '',
      subscribed: false,
    },

    items: [],
    loaded: false,

    // Every return from a quiz shows its new state (resumed, done, best score).
    onShow() {
      const loading = this.load({ quiet: this.loaded });
      return this.loaded ? loading : Promise.all([loading, this.refreshSubscription()]);
    },

    onPullDownRefresh() {
      return this.load({ quiet: true }).then(() => wx.stopPullDownRefresh());
    },

    onRetry() {
      return this.load();
    },

    onReconnect() {
      return this.load({ quiet: this.loaded && this.data.state !== 'error' });
    },

    // On failure: with the list on screen a toast; with nothing on screen the last list kept on the phone
    // (marked stale), else the error with 重新加载.
    load({ quiet = false } = {}) {
      if (!quiet) this.setData({ state: 'loading', stateMessage: '' });
      return api
        .get(QUIZZES_PATH, { retry: false, cache: true })
        .then((body) => this.show(body, false))
        .catch((err) => {
          if (leadsToLogin(err)) return;
          if (this.loaded && this.data.state !== 'error') {
            showError(wx, err);
            return;
          }
          const kept = api.cached ? api.cached(QUIZZES_PATH) : null;
          if (kept) this.show(kept, true);
          else this.setData({ state: 'error', stateMessage: err.message || '' });
        });
    },

    show(body, stale) {
      this.loaded = true;
      this.items = (body && body.items) || [];
      const sections = sectionsFrom(this.items, now());
      this.setData({
        sections,
        stale,
        state: sections.length ? 'ready' : 'empty',
        stateMessage: sections.length ? '' : EMPTY_TEXT,
      });
    },

    onStart(event) {
      const quiz = this.items.find((item) => item.id === Number(event.currentTarget.dataset.id));
      if (!quiz || (quiz.state !== 'open' && quiz.state !== 'in_progress')) return Promise.resolve();
      if (this.data.stale) {
        wx.showToast({ title: '网络不给力，请联网后再开始答题', icon: 'none', duration: 2500 });
        return Promise.resolve();
      }
      if (quiz.state === 'in_progress' || quiz.kind === 'practice') {
        wx.navigateTo({ url: takeQuizUrl(quiz.id) });
        return Promise.resolve();
      }
      const { title, content } = startQuestion(quiz);
      return new Promise((resolve) =>
        wx.showModal({ title, content, confirmText: '开始', cancelText: '再等等', success: resolve, fail: () => resolve({ confirm: false }) }),
      ).then((answer) => {
        if (answer && answer.confirm) wx.navigateTo({ url: takeQuizUrl(quiz.id) });
      });
    },

    onEntry(event) {
      const entry = ENTRIES.find((e) => e.key === event.currentTarget.dataset.key);
      if (entry) wx.navigateTo({ url: entry.url });
    },

    // WeChat shows its dialog only when asked straight from the tap: askFor runs before anything is awaited.
    onSubscribe() {
      return askFor({ wx, api, purposes: [PURPOSE] }).then(({ accepted }) => {
        if (accepted.includes(PURPOSE)) wx.showToast({ title: '已开启提醒', icon: 'success' });
        else wx.showToast({ title: '未开启，可随时再点开启', icon: 'none' });
        return this.refreshSubscription();
      });
    },

    refreshSubscription() {
      if (!this.data.canSubscribe) return Promise.resolve();
      return api
        .get(SUBSCRIPTIONS_PATH, { retry: false })
        .then((answer) => this.setData(subscribeStatus(answer)))
        .catch(() => {}); // the button works without the line; the list says what is wrong with the network
    },
  };
}

module.exports = { createQuizzesPage, quizView, sectionsFrom, subscribeStatus, startQuestion, QUIZZES_PATH, EMPTY_TEXT };
