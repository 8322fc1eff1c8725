// One notice (通知公告): its title, who sent it and when (Beijing time), the text as written, the
// attachment (a PDF opens in WeChat's reader, a picture in its viewer) and, when the secretary asked for
// a receipt, the deadline and 确认收到. Opening the notice reads it (the server marks it on this GET);
// 确认收到 is taken once — after the deadline too, marked 逾期 — and the page then says when.
const { leadsToLogin, showError } = require('../../utils/api');
const { beijing } = require('../../utils/time');
const { idFrom } = require('../../utils/newspaper');
const { askFor, templateIdsFor } = require('../../utils/subscribe');

const PURPOSE = 'notice';

const noticePath = (id) => `/api/notices/${id}`;
const NOT_FOUND = '没有找到这条通知，可能已撤回';

function noticeView(body, now) {
  const deadline = body.ack_deadline ? new Date(body.ack_deadline) : null;
  const overdue = Boolean(deadline && now > deadline);
  let ackText = '';
  if (body.acked_at) ackText = `已于 ${beijing(body.acked_at)} 确认收到${body.ack_late ? '（逾期）' : ''}`;
  else if (body.ack_required) ackText = deadline ? `请在 ${beijing(body.ack_deadline)} 前确认收到` : '请确认收到';
  return {
    id: body.id,
    title: body.title,
    body: body.body || '',
    org: body.org_name || '',
    sentAt: beijing(body.sent_at),
    ackRequired: Boolean(body.ack_required),
    acked: Boolean(body.acked_at),
    ackText,
    overdue: overdue && !body.acked_at,
    attachment: body.attachment ? { kind: body.attachment.kind, name: body.attachment.name } : null,
  };
}

function createNoticePage({ api, wx, now = () => new Date() }) {
  return {
    data: {
      state: 'loading',
      stateMessage: '',
      notice: null,
      acking: false,
      opening: false,
      canSubscribe: templateIdsFor([PURPOSE]).length > 0,
    },

    noticeId: null,
    body: null, // the server's last answer, which the view is made from

    onLoad(options = {}) {
      this.noticeId = idFrom(options.id);
      if (!this.noticeId) {
        this.setData({ state: 'error', stateMessage: NOT_FOUND });
        return Promise.resolve();
      }
      return this.load();
    },

    onRetry() {
      return this.noticeId ? this.load() : Promise.resolve();
    },

    onReconnect() {
      return this.noticeId ? this.load({ quiet: this.data.state === 'ready' }) : Promise.resolve();
    },

    onPullDownRefresh() {
      const done = this.noticeId ? this.load({ quiet: true }) : Promise.resolve();
      return done.then(() => wx.stopPullDownRefresh());
    },

    load({ quiet = false } = {}) {
      if (!quiet) this.setData({ state: 'loading', stateMessage: '' });
      return api
        .get(noticePath(this.noticeId), { retry: false })
        .then((body) => {
          this.body = body;
          this.setData({ notice: noticeView(body, now()), state: 'ready', stateMessage: '' });
        })
        .catch((err) => {
          if (leadsToLogin(err)) return;
          if (quiet && this.data.state === 'ready') {
            showError(wx, err);
            return;
          }
          this.setData({ state: 'error', stateMessage: err.status === 404 ? NOT_FOUND : err.message || '' });
        });
    },

    // The member's own action: a bad network asks whether to try again (the client's default).
    onAck() {
      if (this.data.acking || !this.data.notice || this.data.notice.acked) return Promise.resolve();
      this.setData({ acking: true });
      return api
        .post(`${noticePath(this.noticeId)}/ack`)
        .then((answer) => {
          this.body = { ...this.body, acked_at: answer.acked_at, ack_late: answer.late };
          this.setData({ notice: noticeView(this.body, now()) });
          wx.showToast({ title: answer.late ? '已确认（逾期）' : '已确认收到', icon: 'success' });
        })
        .catch((err) => showError(wx, err))
        .finally(() => this.setData({ acking: false }));
    },

    // 开启通知提醒: one more WeChat message for the next notice (or a reminder), asked straight from the tap.
    onSubscribe() {
      return askFor({ wx, api, purposes: [PURPOSE] }).then(({ accepted }) => {
        if (accepted.includes(PURPOSE)) wx.showToast({ title: '已开启，下一条通知会提醒您', icon: 'none' });
      });
    },

    // A PDF opens in WeChat's document reader, a picture in its viewer; both from a file downloaded with
    // the member's session (the attachment is only for those the notice was sent to).
    onOpenAttachment() {
      const attachment = this.data.notice && this.data.notice.attachment;
      if (!attachment || this.data.opening) return Promise.resolve();
      this.setData({ opening: true });
      return api
        .download(`${noticePath(this.noticeId)}/attachment`)
        .then((filePath) => {
          if (attachment.kind === 'pdf') wx.openDocument({ filePath, fileType: 'pdf', showMenu: true });
          else wx.previewImage({ urls: [filePath], current: filePath });
        })
        .catch((err) => showError(wx, err))
        .finally(() => this.setData({ opening: false }));
    },
  };
}

module.exports = { createNoticePage, noticeView, noticePath, NOT_FOUND };
