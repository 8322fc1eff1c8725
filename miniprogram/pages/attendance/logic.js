// 我的出勤: the meetings of my branch or party group that have ended in a year, how I attended each,
// and my attendance rate, counted as the branch's 出勤率 report counts them (present or late).
// States: loading, error with 重新加载, empty (a year without ended meetings: the year can still be
// changed), the list; pull down to refresh.
const { leadsToLogin } = require('../../utils/api');
const { beijing, beijingParts } = require('../../utils/time');

const YEARS_SHOWN = 5;

function yearsUpTo(current) {
  return Array.from({ length: YEARS_SHOWN }, (_, i) => current - i);
}

function percent(rate) {
  return rate === null || rate === undefined ? '—' : `${Math.round(rate * 100)}%`;
}

function summaryFrom(body) {
  return {
    rateText: percent(body.rate),
    countsText: body.expected ? `应参会 ${body.expected} 次，实到 ${body.attended} 次` : '这一年还没有已结束的会议',
    tiles: [
      { key: 'present', label: '已到', value: body.present },
      { key: 'late', label: '迟到', value: body.late },
      { key: 'leave', label: '请假', value: body.leave },
      { key: 'absent', label: '缺席', value: body.absent },
    ],
    meetings: body.meetings.map((m) => ({ ...m, when: beijing(m.starts_at) })),
  };
}

function createAttendancePage({ api, wx, now = () => new Date() }) {
  return {
    data: {
      years: [],
      yearLabels: [],
      yearIndex: 0,
      state: 'loading',
      stateMessage: '',
      rateText: '',
      countsText: '',
      tiles: [],
      meetings: [],
    },

    onLoad() {
      const years = yearsUpTo(Number(beijingParts(now()).day.slice(0, 4)));
      this.setData({ years, yearLabels: years.map((y) => `${y}年`), yearIndex: 0 });
      return this.load();
    },

    load({ quiet = false } = {}) {
      const year = this.data.years[this.data.yearIndex];
      if (!quiet) this.setData({ state: 'loading' });
      return api
        .get(`/api/me/attendance?year=${year}`, { retry: false })
        .then((body) => {
          const summary = summaryFrom(body);
          const empty = !summary.meetings.length;
          this.setData({ ...summary, state: empty ? 'empty' : 'ready', stateMessage: empty ? `${year}年还没有已结束的会议` : '' });
        })
        .catch((err) => {
          if (!leadsToLogin(err)) this.setData({ state: 'error', stateMessage: err.message || '' });
        });
    },

    onRetry() {
      return this.load();
    },

    onReconnect() {
      return this.load({ quiet: true });
    },

    onPullDownRefresh() {
      return this.load({ quiet: true }).then(() => wx.stopPullDownRefresh());
    },

    onYearChange(event) {
      this.setData({ yearIndex: Number(event.detail.value) });
      return this.load();
    },

    open(event) {
      wx.navigateTo({ url: `/pages/meeting/index?id=${event.currentTarget.dataset.id}` });
    },
  };
}

module.exports = { createAttendancePage, summaryFrom, percent, yearsUpTo };
