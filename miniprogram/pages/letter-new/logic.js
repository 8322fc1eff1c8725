// Writing a letter: to my branch secretary (书记信箱) or my committee (党委信箱), with a subject and the
// letter, and a box to hide my name from its readers — with the server's note saying the writer is still
// kept, for abuse handling only. Sending asks (from the tap) for consent to be told of the reply, then
// posts; a refusal (the daily limit, a bad field) is shown as the server words it.
const { leadsToLogin, showError } = require('../../utils/api');
const { letterProblem, SUBJECT_MAX, BODY_MAX } = require('../../utils/mailbox');
const subscribe = require('../../utils/subscribe');

function createLetterNewPage({ api, wx }) {
  return {
    data: {
      state: 'loading',
      stateMessage: '',
      mailboxes: [],
      addressee: '',
      subject: '',
      body: '',
      anonymous: false,
      note: '',
      sending: false,
      problem: '',
      subjectMax: SUBJECT_MAX,
      bodyMax: BODY_MAX,
    },

    onLoad(options = {}) {
      return this.load(options.to);
    },

    onRetry() {
      return this.load();
    },

    load(preferred) {
      this.setData({ state: 'loading' });
      return api
        .get('/api/mailbox', { retry: false })
        .then((answer) => {
          const mailboxes = answer.mailboxes.map((box) => ({ ...box, text: `${box.label}（${box.org_name}）` }));
          const chosen = mailboxes.some((box) => box.addressee === preferred) ? preferred : mailboxes[0].addressee;
          this.setData({ state: 'ready', mailboxes, addressee: chosen, note: answer.anonymity_note });
        })
        .catch((err) => {
          if (leadsToLogin(err)) return;
          this.setData({ state: 'error', stateMessage: err.message || '' });
        });
    },

    onAddressee(event) {
      this.setData({ addressee: event.currentTarget.dataset.addressee, problem: '' });
    },

    onSubject(event) {
      this.setData({ subject: event.detail.value, problem: '' });
    },

    onBody(event) {
      this.setData({ body: event.detail.value, problem: '' });
    },

    onAnonymous(event) {
      this.setData({ anonymous: (event.detail.value || []).includes('yes') });
    },

    onSend() {
      if (this.data.sending) return Promise.resolve();
      const { addressee, subject, body, anonymous } = this.data;
      const problem = letterProblem({ addressee, subject, body });
      if (problem) {
        this.setData({ problem });
        return Promise.resolve();
      }
      this.setData({ sending: true });
      // from the tap, before any await: WeChat shows the dialog only then
      const asked = subscribe.askFor({ wx, api, purposes: ['letter_reply'] });
      return asked
        .then(() => api.post('/api/letters', { addressee, subject: subject.trim(), body: body.trim(), anonymous }))
        .then((letter) => {
          this.setData({ sending: false, subject: '', body: '' });
          wx.showToast({ title: '已送达', icon: 'success' });
          wx.redirectTo({ url: `/pages/letter/index?id=${letter.id}` });
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

module.exports = { createLetterNewPage };
