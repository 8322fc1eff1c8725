// My meetings: upcoming first, then past ones.
const { showError } = require('../../utils/api');
const { beijing } = require('../../utils/time');

function split(meetings, now) {
  const view = meetings.map((m) => ({ ...m, when: beijing(m.starts_at) }));
  return {
    upcoming: view.filter((m) => new Date(m.ends_at) >= now).reverse(),
    past: view.filter((m) => new Date(m.ends_at) < now),
  };
}

function createMeetingsPage({ api, wx, now = () => new Date() }) {
  return {
    data: { upcoming: [], past: [], loading: true },
    onShow() {
      return api
        .get('/api/meetings')
        .then((meetings) => this.setData({ ...split(meetings, now()), loading: false }))
        .catch((err) => {
          this.setData({ loading: false });
          showError(wx, err);
        });
    },
    open(event) {
      wx.navigateTo({ url: `/pages/meeting/index?id=${event.currentTarget.dataset.id}` });
    },
  };
}

module.exports = { createMeetingsPage, split };
