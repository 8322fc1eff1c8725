// 成绩: my score, passed or not, how many right, the points it earned; and, once the quiz's rule allows,
// each question with my answer, the right one and the explanation. Until then a plain note says when
// they will be shown (the quiz's close, from the quiz list kept on the phone when it is there).
//
// Opened with `attempt` (and `lost`: answers the quiz-take page could not save before the time was up).
const { leadsToLogin } = require('../../utils/api');
const {
  KIND_LABELS,
  QUESTION_KIND_LABELS,
  optionsOf,
  choiceText,
  whenText,
  idFrom,
  backToList,
  takeAttemptUrl,
  WRONG_ANSWERS_PAGE,
  LEADERBOARD_PAGE,
} = require('../../utils/quiz');
const { beijing } = require('../../utils/time');

const resultPath = (id) => `/api/attempts/${id}/result`;
const QUIZZES_PATH = '/api/quizzes';

// What an option was for me: the key, chosen or missed (a multiple choice I answered only in part), or
// my wrong choice.
function tagOf(key, mine, missedPart) {
  if (key && mine) return '正确答案（已选）';
  if (key) return missedPart ? '正确答案（漏选）' : '正确答案';
  return mine ? '您的选择' : '';
}

function itemView(item) {
  const given = item.given || [];
  const answer = item.answer || [];
  const answeredInPart = item.kind === 'multiple' && given.length > 0;
  return {
    position: item.position,
    kindLabel: QUESTION_KIND_LABELS[item.kind] || '',
    stem: item.stem,
    correct: Boolean(item.correct),
    options: optionsOf(item.kind, item.options).map((option) => {
      const key = answer.includes(option.index);
      const mine = given.includes(option.index);
      return { ...option, key, mine, wrong: mine && !key, missed: key && !mine && answeredInPart, tag: tagOf(key, mine, answeredInPart) };
    }),
    givenText: choiceText(item.kind, given) || '未作答',
    answerText: choiceText(item.kind, answer),
    explanation: item.explanation || '',
  };
}

function passOf(passed) {
  if (passed === true) return { passText: '通过', passLevel: 'ok' };
  if (passed === false) return { passText: '未通过', passLevel: 'fail' };
  return { passText: '', passLevel: '' };
}

// When the answers will be shown: the quiz's close if the list kept on the phone knows it.
function revealNote(result, cachedList, now) {
  const quiz = ((cachedList && cachedList.items) || []).find((item) => item.id === result.quiz_id);
  if (quiz && quiz.closes_at) return `将于 ${whenText(quiz.closes_at, now)} 答题结束后公布`;
  return '将于答题结束后公布';
}

function resultView(result, cachedList, now) {
  const items = result.reveal ? (result.items || []).map(itemView) : [];
  const wrong = Math.max(0, (result.total || 0) - (result.correct || 0));
  return {
    title: result.title || '',
    kind: result.kind,
    kindLabel: KIND_LABELS[result.kind] || '答题',
    scoreText: String(result.score),
    ...passOf(result.passed),
    correctText: `答对 ${result.correct}/${result.total} 题`,
    pointsText: result.points_awarded > 0 ? `+${result.points_awarded}` : '0',
    pointsLabel: result.points_awarded > 0 ? '学习积分' : '本次未获得积分',
    pointsEarned: result.points_awarded > 0,
    timedOut: result.closed_by === 'timeout',
    submittedText: beijing(result.submitted_at),
    revealed: Boolean(result.reveal),
    revealNote: result.reveal ? '' : revealNote(result, cachedList, now),
    items,
    wrongCount: wrong,
  };
}

function createQuizResultPage({ api, wx, now = () => new Date() }) {
  return {
    data: {
      state: 'loading', // page-state: loading, error (with 重新加载), refused (the server's reason), ready
      stateMessage: '',
      stillOpen: false, // not yet submitted: 继续作答 instead
      result: null,
      lostText: '',
      onlyWrong: false,
      shownItems: [],
    },

    attemptId: null,

    onLoad(options = {}) {
      this.attemptId = idFrom(options.attempt);
      const lost = Number(options.lost) || 0;
      this.setData({ lostText: lost > 0 ? `有 ${lost} 题的答案因网络原因未能在截止前保存，未计入成绩` : '' });
      if (!this.attemptId) {
        this.setData({ state: 'refused', stateMessage: '没有找到这份答卷' });
        return Promise.resolve();
      }
      return this.load();
    },

    onRetry() {
      return this.load();
    },

    onReconnect() {
      return this.data.state === 'ready' ? Promise.resolve() : this.load();
    },

    load() {
      this.setData({ state: 'loading', stateMessage: '', stillOpen: false });
      return api
        .get(resultPath(this.attemptId), { retry: false })
        .then((result) => {
          const cachedList = api.cached ? api.cached(QUIZZES_PATH) : null;
          const view = resultView(result, cachedList, now());
          this.setData({ state: 'ready', result: view, onlyWrong: false, shownItems: view.items });
        })
        .catch((err) => {
          if (leadsToLogin(err)) return;
          if (err.code === 'network_error' || err.status >= 500) this.setData({ state: 'error', stateMessage: err.message || '' });
          else this.setData({ state: 'refused', stateMessage: err.message || '暂时不能查看成绩', stillOpen: err.code === 'attempt_open' });
        });
    },

    onToggleWrong() {
      const onlyWrong = !this.data.onlyWrong;
      const items = this.data.result.items;
      this.setData({ onlyWrong, shownItems: onlyWrong ? items.filter((item) => !item.correct) : items });
    },

    onContinue() {
      wx.redirectTo({ url: takeAttemptUrl(this.attemptId) });
    },

    onBack() {
      backToList(wx);
    },

    onWrongBook() {
      wx.navigateTo({ url: WRONG_ANSWERS_PAGE });
    },

    onLeaderboard() {
      wx.navigateTo({ url: LEADERBOARD_PAGE });
    },
  };
}

module.exports = { createQuizResultPage, resultView, itemView, revealNote };
