// 留言板: my branch's board, newest first (my own posts still waiting for the secretary marked so), and a
// box to post. A refusal (the daily limit) is shown as the server words it.
const { leadsToLogin, showError } = require('../../utils/api');
const { postView, POST_MAX } = require('../../utils/mailbox');

function createBoardPage({ api, wx }) {
  return {
    data: { state: 'loading', stateMessage: '', branch: '', posts: [], premoderated: false, draft: '', sending: false, problem: '', postMax: POST_MAX },

    onLoad() {
      return this.load();
    },

    onRetry() {
      return this.load();
    },

    onPullDownRefresh() {
      return this.load({ quiet: true }).then(() => wx.stopPullDownRefresh());
    },

    load({ quiet = false } = {}) {
      if (!quiet) this.setData({ state: 'loading', stateMessage: '' });
      return api
        .get('/api/board', { retry: false })
        .then((board) => {
          const posts = board.posts.map(postView);
          this.setData({
            state: posts.length ? 'ready' : 'empty',
            stateMessage: posts.length ? '' : '还没有留言，来说第一句吧',
            branch: board.branch_name,
            premoderated: Boolean(board.premoderated),
            posts,
          });
        })
        .catch((err) => {
          if (leadsToLogin(err)) return;
          this.setData({ state: 'error', stateMessage: err.message || '' });
        });
    },

    onDraft(event) {
      this.setData({ draft: event.detail.value, problem: '' });
    },

    onPost() {
      const body = this.data.draft.trim();
      if (!body) {
        this.setData({ problem: '请填写留言内容' });
        return Promise.resolve();
      }
      if (this.data.sending) return Promise.resolve();
      this.setData({ sending: true });
      return api
        .post('/api/board', { body })
        .then((post) => {
          this.setData({ sending: false, draft: '' });
          wx.showToast(post.status === 'pending' ? { title: '已提交，书记审核后显示', icon: 'none' } : { title: '已发表', icon: 'success' });
          return this.load({ quiet: true });
        })
        .catch((err) => {
          this.setData({ sending: false });
          if (leadsToLogin(err)) return;
          if (err.status === 429 || err.status === 422) {
            this.setData({ problem: err.message });
            return;
          }
          showError(wx, err);
        });
    },
  };
}

module.exports = { createBoardPage };
