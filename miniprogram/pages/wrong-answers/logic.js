// 错题本: the questions I got wrong and have not yet got right in practice, most recently missed first, each
// with how often and when. 练习错题 starts a practice round drawn from the book (or resumes the open one);
// a question answered right there leaves the book, so coming back shows what is still to learn. The
// answers are not shown here: the book is for practising, and the right answer comes after submitting.
const { leadsToLogin, showError } = require('../../utils/api');
const { QUESTION_KIND_LABELS, optionsOf, whenText, takeAttemptUrl } = require('../../utils/quiz');

const BOOK_PATH = '/api/me/wrong-answers';
const PRACTICE_PATH = '/api/me/wrong-answers/practice';
// questions in one practice round from the book
const PRACTICE_COUNT = 10;
const EMPTY_TEXT = '错题本是空的。答错的题会记在这里，练习答对后移出';

function entryView(item, now) {
  return {
    questionId: item.question_id,
    kindLabel: QUESTION_KIND_LABELS[item.kind] || '',
    stem: item.stem,
    options: item.kind === 'true_false' ? [] : optionsOf(item.kind, item.options), // 正确 / 错误 go without saying
    timesText: `答错 ${item.times_wrong} 次`,
    lastText: `最近 ${whenText(item.last_wrong_at, now)}`,
  };
}

function createWrongAnswersPage({ api, wx, now = () => new Date() }) {
  return {
    data: {
      state: 'loading', // page-state: loading, error, empty, ready
      stateMessage: '',
      stale: false,
      total: 0,
      items: [],
      practiceLabel: '',
      starting: false,
    },

    loaded: false,

    // Back from a practice round: what was answered right has left the book.
    onShow() {
      return this.load({ quiet: this.loaded });
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

    load({ quiet = false } = {}) {
      if (!quiet) this.setData({ state: 'loading', stateMessage: '' });
      return api
        .get(BOOK_PATH, { retry: false, cache: true })
        .then((book) => this.show(book, false))
        .catch((err) => {
          if (leadsToLogin(err)) return;
          if (this.loaded && this.data.state !== 'error') {
            showError(wx, err);
            return;
          }
          const kept = api.cached ? api.cached(BOOK_PATH) : null;
          if (kept) this.show(kept, true);
          else this.setData({ state: 'error', stateMessage: err.message || '' });
        });
    },

    show(book, stale) {
      this.loaded = true;
      const items = (book.items || []).map((item) => entryView(item, now()));
      const total = book.total || items.length;
      this.setData({
        items,
        total,
        stale,
        practiceLabel: `练习错题（${Math.min(total, PRACTICE_COUNT)} 题）`,
        state: items.length ? 'ready' : 'empty',
        stateMessage: items.length ? '' : EMPTY_TEXT,
      });
    },

    onPractice() {
      if (this.data.starting || !this.data.items.length) return Promise.resolve();
      this.setData({ starting: true });
      return api
        .post(PRACTICE_PATH, { count: PRACTICE_COUNT })
        .then((attempt) => wx.navigateTo({ url: takeAttemptUrl(attempt.attempt_id) }))
        .catch((err) => showError(wx, err))
        .then(() => this.setData({ starting: false }));
    },
  };
}

module.exports = { createWrongAnswersPage, entryView, PRACTICE_COUNT, EMPTY_TEXT };
