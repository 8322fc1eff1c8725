// Taking a quiz: one question at a time, with 第 3/20 题, a countdown and the 答题卡.
//
// Opened with `quiz` (start it, or resume my open attempt: the server decides) or `attempt` (resume that
// one: a round from the 错题本, a page WeChat closed). The countdown follows the SERVER's clock: its
// deadline against its `server_now`, never the phone's own time, so a phone set wrong neither steals nor
// gives minutes.
//
// Every answer is saved as it is chosen: first into the phone's storage (utils/quiz-answers.js), then
// sent to the server one at a time; it leaves the phone only once the server confirmed it. A network
// failure keeps it waiting and tries again (backing off, at once when the network comes back, when the
// page is shown again, with the next answer), so switching apps or losing the network loses nothing.
// Coming back to the page reads the attempt again (the clock and the saved answers) and lays the
// answers still waiting on the phone over it.
//
// 交卷 asks first, and says how many questions are unanswered; it waits until every answer is saved. When
// the time is up the server closes the attempt: the page stops taking answers, gives those on their way
// a moment to land, asks the server to close it, and shows the result.
//
// Contests (竞答): each question has its own time (the server's `deadline_at` for it, then the time the
// server saved my answer plus `per_question_s`); an answer is final once chosen (a multiple-choice one
// once confirmed) and carries the milliseconds it took; the next question follows at once; the last one
// answered or timed out submits.
const { leadsToLogin, showError } = require('../../utils/api');
const { createPendingAnswers } = require('../../utils/quiz-answers');
const {
  KIND_LABELS,
  QUESTION_KIND_LABELS,
  optionsOf,
  isAnswered,
  clockText,
  createServerClock,
  resultUrl,
  idFrom,
  backToList,
} = require('../../utils/quiz');

const TICK_MS = 1000;
// Trying a waiting answer again: soon at first, then every half minute.
const RETRY_DELAYS_MS = [2000, 5000, 10000, 20000];
const RETRY_MAX_MS = 30000;
// When the time is up, answers already on their way get this long to land before the attempt is closed.
const TIME_UP_GRACE_MS = 1500;
// The countdown turns orange, then red; the member is told once when five minutes are left.
const SOON_MS = 5 * 60 * 1000;
const LAST_MS = 60 * 1000;
const CONTEST_LAST_MS = 5000;
// An untimed practice still has the server's deadline (its quiz may close): shown only once this near.
const UNTIMED_SHOWN_WITHIN_MS = 60 * 60 * 1000;

const startPath = (quizId) => `/api/quizzes/${quizId}/attempts`;
const attemptPath = (id) => `/api/attempts/${id}`;
const itemPath = (id, position) => `/api/attempts/${id}/items/${position}`;
const submitPath = (id) => `/api/attempts/${id}/submit`;

const LEAVE_WARNING = '还没有交卷。离开后计时不会暂停，可从答题列表继续作答。';

const isNetwork = (err) => Boolean(err) && (err.code === 'network_error' || err.status >= 500);

function itemFrom(item, pending) {
  const waiting = pending.get(item.position);
  return {
    position: item.position,
    questionId: item.question_id,
    kind: item.kind,
    stem: item.stem,
    options: item.options || [],
    // an answer still on the phone is newer than what the server has
    given: waiting ? waiting.given : item.given || null,
    draft: null, // a contest's multiple choice, before 确定
    deadlineMs: item.deadline_at ? Date.parse(item.deadline_at) : null,
    missed: false,
  };
}

function questionView(item, contest) {
  const chosen = (contest && item.draft) || item.given || [];
  const locked = contest && isAnswered(item.given);
  return {
    position: item.position,
    kindLabel: QUESTION_KIND_LABELS[item.kind] || '',
    stem: item.stem,
    multiple: item.kind === 'multiple',
    locked,
    options: optionsOf(item.kind, item.options).map((option) => ({ ...option, chosen: chosen.includes(option.index) })),
  };
}

function createQuizTakePage({ api, wx, timers = { setTimeout, clearTimeout }, now = () => Date.now() }) {
  return {
    data: {
      state: 'loading', // page-state: loading, error (with 重新加载), refused (the server's reason), ready
      stateMessage: '',
      phase: 'answering', // answering, submitting, timeup
      title: '',
      kindLabel: '',
      contest: false,
      clockShown: false,
      clockText: '',
      clockLevel: '', // '', soon, last
      questionClockText: '',
      questionClockLevel: '',
      index: 0,
      total: 0,
      progressText: '',
      progressPercent: 0,
      question: null,
      isFirst: true,
      isLast: false,
      answeredCount: 0,
      sheet: [],
      sheetOpen: false,
      saveText: '',
      saveLevel: '', // '', ok, saving, offline
      timeupTitle: '',
      timeupText: '',
      timeupFailed: false,
    },

    quizId: null,
    attemptId: null,
    items: [],
    pending: null,
    clock: null,
    deadlineMs: 0,
    perQuestionMs: 0,
    limitShown: false,
    contest: false,
    tickTimer: null,
    retryTimer: null,
    retryAttempt: 0,
    flushing: null,
    over: false,
    hiddenAt: null,
    shownAt: 0,
    warned: false,
    savedOnce: false,
    lost: 0,
    closing: null,

    onLoad(options = {}) {
      this.clock = createServerClock(now);
      this.quizId = idFrom(options.quiz);
      this.attemptId = idFrom(options.attempt);
      if (!this.quizId && !this.attemptId) {
        this.setData({ state: 'refused', stateMessage: '没有找到这份答卷' });
        return Promise.resolve();
      }
      return this.load();
    },

    onShow() {
      if (this.hiddenAt === null || this.over) return Promise.resolve();
      this.hiddenAt = null;
      return this.resync();
    },

    onHide() {
      this.hiddenAt = now();
      this.stopTicking();
    },

    onUnload() {
      this.stopTicking();
      this.stopRetrying();
      this.allowLeaving();
    },

    onRetry() {
      return this.load();
    },

    // The network is back: what waits on the phone goes at once, and the clock is read again.
    onReconnect() {
      if (this.over) return Promise.resolve();
      if (this.data.state !== 'ready') return this.load();
      this.stopRetrying();
      this.retryAttempt = 0;
      return this.resync();
    },

    // Start (or resume) the quiz, or read the attempt: the paper, my saved answers and the server's clock.
    load() {
      this.setData({ state: 'loading', stateMessage: '' });
      const request = this.attemptId
        ? api.get(attemptPath(this.attemptId), { retry: false })
        : api.post(startPath(this.quizId), {}, { retry: false });
      return request
        .then((attempt) => this.show(attempt))
        .catch((err) => {
          if (leadsToLogin(err)) return;
          if (isNetwork(err)) this.setData({ state: 'error', stateMessage: err.message || '' });
          else this.setData({ state: 'refused', stateMessage: err.message || '暂时不能作答' });
        });
    },

    // The attempt read again after the page was hidden or the network came back. A failure keeps what
    // is on screen: the answers wait on the phone and the clock runs on the last reading.
    resync() {
      if (!this.attemptId) return this.load();
      return api
        .get(attemptPath(this.attemptId), { retry: false })
        .then((attempt) => this.show(attempt))
        .catch((err) => {
          if (leadsToLogin(err) || this.over) return undefined;
          this.startTicking();
          return this.flush();
        });
    },

    show(attempt) {
      if (this.over) return Promise.resolve();
      this.attemptId = attempt.attempt_id;
      if (!this.pending) this.pending = createPendingAnswers(wx, this.attemptId);
      if (attempt.status === 'submitted') {
        this.pending.clear();
        return this.toResult();
      }
      this.clock.sync(attempt.server_now);
      this.deadlineMs = Date.parse(attempt.deadline_at);
      this.contest = attempt.kind === 'contest';
      this.perQuestionMs = (attempt.per_question_s || 0) * 1000;
      this.limitShown = this.contest || Boolean(attempt.time_limit_s);
      const firstShow = !this.items.length;
      const drafts = new Map(this.items.map((item) => [item.position, item.draft]));
      this.items = (attempt.items || []).map((item) => ({ ...itemFrom(item, this.pending), draft: drafts.get(item.position) || null }));
      this.setData({
        state: 'ready',
        stateMessage: '',
        title: attempt.title || '',
        kindLabel: KIND_LABELS[attempt.kind] || '答题',
        contest: this.contest,
        total: this.items.length,
      });
      if (this.deadlineMs <= this.clock.now()) {
        this.timeUp(); // closes it after a moment's grace; the page does not wait for that
        return Promise.resolve();
      }
      if (firstShow && typeof wx.enableAlertBeforeUnload === 'function') wx.enableAlertBeforeUnload({ message: LEAVE_WARNING });
      if (this.contest) {
        const next = this.nextContestIndex(-1);
        if (next < 0) return this.finishContest();
        if (this.items[next].deadlineMs === null) this.items[next].deadlineMs = this.contestDeadline(this.clock.now());
        this.goTo(next);
      } else {
        const unanswered = this.items.findIndex((item) => !isAnswered(item.given));
        this.goTo(firstShow ? Math.max(unanswered, 0) : Math.min(this.data.index, this.items.length - 1));
      }
      this.startTicking();
      return this.flush();
    },

    // ---- the question on screen ----

    goTo(index) {
      if (!(index >= 0 && index < this.items.length)) return;
      const item = this.items[index];
      if (this.contest && (index !== this.data.index || this.shownAt === 0)) this.shownAt = now();
      this.setData({
        ...this.questionClock(item),
        index,
        question: questionView(item, this.contest),
        progressText: `第 ${index + 1}/${this.items.length} 题`,
        progressPercent: Math.round(((index + 1) / this.items.length) * 100),
        isFirst: index === 0,
        isLast: index === this.items.length - 1,
        sheetOpen: false,
      });
      this.refreshSheet();
    },

    refreshSheet() {
      const sheet = this.items.map((item, i) => ({
        position: item.position,
        number: i + 1,
        answered: isAnswered(item.given),
        current: i === this.data.index,
      }));
      this.setData({ sheet, answeredCount: sheet.filter((cell) => cell.answered).length });
    },

    refreshQuestion() {
      const item = this.items[this.data.index];
      if (item) this.setData({ question: questionView(item, this.contest) });
      this.refreshSheet();
    },

    // A contest goes forward only, one question after another: no moving about in it.
    onPrev() {
      if (!this.contest) this.goTo(this.data.index - 1);
    },

    onNext() {
      if (!this.contest) this.goTo(this.data.index + 1);
    },

    onToggleSheet() {
      if (!this.contest) this.setData({ sheetOpen: !this.data.sheetOpen });
    },

    onJump(event) {
      if (!this.contest) this.goTo(Number(event.currentTarget.dataset.index));
    },

    // ---- answering ----

    canAnswer() {
      return this.data.state === 'ready' && this.data.phase === 'answering' && !this.over;
    },

    onChoose(event) {
      if (!this.canAnswer()) return Promise.resolve();
      const item = this.items[this.data.index];
      const option = Number(event.currentTarget.dataset.index);
      if (!item || !(option >= 0)) return Promise.resolve();
      if (this.contest) return this.chooseInContest(item, option);
      let given;
      if (item.kind === 'multiple') {
        const current = item.given || [];
        given = current.includes(option) ? current.filter((i) => i !== option) : current.concat(option).sort((a, b) => a - b);
      } else {
        if (item.given && item.given.length === 1 && item.given[0] === option) return Promise.resolve();
        given = [option];
      }
      return this.answer(item, given);
    },

    answer(item, given, msTaken = null) {
      Object.assign(item, { given });
      this.pending.put(item.position, given, { questionId: item.questionId, msTaken });
      this.refreshQuestion();
      return this.flush();
    },

    // A contest answer is final: a single or true/false choice at the tap, a multiple one at 确定.
    chooseInContest(item, option) {
      if (isAnswered(item.given)) return Promise.resolve();
      if (item.kind === 'multiple') {
        const draft = item.draft || [];
        item.draft = draft.includes(option) ? draft.filter((i) => i !== option) : draft.concat(option).sort((a, b) => a - b);
        this.refreshQuestion();
        return Promise.resolve();
      }
      return this.answerInContest(item, [option]);
    },

    onConfirmChoice() {
      if (!this.canAnswer() || !this.contest) return Promise.resolve();
      const item = this.items[this.data.index];
      if (!item || isAnswered(item.given)) return Promise.resolve();
      if (!item.draft || !item.draft.length) {
        wx.showToast({ title: '请先选择答案', icon: 'none' });
        return Promise.resolve();
      }
      return this.answerInContest(item, item.draft);
    },

    // The next question opens at once, with its own time counted on the server's clock from now.
    answerInContest(item, given) {
      const saving = this.answer(item, given, Math.max(0, now() - this.shownAt));
      const index = this.items.indexOf(item);
      const next = this.nextContestIndex(index);
      if (next >= 0) {
        this.items[next].deadlineMs = this.contestDeadline(this.clock.now());
        this.goTo(next);
        return saving;
      }
      return saving.then(() => this.finishContest());
    },

    // The question after `index` still to answer; -1 when none is left. Reading the paper (`index` -1),
    // a question whose own time has passed on the server's clock was missed.
    nextContestIndex(index) {
      const at = this.clock.now();
      for (let i = index + 1; i < this.items.length; i += 1) {
        const item = this.items[i];
        if (isAnswered(item.given) || item.missed) continue;
        if (index < 0 && item.deadlineMs !== null && item.deadlineMs <= at) {
          item.missed = true;
          continue;
        }
        return i;
      }
      return -1;
    },

    contestDeadline(opensAt) {
      const closes = opensAt + this.perQuestionMs;
      return Math.min(closes, this.deadlineMs);
    },

    // A contest question's time ran out unanswered: the next opens where the server opens it, at its close.
    questionTimeUp(item) {
      item.missed = true;
      const index = this.items.indexOf(item);
      const next = this.nextContestIndex(index);
      if (next < 0) return this.finishContest();
      this.items[next].deadlineMs = this.contestDeadline(item.deadlineMs || this.clock.now());
      wx.showToast({ title: '本题时间到', icon: 'none' });
      this.goTo(next);
      return Promise.resolve();
    },

    // ---- saving: one answer at a time, the oldest position first ----

    flush() {
      if (this.flushing) return this.flushing;
      if (!this.pending || !this.pending.count() || this.over) {
        this.showSaveStatus();
        return Promise.resolve();
      }
      this.flushing = Promise.resolve().then(() => this.drain());
      return this.flushing;
    },

    async drain() {
      try {
        for (;;) {
          const entry = this.over ? null : this.pending.first();
          if (!entry) break;
          this.setData({ saveText: '正在保存…', saveLevel: 'saving' });
          const outcome = await this.save(entry);
          if (outcome === 'stop') break;
        }
      } finally {
        this.flushing = null; // at once after the last look at what waits: nothing is left behind
        this.showSaveStatus();
      }
    },

    save(entry) {
      const body = { given: entry.given, question_id: entry.question_id };
      if (entry.ms_taken !== null && entry.ms_taken !== undefined) body.ms_taken = entry.ms_taken;
      return api
        .put(itemPath(this.attemptId, entry.position), body, { retry: false })
        .then((saved) => {
          this.pending.confirm(entry);
          this.savedOnce = true;
          this.retryAttempt = 0;
          this.saved(entry, saved);
          return 'next';
        })
        .catch((err) => {
          if (leadsToLogin(err)) return 'stop';
          if (isNetwork(err)) {
            this.scheduleRetry();
            return 'stop';
          }
          this.pending.drop(entry.position); // refused: it would never be accepted
          return this.refused(err);
        });
    },

    // In a contest the next question's time counts from when the server saved this answer.
    saved(entry, answer) {
      if (!this.contest || !answer || !answer.answered_at) return;
      const index = this.items.findIndex((item) => item.position === entry.position);
      const next = this.items[index + 1];
      const savedAt = Date.parse(answer.answered_at);
      if (next && !isAnswered(next.given) && !next.missed && !Number.isNaN(savedAt)) {
        next.deadlineMs = this.contestDeadline(savedAt);
      }
    },

    // The server would not take an answer. Over (time up, or submitted elsewhere): the result. Otherwise
    // its reason, and the attempt read again so the screen shows what the server holds.
    refused(err) {
      if (err.code === 'attempt_submitted') {
        this.pending.clear();
        this.toResult();
        return 'stop';
      }
      if (err.code === 'attempt_time_up') {
        this.timeUp();
        return 'stop';
      }
      showError(wx, err);
      this.resync();
      return 'next';
    },

    scheduleRetry() {
      if (this.retryTimer !== null || this.over) return;
      const delay = this.retryAttempt < RETRY_DELAYS_MS.length ? RETRY_DELAYS_MS[this.retryAttempt] : RETRY_MAX_MS;
      this.retryAttempt += 1;
      this.retryTimer = timers.setTimeout(() => {
        this.retryTimer = null;
        this.flush();
      }, delay);
    },

    stopRetrying() {
      if (this.retryTimer !== null) timers.clearTimeout(this.retryTimer);
      this.retryTimer = null;
    },

    showSaveStatus() {
      const waiting = this.pending ? this.pending.count() : 0;
      if (this.over) this.setData({ saveText: '', saveLevel: '' });
      else if (!waiting) this.setData({ saveText: this.savedOnce ? '答案已自动保存' : '', saveLevel: this.savedOnce ? 'ok' : '' });
      else if (this.retryTimer !== null) this.setData({ saveText: `${waiting} 题答案暂存在手机上，联网后自动保存`, saveLevel: 'offline' });
      else this.setData({ saveText: '正在保存…', saveLevel: 'saving' });
    },

    // ---- the clock ----

    startTicking() {
      this.stopTicking();
      if (!this.over && this.data.state === 'ready') this.tick();
    },

    stopTicking() {
      if (this.tickTimer !== null) timers.clearTimeout(this.tickTimer);
      this.tickTimer = null;
    },

    // Once a second (when the shown second changes), on the server's clock: the attempt's countdown, and
    // in a contest the question's own.
    tick() {
      this.tickTimer = null;
      if (this.over) return;
      const at = this.clock.now();
      const left = this.deadlineMs - at;
      if (left <= 0) {
        this.timeUp();
        return;
      }
      let wait = left;
      const item = this.items[this.data.index];
      if (this.contest && this.data.phase === 'answering' && item && !isAnswered(item.given) && item.deadlineMs !== null) {
        if (item.deadlineMs <= at) {
          this.questionTimeUp(item);
          this.tick();
          return;
        }
        this.setData(this.questionClock(item));
        wait = Math.min(wait, item.deadlineMs - at);
      }
      const shown = !this.contest && (this.limitShown || left <= UNTIMED_SHOWN_WITHIN_MS);
      this.setData({
        clockShown: shown,
        clockText: clockText(left),
        clockLevel: left <= LAST_MS ? 'last' : left <= SOON_MS ? 'soon' : '',
      });
      if (shown && !this.warned && left <= SOON_MS) {
        this.warned = true;
        if (left > LAST_MS) wx.showToast({ title: '还剩不到 5 分钟，请抓紧作答', icon: 'none', duration: 2500 });
      }
      this.tickTimer = timers.setTimeout(() => this.tick(), ((wait - 1) % TICK_MS) + 1);
    },

    questionClock(item) {
      if (!this.contest || !item || item.deadlineMs === null || isAnswered(item.given)) return { questionClockText: '', questionClockLevel: '' };
      const left = Math.max(0, item.deadlineMs - this.clock.now());
      return { questionClockText: `${Math.ceil(left / 1000)} 秒`, questionClockLevel: left <= CONTEST_LAST_MS ? 'last' : '' };
    },

    // ---- the end ----

    onSubmit() {
      if (!this.canAnswer()) return Promise.resolve();
      const unanswered = this.items.filter((item) => !isAnswered(item.given)).length;
      const question = unanswered
        ? { title: `还有 ${unanswered} 题未作答`, content: '未作答的题不得分，确定交卷吗？', confirmText: '交卷', cancelText: '继续作答' }
        : { title: '确定交卷？', content: '交卷后不能再修改答案。', confirmText: '交卷', cancelText: '再检查' };
      return new Promise((resolve) =>
        wx.showModal({ ...question, success: resolve, fail: () => resolve({ confirm: false }) }),
      ).then((answer) => (answer && answer.confirm ? this.submit() : undefined));
    },

    // Every answer saved first: an answer still on the phone would be lost by submitting now.
    submit() {
      if (!this.canAnswer()) return Promise.resolve();
      this.setData({ phase: 'submitting', sheetOpen: false });
      return this.flush().then(() => {
        if (this.over) return undefined;
        const waiting = this.pending.count();
        if (waiting) {
          this.setData({ phase: 'answering' });
          wx.showModal({
            title: '答案还没有保存',
            content: `有 ${waiting} 题的答案还在手机上，没有保存到服务器。联网后会自动保存，请稍后再交卷。`,
            showCancel: false,
            confirmText: '知道了',
            success: () => {},
          });
          return undefined;
        }
        return api
          .post(submitPath(this.attemptId), {})
          .then(() => {
            this.pending.clear();
            this.toResult();
          })
          .catch((err) => {
            if (leadsToLogin(err) || this.over) return;
            this.setData({ phase: 'answering' });
            if (err.code === 'attempt_time_up') this.timeUp();
            else showError(wx, err);
          });
      });
    },

    finishContest() {
      if (this.over) return Promise.resolve();
      this.setData({ phase: 'submitting' });
      return this.flush().then(() => this.closeAttempt());
    },

    // The time is up: no more answers; those on their way get a moment to land, then the server closes the
    // attempt with what it saved in time, and the result is shown.
    timeUp() {
      if (this.over) return Promise.resolve();
      this.over = true;
      this.stopTicking();
      this.stopRetrying();
      this.allowLeaving();
      this.setData({
        phase: 'timeup',
        clockText: '0:00',
        clockLevel: 'last',
        questionClockText: '',
        sheetOpen: false,
        timeupTitle: '时间到',
        timeupText: '正在交卷，请稍候…',
        timeupFailed: false,
      });
      const landed = this.flushing || Promise.resolve();
      const grace = new Promise((resolve) => timers.setTimeout(resolve, TIME_UP_GRACE_MS));
      return Promise.all([landed, grace]).then(() => {
        this.lost = this.pending ? this.pending.count() : 0;
        if (this.pending) this.pending.clear();
        return this.closeAttempt();
      });
    },

    closeAttempt() {
      if (this.closing) return this.closing;
      this.over = true;
      this.stopTicking();
      this.stopRetrying();
      this.closing = api
        .post(submitPath(this.attemptId), {}, { retry: false })
        .then(() => this.toResult())
        .catch((err) => {
          if (leadsToLogin(err)) return;
          if (err.code === 'attempt_submitted') {
            this.toResult();
            return;
          }
          const lostText = this.lost ? `有 ${this.lost} 题的答案因网络原因未能在截止前保存。` : '';
          this.setData({
            phase: 'timeup',
            timeupTitle: this.data.phase === 'timeup' ? '时间到' : '答题已结束',
            timeupFailed: true,
            timeupText: `作答已结束，系统会按截止时间收取答卷，截止前保存的答案都会计分。${lostText}联网后可查看成绩。`,
          });
        });
      return this.closing;
    },

    onShowResult() {
      this.toResult();
    },

    onBack() {
      backToList(wx);
    },

    toResult() {
      this.over = true;
      this.stopTicking();
      this.stopRetrying();
      this.allowLeaving();
      wx.redirectTo({ url: resultUrl(this.attemptId, this.lost) });
      return Promise.resolve();
    },

    allowLeaving() {
      if (typeof wx.disableAlertBeforeUnload === 'function') wx.disableAlertBeforeUnload();
    },
  };
}

module.exports = { createQuizTakePage, questionView, TICK_MS, TIME_UP_GRACE_MS, RETRY_DELAYS_MS, LEAVE_WARNING };
