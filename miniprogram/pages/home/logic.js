// Home: what needs the member's attention now. Each feature fills its card as it arrives.
const { showError } = require('../../utils/api');
const { beijing } = require('../../utils/time');

function cardsFrom(home) {
  return [
    {
      key: 'meeting',
      title: '下次会议',
      empty: !home.next_meeting,
      emptyText: '近期没有会议安排',
      text: home.next_meeting ? `${home.next_meeting.title} · ${beijing(home.next_meeting.starts_at)}` : '',
      link: home.next_meeting ? `/pages/meeting/index?id=${home.next_meeting.id}` : '',
    },
    {
      key: 'dues',
      title: '待缴党费',
      empty: !home.unpaid_dues_fen,
      emptyText: '党费已缴清',
      text: home.unpaid_dues_fen ? `${(home.unpaid_dues_fen / 100).toFixed(2)} 元` : '',
    },
    {
      key: 'newspaper',
      title: '手机报',
      empty: !home.unread_newspapers,
      emptyText: '没有未读的手机报',
      text: home.unread_newspapers ? `${home.unread_newspapers} 期未读` : '',
    },
    {
      key: 'quiz',
      title: '学习答题',
      empty: !home.open_quizzes,
      emptyText: '暂无进行中的答题',
      text: home.open_quizzes ? `${home.open_quizzes} 个答题进行中` : '',
    },
  ];
}

function createHomePage({ api, wx }) {
  return {
    data: { loading: true, greeting: '', branch: '', cards: [] },

    onShow() {
      return this.refresh();
    },

    onOpen(event) {
      wx.navigateTo({ url: event.detail.link });
    },

    onPullDownRefresh() {
      return this.refresh().then(() => wx.stopPullDownRefresh());
    },

    refresh() {
      return api
        .get('/api/home')
        .then((home) => {
          this.setData({
            loading: false,
            greeting: `${home.member_name}同志，您好`,
            branch: home.branch_name,
            cards: cardsFrom(home),
          });
        })
        .catch((err) => {
          this.setData({ loading: false });
          if (err.code !== 'not_bound') showError(wx, err);
        });
    },
  };
}

module.exports = { createHomePage, cardsFrom };
