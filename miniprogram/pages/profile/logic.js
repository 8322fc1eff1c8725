// My profile: the member's own record (ID-card number masked by the server), which reminders they will
// receive (消息提醒, with a tap to allow one more), my attendance, my quizzes and points where the
// deployment has them, log out, unbind.
const { showError } = require('../../utils/api');
const { askFor } = require('../../utils/subscribe');
const { QUIZZES_PAGE, POINTS_PAGE } = require('../../utils/quiz');

const SUBSCRIPTIONS = '/api/me/subscriptions';
const HOME_PATH = '/api/home';

// 学习答题 and 我的积分 are offered where the server lists the `study` feature: its home answer, kept on
// the phone by the home page (the first tab, always opened first), says so without asking again.
function studyOffered(api) {
  const home = typeof api.cached === 'function' ? api.cached(HOME_PATH) : null;
  return Boolean(home && Array.isArray(home.features) && home.features.includes('study'));
}

function rowsFrom(member) {
  return [
    ['姓名', member.name],
    ['性别', member.gender],
    ['所在支部', member.branch ? member.branch.name : ''],
    ['党小组', member.group ? member.group.name : '—'],
    ['党员状态', member.status_label],
    ['入党日期', member.join_date || '—'],
    ['转正日期', member.full_member_date || '—'],
    ['手机号', member.phone || '—'],
    ['身份证号', member.id_card || '—'],
    ['党费类别', member.dues_category_label],
    ['月缴费基数', `${(member.dues_base_fen / 100).toFixed(2)} 元`],
  ].map(([label, value]) => ({ label, value }));
}

// One line per kind of reminder the deployment sends: "还可提醒 N 次" or "未开启", and what a tap does.
function remindersFrom(answer) {
  return ((answer && answer.subscriptions) || []).map((item) => {
    const on = item.remaining > 0;
    const action = on ? '再订阅' : '开启';
    return {
      purpose: item.purpose,
      title: item.title,
      status: item.status_label,
      // WeChat refused a reminder for want of consent (turned off in WeChat, or used up): say why it is off
      note: !on && item.refused_at ? '上次提醒未能送达，请重新开启' : '',
      on,
      action,
      actionLabel: `${action}${item.title}`,
    };
  });
}

function createProfilePage({ api, wx }) {
  return {
    data: { state: 'loading', stateMessage: '', rows: [], reminders: [], study: false },

    onShow() {
      return this.load();
    },

    onRetry() {
      this.setData({ state: 'loading', stateMessage: '' });
      return this.load();
    },

    // Both at once; the list does not ask to retry on a bad network, so the member sees one question at most.
    load() {
      return Promise.all([api.get('/api/me'), api.get(SUBSCRIPTIONS, { retry: false })])
        .then(([member, subscriptions]) =>
          this.setData({
            state: 'ready',
            stateMessage: '',
            rows: rowsFrom(member),
            reminders: remindersFrom(subscriptions),
            study: studyOffered(api),
          }),
        )
        .catch((err) => {
          if (err.code === 'not_bound') return; // the client is taking the member to bind
          this.setData({ state: 'error', stateMessage: err.message || '' });
        });
    },

    // WeChat shows its dialog only when asked straight from the tap: askFor runs before anything is awaited.
    onSubscribe(event) {
      const { purpose } = event.currentTarget.dataset;
      return askFor({ wx, api, purposes: [purpose] }).then(({ accepted }) => {
        if (accepted.includes(purpose)) wx.showToast({ title: '已开启提醒', icon: 'success' });
        else wx.showToast({ title: '未开启，可随时再点开启', icon: 'none' });
        return this.refreshReminders();
      });
    },

    refreshReminders() {
      return api
        .get(SUBSCRIPTIONS, { retry: false })
        .then((subscriptions) => this.setData({ reminders: remindersFrom(subscriptions) }))
        .catch((err) => {
          if (err.code !== 'not_bound') showError(wx, err);
        });
    },

    openAttendance() {
      wx.navigateTo({ url: '/pages/attendance/index' });
    },

    openLetters() {
      wx.navigateTo({ url: '/pages/letters/index' });
    },

    openBoard() {
      wx.navigateTo({ url: '/pages/board/index' });
    },

    openQuizzes() {
      wx.navigateTo({ url: QUIZZES_PAGE });
    },

    openPoints() {
      wx.navigateTo({ url: POINTS_PAGE });
    },

    onLogout() {
      return api
        .logout()
        .then(() => wx.reLaunch({ url: '/pages/login/index' }))
        .catch((err) => showError(wx, err));
    },

    onUnbind() {
      return new Promise((resolve) =>
        wx.showModal({
          title: '解除绑定',
          content: '解除后这个微信将不再关联您的党员身份，需要重新绑定才能使用。确定吗？',
          confirmText: '解除',
          success: resolve,
          fail: () => resolve({ confirm: false }),
        }),
      ).then((answer) => {
        if (!answer.confirm) return undefined;
        return api
          .unbind()
          .then(() => wx.reLaunch({ url: '/pages/login/index' }))
          .catch((err) => showError(wx, err));
      });
    },
  };
}

module.exports = { createProfilePage, rowsFrom, remindersFrom, studyOffered };
