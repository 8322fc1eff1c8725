// 政治生日贺卡: "您的第 N 个政治生日" with the day I joined the Party, my years in it and a short line. Opened
// from the greeting in 消息 (or its subscribe message) with ?id=<greeting>; the server marks the inbox item
// read on that GET. Opened without an id (from 我的), it shows my latest card, or when my next political
// birthday comes.
const { leadsToLogin } = require('../../utils/api');
const { idFrom } = require('../../utils/newspaper');
const { INBOX_PAGE } = require('../../utils/inbox');

const cardPath = (id) => `/api/birthday-greetings/${id}`;
const MY_BIRTHDAY_PATH = '/api/me/birthday';
const NOT_FOUND = '没有找到这张贺卡';
const NO_JOIN_DATE = '党员名册中还没有您的入党日期，请联系支部书记补充';

// "2005-07-01" → "2005年7月1日" (a date, no time zone: the server says which day)
function dayText(iso) {
  if (!iso) return '';
  const [year, month, day] = String(iso).split('-');
  return `${year}年${Number(month)}月${Number(day)}日`;
}

function cardView(body) {
  return {
    id: body.id,
    headline: `您的第${body.years}个政治生日`,
    name: body.name,
    joined: dayText(body.join_date),
    years: body.years,
    line: body.line,
    greetedOn: dayText(body.greeted_on),
  };
}

function upcomingView(body) {
  return { joined: dayText(body.join_date), next: dayText(body.next_birthday), years: body.years_in_party };
}

function createBirthdayCardPage({ api, wx }) {
  return {
    data: { state: 'loading', stateMessage: '', card: null, upcoming: null },

    greetingId: null,

    onLoad(options = {}) {
      this.greetingId = idFrom(options.id);
      if (options.id !== undefined && !this.greetingId) {
        this.setData({ state: 'error', stateMessage: NOT_FOUND });
        return Promise.resolve();
      }
      return this.load();
    },

    onRetry() {
      return this.load();
    },

    // 消息 is a tab: switched to, never navigated to
    onBack() {
      wx.switchTab({ url: INBOX_PAGE });
    },

    load() {
      this.setData({ state: 'loading', stateMessage: '' });
      const asked = this.greetingId
        ? api.get(cardPath(this.greetingId), { retry: false }).then((body) => ({ card: cardView(body) }))
        : api.get(MY_BIRTHDAY_PATH, { retry: false }).then((body) => ({
            card: body.greeting ? cardView(body.greeting) : null,
            upcoming: body.join_date ? upcomingView(body) : null,
          }));
      return asked
        .then(({ card, upcoming = null }) => {
          if (!card && !upcoming) {
            this.setData({ state: 'empty', stateMessage: NO_JOIN_DATE, card: null, upcoming: null });
            return;
          }
          this.setData({ state: 'ready', card, upcoming });
        })
        .catch((err) => {
          if (leadsToLogin(err)) return;
          this.setData({ state: 'error', stateMessage: err.status === 404 ? NOT_FOUND : err.message || '' });
        });
    },
  };
}

module.exports = { createBirthdayCardPage, cardView, upcomingView, dayText, cardPath, MY_BIRTHDAY_PATH };
