// Asking a member for one-time consent to a reminder (wx.requestSubscribeMessage) and telling the server
// what they chose, so it knows whom it may remind and the member can see what they agreed to.
//
// WeChat only shows the dialog when the call comes straight from a tap (a button's bindtap, or the
// confirm of a wx.showModal): call `askFor` synchronously from such a handler, never after an await.
// Each accepted template lets the server send that member one message.

const config = require('../config');

// Titles the member reads in 我的 → 消息提醒, one per purpose mp_config knows.
const PURPOSE_TITLES = {
  meeting_reminder: '会议提醒',
  dues_reminder: '党费缴纳提醒',
  quiz_open: '答题开始提醒',
  newspaper_issue: '手机报推送',
  political_birthday: '政治生日祝福',
  letter_reply: '信箱回复提醒',
  notice: '通知公告提醒',
};

// At most three templates per request, as WeChat allows.
function templateIdsFor(purposes) {
  const templates = config.subscribeTemplates || {};
  return purposes.map((purpose) => templates[purpose]).filter(Boolean).slice(0, 3);
}

// Ask for `purposes`; resolves {accepted: [purpose…]} and never rejects (a refusal is the member's right).
function askFor({ wx, api, purposes }) {
  const ids = templateIdsFor(purposes);
  if (!ids.length) return Promise.resolve({ accepted: [] });
  return new Promise((resolve) =>
    wx.requestSubscribeMessage({ tmplIds: ids, success: resolve, fail: () => resolve(null) }),
  ).then((answer) => {
    if (!answer) return { accepted: [] };
    const results = {};
    ids.forEach((id) => {
      if (typeof answer[id] === 'string') results[id] = answer[id];
    });
    const accepted = purposes.filter((purpose) => results[config.subscribeTemplates[purpose]] === 'accept');
    return api
      .post('/api/me/subscriptions', { results })
      .catch(() => null)
      .then(() => ({ accepted }));
  });
}

module.exports = { askFor, templateIdsFor, PURPOSE_TITLES };
